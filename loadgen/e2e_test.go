package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/presencekit/presencekit/mock"
)

// startMock serves the in-process mock on a loopback port, counting the
// requests it receives.
func startMock(t *testing.T, faults mock.Faults) (url string, count *atomic.Uint64) {
	t.Helper()
	cfg := mock.DefaultConfig(testDoc(t).Limits())
	cfg.Faults = faults
	srv, err := mock.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	count = &atomic.Uint64{}
	h := srv.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		count.Add(1)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { ts.Close(); _ = srv.Close() })
	return ts.URL, count
}

func e2eConfig(t *testing.T, target string) Config {
	cfg := DefaultConfig(target, testDoc(t).Limits())
	cfg.Token = mock.DefaultToken
	cfg.Workload.Users = 200
	cfg.Timeout = 5 * time.Second
	cfg.Doc = testDoc(t)
	return cfg
}

func TestE2ECountsMatchServer(t *testing.T) {
	for _, client := range []string{ClientFastHTTP, ClientNetHTTP} {
		t.Run(client, func(t *testing.T) {
			url, served := startMock(t, mock.Faults{})
			cfg := e2eConfig(t, url)
			cfg.Client = client
			cfg.Concurrency, cfg.Connections = 4, 4
			cfg.Requests, cfg.Duration = 1500, time.Minute // bounded by the count
			cfg.Validate = 0.2
			res, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Summarize(res)
			if err != nil {
				t.Fatal(err)
			}
			var setup uint64
			for _, o := range res.Setup.Ops {
				setup += o.Count
			}
			if setup != 200 || s.All.Count != 1500 || res.Sent != 1500 {
				t.Fatalf("setup %d (want 200), measured %d, sent %d (want 1500)", setup, s.All.Count, res.Sent)
			}
			if got := served.Load(); got != setup+s.All.Count {
				t.Fatalf("server counted %d requests, the load generator reported %d", got, setup+s.All.Count)
			}
			if s.All.Errors != 0 {
				t.Fatalf("errors against the mock: %v", s.All.ErrorKinds)
			}
			if len(s.Ops) != int(NumOps) {
				t.Fatalf("%d operations measured, want %d", len(s.Ops), NumOps)
			}
			if s.ValidationChecked < 100 || s.Viols != 0 {
				t.Fatalf("validation: %d checked, %d violations: %+v", s.ValidationChecked, s.Viols, res.Validation)
			}
		})
	}
}

func TestE2EInjectedLatency(t *testing.T) {
	p50 := func(f mock.Faults) (corr, svc time.Duration) {
		url, _ := startMock(t, f)
		cfg := e2eConfig(t, url)
		cfg.Setup = false
		cfg.Concurrency = 4
		cfg.Requests, cfg.Duration = 200, time.Minute
		res, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := Summarize(res)
		return s.All.Corrected.P50, s.All.Service.P50
	}
	// The server's own time (slower under -race) is measured apart, so the
	// check is on what the generator adds to the injected latency.
	baseCorr, baseSvc := p50(mock.Faults{})
	corr, svc := p50(mock.Faults{Latency: 20 * time.Millisecond})
	for _, d := range []time.Duration{corr - baseCorr, svc - baseSvc} {
		if d < 18*time.Millisecond || d > 22*time.Millisecond {
			t.Fatalf("injected 20ms: p50 %v (corrected) %v (service) over a %v baseline, want 20ms±2ms",
				corr, svc, baseSvc)
		}
	}
}

// A stall hits the users queued behind it: corrected latency shows it,
// service time of the typical request does not.
func TestE2EStallShowsInCorrectedLatency(t *testing.T) {
	url, _ := startMock(t, mock.Faults{StallFor: 300 * time.Millisecond, StallEvery: time.Second})
	cfg := e2eConfig(t, url)
	cfg.Setup = false
	cfg.Rate, cfg.Connections = 200, 4
	cfg.Duration, cfg.Requests = 2*time.Second, 400
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := Summarize(res)
	if s.All.Corrected.P99 < 150*time.Millisecond {
		t.Fatalf("corrected p99 %v: the stall is hidden", s.All.Corrected.P99)
	}
	if s.All.Service.P50 > 50*time.Millisecond {
		t.Fatalf("service p50 %v: stalls should touch only a few requests' service time", s.All.Service.P50)
	}
	if s.All.Late == 0 {
		t.Fatal("no late sends counted behind a stall")
	}
}

func TestE2EInterruptReturnsResults(t *testing.T) {
	url, _ := startMock(t, mock.Faults{})
	cfg := e2eConfig(t, url)
	cfg.Setup = false
	cfg.Rate, cfg.Duration = 500, time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	cfg.OnInterval = func(s Snapshot) {
		if n++; n == 1 {
			cancel() // interrupt after the first interval
		}
	}
	cfg.Interval = 200 * time.Millisecond
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || res.Sent == 0 || res.Elapsed > 10*time.Second {
		t.Fatalf("interrupted %v, sent %d, elapsed %v", res.Interrupted, res.Sent, res.Elapsed)
	}
}
