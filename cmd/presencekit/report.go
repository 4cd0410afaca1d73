package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/presencekit/presencekit/loadgen"
)

func newReportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Show or merge load results (results.json)",
		Long: `report works on the results.json files "presencekit load --out" writes:
show prints the summary again (and can write the HTML report or HDR log
later), merge combines the shards of a distributed run exactly, histogram by
histogram, never averaging percentiles.`,
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
		Args:  cobra.ExactArgs(1),
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
	err := finish(res, ths, out, stdout, stderr)
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

// writeOutputs writes the files out names.
func writeOutputs(res *loadgen.Results, out outputs) error {
	files := []struct {
		path  string
		write func(io.Writer) error
	}{
		{out.json, func(w io.Writer) error { return loadgen.NewJSONEncoder(w)(res) }},
		{out.hdrLog, func(w io.Writer) error { return loadgen.WriteHDRLog(w, res) }},
		{out.html, func(w io.Writer) error { return loadgen.WriteHTML(w, res) }},
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

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
