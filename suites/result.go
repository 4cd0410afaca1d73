package suites

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/spec"
)

// Rule states in the matrix.
const (
	StatePassed  = "passed"
	StateFailed  = "failed"
	StateSkipped = "skipped"
	StateNA      = "not checked"
	// StateRecorded is a PROBE rule whose specs ran: they record, never judge.
	StateRecorded = "recorded"
)

// Result is a run seen rule by rule: the conformance matrix, and the gate.
type Result struct {
	Config   Config // redacted
	Started  time.Time
	Duration time.Duration
	Rules    []RuleResult
	Specs    []SpecResult
	// Passed, Failed and Skipped count specs.
	Passed, Failed, Skipped int
	// GateFailures are the failed specs whose rule's level fails the gate.
	GateFailures int
	// Throttle is what pacing's retries cost, summed over the specs.
	Throttle client.Stats
}

// RuleResult is one row of the matrix.
type RuleResult struct {
	spec.Rule
	State    string
	Specs    int          // specs labelled with the rule
	Failures []SpecResult // failures blamed on the rule
}

// SpecResult is one spec's outcome and, when it failed, the rule blamed.
type SpecResult struct {
	Name     string
	State    string
	Labels   []string
	Blamed   string // the rule the failure names (or the spec's main rule)
	Message  string
	Exchange string
	Observed string // what a PROBE recorded
}

// GatePassed reports whether the gate passes.
func (r *Result) GatePassed() bool { return r.GateFailures == 0 }

var ruleInMessage = regexp.MustCompile(`\[([A-Z][A-Z0-9-]+)\]`)

// blame finds the rule a failure message names, else the spec's main rule.
func blame(msg string, labels []string) string {
	for _, m := range ruleInMessage.FindAllStringSubmatch(msg, -1) {
		if _, ok := spec.RuleByID(m[1]); ok {
			return m[1]
		}
	}
	for _, l := range labels {
		if strings.HasPrefix(l, LabelRule) {
			return strings.TrimPrefix(l, LabelRule)
		}
	}
	return ""
}

// NewResult builds the matrix from Ginkgo's report.
func NewResult(r types.Report, cfg Config) *Result {
	res := &Result{Config: cfg.Redacted(), Started: r.StartTime, Duration: r.RunTime}
	byRule := map[string]*RuleResult{}
	for _, rule := range spec.Rules() {
		byRule[rule.ID] = &RuleResult{Rule: rule, State: StateNA}
	}
	ran := map[string]bool{}
	for _, sr := range r.SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt {
			continue
		}
		s := SpecResult{Name: sr.FullText(), Labels: sr.Labels()}
		for _, e := range sr.ReportEntries {
			switch e.Name {
			case entryExchange:
				s.Exchange = e.StringRepresentation()
			case "probe":
				s.Observed = e.StringRepresentation()
			case entryThrottle:
				res.Throttle = res.Throttle.Add(throttleOf(e))
			}
		}
		switch {
		case sr.State.Is(types.SpecStatePassed):
			s.State = StatePassed
			res.Passed++
		case sr.State.Is(types.SpecStateSkipped | types.SpecStatePending):
			s.State = StateSkipped
			s.Message = sr.Failure.Message
			res.Skipped++
		default:
			s.State = StateFailed
			s.Message = sr.Failure.Message
			s.Blamed = blame(sr.Failure.Message, s.Labels)
			res.Failed++
		}
		for _, l := range s.Labels {
			id, ok := strings.CutPrefix(l, LabelRule)
			if !ok || byRule[id] == nil {
				continue
			}
			rr := byRule[id]
			rr.Specs++
			if s.State != StateSkipped {
				ran[id] = true
			}
		}
		if s.State == StateFailed {
			if rr := byRule[s.Blamed]; rr != nil {
				rr.Failures = append(rr.Failures, s)
				if gates(rr.Level, cfg.Level) {
					res.GateFailures++
				}
			} else {
				res.GateFailures++
			}
		}
		res.Specs = append(res.Specs, s)
	}
	for _, rule := range spec.Rules() {
		rr := byRule[rule.ID]
		switch {
		case len(rr.Failures) > 0:
			rr.State = StateFailed
		case ran[rule.ID] && rule.Level == spec.Probe:
			rr.State = StateRecorded
		case ran[rule.ID]:
			rr.State = StatePassed
		case rr.Specs > 0:
			rr.State = StateSkipped
		}
		res.Rules = append(res.Rules, *rr)
	}
	return res
}

// gates says whether a failure of a rule at level fails the gate at the
// configured level ("must" or "should").
func gates(level spec.Level, configured string) bool {
	switch level {
	case spec.Must:
		return true
	case spec.Should:
		return configured != "must"
	}
	return false
}

// Count returns how many rules are in each state.
func (r *Result) Count() map[string]int {
	out := map[string]int{}
	for _, rr := range r.Rules {
		out[rr.State]++
	}
	return out
}

// Summary writes the failed rules as a table and the closing counts.
func (r *Result) Summary(w io.Writer) {
	var failed []RuleResult
	for _, rr := range r.Rules {
		if rr.State == StateFailed {
			failed = append(failed, rr)
		}
	}
	sort.SliceStable(failed, func(i, j int) bool { return failed[i].Level < failed[j].Level })
	if len(failed) > 0 {
		fmt.Fprintln(w, "\nFailed rules:")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RULE\tLEVEL\tOPERATION\tFIRST FAILURE")
		for _, rr := range failed {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", rr.ID, rr.Level, rr.Operation, firstLine(rr.Failures[0].Message))
		}
		_ = tw.Flush()
	}
	c := r.Count()
	fmt.Fprintf(w, "\nrules: %d passed, %d failed, %d skipped, %d probes recorded, %d not checked (of %d)\n",
		c[StatePassed], c[StateFailed], c[StateSkipped], c[StateRecorded], c[StateNA], len(r.Rules))
	fmt.Fprintf(w, "%d passed, %d failed, %d skipped\n", r.Passed, r.Failed, r.Skipped)
	fmt.Fprintln(w, r.Throttling())
}

// FailureLine is the line of the failure message that names the rule.
func (s SpecResult) FailureLine() string { return firstLine(s.Message) }

// firstLine is the line of a Gomega message that names the rule.
func firstLine(msg string) string {
	for _, l := range strings.Split(msg, "\n") {
		if ruleInMessage.MatchString(l) {
			return strings.TrimSpace(l)
		}
	}
	return strings.TrimSpace(strings.SplitN(msg, "\n", 2)[0])
}
