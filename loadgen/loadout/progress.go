package loadout

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/vbauerster/cupwriter"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/presencekit/presencekit/loadgen"
)

// Progress shows a run while it goes: live mpb bars on a terminal (the
// setup phase's requests, then elapsed of the duration or requests of the
// count, rate against the target, errors, live p99), and one plain line
// per interval tick anywhere else, so CI logs carry no escape codes. Pass
// Update as Config.OnInterval; when Run returns, Close after a run that
// completed, Abort after one that was interrupted or failed.
type Progress struct {
	w    io.Writer
	term *os.File // the terminal w ends on; nil off a terminal
	tty  bool
	opts []mpb.ContainerOption

	// mu guards last, which decorators read from mpb's goroutines; barMu
	// the bars, and is never taken by a decorator: mpb's calls wait on
	// the goroutine that runs the decorators.
	mu         sync.Mutex
	last       loadgen.Snapshot
	barMu      sync.Mutex
	p          *mpb.Progress
	setup, bar *mpb.Bar
	byN        bool // the bar counts requests, not time
}

// NewProgress returns a progress display writing to w. term is the
// terminal w ends on (w may wrap it, e.g. to mask secrets), for bars of
// its width; nil (the caller decides, e.g. with golang.org/x/term's
// IsTerminal) prints plain lines.
func NewProgress(w io.Writer, term *os.File) *Progress {
	pr := newProgress(w, term != nil, mpb.WithRefreshRate(250*time.Millisecond))
	pr.term = term
	return pr
}

// newProgress takes mpb options beyond the defaults: tests draw bars into
// a buffer and refresh by hand.
func newProgress(w io.Writer, tty bool, opts ...mpb.ContainerOption) *Progress {
	return &Progress{w: w, tty: tty, opts: opts}
}

// barWidth is the bar's own width; the line is the terminal's.
const barWidth = 32

// Update takes a snapshot: it moves a bar, or prints a plain line.
func (pr *Progress) Update(s loadgen.Snapshot) {
	pr.mu.Lock()
	pr.last = s
	pr.mu.Unlock()
	pr.barMu.Lock()
	defer pr.barMu.Unlock()
	if !pr.tty {
		if l := plainLine(s); l != "" {
			fmt.Fprintln(pr.w, l)
		}
		return
	}
	if s.Setup {
		if pr.setup == nil {
			pr.setup = pr.container().AddBar(max(int64(s.Requests), 1), mpb.BarWidth(barWidth),
				mpb.PrependDecorators(decor.Name("setup", decor.WCSyncSpaceR)),
				mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return pr.setupTail() })))
		}
		pr.setup.SetCurrent(int64(s.Done))
		return
	}
	if pr.bar == nil {
		if pr.setup != nil {
			pr.setup.SetTotal(-1, true) // the measured phase began: setup is done
		}
		total := int64(s.Bound / time.Millisecond)
		if s.Bound <= 0 && s.Requests > 0 {
			total, pr.byN = int64(s.Requests), true
		}
		pr.bar = pr.container().AddBar(max(total, 1), mpb.BarWidth(barWidth),
			mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return pr.head() }, decor.WCSyncSpaceR)),
			mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return pr.tail() })),
		)
	}
	if pr.byN {
		pr.bar.SetCurrent(int64(s.Done))
	} else {
		pr.bar.SetCurrent(int64(s.Elapsed / time.Millisecond))
	}
}

// container starts mpb on the first bar. Its output starts every frame
// with a carriage return: a "^C" the terminal echoed would otherwise shift
// the redraw two columns and garble the last line. The terminal's size
// comes from term, as w may be a wrapper.
func (pr *Progress) container() *mpb.Progress {
	if pr.p == nil {
		cw := cupwriter.New(crWriter{pr.w}, true)
		opts := []mpb.ContainerOption{mpb.WithConsoleWriter(cw)}
		if pr.term != nil {
			cw.SetTermFd(int(pr.term.Fd()))
			if w, _, err := cw.GetTermSize(); err != nil || w <= 0 {
				// A terminal of no known width (a bare pty) would get empty
				// lines: draw at mpb's default width instead.
				cw = cupwriter.New(crWriter{pr.w}, true)
				opts = []mpb.ContainerOption{mpb.WithConsoleWriter(cw), mpb.WithAutoRefresh()}
			}
		}
		pr.p = mpb.New(append(opts, pr.opts...)...)
	}
	return pr.p
}

// Close ends a completed run: its bar fills (the bound was reached) and
// the last render is waited for.
func (pr *Progress) Close() {
	pr.barMu.Lock()
	if pr.bar != nil {
		pr.bar.SetTotal(-1, true)
	}
	pr.barMu.Unlock()
	pr.abort()
}

// Abort ends an interrupted or failed run: the bars stay where the run
// got to, with the real counts, instead of jumping to 100%.
func (pr *Progress) Abort() { pr.abort() }

func (pr *Progress) abort() {
	pr.barMu.Lock()
	p := pr.p
	for _, b := range []*mpb.Bar{pr.setup, pr.bar} {
		if b != nil {
			b.Abort(false) // no-op on a completed bar
		}
	}
	pr.barMu.Unlock()
	if p != nil {
		p.Wait()
	}
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
	return line(pr.last)
}

func (pr *Progress) setupTail() string {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	s := pr.last
	if !s.Setup {
		return "done"
	}
	return fmt.Sprintf("%d/%d requests (subscription graph, not measured)", s.Done, s.Requests)
}

// plainLine is the text printed for a snapshot off a terminal: on whole
// interval ticks ("[2s/30s]"), at the end ("[end 29.998s/30s]") and the
// setup phase's start, ticks and end.
func plainLine(s loadgen.Snapshot) string {
	if s.Setup {
		switch {
		case s.Final:
			return fmt.Sprintf("[setup] done: %d/%d requests in %s", s.Done, s.Requests, loadgen.FormatDuration(s.Elapsed))
		case s.At == 0:
			return fmt.Sprintf("[setup] building the subscription graph: %d requests before the measured phase", s.Requests)
		}
		return fmt.Sprintf("[setup %s] %d/%d requests", s.At, s.Done, s.Requests)
	}
	bound := ""
	if s.Bound > 0 {
		bound = "/" + s.Bound.String()
	}
	if s.Final {
		return fmt.Sprintf("[end %s%s] %s", s.Elapsed.Round(time.Millisecond), bound, line(s))
	}
	return fmt.Sprintf("[%s%s] %s", s.At, bound, line(s))
}

// line is the shared text of a bar's tail and a plain progress line.
func line(s loadgen.Snapshot) string {
	req := fmt.Sprintf("req %d", s.Done)
	if s.Requests > 0 {
		req += fmt.Sprintf("/%d", s.Requests)
	}
	rate := fmt.Sprintf("rate %.0f/s", s.Rate)
	if s.Target > 0 {
		rate += fmt.Sprintf(" (target %.0f/s)", s.Target)
	}
	l := fmt.Sprintf("%s  %s  errors %d  late %d  p99 %s", req, rate, s.Errors, s.Late, loadgen.FormatDuration(s.P99))
	if s.Verify {
		l += fmt.Sprintf("  violations %d", s.Violations)
	}
	return l
}

// crWriter starts each write, which mpb makes one frame, at column 0.
type crWriter struct{ w io.Writer }

func (c crWriter) Write(p []byte) (int, error) {
	if _, err := c.w.Write(append([]byte{'\r'}, p...)); err != nil {
		return 0, err
	}
	return len(p), nil
}
