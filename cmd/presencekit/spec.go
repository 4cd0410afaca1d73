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
		Short: "Lint the openapi.yaml contract, show its limits and rules, dump it",
		Long: `The contract of presencekit is openapi.yaml (embedded in this binary) plus the
rule catalogue. These commands lint it, show the limits read from its schema
constraints, list the rules, and print the embedded file.`,
		// A group: "spec" alone shows the help, "spec nope" is a usage error.
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("unknown command %q for %q", args[0], cmd.CommandPath())
			}
			return cmd.Help()
		},
	}
	cmd.AddCommand(newSpecLintCmd(), newSpecLimitsCmd(), newSpecRulesCmd(), newSpecDumpCmd(), newSpecDiffCmd())
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
