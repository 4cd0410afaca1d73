package suites_test

import (
	"context"
	"encoding/xml"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	g "github.com/onsi/ginkgo/v2"

	"github.com/presencekit/presencekit/internal/childtest"
	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/mock/mocktest"
	"github.com/presencekit/presencekit/spec"
	"github.com/presencekit/presencekit/suites"
)

// binder holds the suite's flags on the test binary's command line:
// go test ./suites -args --target=https://… --token=…
var binder = suites.Bind(flag.CommandLine)

// envBreak names the break mode a self-check child runs the mock with.
const envBreak = "PRESENCEKIT_SELFCHECK_BREAK"

// envChild marks a child run of the profile tests (no break mode), and
// envMockProfile names the profile the child's mock serves when it is not
// the suite's own (the cross-vendor tests).
const (
	envChild       = "PRESENCEKIT_SELFCHECK_CHILD"
	envMockProfile = "PRESENCEKIT_SELFCHECK_MOCK_PROFILE"
)

// startMock serves a correct (or deliberately broken) mock (mocktest) of
// doc with the virtual clock and returns the config to reach it.
func startMock(tb testing.TB, cfg suites.Config, doc *spec.Doc, breaks ...mock.Break) suites.Config {
	tb.Helper()
	mc := mocktest.ConfigFor(doc, breaks...)
	mc.VirtualClock = true
	m := mocktest.Start(tb, mc)
	cfg.Target = m.URL
	cfg.Token = mock.DefaultToken
	cfg.ClientID, cfg.ClientSecret = mock.DefaultClientID, mock.DefaultClientSecret
	cfg.AdminToken = m.AdminToken
	return cfg
}

// TestConformance runs the Ginkgo suite: against --target when given, else
// against a mock it starts. (The self-check, the suite against the mock
// broken one rule at a time, is proxy's TestBreakModesThroughProxy.)
func TestConformance(t *testing.T) {
	cfg, err := binder.Resolve(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := spec.LoadProfile(cfg.Profile)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Target == "" {
		var breaks []mock.Break
		if b := os.Getenv(envBreak); b != "" {
			for _, id := range strings.Split(b, ",") {
				breaks = append(breaks, mock.Break(id))
			}
		}
		mockDoc := doc
		if p := os.Getenv(envMockProfile); p != "" {
			if mockDoc, err = spec.LoadProfile(p); err != nil {
				t.Fatal(err)
			}
		}
		cfg = startMock(t, cfg, mockDoc, breaks...)
	}
	if cfg.ReportDir == suites.DefaultReportDir {
		cfg.ReportDir = t.TempDir()
	}
	e, err := suites.NewEnv(context.Background(), cfg, doc)
	if err != nil {
		t.Fatal(err)
	}
	suiteCfg, repCfg := g.GinkgoConfiguration()
	res, err := suites.RunSpecs(t, e, suiteCfg, repCfg)
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv(envBreak) != "" || os.Getenv(envChild) != "" {
		return // a self-check child: the parent reads report.json
	}
	if res == nil {
		if g.GinkgoParallelProcess() != 1 {
			return // under ginkgo -p, process 1 reports for all
		}
		t.Fatal("the suite delivered no result")
	}
	var b strings.Builder
	res.Summary(&b)
	t.Log(b.String())
	if c := res.Count(); c[suites.StateNA] > 0 {
		t.Errorf("%d rules of the catalogue are checked by no spec", c[suites.StateNA])
	}
	if cfg.ReportDir != "" {
		checkReports(t, cfg.ReportDir, res)
	}
}

// checkReports pins that the CI artifacts are what CI tools read: junit.xml
// parses with one test case per spec, report.html names every rule.
func checkReports(t *testing.T, dir string, res *suites.Result) {
	data, err := os.ReadFile(filepath.Join(dir, "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var junit struct {
		Suites []struct {
			Tests int `xml:"tests,attr"`
			Cases []struct {
				Name string `xml:"name,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &junit); err != nil {
		t.Fatalf("junit.xml does not parse: %v", err)
	}
	if len(junit.Suites) != 1 || len(junit.Suites[0].Cases) < len(res.Specs) {
		t.Errorf("junit.xml: %d suites, want 1 with at least %d test cases", len(junit.Suites), len(res.Specs))
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range spec.Rules() {
		if !strings.Contains(string(page), string(r.ID)) {
			t.Errorf("report.html lacks rule %s", r.ID)
		}
	}
	for _, outside := range []string{"<script", "<link", "src=", "@import"} {
		if strings.Contains(string(page), outside) {
			t.Errorf("report.html is not self-contained: it has %q", outside)
		}
	}
}

// child is this test package built without -race (childtest): the
// children that run the whole suite (profile_test.go, selfcheck_test.go)
// check its logic; TestConformance here runs it under -race.
var child childtest.Binary

func TestMain(m *testing.M) {
	flag.Parse()
	childtest.OneP()
	code := m.Run()
	child.Remove()
	os.Exit(code)
}

// childCommand is the suite's child process: this test package without
// -race, running TestConformance alone, on one P (childtest.OneProc).
func childCommand(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd, err := child.Command(t.Context(), "-test.run", "^TestConformance$")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(cmd.Env, childtest.OneProc)
	return cmd
}
