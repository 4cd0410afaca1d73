package loadgen

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Threshold is a CI pass/fail rule on a run, such as "p99<50ms",
// "get:p99.9<200ms", "errors<0.1%" or "rate>=0.95". Latency metrics (pNN,
// max, mean) read the corrected latency — what users saw — unless prefixed
// "svc." for service time. errors is the error fraction; rate the achieved
// fraction of the target rate (open loop only); violations the count of
// --verify violations (of the operation, with an OP: prefix).
type Threshold struct {
	// Raw is the text as given, for messages.
	Raw string
	// Op is the operationId the rule is about, "" for all operations.
	Op string
	// Metric is "errors", "rate", "max", "mean" or "pNN" ("p99.9"), with
	// Service set for the "svc." form.
	Metric  string
	Service bool
	// Quantile is NN of a pNN metric.
	Quantile float64
	// Cmp is one of <, <=, >, >=.
	Cmp string
	// Value is a fraction for errors and rate, microseconds for latencies.
	Value float64
}

// ParseThreshold parses one --threshold.
func ParseThreshold(s string) (Threshold, error) {
	t := Threshold{Raw: s}
	body := strings.TrimSpace(s)
	fail := func(why string) (Threshold, error) {
		return Threshold{}, fmt.Errorf("threshold %q: %s", s, why)
	}
	i := strings.IndexAny(body, "<>")
	if i <= 0 {
		return fail("want [OP:]METRIC<VALUE, e.g. p99<50ms or get:errors<0.1%")
	}
	lhs, rest := strings.TrimSpace(body[:i]), body[i:]
	t.Cmp = rest[:1]
	if len(rest) > 1 && rest[1] == '=' {
		t.Cmp += "="
	}
	val := strings.TrimSpace(rest[len(t.Cmp):])
	if op, m, ok := strings.Cut(lhs, ":"); ok {
		o, err := parseOp(strings.TrimSpace(op))
		if err != nil {
			return fail(err.Error())
		}
		t.Op, lhs = o.ID(), strings.TrimSpace(m)
	}
	if m, ok := strings.CutPrefix(lhs, "svc."); ok {
		t.Service, lhs = true, m
	}
	t.Metric = strings.ToLower(lhs)
	switch {
	case t.Metric == "errors" || t.Metric == "rate":
		if t.Service {
			return fail("svc. applies to latency metrics only")
		}
		if t.Metric == "rate" && t.Op != "" {
			return fail("rate is the whole run's achieved fraction of the target; it takes no operation")
		}
		f, err := parseFraction(val)
		if err != nil {
			return fail(err.Error())
		}
		t.Value = f
	case t.Metric == "violations":
		if t.Service {
			return fail("svc. applies to latency metrics only")
		}
		n, err := strconv.ParseUint(val, 10, 64)
		if err != nil {
			return fail("want a count of violations, e.g. violations<1")
		}
		t.Value = float64(n)
	case t.Metric == "max" || t.Metric == "mean" || strings.HasPrefix(t.Metric, "p"):
		if t.Metric[0] == 'p' {
			q, err := strconv.ParseFloat(t.Metric[1:], 64)
			if err != nil || q <= 0 || q > 100 {
				return fail("percentile must be p followed by a number in (0, 100], e.g. p99.9")
			}
			t.Quantile = q
		}
		d, err := time.ParseDuration(val)
		if err != nil || d < 0 {
			return fail("want a duration such as 50ms")
		}
		t.Value = float64(d) / float64(time.Microsecond)
	default:
		return fail("unknown metric " + lhs + " (want pNN, max, mean, errors, rate or violations)")
	}
	return t, nil
}

// parseFraction reads "0.1%" as 0.001 and "0.95" as 0.95.
func parseFraction(s string) (float64, error) {
	pct := strings.HasSuffix(s, "%")
	f, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil || f < 0 || math.IsNaN(f) {
		return 0, fmt.Errorf("%q: want a fraction such as 0.95 or a percentage such as 0.1%%", s)
	}
	if pct {
		f /= 100
	}
	return f, nil
}

// Verdict is a threshold's outcome on a run: what the console prints for
// every threshold and the HTML report lists.
type Verdict struct {
	Threshold Threshold
	// Pass says the run met the threshold.
	Pass bool
	// Actual is the measured value as text ("73.2ms", "0.41%"), or why
	// there is none ("n/a: no get requests", which fails).
	Actual string
}

// String is the console's line: "threshold p99<50ms: pass (p99 12.3ms)".
func (v Verdict) String() string {
	verdict := "fail"
	if v.Pass {
		verdict = "pass"
	}
	return "threshold " + v.Threshold.Raw + ": " + verdict + " (" + v.Threshold.name() + " " + v.Actual + ")"
}

// name is the measured quantity as the threshold names it ("get:p99",
// "svc.max", "errors").
func (t Threshold) name() string {
	n := t.Metric
	if t.Service {
		n = "svc." + n
	}
	if t.Op != "" {
		n = t.Op + ":" + n
	}
	return n
}

// Judge returns the verdict on each threshold, in order. A threshold about
// an operation the run never sent fails: a gate must not pass on missing
// data.
func Judge(s *Summary, ths []Threshold) []Verdict {
	out := make([]Verdict, 0, len(ths))
	for _, t := range ths {
		actual, text, ok := t.measure(s)
		out = append(out, Verdict{Threshold: t, Pass: ok && t.holds(actual), Actual: text})
	}
	return out
}

// breaches returns the failed verdicts: the thresholds the run breached.
func breaches(s *Summary, ths []Threshold) []Verdict {
	var out []Verdict
	for _, v := range Judge(s, ths) {
		if !v.Pass {
			out = append(out, v)
		}
	}
	return out
}

func (t Threshold) measure(s *Summary) (float64, string, bool) {
	if t.Metric == "rate" {
		f, ok := s.TargetFraction()
		if !ok {
			return 0, "n/a: the closed loop has no target rate", false
		}
		return f, strconv.FormatFloat(f, 'f', 3, 64), true
	}
	if t.Metric == "violations" {
		if s.Verify == nil {
			return 0, "n/a: the run did not verify answers", false
		}
		n := s.Verify.Total()
		if t.Op != "" {
			n = s.Verify.OfOp(t.Op)
		}
		return float64(n), strconv.FormatUint(n, 10), true
	}
	o := &s.All
	if t.Op != "" {
		o = nil
		for i := range s.Ops {
			if s.Ops[i].Op == t.Op {
				o = &s.Ops[i]
			}
		}
		if o == nil {
			return 0, "n/a: no " + t.Op + " requests", false
		}
	}
	if o.Count == 0 || o.corrected == nil {
		return 0, "n/a: no requests", false
	}
	if t.Metric == "errors" {
		f := o.ErrorRate()
		return f, strconv.FormatFloat(100*f, 'f', 3, 64) + "%", true
	}
	h := o.corrected
	if t.Service {
		h = o.service
	}
	var v float64
	switch t.Metric {
	case "max":
		v = float64(h.Max())
	case "mean":
		v = h.Mean()
	default:
		v = float64(h.ValueAtQuantile(t.Quantile))
	}
	return v, FormatDuration(time.Duration(v * float64(time.Microsecond))), true
}

func (t Threshold) holds(v float64) bool {
	switch t.Cmp {
	case "<":
		return v < t.Value
	case "<=":
		return v <= t.Value
	case ">":
		return v > t.Value
	case ">=":
		return v >= t.Value
	}
	return false
}
