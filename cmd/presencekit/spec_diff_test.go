package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"testing"
)

func TestSpecDiffExitCodes(t *testing.T) {
	t.Parallel()
	tight := specCopy(t, "enum: [0, 1]", "enum: [1]")
	cases := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"same spec", "", []string{"embedded", "embedded"}, exitOK, "0 breaking, 0 non-breaking"},
		{"tightened", "", []string{"embedded", tight}, exitFail, "BREAKING"},
		{"loosened", "", []string{tight, "embedded"}, exitOK, "request enum value 0 added"},
		{"unreadable", "", []string{"embedded", "/nonexistent.yaml"}, exitUsage, ""},
		{"not a spec", "not: [an, openapi", []string{"-", "embedded"}, exitUsage, ""},
		{"two stdins", "", []string{"-", "-"}, exitUsage, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := execute(t, c.stdin, append([]string{"spec", "diff"}, c.args...)...)
			if r.code != c.code || !strings.Contains(r.stdout, c.want) {
				t.Errorf("want exit %d and %q:\n%s", c.code, c.want, r)
			}
		})
	}
	r := execute(t, "", "spec", "diff", "--json", "embedded", tight)
	var rep diffReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Breaking != 1 || len(rep.Changes) != 1 || rep.Changes[0].Location == "" {
		t.Errorf("--json: %v\n%s", err, r)
	}
}

func TestProxyCommand(t *testing.T) {
	if r := execute(t, "", "proxy"); r.code != exitUsage || !strings.Contains(r.stderr, "--target") {
		t.Errorf("proxy without --target:\n%s", r)
	}
	if r := execute(t, "", "proxy", "--target", "http://127.0.0.1:1", "--mode", "loud"); r.code != exitUsage {
		t.Errorf("proxy --mode loud:\n%s", r)
	}
	// A proxy whose context ends shuts down cleanly and says what it saw.
	// It listens on a port of its choosing (no port freed and reused) and
	// is stopped once it says where it listens.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &cancelOnWrite{cancel: cancel, when: "listening on http://"}
	var errOut strings.Builder
	code := run(ctx, []string{"proxy", "--listen", "127.0.0.1:0", "--target", "http://127.0.0.1:1"}, strings.NewReader(""), out, &errOut)
	if code != exitOK || !regexp.MustCompile(`listening on http://127\.0\.0\.1:[1-9][0-9]* `).MatchString(out.String()) ||
		!strings.Contains(out.String(), "0 requests") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
}

// cancelOnWrite is a command's stdout that calls cancel once the output
// holds when: the test stops a server as soon as it is up, not after a
// guessed delay.
type cancelOnWrite struct {
	mu     sync.Mutex
	b      strings.Builder
	when   string
	cancel func()
}

func (w *cancelOnWrite) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.b.Write(p)
	if strings.Contains(w.b.String(), w.when) {
		w.cancel()
	}
	return n, err
}

func (w *cancelOnWrite) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
