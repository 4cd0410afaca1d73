package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/presencekit/presencekit"
	"github.com/presencekit/presencekit/spec"
)

func newSpecCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "spec",
		Short: "Lint the openapi.yaml contract, diff versions, show its limits and rules, dump it",
		Long: `The contract of presencekit is openapi.yaml (embedded in this binary) plus the
rule catalogue. These commands work on it:
  lint     check a spec: OpenAPI validity, examples, responses, limits, rules
  diff     review a change between two versions: what breaks clients
  limits   the limits read from the spec's schema constraints
  rules    the rule catalogue, with each rule's level, operation and source
  dump     print the embedded openapi.yaml (merged with --profile)
  profiles the vendor profiles (OpenAPI Overlays) and what each changes

Every subcommand takes --profile NAME|FILE.yaml (or PRESENCE_PROFILE).

Exit codes of "spec" alone:
  0    help shown
  2    unknown subcommand
Each subcommand's --help lists its own.`,
		Example: `  presencekit spec lint my-copy.yaml
  presencekit spec diff embedded my-copy.yaml
  presencekit spec limits --json
  presencekit spec rules --level must
  presencekit spec dump > my-copy.yaml`,
		// A group: "spec" alone shows the help, "spec nope" is a usage error.
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("unknown command %q for %q", args[0], cmd.CommandPath())
			}
			return cmd.Help()
		},
	}
	cmd.AddCommand(newSpecLintCmd(), newSpecLimitsCmd(), newSpecRulesCmd(), newSpecDumpCmd(), newSpecDiffCmd(), newSpecProfilesCmd())
	return cmd
}

// stdinName is the FILE argument that reads the spec from standard input.
const stdinName = "-"

// readSpec returns the bytes of the spec a command was pointed at and the
// name to report them under: the embedded openapi.yaml when path is "",
// standard input for "-", else the file. An unreadable input is a usage
// error (exit 2), not a finding.
func readSpec(path string, stdin io.Reader) ([]byte, string, error) {
	switch path {
	case "":
		return presencekit.OpenAPI, spec.EmbeddedLocation, nil
	case stdinName:
		data, err := io.ReadAll(stdin)
		if err != nil {
			return nil, "", &exitError{code: exitUsage, err: fmt.Errorf("read spec from stdin: %w", err)}
		}
		return data, "<stdin>", nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", &exitError{code: exitUsage, err: fmt.Errorf("read spec: %w", err)}
	}
	return data, path, nil
}

// fileArg is the optional FILE argument of a command.
func fileArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}
