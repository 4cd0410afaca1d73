package suites

import (
	"fmt"
	"io"
	"regexp"
	"slices"
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
	// Selected is how many specs the label filter let run.
	Selected int
	// Throttle is what pacing's retries cost, summed over the specs.
	Throttle client.Stats
}

// RuleResult is one row of the matrix.
type RuleResult struct {
	spec.Rule
	State    string
	Specs    int          // specs labelled with the rule
	Failures []SpecResult // failures blamed on the rule
	// SkipReasons are the distinct reasons its skipped specs gave.
	SkipReasons []string
}

// SpecResult is one spec's outcome and, when it failed, the rule blamed.
type SpecResult struct {
	Name     string
	State    string
	Labels   []string
	Blamed   spec.RuleID // the rule the failing check recorded (or the spec's main rule)
	Message  string      // the failure, or why the spec was skipped
	Exchange string
	Observed string // what a PROBE recorded
}

// GatePassed reports whether the gate passes.
func (r *Result) GatePassed() bool { return r.GateFailures == 0 }

// NewResult builds the matrix from Ginkgo's report, with cfg's secrets
// masked in every text it keeps. Its rules state the embedded document's
// limits: a report read back does not say which the run checked.
func NewResult(r types.Report, cfg Config) *Result {
	return newResult(r, cfg, Redactor(cfg), spec.Rules())
}

// result is the matrix of e's run: its rules state the limits the run
// checked (a profile's, a flag's), not the embedded document's, and the
// rules the profile does not apply to are marked so.
func (e *Env) result(r types.Report) *Result {
	l := e.Limits
	if e.Cfg.MaxSubs > 0 {
		l.MaxSubscriptions = e.Cfg.MaxSubs // the tenant's cap, which SUB-CAP checks
	}
	res := newResult(r, e.Cfg, e.Redactor, spec.RulesFor(l))
	res.MarkNotApplicable(e.Doc)
	return res
}

// notSelected is the skip reason of a spec the label filter left out.
const notSelected = "not selected by --label-filter"

func newResult(r types.Report, cfg Config, red interface{ String(string) string }, rules []spec.Rule) *Result {
	res := &Result{Config: cfg.Redacted(), Started: r.StartTime, Duration: r.RunTime, Selected: selected(r)}
	byRule := map[spec.RuleID]*RuleResult{}
	for _, rule := range rules {
		byRule[rule.ID] = &RuleResult{Rule: rule, State: StateNA}
	}
	ran := map[spec.RuleID]bool{}
	for _, sr := range r.SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt {
			continue
		}
		s := SpecResult{Name: red.String(sr.FullText()), Labels: sr.Labels()}
		for _, e := range sr.ReportEntries {
			switch e.Name {
			case entryExchange:
				s.Exchange = red.String(e.StringRepresentation())
			case "probe":
				s.Observed = red.String(e.StringRepresentation())
			case entryThrottle:
				res.Throttle = res.Throttle.Add(throttleOf(e))
			}
		}
		msg := red.String(sr.Failure.Message)
		switch {
		case sr.State.Is(types.SpecStatePassed):
			s.State = StatePassed
			res.Passed++
		case sr.State.Is(types.SpecStateSkipped | types.SpecStatePending):
			s.State = StateSkipped
			s.Message = msg
			if s.Message == "" {
				s.Message = notSelected
			}
			res.Skipped++
		default:
			s.State = StateFailed
			s.Message = msg
			s.Blamed = blameOf(sr.ReportEntries, s.Labels)
			res.Failed++
		}
		for _, l := range s.Labels {
			id, ok := cutRuleLabel(l)
			if !ok || byRule[id] == nil {
				continue
			}
			rr := byRule[id]
			rr.Specs++
			if s.State != StateSkipped {
				ran[id] = true
			} else if !slices.Contains(rr.SkipReasons, s.Message) {
				rr.SkipReasons = append(rr.SkipReasons, s.Message)
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
	for _, rule := range rules {
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
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", rr.ID, rr.Level, rr.Operation, rr.Failures[0].FailureLine())
		}
		_ = tw.Flush()
	}
	if notJudged := r.unjudged(); len(notJudged) > 0 {
		fmt.Fprintln(w, "\nGating rules not judged (the gate passes without them):")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RULE\tLEVEL\tOPERATION\tWHY")
		for _, rr := range notJudged {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", rr.ID, rr.Level, rr.Operation, FailureLine(rr.SkipReason(), ""))
		}
		_ = tw.Flush()
	}
	c := r.Count()
	na := ""
	if n := c[StateNotApplicable]; n > 0 {
		na = fmt.Sprintf(", %d not applicable", n)
	}
	fmt.Fprintf(w, "\nrules: %d passed, %d failed, %d skipped, %d probes recorded, %d not checked%s (of %d)\n",
		c[StatePassed], c[StateFailed], c[StateSkipped], c[StateRecorded], c[StateNA], na, len(r.Rules))
	fmt.Fprintf(w, "%d passed, %d failed, %d skipped\n", r.Passed, r.Failed, r.Skipped)
	fmt.Fprintln(w, r.Throttling())
}

// unjudged returns the gating rules whose specs were all skipped for a
// reason other than the label filter: a target that kept throttling, a
// setting the run lacked (--group, --client-id). A green gate says nothing
// about them, and a CI log should say so where it is read.
func (r *Result) unjudged() []RuleResult {
	var out []RuleResult
	for _, rr := range r.Rules {
		if rr.State == StateSkipped && gates(rr.Level, r.Config.Level) && rr.SkipReason() != "" {
			out = append(out, rr)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Level < out[j].Level }) // MUST first
	return out
}

// SkipReason is the first reason rr's specs were skipped other than not
// being selected by the label filter, or "".
func (rr RuleResult) SkipReason() string {
	for _, why := range rr.SkipReasons {
		if why != notSelected {
			return why
		}
	}
	return ""
}

// FailureLine is the spec's failure as the one line the console prints.
func (s SpecResult) FailureLine() string { return FailureLine(s.Message, s.Blamed) }

// maxLine caps a failure line: the reports hold the whole message.
const maxLine = 300

// gomegaType is the type annotation Gomega puts before a value.
var gomegaType = regexp.MustCompile(`^<[^>]*>:\s*`)

// FailureLine folds a failure message into one line, "[RULE-ID] what was
// expected, what came back": the blamed rule (data the failing check
// recorded, never read from the text), the message's first line, then what
// a Gomega matcher added ("Expected <got> to equal <want>") without its
// type annotations.
func FailureLine(msg string, blamed spec.RuleID) string {
	var parts []string
	for _, l := range strings.Split(strings.TrimSpace(msg), "\n") {
		if l = strings.TrimSpace(gomegaType.ReplaceAllString(strings.TrimSpace(l), "")); l != "" {
			parts = append(parts, l)
		}
	}
	line := ""
	if len(parts) > 0 {
		line = parts[0]
	}
	if len(parts) > 1 {
		line += ": " + strings.Join(parts[1:], " ")
	}
	if blamed != "" {
		line = "[" + string(blamed) + "] " + line
	}
	if r := []rune(line); len(r) > maxLine {
		line = string(r[:maxLine]) + "…"
	}
	return line
}
