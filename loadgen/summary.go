package loadgen

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Percentiles of one latency histogram.
type Percentiles struct {
	P50, P90, P99, P999, Max time.Duration
	Mean                     time.Duration
}

func percentiles(h *hdr.Histogram) Percentiles {
	if h.TotalCount() == 0 {
		return Percentiles{}
	}
	us := func(v int64) time.Duration { return time.Duration(v) * time.Microsecond }
	return Percentiles{
		P50: us(h.ValueAtQuantile(50)), P90: us(h.ValueAtQuantile(90)),
		P99: us(h.ValueAtQuantile(99)), P999: us(h.ValueAtQuantile(99.9)),
		Max: us(h.Max()), Mean: time.Duration(h.Mean() * float64(time.Microsecond)),
	}
}

// OpSummary is one operation's (or all operations') totals.
type OpSummary struct {
	// Op is the operationId, or "all".
	Op                  string
	Count, Errors, Late uint64
	// Rate is completions per second over the phase.
	Rate       float64
	ErrorKinds map[string]uint64
	Status     map[string]uint64
	// Corrected is latency from the intended send time, Service from the
	// actual send.
	Corrected, Service Percentiles

	corrected, service *hdr.Histogram
}

// ErrorRate is Errors/Count (0 with no requests).
func (o *OpSummary) ErrorRate() float64 {
	if o.Count == 0 {
		return 0
	}
	return float64(o.Errors) / float64(o.Count)
}

// Summary is what a run amounts to: the totals the final table, the
// thresholds and `report show` use.
type Summary struct {
	Elapsed                  time.Duration
	Expected, Sent, Dropped  uint64
	Interrupted              bool
	Mode                     string
	Shards                   []string
	Ops                      []OpSummary // in operation order, with traffic only
	All                      OpSummary
	SetupElapsed             time.Duration
	Setup                    []OpSummary
	Validation               map[string]*Validation
	ValidationChecked, Viols uint64
	// Verify is what --verify found; nil without --verify.
	Verify *Verification
	// Auth is how the run authenticated; TokenRenewals and
	// TokenRenewalFailures count client-credential token fetches after
	// the first.
	Auth                                string
	TokenRenewals, TokenRenewalFailures uint64
}

// TargetFraction is Sent/Expected: the rate achieved as a fraction of the
// target. ok is false in the closed loop, which has no target.
func (s *Summary) TargetFraction() (f float64, ok bool) {
	if s.Expected == 0 {
		return 0, false
	}
	return float64(s.Sent) / float64(s.Expected), true
}

// Summarize totals results by merging every interval's histograms.
func Summarize(r *Results) (*Summary, error) {
	s := &Summary{Elapsed: r.Elapsed, Expected: r.Expected, Sent: r.Sent, Dropped: r.Dropped,
		Interrupted: r.Interrupted, Mode: r.Config.Mode, Shards: r.Shards, Validation: r.Validation,
		Auth: r.Config.Auth, TokenRenewals: r.TokenRenewals, TokenRenewalFailures: r.TokenRenewalFailures,
		Verify: r.Verification}
	parts := make([]map[string]*OpInterval, 0, len(r.Intervals))
	for _, iv := range r.Intervals {
		parts = append(parts, iv.Ops)
	}
	var err error
	if s.Ops, s.All, err = summarizeOps(parts, r.Elapsed); err != nil {
		return nil, err
	}
	if r.Setup != nil {
		s.SetupElapsed = r.Setup.Elapsed
		if s.Setup, _, err = summarizeOps([]map[string]*OpInterval{r.Setup.Ops}, r.Setup.Elapsed); err != nil {
			return nil, err
		}
	}
	for _, v := range r.Validation {
		s.ValidationChecked += v.Checked
		s.Viols += v.Violations
	}
	return s, nil
}

func summarizeOps(parts []map[string]*OpInterval, elapsed time.Duration) ([]OpSummary, OpSummary, error) {
	accs := map[string]*opAcc{}
	all := newOpAcc()
	for _, p := range parts {
		for id, o := range p {
			a := accs[id]
			if a == nil {
				a = newOpAcc()
				accs[id] = a
			}
			if err := a.add(o); err != nil {
				return nil, OpSummary{}, fmt.Errorf("summarize %s: %w", id, err)
			}
		}
	}
	ids := slices.Collect(maps.Keys(accs))
	slices.SortFunc(ids, func(a, b string) int { return opOrder(a) - opOrder(b) })
	var ops []OpSummary
	for _, id := range ids {
		all.addAcc(accs[id])
		ops = append(ops, opSummary(id, accs[id], elapsed))
	}
	return ops, opSummary("all", all, elapsed), nil
}

func opOrder(id string) int {
	if o, err := ParseOp(id); err == nil {
		return int(o)
	}
	return int(NumOps)
}

func opSummary(id string, a *opAcc, elapsed time.Duration) OpSummary {
	o := OpSummary{Op: id, Count: a.count, Late: a.late, ErrorKinds: maps.Clone(a.errors),
		Status: maps.Clone(a.status), Corrected: percentiles(a.corrected), Service: percentiles(a.service),
		corrected: a.corrected, service: a.service}
	for _, v := range a.errors {
		o.Errors += v
	}
	if elapsed > 0 {
		o.Rate = float64(a.count) / elapsed.Seconds()
	}
	return o
}

// WriteText prints the summary table: per operation the count, rate,
// errors and percentiles, corrected and service time side by side, then
// late and dropped sends, error kinds and validation.
func (s *Summary) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	if s.Interrupted {
		ew.printf("interrupted: results cover the run up to the interrupt\n")
	}
	if len(s.Setup) > 0 {
		ew.printf("setup (%s, not in the figures below)\n", round(s.SetupElapsed))
		s.table(ew, s.Setup, nil)
		ew.printf("\n")
	}
	ew.printf("measured phase: %s, %s loop, shards %s\n", round(s.Elapsed), s.Mode, strings.Join(s.Shards, ","))
	all := s.All
	s.table(ew, s.Ops, &all)
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

func (s *Summary) table(ew *errWriter, ops []OpSummary, all *OpSummary) {
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "operation\tcount\trate/s\terrors\tp50\tp90\tp99\tp99.9\tmax\t  svc p50\tsvc p99\tsvc max\t\n")
	row := func(o *OpSummary) {
		c, sv := o.Corrected, o.Service
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\t  %s\t%s\t%s\t\n", o.Op, o.Count, o.Rate,
			errCell(o), round(c.P50), round(c.P90), round(c.P99), round(c.P999), round(c.Max),
			round(sv.P50), round(sv.P99), round(sv.Max))
	}
	for i := range ops {
		row(&ops[i])
	}
	if all != nil && len(ops) > 1 {
		row(all)
	}
	_ = tw.Flush() // errors reach ew
}

func errCell(o *OpSummary) string {
	if o.Errors == 0 {
		return "0"
	}
	return strconv.FormatUint(o.Errors, 10) + " (" + strconv.FormatFloat(100*o.ErrorRate(), 'f', 2, 64) + "%)"
}

// round shortens a duration for tables: three significant digits.
func round(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) + "ms"
	}
	return strconv.FormatFloat(float64(d)/1e3, 'f', 0, 64) + "µs"
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
