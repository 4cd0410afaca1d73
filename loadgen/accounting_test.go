package loadgen

import (
	"context"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *fakeClock) now() time.Time               { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) advance(d time.Duration)      { c.ns.Add(int64(d)) }
func (c *fakeClock) at(d time.Duration) time.Time { return time.Unix(0, c.ns.Load()).Add(d) }

// fakeSender answers at once with status after moving the clock by the
// service time of the request's Seq (default: service).
type fakeSender struct {
	clk     *fakeClock
	service time.Duration
	slow    map[uint64]time.Duration
	status  int
	auths   []string
}

func (s *fakeSender) send(r *request, auth string, _ time.Duration, ex *exchange) error {
	s.auths = append(s.auths, auth)
	d := s.service
	if v, ok := s.slow[r.Seq]; ok {
		d = v
	}
	s.clk.advance(d)
	ex.status, ex.body, ex.contentType = s.status, []byte(`{}`), "application/json"
	return nil
}

func fakeWorker(clk *fakeClock, s sender) *worker {
	r := &run{cfg: Config{now: clk.now, Timeout: time.Second, LateAfter: time.Millisecond}, tokens: staticTokens("t")}
	return &worker{r: r, s: s, rec: newRecorder(), kinds: map[string]string{}, rng: rand.New(rand.NewPCG(1, 1)), hdr: http.Header{}}
}

func drained(w *worker) *opAcc {
	var accs [NumOps]*opAcc
	for i := range accs {
		accs[i] = newOpAcc()
	}
	w.rec.drainInto(&accs, nil)
	return accs[OpGet]
}

func near(h int64, want time.Duration) bool {
	got := time.Duration(h) * time.Microsecond
	return got >= want-want/500 && got <= want+want/500 // HDR keeps 3 significant digits
}

// Coordinated omission, on a fake clock: hits due every 10 ms, one worker,
// 5 ms service time, one 50 ms stall. The hits queued behind the stall
// leave late; their corrected latency runs from the intended time, their
// service time does not. Replaces a wall-clock p50 assert that failed on a
// busy machine.
func TestLatencyAccounting(t *testing.T) {
	clk := newFakeClock()
	start := clk.now()
	s := &fakeSender{clk: clk, service: 5 * time.Millisecond, slow: map[uint64]time.Duration{2: 50 * time.Millisecond}, status: 200}
	w := fakeWorker(clk, s)
	for k := range uint64(12) {
		intended := start.Add(time.Duration(k) * 10 * time.Millisecond)
		if clk.now().Before(intended) {
			clk.ns.Store(intended.UnixNano()) // the scheduler sleeps until the hit is due
		}
		w.do(context.Background(), &request{Op: OpGet, Seq: k}, intended, time.Time{})
	}
	a := drained(w)
	// corrected: 5 5 50 45 40 35 30 25 20 15 10 5 (sum 285 ms); service:
	// eleven times 5 and one 50 (sum 105 ms); late: hits 3..10.
	switch {
	case a.count != 12 || a.late != 8:
		t.Fatalf("count %d late %d, want 12 and 8", a.count, a.late)
	case !near(a.corrected.Max(), 50*time.Millisecond) || !near(int64(a.corrected.Mean()), 23750*time.Microsecond):
		t.Fatalf("corrected max %dµs mean %.0fµs, want 50ms and 23.75ms", a.corrected.Max(), a.corrected.Mean())
	case !near(a.service.ValueAtQuantile(50), 5*time.Millisecond) || !near(int64(a.service.Mean()), 8750*time.Microsecond):
		t.Fatalf("service p50 %dµs mean %.0fµs, want 5ms and 8.75ms", a.service.ValueAtQuantile(50), a.service.Mean())
	}
}

// A send that leaves before its intended time (a hit due within minSleep
// is sent at once) is never credited: corrected latency is at least the
// service time. In the closed loop (intended = begin) the two are equal.
func TestLatencyNeverBelowServiceTime(t *testing.T) {
	clk := newFakeClock()
	w := fakeWorker(clk, &fakeSender{clk: clk, service: 5 * time.Millisecond, status: 200})
	w.do(context.Background(), &request{Op: OpGet}, clk.at(time.Millisecond), time.Time{})
	now := clk.now()
	w.do(context.Background(), &request{Op: OpGet}, now, now)
	a := drained(w)
	if !near(a.corrected.Min(), 5*time.Millisecond) || !near(a.corrected.Max(), 5*time.Millisecond) || a.late != 0 {
		t.Fatalf("corrected %d..%dµs, late %d: want 5ms each, none late", a.corrected.Min(), a.corrected.Max(), a.late)
	}
}
