package loadout

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/presencekit/presencekit/loadgen"
)

// WriteText prints the summary table: per operation the count, rate,
// errors and percentiles, corrected and service time side by side, then
// late and dropped sends, error kinds and validation.
func WriteText(w io.Writer, s *loadgen.Summary) error {
	ew := &errWriter{w: w}
	if s.Interrupted {
		ew.printf("interrupted: results cover the run up to the interrupt\n")
	}
	if len(s.Setup) > 0 {
		ew.printf("setup (%s, not in the figures below)\n", loadgen.FormatDuration(s.SetupElapsed))
		table(s, ew, s.Setup, nil)
		ew.printf("\n")
	}
	ew.printf("measured phase: %s, %s loop, shards %s\n", loadgen.FormatDuration(s.Elapsed), s.Mode, strings.Join(s.Shards, ","))
	all := s.All
	table(s, ew, s.Ops, &all)
	if f, ok := s.TargetFraction(); ok {
		ew.printf("\ntarget: %d hits scheduled, %d sent (%.1f%%), %d dropped\n", s.Expected, s.Sent, 100*f, s.Dropped)
	}
	ew.printf("late sends (after their intended time): %d\n", s.All.Late)
	if strings.HasPrefix(s.Auth, "client credentials") || s.TokenRenewals+s.TokenRenewalFailures > 0 {
		ew.printf("token renewals: %d (%d failed)\n", s.TokenRenewals, s.TokenRenewalFailures)
	}
	if len(s.All.ErrorKinds) > 0 {
		ew.printf("errors by kind:")
		for _, k := range slices.Sorted(maps.Keys(s.All.ErrorKinds)) {
			ew.printf(" %s=%d", k, s.All.ErrorKinds[k])
		}
		ew.printf("\n")
	}
	if s.ValidationChecked > 0 {
		ew.printf("validation: %d answers checked, %d violations\n", s.ValidationChecked, s.Viols)
		for _, id := range slices.Sorted(maps.Keys(s.Validation)) {
			if v := s.Validation[id]; v.Violations > 0 {
				ew.printf("  %s: %d of %d, e.g. %s\n", id, v.Violations, v.Checked, v.Example)
			}
		}
	}
	if s.Verify != nil {
		for _, l := range verifyLines(s.Verify, 3) {
			ew.printf("%s\n", l)
		}
	}
	return ew.err
}

func table(s *loadgen.Summary, ew *errWriter, ops []loadgen.OpSummary, all *loadgen.OpSummary) {
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "operation\tcount\trate/s\terrors\tp50\tp90\tp99\tp99.9\tmax\t  svc p50\tsvc p99\tsvc max\t\n")
	row := func(o *loadgen.OpSummary) {
		c, sv := o.Corrected, o.Service
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\t  %s\t%s\t%s\t\n", o.Op, o.Count, o.Rate,
			errCell(o), loadgen.FormatDuration(c.P50), loadgen.FormatDuration(c.P90), loadgen.FormatDuration(c.P99), loadgen.FormatDuration(c.P999), loadgen.FormatDuration(c.Max),
			loadgen.FormatDuration(sv.P50), loadgen.FormatDuration(sv.P99), loadgen.FormatDuration(sv.Max))
	}
	for i := range ops {
		row(&ops[i])
	}
	if all != nil && len(ops) > 1 {
		row(all)
	}
	_ = tw.Flush() // errors reach ew
}

func errCell(o *loadgen.OpSummary) string {
	if o.Errors == 0 {
		return "0"
	}
	return strconv.FormatUint(o.Errors, 10) + " (" + strconv.FormatFloat(100*o.ErrorRate(), 'f', 2, 64) + "%)"
}

// errWriter keeps the first write error so printing code stays linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = fmt.Errorf("write summary: %w", err)
	}
	return n, err
}

func (e *errWriter) printf(format string, a ...any) { fmt.Fprintf(e, format, a...) }

// verifyLines renders the verification for the summary: totals, then
// violations per rule and operation, then the first examples.
func verifyLines(v *loadgen.Verification, examples int) []string {
	out := []string{"verification: " + strconv.FormatUint(v.CheckedTotal(), 10) + " answers checked against the model, " +
		strconv.FormatUint(v.Total(), 10) + " violations"}
	for _, rule := range slices.Sorted(maps.Keys(v.Violations)) {
		byOp := v.Violations[rule]
		for _, op := range slices.Sorted(maps.Keys(byOp)) {
			out = append(out, "  "+rule+" in "+op+": "+strconv.FormatUint(byOp[op], 10))
		}
	}
	for i, ex := range v.Examples {
		if i >= examples {
			break
		}
		out = append(out, "  e.g. ["+ex.Rule+"] "+ex.Request,
			"       answered "+ex.Answer,
			"       expected "+ex.Expected,
			"       sent "+ex.Sent.Format(time.RFC3339Nano)+", answered "+ex.Answered.Format(time.RFC3339Nano))
	}
	return out
}
