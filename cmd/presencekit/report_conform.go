package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/onsi/ginkgo/v2/types"
	"github.com/spf13/cobra"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/suites"
)

// maxCell bounds a failure message in a Markdown cell: a job summary is a
// page to read, and the full text is in report.html.
const maxCell = 160

func newReportConformMDCmd() *cobra.Command {
	var level, profile string
	cmd := &cobra.Command{
		Use:   "conform-md REPORT.json",
		Short: "Print the rule matrix of a conform run (its report.json) as Markdown",
		Long: `conform-md reads the report.json "presencekit conform" writes in its
--report-dir and prints the conformance matrix as Markdown: the verdict, the
rule counts, and one row per rule (level, operation, result, its first
failure or why its specs were skipped). It is made for CI job summaries (the
GitHub Action appends it to $GITHUB_STEP_SUMMARY). Secret values in
PRESENCE_TOKEN, PRESENCE_CLIENT_SECRET and PRESENCE_ADMIN_TOKEN are masked,
as are bearer tokens and client secrets anywhere in a message.

Exit 0 when the matrix was printed (whatever the verdict), 2 when the file
cannot be read.`,
		Example: `  presencekit report conform-md reports/report.json >> "$GITHUB_STEP_SUMMARY"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if level != "must" && level != "should" {
				return usageError("--level %q: want must or should", level)
			}
			res, err := readConformReport(args[0], level)
			if err != nil {
				return err
			}
			if profileName(profile) != "" {
				doc, err := loadProfileDoc(profile, "")
				if err != nil {
					return err
				}
				res.MarkNotApplicable(doc)
			}
			red := client.NewRedactor(os.Getenv("PRESENCE_TOKEN"), os.Getenv("PRESENCE_CLIENT_SECRET"), os.Getenv("PRESENCE_ADMIN_TOKEN"))
			return failed(writeConformMarkdown(cmd.OutOrStdout(), res, red))
		},
	}
	cmd.Flags().StringVar(&level, "level", suites.DefaultLevel, "the --level the run used: which failed rules failed the gate ('must' or 'should')")
	cmd.Flags().StringVar(&profile, "profile", "", "the --profile the run used: its rules that do not apply show as not applicable")
	return cmd
}

// readConformReport builds the matrix from Ginkgo's JSON report (a list of
// suite reports; conform writes one).
func readConformReport(path, level string) (*suites.Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("read conform report: %w", err)}
	}
	var reports []types.Report
	if err := json.Unmarshal(data, &reports); err != nil {
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("%s: not a conform report.json: %w", path, err)}
	}
	if len(reports) != 1 {
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("%s: %d suite reports, want the one conform writes", path, len(reports))}
	}
	cfg := suites.Defaults()
	cfg.Level = level
	return suites.NewResult(reports[0], cfg), nil
}

// stateMark makes the matrix scannable in a rendered summary.
var stateMark = map[string]string{
	suites.StatePassed:   "✅ ",
	suites.StateFailed:   "❌ ",
	suites.StateSkipped:  "⏭️ ",
	suites.StateRecorded: "📝 ",
	suites.StateNA:       "",
	// A rule the profile does not apply (docs/profiles.md).
	suites.StateNotApplicable: "➖ ",
}

// writeConformMarkdown writes the verdict, the counts and the matrix.
func writeConformMarkdown(w io.Writer, res *suites.Result, red *client.Redactor) error {
	verdict := "passed"
	if !res.GatePassed() {
		verdict = fmt.Sprintf("FAILED (%d failures of gating rules)", res.GateFailures)
	}
	c := res.Count()
	var b strings.Builder
	fmt.Fprintf(&b, "### presencekit conformance: %s\n\n", verdict)
	fmt.Fprintf(&b, "Rules: %d passed, %d failed, %d skipped, %d probes recorded, %d not checked (of %d). Specs: %d passed, %d failed, %d skipped.\n\n",
		c[suites.StatePassed], c[suites.StateFailed], c[suites.StateSkipped], c[suites.StateRecorded], c[suites.StateNA], len(res.Rules),
		res.Passed, res.Failed, res.Skipped)
	b.WriteString("| Rule | Level | Operation | Result | First failure, or why skipped |\n| --- | --- | --- | --- | --- |\n")
	for _, rr := range res.Rules {
		first := ""
		switch {
		case len(rr.Failures) > 0:
			first = summaryCell(red.String(rr.Failures[0].FailureLine()))
		case rr.State == suites.StateSkipped:
			// A skipped gating rule is one the gate does not vouch for:
			// the summary says why (a setting missing, a busy target).
			first = summaryCell(red.String(rr.SkipReason()))
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s%s | %s |\n", rr.ID, rr.Level, mdOperation(rr.Operation), stateMark[rr.State], rr.State, first)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// summaryCell makes a message one bounded Markdown table cell that cannot
// inject HTML into the summary page.
func summaryCell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxCell {
		s = string(r[:maxCell]) + "…"
	}
	return mdCell(strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(s))
}
