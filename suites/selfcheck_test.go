package suites_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"

	g "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/spec"
	"github.com/presencekit/presencekit/suites"
)

// envTable names a file the self-check writes its table to.
const envTable = "PRESENCEKIT_SELFCHECK_TABLE"

// breakOutcome is what the suite did against the mock broken in one way.
type breakOutcome struct {
	rule    spec.RuleID
	caught  int      // failed specs labelled with the rule and blamed on it
	strays  []string // failed specs that are not the rule's
	problem string   // the child could not run
}

// TestSelfCheck proves the suite can fail: for every break mode of the mock
// it runs the whole suite against the mock broken that one way, and
// demands that specs of that rule fail and no spec of another rule does.
// Each run is a child process (Ginkgo runs a suite once per process): this
// test binary, re-run with the break named in its environment.
func TestSelfCheck(t *testing.T) {
	if os.Getenv(envBreak) != "" || os.Getenv(envChild) != "" {
		t.Skip("a self-check child runs TestConformance only")
	}
	if suiteCfg, _ := g.GinkgoConfiguration(); suiteCfg.ParallelTotal > 1 {
		t.Skip("under ginkgo -p only the suite runs; make test runs the self-check")
	}
	if cfg, err := binder.Resolve(os.Getenv); err != nil || cfg.Target != "" {
		t.Skip("the self-check runs against the mock, not a --target")
	}
	modes := mock.BreakModes()
	// Every MUST and SHOULD rule must have a break mode, or nothing proves
	// the suite catches it.
	for _, r := range spec.Rules() {
		if r.Level != spec.Probe && !slices.ContainsFunc(modes, func(m mock.BreakMode) bool { return m.Rule == r.ID }) {
			t.Errorf("rule %s (%s) has no break mode in the mock", r.ID, r.Level)
		}
	}
	dir := t.TempDir()
	out := make([]breakOutcome, len(modes))
	sem := make(chan struct{}, max(2, runtime.NumCPU()))
	var wg sync.WaitGroup
	for i, m := range modes {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = runBroken(t.Context(), m.Rule, filepath.Join(dir, string(m.Rule)))
		}()
	}
	wg.Wait()

	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BREAK MODE\tCAUGHT BY\tSTRAY FAILURES")
	caught := 0
	for _, o := range out {
		verdict := fmt.Sprintf("%d specs", o.caught)
		if o.caught > 0 && len(o.strays) == 0 && o.problem == "" {
			caught++
		}
		if o.problem != "" {
			verdict = o.problem
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\n", o.rule, verdict, len(o.strays))
		if o.problem != "" {
			t.Errorf("--break %s: %s", o.rule, o.problem)
		} else if o.caught == 0 {
			t.Errorf("--break %s: no spec of the rule failed: the suite cannot catch it", o.rule)
		}
		for _, s := range o.strays {
			t.Errorf("--break %s: an unrelated spec failed: %s", o.rule, s)
		}
	}
	_ = tw.Flush()
	fmt.Fprintf(&b, "self-check: %d of %d break modes caught, with no stray failure\n", caught, len(modes))
	t.Log("\n" + b.String())
	// make test prints the table from here: go test shows no log of a
	// passing package.
	if path := os.Getenv(envTable); path != "" {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// runBroken runs the suite in a child process against the mock broken by
// rule and reads its Ginkgo JSON report.
func runBroken(ctx context.Context, rule spec.RuleID, dir string, env ...string) breakOutcome {
	o := breakOutcome{rule: rule}
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run", "^TestConformance$")
	cmd.Env = append(os.Environ(), envBreak+"="+string(rule), suites.EnvPrefix+"REPORT_DIR="+dir,
		suites.EnvPrefix+"TARGET=", suites.EnvPrefix+"LABEL_FILTER=")
	cmd.Env = append(cmd.Env, env...)
	output, _ := cmd.CombinedOutput() // a failing suite exits 1: expected
	data, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		o.problem = "no report: " + lastLines(string(output), 5)
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

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
