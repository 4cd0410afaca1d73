package loadgen

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/mock/mocktest"
)

// startMock serves the mock (mocktest) on a loopback port, counting the
// requests it receives; edits change the mock's configuration.
func startMock(t *testing.T, faults mock.Faults, edits ...func(*mock.Config)) (url string, count *atomic.Uint64) {
	t.Helper()
	cfg := mock.DefaultConfig(testDoc(t).Limits())
	cfg.Faults = faults
	for _, e := range edits {
		e(&cfg)
	}
	count = &atomic.Uint64{}
	return mocktest.Start(t, cfg, mocktest.Counting(count)).URL, count
}

func e2eConfig(t *testing.T, target string) Config {
	cfg := DefaultConfig(target, testDoc(t).Limits())
	cfg.Token = mock.DefaultToken
	cfg.Workload.Users = 200
	cfg.Timeout = 5 * time.Second
	cfg.Doc = testDoc(t)
	cfg.Interval = time.Minute // see verifyConfig; a test of intervals sets its own
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
			// One more: the preflight read before the run.
			if got := served.Load(); got != 1+setup+s.All.Count {
				t.Fatalf("server counted %d requests, the load generator reported 1 preflight + %d", got, setup+s.All.Count)
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

// One real run with injected latency: what it sends and what the server
// counts agree, and the latency accounting keeps its order (corrected is
// never below service time; neither is below the injected delay, which
// the server always waits). The arithmetic of the accounting is checked
// on a fake clock in TestLatencyAccounting; no assert here depends on how
// busy the machine is.
func TestE2EInjectedLatency(t *testing.T) {
	url, served := startMock(t, mock.Faults{Latency: 20 * time.Millisecond})
	cfg := e2eConfig(t, url)
	cfg.Setup = false
	cfg.Concurrency = 4
	cfg.Requests, cfg.Duration = 200, time.Minute
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Summarize(res)
	if err != nil {
		t.Fatal(err)
	}
	if s.All.Count != 200 || res.Sent != 200 || served.Load() != 201 || s.All.Errors != 0 {
		t.Fatalf("measured %d, sent %d, served %d (want 200, 200, 201 with the preflight), errors %v",
			s.All.Count, res.Sent, served.Load(), s.All.ErrorKinds)
	}
	// 19.9 ms: the histogram's 0.1% resolution.
	if low := time.Duration(s.All.service.Min()) * time.Microsecond; low < 19900*time.Microsecond || s.All.Corrected.P50 < s.All.Service.P50 {
		t.Fatalf("service min %v (injected 20ms), corrected p50 %v < service p50 %v",
			low, s.All.Corrected.P50, s.All.Service.P50)
	}
}

// A stall hits the users queued behind it: corrected latency shows it,
// service time of the typical request does not.
func TestE2EStallShowsInCorrectedLatency(t *testing.T) {
	url, _ := startMock(t, mock.Faults{StallFor: 300 * time.Millisecond, StallEvery: time.Second})
	cfg := e2eConfig(t, url)
	cfg.Setup = false
	cfg.Pacer, cfg.Connections = ConstantRate(200), 4
	cfg.Duration, cfg.Requests = 2*time.Second, 400
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := Summarize(res)
	// Lower bounds only: the stall guarantees them, a busy machine cannot
	// break them. (The stall repeats every second within the 2 s run.)
	if s.All.Corrected.Max < 150*time.Millisecond {
		t.Fatalf("corrected max %v: the stall is hidden", s.All.Corrected.Max)
	}
	if s.All.Late == 0 {
		t.Fatal("no late sends counted behind a stall")
	}
}

func TestE2EInterruptReturnsResults(t *testing.T) {
	url, _ := startMock(t, mock.Faults{})
	cfg := e2eConfig(t, url)
	cfg.Setup = false
	cfg.Pacer, cfg.Duration = ConstantRate(500), time.Minute
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
