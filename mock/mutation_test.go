//go:build mutation

package mock_test

import (
	"context"
	"flag"
	"os"
	"testing"
	"time"

	g "github.com/onsi/ginkgo/v2"

	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/mock/mocktest"
	"github.com/presencekit/presencekit/spec"
	"github.com/presencekit/presencekit/suites"
)

// The mutation build (make mutation, docs/conformance.md#mutation-analysis):
// gremlins mutates a file of package mock, then runs `go test -tags
// mutation` on this package. With the tag, the only test run is
// TestMutantConformance: the conformance suite against the mock built from
// the mutated source. The mock's own unit tests are compiled but not run,
// so a mutant counts as killed only when the suite sees the difference.

// TestMain runs TestMutantConformance alone, whatever -run gremlins passes.
func TestMain(m *testing.M) {
	flag.Parse()
	if err := flag.Set("test.run", "^TestMutantConformance$"); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

// TestMutantConformance runs the whole suite, as `presencekit conform` does
// against its embedded mock (virtual clock, unpaced), stopping at the
// first failed spec: one is enough to kill the mutant. The seed is fixed so
// that two runs of one mutant order the specs alike. A request times out
// after 10 s (the mock answers in microseconds) and the suite after a
// 30 s (it takes a few seconds): a mutant that deadlocks the mock
// then fails instead of holding the run until gremlins' own timeout.
func TestMutantConformance(t *testing.T) {
	doc, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	mc := mocktest.ConfigFor(doc)
	mc.VirtualClock = true
	m, err := mock.Start(context.Background(), mc)
	if err != nil {
		t.Fatal(err)
	}
	// Not mocktest.Start: a mutant can leave a lock held, and the mock's
	// Stop then waits for ever on its sweeper. A mock that does not stop
	// is a failure like any other.
	t.Cleanup(func() {
		stopped := make(chan error, 1)
		go func() { stopped <- m.Stop() }()
		select {
		case err := <-stopped:
			if err != nil {
				t.Errorf("mock: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("the mock did not stop within 10 s: a request or its sweeper is stuck")
		}
	})

	cfg := suites.Defaults()
	cfg.Rate, cfg.Concurrency, cfg.ReportDir = 0, 1, ""
	cfg.Timeout = 10 * time.Second
	cfg.Target, cfg.AdminToken = m.URL, m.AdminToken
	cfg.Token = mock.DefaultToken
	cfg.ClientID, cfg.ClientSecret = mock.DefaultClientID, mock.DefaultClientSecret
	e, err := suites.NewEnv(context.Background(), cfg, doc)
	if err != nil {
		t.Fatal(err)
	}
	suiteCfg, repCfg := g.GinkgoConfiguration()
	suiteCfg.FailFast = true
	suiteCfg.RandomSeed = 1
	suiteCfg.Timeout, suiteCfg.GracePeriod = 30*time.Second, 5*time.Second
	repCfg.Succinct = true
	res, err := suites.RunSpecs(t, e, suiteCfg, repCfg)
	if err != nil {
		t.Fatal(err)
	}
	if res == nil {
		t.Fatal("the suite delivered no result")
	}
	if c := res.Count(); c[suites.StateFailed] > 0 {
		t.Errorf("%d specs failed", c[suites.StateFailed])
	}
}
