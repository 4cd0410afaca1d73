package loadgen

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/presencekit/presencekit/client"

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
	// One results interval: these tests judge the verifier, not interval
	// cutting, and each cut encodes two histograms per operation, a
	// fresh zlib compressor apiece, about 20 ms each under -race.
	cfg.Interval = cfg.Duration
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
	t.Parallel() // its own target and run: overlaps the waits of the others
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
		if _, ok := spec.RuleByID(spec.RuleID(r)); !ok {
			t.Errorf("verifier rule %s is not in the catalogue", r)
		}
	}
}

// TestVerifyCatchesBreakModes runs --verify against the mock's
// concurrency break modes, which only show under load, and against a few
// catalogue break modes whose rule the verifier checks: each must yield
// violations of its rule. Each run is a child process (runVerifyProcess).
func TestVerifyCatchesBreakModes(t *testing.T) {
	t.Parallel() // its own target and run: overlaps the waits of the others
	cases := []struct {
		mode spec.RuleID
		rule string
		// or is a rule that shows the break as well: a lost update loses
		// a subscribe (listed after its ack: no) or an unsubscribe (gone
		// after its ack: no), whichever overlapped.
		or string
	}{
		{"RACE-SUB-LOST-UPDATE", ruleListed, ruleUnsub},
		{"RACE-GET-STALE", ruleStatus, ""},
		{"RACE-SUBLIST-TOTALNUM", ruleTotal, ""},
		{spec.RuleSetExtVisible, ruleExt, ""},
		{spec.RuleUnsubRemoves, ruleUnsub, ""},
		{spec.RuleSubListed, ruleListed, ""},
		{spec.RuleSubExpiryAbsolute, ruleSubExpiry, ""},
		{spec.RuleSublistTotalnum, ruleTotal, ""},
		{spec.RuleSublistPages, rulePages, ""},
		{spec.RuleSetStatusPerResource, ruleStatus, ""},
		{spec.RuleGetEntryPerUser, ruleGetEntry, ""},
	}
	for _, c := range cases {
		t.Run(string(c.mode), func(t *testing.T) {
			t.Parallel()
			url := startTargetProcess(t, 0, mock.Break(c.mode))
			v := runVerifyProcess(t, url, 2000)
			var n uint64
			for _, rule := range []string{c.rule, c.or} {
				for _, k := range v.Violations[rule] {
					n += k
				}
			}
			if n == 0 {
				t.Fatalf("--break %s: no %s violation; found %v", c.mode, strings.TrimSuffix(c.rule+" or "+c.or, " or "), v.Violations)
			}
			t.Logf("--break %s: %v", c.mode, v.Violations)
		})
	}
}

// TestVerifyConcurrentShardsOwnDisjointUsers: two shards running at once
// against one correct mock write disjoint users, so neither model is
// wrong about the other's users: 0 violations each.
func TestVerifyConcurrentShardsOwnDisjointUsers(t *testing.T) {
	t.Parallel() // its own target and run: overlaps the waits of the others
	url, _ := startMock(t, mock.Faults{})
	var res [2]*Verification
	var errs [2]error
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			cfg := verifyConfig(t, url, 2000)
			cfg.Concurrency, cfg.Connections = 16, 16
			cfg.Workload.Shard = Shard{i, 2}
			r, err := Run(context.Background(), cfg)
			errs[i] = err
			if r != nil {
				res[i] = r.Verification
			}
		})
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if res[i].Total() != 0 || res[i].CheckedTotal() == 0 {
			t.Errorf("shard %d/2: %d violations, %d checked: %v %+v", i, res[i].Total(), res[i].CheckedTotal(), res[i].Violations, res[i].Examples)
		}
	}
}

