// Package childtest builds the test package being run a second time,
// without the race detector, for the child processes of end-to-end tests.
//
// Several tests run the whole conformance suite, a load run or a mock in a
// child process (Ginkgo runs one suite per process; a CLI's exit code is a
// process's). Under -race each such child costs four to five times the
// CPU, and `make test` is CPU-bound on two cores. The children check the
// logic; the race detector covers the same code in the packages' own -race
// tests. A child built here is the same test package (so its TestMain and
// child entry points are there), compiled once per test process; go's
// build cache makes the rebuild mostly a link.
package childtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// Binary is the current test package built without -race. The zero value
// is ready; a test package keeps one in a variable and calls Remove from
// its TestMain after m.Run.
type Binary struct {
	once sync.Once
	mu   sync.Mutex
	dir  string
	path string
	err  error
}

// Path builds the binary on the first call and returns its path. When no
// go command is on PATH (go test puts its own first, so this is a test
// binary run by hand), it returns this very binary, race detector or not.
func (b *Binary) Path() (string, error) {
	b.once.Do(func() {
		goCmd, err := exec.LookPath("go")
		if err != nil {
			b.path = os.Args[0]
			return
		}
		dir, err := os.MkdirTemp("", "presencekit-child-")
		if err != nil {
			b.err = fmt.Errorf("childtest: %w", err)
			return
		}
		b.mu.Lock()
		b.dir = dir
		b.mu.Unlock()
		bin := filepath.Join(dir, filepath.Base(os.Args[0]))
		// The test binary runs in its package's directory: "." is the
		// package under test.
		out, err := exec.Command(goCmd, "test", "-c", "-vet=off", "-o", bin, ".").CombinedOutput()
		if err != nil {
			b.err = fmt.Errorf("childtest: building the child: %w: %s", err, LastLines(string(out), 8))
			return
		}
		b.path = bin
	})
	return b.path, b.err
}

// OneProc is appended to the Env of a child whose work is one sequence
// of exchanges (a conformance suite's run): one P. On the two-core
// machines make test runs on, a Go process with several busy threads pays
// for the scheduler's spinning and for flushing the other CPU's TLB each
// time its memory map changes: a suite run through the proxy took 0.50 s
// of CPU at GOMAXPROCS=4 and 0.31 s at 1 (ten runs each). Not for a child that serves load: a race
// break mode shows only when the server works on requests side by side.
const OneProc = "GOMAXPROCS=1"

// OneP puts the calling test process on one P; a TestMain calls it
// before m.Run. Under the race detector the cost of OneProc's threads
// multiplies, the shadow memory being mapped as the heap grows: go test
// -race ./loadgen alone took 50 s of CPU at GOMAXPROCS=4, 22 s at 1. The
// tests still overlap their waits (-test.parallel was set from the
// environment's GOMAXPROCS before TestMain), and the race detector judges
// happens-before, not timing: interleaved goroutines are checked alike.
// The children of such a process keep the environment's GOMAXPROCS
// unless given OneProc.
func OneP() { runtime.GOMAXPROCS(1) }

// Command is the child run with args: Path's binary, killed when ctx is
// done, with this process's environment and, unless set there, GOGC=400.
// A child lives for a few seconds and holds little: collecting less often
// takes a fifth off its CPU for a few more megabytes. Callers append their
// own variables to Env.
func (b *Binary) Command(ctx context.Context, args ...string) (*exec.Cmd, error) {
	bin, err := b.Path()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = os.Environ()
	if _, set := os.LookupEnv("GOGC"); !set {
		cmd.Env = append(cmd.Env, "GOGC=400")
	}
	return cmd, nil
}

// Remove deletes the built binary, if any.
func (b *Binary) Remove() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dir != "" {
		_ = os.RemoveAll(b.dir)
		b.dir = ""
	}
}

// LastLines is the last n lines of a child's output on one line, joined
// by " | ": enough to say why a child failed in one test message.
func LastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// Serve starts cmd, a child that serves something and prints a line
// beginning with prefix and then its address, and returns that address;
// the child's further output is discarded. At the end of the test, stop
// ends the child (after closing its stdin, say, or signalling it) and
// waits for it; an error it returns fails the test.
func Serve(tb testing.TB, cmd *exec.Cmd, prefix string, stop func() error) string {
	tb.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := stop(); err != nil {
			tb.Errorf("%s: %v", cmd.Path, err)
		}
	})
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if addr, ok := strings.CutPrefix(sc.Text(), prefix); ok {
			go func() { _, _ = io.Copy(io.Discard, out) }()
			return addr
		}
	}
	tb.Fatalf("%s printed no line %q…: %v", cmd.Path, prefix, sc.Err())
	return ""
}
