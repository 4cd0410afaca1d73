package proxy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"

	"github.com/presencekit/presencekit/internal/childtest"
	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/proxy"
	"github.com/presencekit/presencekit/spec"
	"github.com/presencekit/presencekit/suites"
)

// The conformance suite runs through the proxy in a child process (Ginkgo
// runs a suite once per process), with the mock behind the proxy correct
// or broken one way. One child serves two checks: the suite's self-check
// (its report.json) and the proxy's (its Snapshot), from the same traffic.
// The child is this test package built without -race (childtest): the
// self-check checks the suite's and the proxy's logic, and the race
// detector, which makes each run several times slower, covers them in the
// -race unit and end-to-end tests.
const (
	envChild = "PRESENCEKIT_PROXY_CHILD" // "clean" or a break mode's rule ID
	envOut   = "PRESENCEKIT_PROXY_OUT"   // the directory the child writes its reports to
	clean    = "clean"
	// envTable names a file the self-check writes its table to (make test
	// prints it: go test shows no log of a passing package).
	envTable = "PRESENCEKIT_SELFCHECK_TABLE"
	// snapshotFile is the proxy's report in a child's directory, next to
	// the suite's report.json.
	snapshotFile = "proxy.json"
	// resultFile is the suite's specs (suites.Result.Specs) in a child's
	// directory.
	resultFile = "specs.json"
	// selfCheckCap is the per-subscriber cap of the mock in the break
	// children.
	selfCheckCap = 250
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(envChild); mode != "" {
		if err := runChild(context.Background(), mode, os.Getenv(envOut)); err != nil {
			fmt.Fprintln(os.Stderr, "proxy child:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	childtest.OneP()
	code := m.Run()
	child.Remove()
	os.Exit(code)
}

// runChild serves the mock (broken as mode says) behind the proxy in report
// mode, runs the whole conformance suite through the proxy, and writes the
// suite's reports and the proxy's Snapshot to dir. A failing suite is not
// an error here: the parent judges the reports.
func runChild(ctx context.Context, mode, dir string) error {
	doc, err := spec.Load()
	if err != nil {
		return err
	}
	mc := mock.DefaultConfig(doc.Limits())
	mc.VirtualClock = true
	if mode != clean {
		mc.Breaks = []mock.Break{mock.Break(mode)}
		// A smaller cap makes SUB-CAP's spec (the costliest: it fills a
		// subscriber to the cap) a tenth as long; what it checks is the
		// same at any cap.
		mc.MaxSubscriptions = selfCheckCap
	}
	m, err := mock.Start(ctx, mc)
	if err != nil {
		return err
	}
	defer m.Stop()
	px, err := proxy.New(m.URL, doc)
	if err != nil {
		return err
	}
	defer px.Close()
	// front is never closed: Close waits out net/http's half-second
	// lingering close of each connection it ended after a body it did not
	// read (the suite's oversize bodies), most of a child's time; the
	// child exits as soon as its reports are written.
	front := httptest.NewServer(px)

	cfg := suites.Defaults()
	// No report files: the child writes the result's specs (resultFile),
	// all the parent reads. Ginkgo's JSON, JUnit and HTML reports, and
	// redacting them, were a third of a child's CPU.
	cfg.Target, cfg.ReportDir = front.URL, ""
	cfg.Token, cfg.AdminToken = mock.DefaultToken, m.AdminToken
	cfg.ClientID, cfg.ClientSecret = mock.DefaultClientID, mock.DefaultClientSecret
	cfg.Rate, cfg.Concurrency = 0, 1 // a mock of our own: no tenant to spare
	cfg.MaxSubs = mc.MaxSubscriptions
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
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, v := range map[string]any{snapshotFile: px.Snapshot(), resultFile: res.Specs} {
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// child is this test package built without -race (childtest).
var child childtest.Binary

// childRun is what one child left: the suite's result and the proxy's
// report.
type childRun struct {
	suite *suites.Result
	snap  proxy.Snapshot
}

// runSuiteThroughProxy runs a child and reads its reports.
func runSuiteThroughProxy(ctx context.Context, mode, dir string) (childRun, error) {
	var run childRun
	dir = filepath.Join(dir, mode)
	cmd, err := child.Command(ctx, "-test.run", "^$")
	if err != nil {
		return run, err
	}
	cmd.Env = append(cmd.Env, envChild+"="+mode, envOut+"="+dir, childtest.OneProc)
	output, err := cmd.CombinedOutput()
	if err != nil {
		return run, fmt.Errorf("child %s: %w: %s", mode, err, childtest.LastLines(string(output), 8))
	}
	data, err := os.ReadFile(filepath.Join(dir, snapshotFile))
	if err != nil {
		return run, fmt.Errorf("child %s wrote no proxy report: %w", mode, err)
	}
	if err := json.Unmarshal(data, &run.snap); err != nil {
		return run, fmt.Errorf("child %s: proxy report: %w", mode, err)
	}
	data, err = os.ReadFile(filepath.Join(dir, resultFile))
	if err != nil {
		return run, fmt.Errorf("child %s wrote no suite result: %w", mode, err)
	}
	run.suite = &suites.Result{}
	if err := json.Unmarshal(data, &run.suite.Specs); err != nil || len(run.suite.Specs) == 0 {
		return run, fmt.Errorf("child %s: unreadable %s (%d specs): %v", mode, resultFile, len(run.suite.Specs), err)
	}
	return run, nil
}

// TestConformThroughProxy is the acceptance run: the whole conformance
// suite through the proxy in front of a correct mock passes, and the proxy
// reports no response violation. The suite sends out-of-limit requests on
// purpose (to see them refused), so request violations are expected. That
// the mock refused each of them is checked too: a 2xx to a refused request
// is recorded as a response violation (acceptedBadRequest), and there must
// be none.
func TestConformThroughProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the conformance suite in a child process")
	}
	t.Parallel()
	run, err := runSuiteThroughProxy(t.Context(), clean, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	snap := run.snap
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
	for _, s := range run.suite.Specs {
		if s.State == suites.StateFailed {
			t.Errorf("through the proxy, a correct mock failed a spec: %s: %s", s.Name, s.FailureLine())
		}
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

// TestBreakModesThroughProxy is the suite's self-check and the proxy's
// at once. For every break mode of the mock it runs the whole suite through
// the proxy in front of the mock broken that one way, and demands:
//   - of the suite, that specs of that rule fail, blamed on it, and no spec
//     of another rule does (the suite can fail, and fails for the right
//     reason);
//   - of the proxy, when one exchange can show the break (not in
//     invisibleBreaks), that it reports that rule against the server.
func TestBreakModesThroughProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the conformance suite in child processes")
	}
	t.Parallel()
	invisible := invisibleBreaks()
	modes := mock.BreakModes()
	for _, r := range invisible {
		if !slices.ContainsFunc(modes, func(m mock.BreakMode) bool { return m.Rule == r }) {
			t.Errorf("invisible lists %s, which is no break mode of the mock", r)
		}
	}
	dir := t.TempDir()
	type outcome struct {
		run childRun
		err error
	}
	res := make([]outcome, len(modes))
	// A child is half waiting (loopback round trips, the suite's own
	// pauses between steps): two per core keep the cores busy.
	sem := make(chan struct{}, max(4, 2*runtime.NumCPU()))
	var wg sync.WaitGroup
	for i, m := range modes {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			res[i].run, res[i].err = runSuiteThroughProxy(t.Context(), string(m.Name()), dir)
		})
	}
	wg.Wait()

	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BREAK MODE\tCAUGHT BY\tSTRAY FAILURES\tPROXY")
	caught, seen, visible := 0, 0, 0
	for i, m := range modes {
		rule, name, run, err := m.Rule, m.Name(), res[i].run, res[i].err
		if err != nil {
			t.Errorf("--break %s: %v", name, err)
			fmt.Fprintf(tw, "%s\t%s\t-\t-\n", name, "did not run")
			continue
		}
		n, strays := suiteCaught(run.suite, rule)
		if n == 0 {
			t.Errorf("--break %s: no spec of the rule failed: the suite cannot catch it", name)
		}
		for _, s := range strays {
			t.Errorf("--break %s: an unrelated spec failed: %s", name, s)
		}
		if n > 0 && len(strays) == 0 {
			caught++
		}
		// The proxy's promise is about each rule's default variant: the
		// other variants are recorded, not demanded (one exchange shows
		// some of them, not others).
		verdict := "not visible in one exchange"
		got := run.snap.Rules(spec.Response)
		switch {
		case m.Name() != modes[firstOf(modes, rule)].Name():
			verdict = "not demanded"
			if slices.Contains(got, rule) {
				verdict = "reported"
			}
		case !slices.Contains(invisible, rule):
			visible++
			switch {
			case !slices.Contains(got, rule):
				verdict = "MISSED"
				t.Errorf("--break %s: the proxy did not report it; it reported %v", name, got)
			default:
				seen++
				verdict = "reported"
				if others := slices.DeleteFunc(slices.Clone(got), func(r spec.RuleID) bool { return r == rule }); len(others) > 0 {
					verdict += fmt.Sprintf(" (also %v)", others)
				}
			}
		}
		fmt.Fprintf(tw, "%s\t%d specs\t%d\t%s\n", name, n, len(strays), verdict)
	}
	_ = tw.Flush()
	fmt.Fprintf(&b, "self-check: %d of %d break modes (variants of %d rules) caught by the suite, with no stray failure; the proxy reported %d of the %d default variants one exchange can show\n",
		caught, len(modes), countRules(modes), seen, visible)
	t.Log("\n" + b.String())
	if path := os.Getenv(envTable); path != "" {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// suiteCaught counts the failed specs labelled with rule and blamed on it,
// and describes the other failures (strays).
func suiteCaught(res *suites.Result, rule spec.RuleID) (caught int, strays []string) {
	for _, s := range res.Specs {
		if s.State != suites.StateFailed {
			continue
		}
		if s.Blamed == rule && slices.Contains(s.Labels, suites.RuleLabel(rule)) {
			caught++
			continue
		}
		strays = append(strays, fmt.Sprintf("%s (blamed %s): %s", s.Name, s.Blamed, s.FailureLine()))
	}
	sort.Strings(strays)
	return caught, strays
}

// firstOf is the index of rule's first (default) variant in modes.
func firstOf(modes []mock.BreakMode, rule spec.RuleID) int {
	return slices.IndexFunc(modes, func(m mock.BreakMode) bool { return m.Rule == rule })
}

// countRules is the number of rules modes break.
func countRules(modes []mock.BreakMode) int {
	n := 0
	for i, m := range modes {
		if i == 0 || modes[i-1].Rule != m.Rule {
			n++
		}
	}
	return n
}
