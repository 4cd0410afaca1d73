package proxy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/proxy"
	"github.com/presencekit/presencekit/spec"
	"github.com/presencekit/presencekit/suites"
)

// The conformance suite runs through the proxy in a child process (Ginkgo
// runs a suite once per process): this test binary, re-run with the mock's
// break mode and an output file named in its environment.
const (
	envChild = "PRESENCEKIT_PROXY_CHILD" // "clean" or a break mode's rule ID
	envOut   = "PRESENCEKIT_PROXY_OUT"   // where the child writes its childReport
	clean    = "clean"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(envChild); mode != "" {
		if err := runChild(context.Background(), mode, os.Getenv(envOut)); err != nil {
			fmt.Fprintln(os.Stderr, "proxy child:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// childReport is what a child saw: the proxy's report, and the suite's
// failed specs with the rule each blamed, so a test can hold the two
// judges of the same exchanges against each other.
type childReport struct {
	Proxy  proxy.Snapshot      `json:"proxy"`
	Failed []suites.SpecResult `json:"failed"`
}

// blamed lists the rules the suite's failed specs blamed, sorted, once each.
func (c childReport) blamed() []spec.RuleID {
	var out []spec.RuleID
	for _, s := range c.Failed {
		if !slices.Contains(out, s.Blamed) {
			out = append(out, s.Blamed)
		}
	}
	slices.Sort(out)
	return out
}

// runChild serves the mock (broken as mode says) behind the proxy in report
// mode, runs the whole conformance suite through the proxy, and writes the
// proxy's report and the suite's failures to out.
func runChild(ctx context.Context, mode, out string) error {
	doc, err := spec.Load()
	if err != nil {
		return err
	}
	mc := mock.DefaultConfig(doc.Limits())
	mc.VirtualClock = true
	if mode != clean {
		mc.Breaks = []spec.RuleID{spec.RuleID(mode)}
	}
	srv, err := mock.New(mc)
	if err != nil {
		return err
	}
	defer srv.Close()
	target := httptest.NewServer(srv.Handler())
	defer target.Close()
	px, err := proxy.New(target.URL, doc)
	if err != nil {
		return err
	}
	defer px.Close()
	front := httptest.NewServer(px)
	defer front.Close()

	cfg := suites.Defaults()
	cfg.Target, cfg.ReportDir = front.URL, ""
	cfg.Token, cfg.AdminToken = mock.DefaultToken, mock.DefaultAdminToken
	cfg.ClientID, cfg.ClientSecret = mock.DefaultClientID, mock.DefaultClientSecret
	e, err := suites.NewEnv(ctx, cfg, doc)
	if err != nil {
		return err
	}
	res, err := suites.Run(ctx, e, io.Discard, true, nil)
	if err != nil {
		return err
	}
	if err := px.Flush(ctx); err != nil {
		return err
	}
	rep := childReport{Proxy: px.Snapshot()}
	for _, s := range res.Specs {
		if s.State == suites.StateFailed {
			rep.Failed = append(rep.Failed, s)
		}
	}
	data, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	return os.WriteFile(out, data, 0o644)
}

// runSuiteThroughProxy runs a child and returns what it saw.
func runSuiteThroughProxy(ctx context.Context, mode, dir string) (childReport, error) {
	var snap childReport
	out := filepath.Join(dir, mode+".json")
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), envChild+"="+mode, envOut+"="+out)
	output, err := cmd.CombinedOutput()
	if err != nil {
		return snap, fmt.Errorf("child %s: %w: %s", mode, err, lastLines(string(output), 8))
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return snap, fmt.Errorf("child %s wrote no report: %w", mode, err)
	}
	return snap, json.Unmarshal(data, &snap)
}

// TestConformThroughProxy is the acceptance run: the whole conformance
// suite through the proxy in front of a correct mock yields no response
// violation. The suite sends out-of-limit requests on purpose (to see them
// refused), so request violations are expected. That the mock refused each
// of them is checked too: a 2xx to a refused request is recorded as a
// response violation (acceptedBadRequest), and there must be none.
func TestConformThroughProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the conformance suite in a child process")
	}
	child, err := runSuiteThroughProxy(t.Context(), clean, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	snap := child.Proxy
	for _, s := range child.Failed {
		t.Errorf("clean traffic, yet the suite failed %s: %s", s.Name, s.FailureLine())
	}
	if snap.Stats.Requests < 100 {
		t.Errorf("only %d requests went through the proxy: did the suite run?", snap.Stats.Requests)
	}
	for _, g := range snap.Groups {
		if g.Direction == spec.Response {
			t.Errorf("clean traffic, yet %s %s ×%d: %s %s → %d: %s: %s", g.Operation, g.Rule, g.Count,
				g.Last.Method, g.Last.Path, g.Last.Status, g.Last.Field, g.Last.Reason)
		}
	}
	if snap.Stats.UncheckedResponses != 0 || snap.Stats.UpstreamErrors != 0 {
		t.Errorf("stats %+v: every answer of the mock should have been checked", snap.Stats)
	}
	// Every request violation must be one the suite sends on purpose; any
	// other (a malformed request by accident, SCHEMA-REQUEST) is a stray.
	for _, r := range snap.Rules(spec.Request) {
		if !slices.Contains(onPurpose(), r) {
			t.Errorf("clean traffic, yet a stray request violation %s: the suite sent a request it did not mean to", r)
		}
	}
	t.Logf("%d requests, %d unrouted (admin API, wrong methods), %d unchecked request bodies; request violations the suite sent on purpose: %v",
		snap.Stats.Requests, snap.Stats.Unrouted, snap.Stats.UncheckedRequests, snap.Rules(spec.Request))
}

// onPurpose are the request violations the suite sends to see them
// refused: the out-of-limit cases, malformed JSON, another content type,
// and the oversized body the proxy cannot buffer to judge.
func onPurpose() []spec.RuleID {
	return []spec.RuleID{
		spec.RuleErrJSONParse, spec.RuleErrMediaType, spec.RuleProxyUnjudged,
		spec.RuleGetLimitUsers, spec.RuleGetUsersNonempty, spec.RuleGroupQueryType,
		spec.RuleSetExtMax, spec.RuleSetExtRequired,
		spec.RuleSubExpiryMax, spec.RuleSubExpiryPositive, spec.RuleSubLimitUsers, spec.RuleSubUsersNonempty,
		spec.RuleSublistNonInteger, spec.RuleSublistPagenumMin, spec.RuleSublistPagesizeRange,
		spec.RuleUnsubLimitUsers, spec.RuleUnsubUsersNonempty,
	}
}

// invisibleBreaks are the break modes no single exchange can show: they
// need state across requests the proxy does not keep (who holds which
// token, what was set or subscribed earlier, what another page held).
// SUBLIST-PAGES (overlapping pages) does show, as a last page that
// disagrees with totalnum, but one page cannot tell it from SUBLIST-TOTALNUM.
func invisibleBreaks() []spec.RuleID {
	return []spec.RuleID{
		spec.RuleAuthInvalidToken, spec.RuleTokenGrant, spec.RuleTokenBadSecret,
		spec.RuleSetStatusPerResource, spec.RuleSetExtVisible, spec.RuleSetLastTime,
		spec.RuleSubListed, spec.RuleSubCap, spec.RuleGetNoSideEffect, spec.RuleGroupCount,
		spec.RuleUnsubRemoves, spec.RuleSublistPages,
	}
}

// TestBreakModesThroughProxy runs the suite through the proxy in front of
// the mock broken in each way one exchange can show, and demands the proxy
// report that rule against the server.
func TestBreakModesThroughProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the conformance suite in child processes")
	}
	invisible := invisibleBreaks()
	var visible []spec.RuleID
	for _, m := range mock.BreakModes() {
		if !slices.Contains(invisible, m.Rule) {
			visible = append(visible, m.Rule)
		}
	}
	for _, r := range invisible {
		if !slices.ContainsFunc(mock.BreakModes(), func(m mock.BreakMode) bool { return m.Rule == r }) {
			t.Errorf("invisible lists %s, which is no break mode of the mock", r)
		}
	}
	dir := t.TempDir()
	type outcome struct {
		snap childReport
		err  error
	}
	res := make([]outcome, len(visible))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, rule := range visible {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			res[i].snap, res[i].err = runSuiteThroughProxy(t.Context(), string(rule), dir)
		})
	}
	wg.Wait()
	for i, rule := range visible {
		child, err := res[i].snap, res[i].err
		if err != nil {
			t.Errorf("--break %s: %v", rule, err)
			continue
		}
		// Both judges must blame the broken rule: the proxy on the
		// exchanges it watched, the suite on the specs that made them.
		got, blamed := child.Proxy.Rules(spec.Response), child.blamed()
		if !slices.Contains(got, rule) {
			t.Errorf("--break %s: the proxy did not report it; it reported %v", rule, got)
		}
		if !slices.Contains(blamed, rule) {
			t.Errorf("--break %s: the suite did not blame it; it blamed %v", rule, blamed)
		}
		if strays := slices.DeleteFunc(slices.Clone(got), func(r spec.RuleID) bool { return r == rule }); len(strays) > 0 {
			t.Logf("--break %s: caught, the proxy also reported %v", rule, strays)
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
