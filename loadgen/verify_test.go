package loadgen

import (
	"context"
	"testing"
	"time"

	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/spec"
)

// verifyConfig is a bounded --verify run: 32 workers on 50 users, so
// requests for one user overlap all the time.
func verifyConfig(t *testing.T, target string, requests uint64) Config {
	t.Helper()
	cfg := e2eConfig(t, target)
	cfg.Workload.Users = 50
	cfg.Concurrency, cfg.Connections = 32, 32
	cfg.Requests, cfg.Duration = requests, time.Minute // bounded by the count
	cfg.Verify = true
	return cfg
}

func runVerify(t *testing.T, cfg Config) *Verification {
	t.Helper()
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verification == nil {
		t.Fatal("a --verify run has no verification in its results")
	}
	return res.Verification
}

// TestVerifyCorrectMockHasNoViolations: the correct mock, busy, never
// breaks the model, and every kind of answer was checked.
func TestVerifyCorrectMockHasNoViolations(t *testing.T) {
	url, _ := startMock(t, mock.Faults{})
	v := runVerify(t, verifyConfig(t, url, 4000))
	if v.Total() != 0 {
		t.Fatalf("%d violations against the correct mock: %v\nfirst: %+v", v.Total(), v.Violations, v.Examples)
	}
	for _, op := range []Op{OpGet, OpSub, OpSublist} {
		if v.Checked[op.ID()] == 0 {
			t.Errorf("no %s answer checked: %v", op, v.Checked)
		}
	}
}

// TestVerifyRulesAreCatalogued: every rule the verifier reports is in
// the catalogue.
func TestVerifyRulesAreCatalogued(t *testing.T) {
	for _, r := range verifyRules {
		if _, ok := spec.RuleByID(r); !ok {
			t.Errorf("verifier rule %s is not in the catalogue", r)
		}
	}
}

// TestVerifyCatchesBreakModes runs --verify against the mock's
// concurrency break modes, which only show under load, and against a few
// catalogue break modes whose rule the verifier checks: each must yield
// violations of its rule.
func TestVerifyCatchesBreakModes(t *testing.T) {
	cases := []struct{ mode, rule string }{
		{"RACE-SUB-LOST-UPDATE", ruleListed},
		{"RACE-GET-STALE", ruleStatus},
		{"RACE-SUBLIST-TOTALNUM", ruleTotal},
		{"SET-EXT-VISIBLE", ruleExt},
		{"UNSUB-REMOVES", ruleUnsub},
		{"SUB-LISTED", ruleListed},
		{"SUB-EXPIRY-ABSOLUTE", ruleSubExpiry},
		{"SUBLIST-TOTALNUM", ruleTotal},
		{"SUBLIST-PAGES", rulePages},
		{"SET-STATUS-PER-RESOURCE", ruleStatus},
		{"GET-ENTRY-PER-USER", ruleGetEntry},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			url, _ := startMock(t, mock.Faults{}, func(m *mock.Config) { m.Breaks = []string{c.mode} })
			v := runVerify(t, verifyConfig(t, url, 2000))
			var n uint64
			for _, k := range v.Violations[c.rule] {
				n += k
			}
			if n == 0 {
				t.Fatalf("--break %s: no %s violation; found %v", c.mode, c.rule, v.Violations)
			}
			t.Logf("--break %s: %v", c.mode, v.Violations)
		})
	}
}
