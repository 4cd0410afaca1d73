package suites

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/mock/mocktest"
	"github.com/presencekit/presencekit/spec"
)

// newMockEnv is an Env on a fresh mock, broken as asked.
func newMockEnv(t *testing.T, breaks ...mock.Break) *Env {
	t.Helper()
	mc := mocktest.Config(t, breaks...)
	mc.VirtualClock = true
	m := mocktest.Start(t, mc)
	cfg := Defaults()
	cfg.Target, cfg.Token, cfg.AdminToken = m.URL, mock.DefaultToken, m.AdminToken
	cfg.Rate = 0 // the mock is not a tenant to spare
	e, err := NewEnv(context.Background(), cfg, mocktest.Doc(t))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func ruleOf(err error) spec.RuleID {
	var f *Failure
	if errors.As(err, &f) {
		return f.Rule
	}
	return ""
}

// TestRejectedBlamesTheRightRule pins the attribution the self-check and
// the report rely on: each way a refusal can be wrong names its own rule.
func TestRejectedBlamesTheRightRule(t *testing.T) {
	cases := []struct {
		brk, want spec.RuleID
	}{
		{"", ""},
		{spec.RuleSubLimitUsers, spec.RuleSubLimitUsers},
		{spec.RuleErrEnvelope, spec.RuleErrEnvelope},
		{spec.RuleErrIllegalArgument, spec.RuleErrIllegalArgument},
		{spec.RuleSchemaResponse, spec.RuleSchemaResponse},
	}
	ctx := context.Background()
	for _, c := range cases {
		var breaks []mock.Break
		if c.brk != "" {
			breaks = []mock.Break{mock.Break(c.brk)}
		}
		e := newMockEnv(t, breaks...)
		_, r, err := e.Client.Subscribe(ctx, e.User("s"), 60, e.Users("t", e.Limits.SubscribeMaxUsers+1))
		got := e.Rejected(ctx, spec.RuleSubLimitUsers, r, err, 400, "illegal_argument")
		if ruleOf(got) != c.want || (c.want == "" && got != nil) {
			t.Errorf("break %q: Rejected = %v, want a failure of %q", c.brk, got, c.want)
		}
	}
}

func TestValidAndStatus(t *testing.T) {
	ctx := context.Background()
	e := newMockEnv(t)
	_, r, err := e.Client.ListSubscriptions(ctx, e.User("s"), client.Page(1, 10))
	if err := e.OK(ctx, spec.RuleSublistPages, r, err); err != nil {
		t.Fatalf("a correct answer: %v", err)
	}
	if got := e.Status(ctx, spec.RuleSublistPages, r, err, 201); ruleOf(got) != spec.RuleSublistPages {
		t.Errorf("a wrong status must blame the spec's rule, got %v", got)
	}
	e.Cfg.StrictTypes = "integer" // the mock sends numbers as strings
	if got := e.OK(ctx, spec.RuleSublistPages, r, err); ruleOf(got) != spec.RuleSchemaResponse {
		t.Errorf("--strict-types integer on string numbers: %v", got)
	}
	if got := e.Valid(ctx, spec.RuleSubSelf, nil, errors.New("connection refused")); ruleOf(got) != spec.RuleSubSelf {
		t.Errorf("no answer must blame the spec's rule, got %v", got)
	}
	if e.LastExchange() == "" {
		t.Error("the last exchange was not recorded")
	}
}

func TestCleanupRemovesTracked(t *testing.T) {
	ctx := context.Background()
	e := newMockEnv(t)
	sub := e.User("s")
	targets := e.Users("t", e.Limits.UnsubscribeMaxUsers+5) // two batches
	for i := 0; i < len(targets); i += e.Limits.SubscribeMaxUsers {
		batch := targets[i:min(i+e.Limits.SubscribeMaxUsers, len(targets))]
		if _, _, err := e.Client.Subscribe(ctx, sub, 60, batch); err != nil {
			t.Fatal(err)
		}
	}
	e.Track(sub, targets)
	if err := e.Cleanup(ctx, sub); err != nil {
		t.Fatal(err)
	}
	res, _, err := e.Client.ListSubscriptions(ctx, sub, client.Page(1, 500))
	if err != nil || len(res.Result.Sublist) != 0 {
		t.Errorf("after cleanup: %v entries, err %v", res, err)
	}
}

func TestVirtualClockAndGroups(t *testing.T) {
	ctx := context.Background()
	e := newMockEnv(t)
	if !e.Virtual() || !e.HasAdmin() {
		t.Fatal("the mock offers a virtual clock and an admin API")
	}
	before, err := e.Now(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Advance(ctx, 720*time.Hour); err != nil {
		t.Fatal(err)
	}
	after, _ := e.Now(ctx)
	if d := after.Sub(before).Hours(); d != 720 {
		t.Errorf("advanced %v hours, want 720", d)
	}
	id, err := e.PrepareGroup(ctx, e.Users("m", 4), 3)
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := e.Client.GroupOnlineCount(ctx, id, 1)
	if err != nil || res.Result.Value != 3 {
		t.Errorf("online count of a prepared group: %v, %v", res, err)
	}
}

func TestNewEnvRefusals(t *testing.T) {
	doc, _ := spec.Load()
	cfg := Defaults()
	if _, err := NewEnv(context.Background(), cfg, doc); !errors.Is(err, ErrConfig) {
		t.Errorf("no target: %v", err)
	}
	cfg.Target = "http://127.0.0.1:1" // nothing listens on port 1
	cfg.Token = "t"
	if _, err := NewEnv(context.Background(), cfg, doc); !errors.Is(err, ErrUnreachable) {
		t.Errorf("closed port: %v", err)
	}
	cfg.Token = ""
	if _, err := NewEnv(context.Background(), cfg, doc); !errors.Is(err, ErrConfig) {
		t.Errorf("no credentials: %v", err)
	}
}

// TestGateLevels pins which failures fail the gate: MUST always, SHOULD
// unless --level must, PROBE never.
func TestGateLevels(t *testing.T) {
	failed := func(rule spec.RuleID, level string) types.SpecReport {
		return types.SpecReport{LeafNodeType: types.NodeTypeIt, State: types.SpecStateFailed,
			LeafNodeLabels: []string{"level:" + level, RuleLabel(rule)},
			Failure:        types.Failure{Message: "broken"}}
	}
	cases := []struct {
		report types.SpecReport
		level  string
		gate   bool
	}{
		{failed(spec.RuleSubLimitUsers, "MUST"), "must", false},
		{failed(spec.RuleSubSelf, "SHOULD"), "should", false},
		{failed(spec.RuleSubSelf, "SHOULD"), "must", true},
		{failed(spec.RuleRateLimit, "PROBE"), "should", true},
	}
	for _, c := range cases {
		cfg := Defaults()
		cfg.Level = c.level
		res := NewResult(types.Report{SpecReports: types.SpecReports{c.report}}, cfg)
		if res.GatePassed() != c.gate {
			t.Errorf("%s at --level %s: gate passed = %v, want %v", c.report.Failure.Message, c.level, res.GatePassed(), c.gate)
		}
	}
}
