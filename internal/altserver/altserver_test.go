package altserver_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	g "github.com/onsi/ginkgo/v2"

	"github.com/presencekit/presencekit/internal/altserver"
	"github.com/presencekit/presencekit/spec"
	"github.com/presencekit/presencekit/suites"
)

// TestSuitePassesAnIndependentServer runs the whole conformance suite
// against a server written apart from the mock, with the open choices made
// differently: integers for numbers, extra fields, another sublist order,
// a real clock and no admin API. A failure here means the suite asserts
// something the contract does not say. (Ginkgo runs one suite per process:
// this package's test binary runs only this suite.)
func TestSuitePassesAnIndependentServer(t *testing.T) {
	// Behind a gateway prefix, as a deployment may be.
	ts := httptest.NewServer(http.StripPrefix("/gateway/v1", altserver.New()))
	defer ts.Close()
	doc, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg := suites.Defaults()
	cfg.Target, cfg.Org, cfg.App = ts.URL+"/gateway/v1", "acme", "chat"
	cfg.Token = altserver.Token
	cfg.ClientID, cfg.ClientSecret = altserver.ClientID, altserver.ClientSecret
	cfg.Group, cfg.GroupOnline = altserver.Group, altserver.GroupOnline
	cfg.ReportDir = t.TempDir()
	cfg.Rate = 0 // a server of our own, no tenant to spare: unpaced
	e, err := suites.NewEnv(context.Background(), cfg, doc)
	if err != nil {
		t.Fatal(err)
	}
	if e.Virtual() {
		t.Fatal("the independent server has no virtual clock; the suite must use the real one")
	}
	suiteCfg, repCfg := g.GinkgoConfiguration()
	res, err := suites.RunSpecs(t, e, suiteCfg, repCfg)
	if err != nil {
		t.Fatal(err)
	}
	if res == nil {
		t.Fatal("no result")
	}
	var b strings.Builder
	res.Summary(&b)
	t.Log(b.String())
	if !res.GatePassed() || res.Failed > 0 {
		t.Errorf("the suite failed a correct, independent server: %d failures", res.Failed)
	}
	if res.Skipped > 0 {
		t.Errorf("%d specs skipped: the independent server offers everything the suite needs", res.Skipped)
	}
}
