package main

import (
	"github.com/spf13/cobra"
)

func newSpecDumpCmd() *cobra.Command {
	var profile string
	cmd := &cobra.Command{
		Use:   "dump",
		Short: "Print the embedded openapi.yaml unchanged, or merged with --profile",
		Long: `Dump prints the openapi.yaml this binary was built with, byte for byte, e.g. to
start an edited copy or to feed other OpenAPI tools. With --profile (or
PRESENCE_PROFILE) it prints the merged document: the profile's overlay
applied, its facts under x-presencekit-profile.

Exit codes:
  0    printed
  1    standard output could not be written
  2    bad usage (dump takes no arguments)`,
		Example: `  presencekit spec dump > openapi.yaml
  presencekit spec dump --profile shengwang | presencekit spec lint -
  presencekit spec dump | sed 's/maxItems: 100/maxItems: 50/' | presencekit spec lint -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return failed(dumpProfile(cmd.OutOrStdout(), profile))
		},
	}
	addProfileFlag(cmd, &profile)
	return cmd
}
