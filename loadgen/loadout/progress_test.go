package loadout

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vbauerster/mpb/v8"

	"github.com/presencekit/presencekit/loadgen"
)

// Off a terminal, a line per whole interval tick (whatever the timer's
// jitter in Elapsed), the end labelled as such, and the setup phase's
// start, ticks and end.
func TestPlainProgressOnWholeTicks(t *testing.T) {
	var out bytes.Buffer
	pr := NewProgress(&out, nil)
	for _, s := range []loadgen.Snapshot{
		{Setup: true, Requests: 500},
		{Setup: true, Requests: 500, Done: 120, Elapsed: 1003 * time.Millisecond, At: time.Second},
		{Setup: true, Requests: 500, Done: 500, Elapsed: 1400 * time.Millisecond, Final: true},
		{Bound: 3 * time.Second, Done: 200, Elapsed: 1001700 * time.Microsecond, At: time.Second},
		{Bound: 3 * time.Second, Done: 400, Elapsed: 2004 * time.Millisecond, At: 2 * time.Second},
		{Bound: 3 * time.Second, Done: 598, Elapsed: 2996 * time.Millisecond, Final: true},
	} {
		pr.Update(s)
	}
	pr.Close()
	want := []string{
		"[setup] building the subscription graph: 500 requests before the measured phase",
		"[setup 1s] 120/500 requests",
		"[setup] done: 500/500 requests in 1.4s",
		"[1s/3s] req 200 ",
		"[2s/3s] req 400 ",
		"[end 2.996s/3s] req 598 ",
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want it to start %q", i, lines[i], w)
		}
	}
	if strings.Contains(out.String(), "\x1b") {
		t.Error("plain progress carries escape codes")
	}
}

// syncBuffer is written by mpb's goroutine and read by the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) WriteString(s string) { _, _ = b.Write([]byte(s)) }

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// ttyProgress renders bars into a buffer; render draws a frame and
// returns once it is written: mpb's listener takes a refresh only after
// handing the previous one to the goroutine that renders, and that one
// takes the next only after writing the frame, so the third send waits
// for the first frame.
func ttyProgress(t *testing.T) (pr *Progress, out *syncBuffer, render func()) {
	t.Helper()
	out = &syncBuffer{}
	refresh := make(chan any)
	render = func() {
		for range 3 {
			refresh <- struct{}{}
		}
	}
	return newProgress(out, true, mpb.WithManualRefresh(refresh), mpb.WithWidth(200)), out, render
}

// lastFrame is the text of the last frame mpb wrote, escape codes and
// carriage returns removed.
func lastFrame(out string) string {
	frames := strings.Split(out, "\r")
	f := frames[len(frames)-1]
	if i := strings.LastIndex(f, "\x1b[J"); i >= 0 {
		f = f[i+len("\x1b[J"):]
	}
	return f
}

// On an interrupt the bar stays where the run got to, with the real
// count: no jump to 100%. Every frame starts at column 0, so a "^C" the
// terminal echoed cannot garble it.
func TestTTYProgressAbortShowsRealCount(t *testing.T) {
	pr, out, render := ttyProgress(t)
	pr.Update(loadgen.Snapshot{Bound: 30 * time.Second, Elapsed: 3 * time.Second, At: 3 * time.Second, Done: 1500})
	render()
	out.WriteString("^C") // the terminal's echo of the interrupt
	pr.Update(loadgen.Snapshot{Bound: 30 * time.Second, Elapsed: 3400 * time.Millisecond, Final: true, Done: 1712})
	pr.Abort()
	if !pr.bar.Aborted() || pr.bar.Completed() {
		t.Fatal("the bar was completed, not aborted")
	}
	if cur := pr.bar.Current(); cur != 3400 {
		t.Errorf("bar at %d ms, want the 3400 ms the run got to", cur)
	}
	f := lastFrame(out.String())
	if !strings.Contains(f, "3s / 30s") || !strings.Contains(f, "req 1712") || strings.Contains(f, "^C") {
		t.Errorf("last frame %q: want the real elapsed and count, nothing echoed in it", f)
	}
	for i, w := range strings.SplitAfter(out.String(), "\n") {
		if w != "" && !strings.HasPrefix(strings.TrimPrefix(w, "^C"), "\r") {
			t.Errorf("write %d does not start at column 0: %q", i, w)
		}
	}
}

// A run that completes fills its bar; the setup phase has a bar of its
// own, done when the measured phase begins.
func TestTTYProgressSetupThenRun(t *testing.T) {
	pr, out, render := ttyProgress(t)
	pr.Update(loadgen.Snapshot{Setup: true, Requests: 400})
	render()
	if f := lastFrame(out.String()); !strings.Contains(f, "setup") || !strings.Contains(f, "0/400 requests") {
		t.Errorf("setup frame %q", f)
	}
	pr.Update(loadgen.Snapshot{Setup: true, Requests: 400, Done: 400, Final: true})
	pr.Update(loadgen.Snapshot{Requests: 1000, Done: 1000, Final: true})
	pr.Close()
	if !pr.setup.Completed() || !pr.bar.Completed() {
		t.Fatal("a completed run's bars are not complete")
	}
	if f := lastFrame(out.String()); !strings.Contains(f, "req 1000/1000") || !strings.Contains(f, "done") {
		t.Errorf("last frame %q", f)
	}
}