// Regression: Redact panicked on a map of maps (Verification.Violations)
// and must mask a secret an example quotes.
func TestRedactVerification(t *testing.T) {
	r := &Results{Verification: &Verification{
		Checked:    map[string]uint64{"getPresenceStatus": 3},
		Violations: map[string]map[string]uint64{ruleStatus: {"getPresenceStatus": 2}},
		Examples:   []VerifyExample{{Rule: ruleStatus, Answer: `{"token":"s3cr3t-value"}`}},
	}}
	r.Redact(client.NewRedactor("s3cr3t-value"))
	if strings.Contains(r.Verification.Examples[0].Answer, "s3cr3t-value") {
		t.Fatalf("secret left in an example: %s", r.Verification.Examples[0].Answer)
	}
	if r.Verification.Violations[ruleStatus]["getPresenceStatus"] != 2 {
		t.Fatalf("redaction changed the counts: %v", r.Verification.Violations)
	}
}

// TestVerifyThreshold: "violations<N" reads the verification, per
// operation with OP:, and is breached when the run did not verify.
func TestVerifyThreshold(t *testing.T) {
	s := &Summary{Verify: &Verification{Violations: map[string]map[string]uint64{
		ruleStatus: {"getPresenceStatus": 2}, ruleListed: {"listSubscriptions": 1}}}}
	for raw, breached := range map[string]bool{
		"violations<1": true, "violations<4": false, "sublist:violations<1": true, "set:violations<1": false,
	} {
		th, err := ParseThreshold(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(breaches(s, []Threshold{th})) > 0; got != breached {
			t.Errorf("%s: breached %v, want %v", raw, got, breached)
		}
		if VerifyFailed(s, []Threshold{th}) {
			t.Errorf("%s: a violations threshold decides, VerifyFailed must not", raw)
		}
	}
	if !VerifyFailed(s, nil) {
		t.Error("violations and no violations threshold: the run must fail")
	}
	th, _ := ParseThreshold("violations<1")
	if len(breaches(&Summary{}, []Threshold{th})) != 1 {
		t.Error("violations<1 on a run without --verify must be breached (no data)")
	}
	if _, err := ParseThreshold("violations<1.5"); err == nil {
		t.Error("a fractional count must be refused")
	}
}

// TestVerifySample: a sample checks fewer answers, and stays exact (the
// writes are all modelled): 0 violations against the correct mock.
func TestVerifySample(t *testing.T) {
	t.Parallel() // its own target and run: overlaps the waits of the others
	url, _ := startMock(t, mock.Faults{})
	cfg := verifyConfig(t, url, 3000)
	cfg.VerifySample = 0.2
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	v := res.Verification
	s, err := Summarize(res)
	if err != nil {
		t.Fatal(err)
	}
	var gets uint64
	for _, o := range s.Ops {
		if o.Op == OpGet.ID() {
			gets = o.Count
		}
	}
	if v.Total() != 0 || v.Checked[OpGet.ID()] == 0 || v.Checked[OpGet.ID()]*2 > gets {
		t.Fatalf("sample 0.2: %d violations, %d of %d gets checked", v.Total(), v.Checked[OpGet.ID()], gets)
	}
}

// TestVerifySubscriptionCap: with a cap of 5 on both sides, the correct
// mock evicts and the model, unable to know what was evicted, still finds
// nothing wrong; the mock without a cap (break SUB-CAP) is caught.
func TestVerifySubscriptionCap(t *testing.T) {
	t.Parallel() // its own target and run: overlaps the waits of the others
	const capSize = 5
	for _, brk := range []spec.RuleID{"", spec.RuleSubCap} {
		t.Run("break="+string(brk), func(t *testing.T) {
			var breaks []mock.Break
			if brk != "" {
				breaks = []mock.Break{mock.Break(brk)}
			}
			cfg := verifyConfig(t, startTargetProcess(t, capSize, breaks...), 2000)
			cfg.VerifyCap = capSize
			v := runVerify(t, cfg)
			var caps uint64
			for _, n := range v.Violations[ruleCap] {
				caps += n
			}
			switch {
			case brk == "" && v.Total() != 0:
				t.Fatalf("correct mock with a cap of 5: %v, e.g. %+v", v.Violations, v.Examples[0])
			case brk != "" && caps == 0:
				t.Fatalf("--break SUB-CAP: no %s violation: %v", ruleCap, v.Violations)
			}
		})
	}
}
