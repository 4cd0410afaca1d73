package loadgen

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/presencekit/presencekit/mock"
)

// Progress learns of the setup phase (before its first request, and at
// its end with every request counted), then of the measured phase on
// whole-interval ticks, and of each phase's end.
func TestSnapshotsCoverSetupAndTicks(t *testing.T) {
	url, _ := startMock(t, mock.Faults{})
	cfg := e2eConfig(t, url)
	cfg.Workload.Users = 20
	cfg.Concurrency, cfg.Requests, cfg.Duration = 2, 300, time.Minute
	var mu sync.Mutex
	var snaps []Snapshot
	cfg.OnInterval = func(s Snapshot) {
		mu.Lock()
		snaps = append(snaps, s)
		mu.Unlock()
	}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	size := uint64(cfg.Workload.SetupSize())
	if len(snaps) < 3 {
		t.Fatalf("%d snapshots, want setup start, setup end and the measured end", len(snaps))
	}
	if s := snaps[0]; !s.Setup || s.Done != 0 || s.Requests != size || s.Final {
		t.Errorf("first snapshot %+v, want the setup's start", s)
	}
	i := 1
	for ; i < len(snaps) && snaps[i].Setup; i++ {
		if s := snaps[i]; !s.Final && (s.At <= 0 || s.At%cfg.Interval != 0) {
			t.Errorf("setup tick at %v: not a whole interval", s.At)
		}
	}
	if s := snaps[i-1]; !s.Final || s.Done != size || s.Elapsed != res.Setup.Elapsed {
		t.Errorf("last setup snapshot %+v, want final with all %d requests in the %v results record", s, size, res.Setup.Elapsed)
	}
	for _, s := range snaps[i : len(snaps)-1] {
		if s.Setup || s.Final || s.At <= 0 || s.At%DefaultInterval != 0 {
			t.Errorf("measured tick %+v: want a whole interval, not final", s)
		}
	}
	if s := snaps[len(snaps)-1]; s.Setup || !s.Final || s.At != 0 || s.Done != 300 {
		t.Errorf("last snapshot %+v, want the measured phase's final one with 300 done", s)
	}
}

// A tick stands for the whole interval it fires on, late by jitter or by
// a dropped tick, never for zero.
func TestTickAt(t *testing.T) {
	for _, c := range []struct{ elapsed, want time.Duration }{
		{1003 * time.Millisecond, time.Second}, {1999 * time.Millisecond, 2 * time.Second},
		{2 * time.Second, 2 * time.Second}, {100 * time.Millisecond, time.Second},
	} {
		if got := tickAt(c.elapsed, time.Second); got != c.want {
			t.Errorf("tickAt(%v) = %v, want %v", c.elapsed, got, c.want)
		}
	}
}
