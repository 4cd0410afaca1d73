package suites

import (
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/presencekit/presencekit/spec"
)

// TestResultStatesTheLimitsChecked: a run's matrix states the limits the
// run checked (here a profile's ext size and a tenant's cap), not the
// embedded document's; a matrix rebuilt from a report, which does not
// say them, states the embedded ones.
func TestResultStatesTheLimitsChecked(t *testing.T) {
	doc, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	l := doc.Limits()
	l.ExtMaxBytes /= 16
	cfg := Defaults()
	cfg.MaxSubs = l.MaxSubscriptions / 12
	e := &Env{Cfg: cfg, Limits: l, Redactor: Redactor(cfg)}
	checked := l
	checked.MaxSubscriptions = cfg.MaxSubs
	statements := func(rules []spec.Rule) map[spec.RuleID]string {
		m := map[spec.RuleID]string{}
		for _, r := range rules {
			m[r.ID] = r.Statement
		}
		return m
	}
	matrix := func(res *Result) map[spec.RuleID]string {
		m := map[spec.RuleID]string{}
		for _, r := range res.Rules {
			m[r.ID] = r.Statement
		}
		return m
	}
	want, embedded := statements(spec.RulesFor(checked)), statements(spec.Rules())
	run, read := matrix(e.result(types.Report{})), matrix(NewResult(types.Report{}, cfg))
	for _, id := range []spec.RuleID{spec.RuleSetExtMax, spec.RuleSubCap} {
		if want[id] == embedded[id] {
			t.Fatalf("%s: the test's limits state the same as the embedded ones: %q", id, want[id])
		}
		if run[id] != want[id] {
			t.Errorf("%s in the run's matrix: %q, want %q", id, run[id], want[id])
		}
		if read[id] != embedded[id] {
			t.Errorf("%s in a matrix read back: %q, want %q", id, read[id], embedded[id])
		}
	}
}
