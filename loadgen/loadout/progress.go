package loadout

import (
	"fmt"
	"github.com/presencekit/presencekit/loadgen"
	"io"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// Progress shows a run while it goes: live mpb bars on a terminal (elapsed
// of the duration, requests, rate against the target, errors, live p99),
// and one plain line per interval anywhere else, so CI logs carry no
// escape codes. Pass Update as Config.OnInterval; Close when Run returns.
type Progress struct {
	w    io.Writer
	tty  bool
	mu   sync.Mutex
	last loadgen.Snapshot
	p    *mpb.Progress
	bar  *mpb.Bar
	byN  bool // the bar counts requests, not time
}

// NewProgress returns a progress display writing to w; tty selects bars
// (the caller decides, e.g. with golang.org/x/term's IsTerminal). bound and
// requests are the run's limits, for the bar's length.
func NewProgress(w io.Writer, tty bool, bound time.Duration, requests uint64) *Progress {
	pr := &Progress{w: w, tty: tty}
	if !tty {
		return pr
	}
	total := int64(bound / time.Millisecond)
	if bound <= 0 && requests > 0 {
		total, pr.byN = int64(requests), true
	}
	pr.p = mpb.New(mpb.WithOutput(w), mpb.WithWidth(32), mpb.WithRefreshRate(250*time.Millisecond))
	pr.bar = pr.p.AddBar(max(total, 1),
		mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return pr.head() }, decor.WCSyncSpaceR)),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return pr.tail() })),
	)
	return pr
}

func (pr *Progress) head() string {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	s := pr.last
	if s.Bound > 0 {
		return fmt.Sprintf("%s / %s", s.Elapsed.Round(time.Second), s.Bound)
	}
	return s.Elapsed.Round(time.Second).String()
}

func (pr *Progress) tail() string {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return pr.line(pr.last)
}

// line is the shared text of a bar's tail and a plain progress line.
func (pr *Progress) line(s loadgen.Snapshot) string {
	req := fmt.Sprintf("req %d", s.Done)
	if s.Requests > 0 {
		req += fmt.Sprintf("/%d", s.Requests)
	}
	rate := fmt.Sprintf("rate %.0f/s", s.Rate)
	if s.Target > 0 {
		rate += fmt.Sprintf(" (target %.0f/s)", s.Target)
	}
	line := fmt.Sprintf("%s  %s  errors %d  late %d  p99 %s", req, rate, s.Errors, s.Late, loadgen.FormatDuration(s.P99))
	if s.Verify {
		line += fmt.Sprintf("  violations %d", s.Violations)
	}
	return line
}

// Update takes a snapshot: it moves the bar, or prints a plain line.
func (pr *Progress) Update(s loadgen.Snapshot) {
	pr.mu.Lock()
	pr.last = s
	pr.mu.Unlock()
	if !pr.tty {
		bound := ""
		if s.Bound > 0 {
			bound = "/" + s.Bound.String()
		}
		fmt.Fprintf(pr.w, "[%s%s] %s\n", s.Elapsed.Round(time.Millisecond), bound, pr.line(s))
		return
	}
	if pr.byN {
		pr.bar.SetCurrent(int64(s.Done))
	} else {
		pr.bar.SetCurrent(int64(s.Elapsed / time.Millisecond))
	}
}

// Close completes the bar and waits for its last render.
func (pr *Progress) Close() {
	if pr.p == nil {
		return
	}
	pr.bar.SetTotal(-1, true)
	pr.p.Wait()
}
