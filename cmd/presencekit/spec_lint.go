package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/presencekit/presencekit/spec"
)

// lintOptions are the flags and arguments of "spec lint".
type lintOptions struct {
	File    string // "" for the embedded spec, "-" for stdin
	JSON    bool
	Profile string // --profile: applied to the embedded spec, and to FILE when named
}

func newSpecLintCmd() *cobra.Command {
	var o lintOptions
	cmd := &cobra.Command{
		Use:   "lint [FILE]",
		Short: "Check the spec: OpenAPI validity, examples, responses, limits, rules",
		Long: `Lint checks a spec: kin-openapi's validation with every example checked
against its schema, plus presencekit's own checks (every operation declares
200 and 400, and 401 when it needs auth; every limit is in the spec and backed
by a rule; every rule names an existing operation; x-doc-findings entries are
complete).

Without FILE it lints the embedded openapi.yaml; "-" reads standard input.
Each finding is printed as file:line:col: [check] message, so editors can
jump to it. A FILE that is not an OpenAPI 3 document (e.g. {}) or does not
load (bad YAML, a dangling $ref) gives one [load] finding.

Exit codes:
  0    no findings
  1    findings (a FILE that does not load is one)
  2    bad usage, or FILE cannot be read`,
		Example: `  presencekit spec lint
  presencekit spec lint my-copy.yaml
  presencekit spec lint --json my-copy.yaml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.File = fileArg(args)
			return failed(lintSpec(cmd.Context(), o, cmd.InOrStdin(), cmd.OutOrStdout()))
		},
	}
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print the findings as one JSON object instead of lines")
	addProfileFlag(cmd, &o.Profile)
	return cmd
}

// lintReport is the --json output of "spec lint".
type lintReport struct {
	File     string         `json:"file"`
	Count    int            `json:"count"`
	Findings []spec.Finding `json:"findings"`
}

// lintSpec lints the spec o names and prints the findings to w. It returns
// an exit-1 error when there are findings, after printing them.
func lintSpec(ctx context.Context, o lintOptions, stdin io.Reader, w io.Writer) error {
	data, location, err := readSpecProfile(o.File, o.Profile, stdin)
	if err != nil {
		return err
	}
	findings := spec.LintData(ctx, data, location)
	if findings == nil {
		findings = []spec.Finding{}
	}
	if o.JSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(lintReport{File: location, Count: len(findings), Findings: findings})
	} else {
		err = printFindings(w, location, findings)
	}
	if err != nil {
		return err
	}
	if len(findings) > 0 {
		return &exitError{code: exitFail}
	}
	return nil
}

func printFindings(w io.Writer, location string, findings []spec.Finding) error {
	for _, f := range findings {
		if _, err := fmt.Fprintln(w, f.String()); err != nil {
			return err
		}
	}
	noun := "findings"
	if len(findings) == 1 {
		noun = "finding"
	}
	_, err := fmt.Fprintf(w, "%s: %d %s\n", location, len(findings), noun)
	return err
}
