package suites_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/presencekit/presencekit/suites"

	"github.com/presencekit/presencekit/internal/childtest"
	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/spec"
)

// TestEveryRuleHasABreakMode: every MUST and SHOULD rule has at least
// three break variants in the mock (plausible wrong implementations), or
// nothing proves the suite catches more than one way of breaking it. The
// self-check that runs the suite against each variant (and demands that
// rule's specs fail and no other spec does) is proxy's
// TestBreakModesThroughProxy: each run goes through the proxy, which must
// report the same rule for the default variant when one exchange can show
// it.
func TestEveryRuleHasABreakMode(t *testing.T) {
	modes := mock.BreakModes()
	for _, r := range spec.Rules() {
		n := len(slices.DeleteFunc(slices.Clone(modes), func(m mock.BreakMode) bool { return m.Rule != r.ID }))
		if r.Level != spec.Probe && n < 3 {
			t.Errorf("rule %s (%s) has %d break variants in the mock, want 3 or more", r.ID, r.Level, n)
		}
	}
}

// breakOutcome is what the suite did against the mock broken in one way (the
// profile self-check, profile_test.go).
type breakOutcome struct {
	rule    spec.RuleID
	caught  int      // failed specs labelled with the rule and blamed on it
	strays  []string // failed specs that are not the rule's
	problem string   // the child could not run
}

// runBroken runs the suite in a child process against the mock broken by
// rule and reads its Ginkgo JSON report.
func runBroken(t *testing.T, rule spec.RuleID, dir string, env ...string) breakOutcome {
	o := breakOutcome{rule: rule}
	cmd := childCommand(t)
	cmd.Env = append(cmd.Env, envBreak+"="+string(rule), suites.EnvPrefix+"REPORT_DIR="+dir,
		suites.EnvPrefix+"TARGET=", suites.EnvPrefix+"LABEL_FILTER=")
	cmd.Env = append(cmd.Env, env...)
	output, _ := cmd.CombinedOutput() // a failing suite exits 1: expected
	data, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		o.problem = "no report: " + childtest.LastLines(string(output), 5)
		return o
	}
	var reports []types.Report
	if err := json.Unmarshal(data, &reports); err != nil || len(reports) != 1 {
		o.problem = fmt.Sprintf("unreadable report.json: %v", err)
		return o
	}
	res := suites.NewResult(reports[0], suites.Defaults())
	for _, s := range res.Specs {
		if s.State != suites.StateFailed {
			continue
		}
		if s.Blamed == rule && slices.Contains(s.Labels, suites.RuleLabel(rule)) {
			o.caught++
			continue
		}
		o.strays = append(o.strays, fmt.Sprintf("%s (blamed %s): %s", s.Name, s.Blamed, s.FailureLine()))
	}
	sort.Strings(o.strays)
	return o
}
