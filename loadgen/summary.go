package loadgen

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
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
	accs, err := accumulate(parts)
	if err != nil {
		return nil, OpSummary{}, fmt.Errorf("summarize %w", err)
	}
	all := newOpAcc()
	ids := slices.Collect(maps.Keys(accs))
	slices.SortFunc(ids, func(a, b string) int { return OpOrder(a) - OpOrder(b) })
	var ops []OpSummary
	for _, id := range ids {
		all.addAcc(accs[id])
		ops = append(ops, opSummary(id, accs[id], elapsed))
	}
	return ops, opSummary("all", all, elapsed), nil
}

// OpOrder ranks an operation id (or "all") so every table and chart lists
// operations in one order: the Op order, anything unknown last.
func OpOrder(id string) int {
	if o, err := parseOp(id); err == nil {
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

// FormatDuration shortens a duration for tables: three significant digits.
func FormatDuration(d time.Duration) string {
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

// ValueAtQuantile gives the corrected and service latency (µs) at
// percentile q, so the report can draw the whole spectrum without the
// histograms leaving the package; ok is false when nothing was recorded.
func (o *OpSummary) ValueAtQuantile(q float64) (corrected, service int64, ok bool) {
	if o.corrected == nil {
		return 0, 0, false
	}
	return o.corrected.ValueAtQuantile(q), o.service.ValueAtQuantile(q), true
}
