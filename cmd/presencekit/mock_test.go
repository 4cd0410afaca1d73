package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/pflag"
)

// lineWriter collects output and hands the first line matching re to a
// channel, so a test can wait for the mock's listen address.
type lineWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	re   *regexp.Regexp
	once sync.Once
	addr chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if m := w.re.FindStringSubmatch(w.buf.String()); m != nil {
		w.once.Do(func() { w.addr <- m[1] })
	}
	return len(p), nil
}

// serveMockCmd runs "presencekit mock args…" on a free loopback port until
// stop is called; stop returns the exit code.
func serveMockCmd(t *testing.T, args ...string) (base string, stop func() int) {
	t.Helper()
	out := &lineWriter{re: regexp.MustCompile(`listening on (http://\S+)`), addr: make(chan string, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, append([]string{"mock", "--listen", "127.0.0.1:0", "--log-level", "error"}, args...),
			strings.NewReader(""), out, io.Discard)
	}()
	select {
	case base = <-out.addr:
	case c := <-code:
		cancel()
		t.Fatalf("mock %v exited %d before listening: %s", args, c, out.buf.String())
	}
	return base, func() int { cancel(); return <-code }
}

func httpGet(t *testing.T, url, token string) int {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	return res.StatusCode
}

// wellKnownAdmin is the admin token the README's example passes (and the
// embedded mock's once was): it must open nothing it was not given to.
const wellKnownAdmin = "presencekit-admin"

// TestMockAdminOffByDefault: without --admin-token the admin API is off —
// the well-known default token opens nothing — while GET /_mock/clock
// answers without any token; with --admin-token it is on.
func TestMockAdminOffByDefault(t *testing.T) {
	base, stop := serveMockCmd(t)
	if st := httpGet(t, base+"/_mock/state", wellKnownAdmin); st != http.StatusNotFound {
		t.Errorf("admin API with the well-known token and no --admin-token: %d, want 404", st)
	}
	if st := httpGet(t, base+"/_mock/clock", ""); st != http.StatusOK {
		t.Errorf("GET /_mock/clock without a token: %d, want 200", st)
	}
	if c := stop(); c != exitOK {
		t.Errorf("graceful stop: exit %d", c)
	}

	base, stop = serveMockCmd(t, "--admin-token", "s3cret")
	if st := httpGet(t, base+"/_mock/state", "s3cret"); st != http.StatusOK {
		t.Errorf("admin API with --admin-token: %d", st)
	}
	if st := httpGet(t, base+"/_mock/state", wellKnownAdmin); st != http.StatusUnauthorized {
		t.Errorf("admin API with another token: %d, want 401", st)
	}
	stop()
}

// TestMockLatencyASCII: --latency accepts 5ms+-2ms as well as 5ms±2ms.
func TestMockLatencyASCII(t *testing.T) {
	for _, v := range []string{"5ms+-2ms", "5ms±2ms"} {
		_, stop := serveMockCmd(t, "--latency", v)
		if c := stop(); c != exitOK {
			t.Errorf("--latency %s: exit %d", v, c)
		}
	}
}

func TestMockExitCodes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"--listen", "bogus"}, "presencekit: --listen"},
		{[]string{"--max-body", "-1"}, "presencekit: --max-body -1: must be at least 1"},
		{[]string{"--max-subscriptions", "-5"}, "presencekit: --max-subscriptions -5: must be at least 1"},
		{[]string{"--max-tokens", "0"}, "presencekit: --max-tokens 0: must be at least 1"},
		{[]string{"--latency", "5ms~2ms"}, "presencekit: --latency"},
		{[]string{"--clock", "sundial"}, "presencekit: --clock"},
		{[]string{"--break", "NO-SUCH-RULE"}, "presencekit: "},
		{[]string{"extra"}, "presencekit: "},
	} {
		r := execute(t, "", append([]string{"mock"}, tc.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.err) {
			t.Errorf("mock %s: want exit 2 and %q, got\n%s", strings.Join(tc.args, " "), tc.err, r)
		}
	}
}

func TestMockHelp(t *testing.T) {
	r := execute(t, "", "mock", "--help")
	for _, want := range []string{"Examples:", "Exit codes:", "5ms+-2ms", "--admin-token", "--max-tokens", "GET /_mock/clock"} {
		if r.code != exitOK || !strings.Contains(r.stdout, want) {
			t.Errorf("mock --help lacks %q:\n%s", want, r)
		}
	}
	if strings.Contains(r.stdout, wellKnownAdmin) {
		t.Errorf("mock --help shows a default admin token")
	}
}

// TestMockDocsNameEveryFlag keeps docs/mock.md true to the command: every
// flag of presencekit mock is documented there.
func TestMockDocsNameEveryFlag(t *testing.T) {
	doc, err := os.ReadFile("../../docs/mock.md")
	if err != nil {
		t.Fatal(err)
	}
	newMockCmd().Flags().VisitAll(func(f *pflag.Flag) {
		if !strings.Contains(string(doc), "`--"+f.Name+"`") {
			t.Errorf("docs/mock.md does not document --%s", f.Name)
		}
	})
}
