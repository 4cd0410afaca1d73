package suites

import (
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/presencekit/presencekit/spec"
)

// TestNotApplicable: under easemob-2022 the label filter leaves out the
// group count's specs, keeps the user's filter, and the matrix reports the
// group rules "not applicable" with the reason; the default profile
// changes neither.
func TestNotApplicable(t *testing.T) {
	old, err := spec.LoadProfile("easemob-2022")
	if err != nil {
		t.Fatal(err)
	}
	f := notApplicableFilter(old, "level:MUST")
	if !strings.Contains(f, "!"+LabelOp+spec.OpGroupOnline) || !strings.HasPrefix(f, "(level:MUST) && ") {
		t.Errorf("filter = %q", f)
	}
	if _, err := types.ParseLabelFilter(f); err != nil {
		t.Errorf("filter %q does not parse: %v", f, err)
	}
	base, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	if f := notApplicableFilter(base, "x"); f != "x" {
		t.Errorf("default profile filter = %q, want unchanged", f)
	}
	res := &Result{}
	for _, r := range spec.Rules() {
		res.Rules = append(res.Rules, RuleResult{Rule: r, State: StateNA})
	}
	res.MarkNotApplicable(old)
	for _, rr := range res.Rules {
		na := rr.State == StateNotApplicable
		if na != (rr.Operation == spec.OpGroupOnline) {
			t.Errorf("%s (%s): state %s", rr.ID, rr.Operation, rr.State)
		}
		if na && len(rr.SkipReasons) == 0 {
			t.Errorf("%s: not applicable without a reason", rr.ID)
		}
	}
}
