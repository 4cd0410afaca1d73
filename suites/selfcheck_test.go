package suites_test

import (
	"slices"
	"testing"

	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/spec"
)

// TestEveryRuleHasABreakMode: every MUST and SHOULD rule has a break mode
// in the mock, or nothing proves the suite catches it. The self-check that
// runs the suite against each break mode (and demands that rule's specs
// fail and no other spec does) is proxy's TestBreakModesThroughProxy: each
// run goes through the proxy, which must report the same rule when one
// exchange can show it.
func TestEveryRuleHasABreakMode(t *testing.T) {
	modes := mock.BreakModes()
	for _, r := range spec.Rules() {
		if r.Level != spec.Probe && !slices.ContainsFunc(modes, func(m mock.BreakMode) bool { return m.Rule == r.ID }) {
			t.Errorf("rule %s (%s) has no break mode in the mock", r.ID, r.Level)
		}
	}
}
