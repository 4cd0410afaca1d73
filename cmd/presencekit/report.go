package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/loadgen"
	"github.com/presencekit/presencekit/loadgen/loadout"
)

func newReportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Show or merge load results (results.json)",
		Long: `report works on the results.json files "presencekit load --out" writes:
show prints the summary again (and can write the HTML report or HDR log
later), merge combines the shards of a distributed run exactly, histogram by
histogram, never averaging percentiles. merge refuses files that are not
shards of one run (another seed, org, shard count, rate, ...) and names the
setting that differs.

Exit codes:
  0  ok (thresholds, if any, held)
  2  bad usage: a file that cannot be read, is not results.json, or (merge)
     is not a shard of the same run as the others
  3  a --threshold was breached`,
		Example: `  presencekit report show results.json --html report.html
  presencekit report show results.json --threshold 'p99<50ms'
  presencekit report merge shard-*.json --out merged.json --html merged.html`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("unknown command %q for %q", args[0], cmd.CommandPath())
			}
			return cmd.Help()
		},
	}
	cmd.AddCommand(newReportShowCmd(), newReportMergeCmd())
	cmd.AddCommand(newReportConformMDCmd()) // conform's matrix as Markdown, for CI summaries
	return cmd
}

func newReportShowCmd() *cobra.Command {
	var out outputs
	var thresholds []string
	cmd := &cobra.Command{
		Use:   "show RESULTS.json",
		Short: "Print the summary of a results file; optionally write HTML, HDR log, thresholds",
		Long: `show prints the summary of a results.json again, can write its HTML
report or HDR interval log, and checks thresholds against it.
Exit 0 ok, 2 unreadable file or bad flag, 3 a threshold was breached.`,
		Example: `  presencekit report show results.json
  presencekit report show results.json --html report.html --hdr-log results.hlog --threshold 'errors<0.1%'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := readResults(args[0])
			if err != nil {
				return err
			}
			return report(res, thresholds, out, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	reportFlags(cmd, &out, &thresholds, false)
	return cmd
}

func newReportMergeCmd() *cobra.Command {
	var out outputs
	var thresholds []string
	cmd := &cobra.Command{
		Use:   "merge A.json B.json ...",
		Short: "Merge the results of shards exactly and print the summary",
		Long: `merge sums the shards of one distributed run (presencekit load --shard i/n
... --out shard-i.json) interval by interval and histogram by histogram, so
merged percentiles are exact. Every input must come from the same run: the
same schema, interval, shard count and settings (seed, org, app, rate, mix,
...) except the shard itself; a shard given twice is refused too.
Exit 0 ok, 2 an input is unreadable or not a shard of the same run (the
message names the setting that differs), 3 a threshold was breached.`,
		Example: `  presencekit report merge shard-*.json --out merged.json --html merged.html \
      --threshold 'p99<50ms'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			parts := make([]*loadgen.Results, 0, len(args))
			for _, a := range args {
				r, err := readResults(a)
				if err != nil {
					return err
				}
				parts = append(parts, r)
			}
			res, err := loadgen.Merge(parts...)
			if errors.Is(err, loadgen.ErrMismatch) {
				return &exitError{code: exitUsage, err: err}
			}
			if err != nil {
				return failed(err)
			}
			return report(res, thresholds, out, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	reportFlags(cmd, &out, &thresholds, true)
	return cmd
}

func reportFlags(cmd *cobra.Command, out *outputs, thresholds *[]string, withJSON bool) {
	f := cmd.Flags()
	if withJSON {
		f.StringVar(&out.json, "out", "", "write the merged results.json here")
	}
	f.StringVar(&out.html, "html", "", "write a self-contained HTML report here")
	f.StringVar(&out.hdrLog, "hdr-log", "", "write an HdrHistogram interval log here")
	f.StringArrayVar(thresholds, "threshold", nil, "pass/fail rule, repeatable (exit 3 when breached)")
}

// report is finish for saved results: thresholds apply, and the
// interrupted flag of a saved run is shown but does not set the exit code.
func report(res *loadgen.Results, thresholds []string, out outputs, stdout, stderr io.Writer) error {
	ths := make([]loadgen.Threshold, 0, len(thresholds))
	for _, s := range thresholds {
		t, err := loadgen.ParseThreshold(s)
		if err != nil {
			return usageError("%v", err)
		}
		ths = append(ths, t)
	}
	saved := res.Interrupted
	res.Interrupted = false
	// Results hold no secret by construction; the redactor still masks
	// the shapes (a URL password) in files written by older versions.
	red := client.NewRedactor()
	err := finish(res, ths, out, red.Writer(stdout), red.Writer(stderr), red)
	res.Interrupted = saved
	return err
}

func readResults(path string) (*loadgen.Results, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("read results: %w", err)}
	}
	defer f.Close()
	var r loadgen.Results
	if err := loadgen.NewJSONDecoder(f)(&r); err != nil {
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("%s: %w", path, err)}
	}
	return &r, nil
}

// writeOutputs writes the files out names; the HTML report shows the
// threshold verdicts.
func writeOutputs(res *loadgen.Results, verdicts []loadgen.Verdict, out outputs) error {
	files := []struct {
		path  string
		write func(io.Writer) error
	}{
		{out.json, func(w io.Writer) error { return loadgen.NewJSONEncoder(w)(res) }},
		{out.hdrLog, func(w io.Writer) error { return loadout.WriteHDRLog(w, res) }},
		{out.html, func(w io.Writer) error { return loadout.WriteHTML(w, res, verdicts) }},
	}
	for _, f := range files {
		if f.path == "" {
			continue
		}
		if err := writeFile(f.path, f.write); err != nil {
			return err
		}
	}
	return nil
}

// writeFile renders a whole output first, so a failed render leaves no
// half-written file behind.
func writeFile(path string, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}
