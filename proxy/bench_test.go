package proxy_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/presencekit/presencekit/proxy"
)

// getAnswer is a valid answer to a batch get of ten users.
var getAnswer = `{"result":[` + strings.Repeat(`{"uid":"u","last_time":"1644466063","ext":"","status":{"android":"1"}},`, 9) +
	`{"uid":"u","last_time":"1644466063","ext":"","status":{"android":"1"}}]}`

const getBody = `{"usernames":["u","u","u","u","u","u","u","u","u","u"]}`

// benchModes runs a benchmark of one exchange per op in each mode. In
// ModeReport every op ends with Flush, so ns/op is all the proxy does for
// an exchange, the validators' share included (the client waits for less:
// see BenchmarkProxyCriticalPath).
func benchModes(b *testing.B, target string, opts ...proxy.Option) {
	doc := loadDoc(b)
	for _, mode := range []proxy.Mode{proxy.ModeReport, proxy.ModeEnforce} {
		b.Run(string(mode), func(b *testing.B) {
			px, err := proxy.New(target, doc, append(opts, proxy.WithMode(mode))...)
			if err != nil {
				b.Fatal(err)
			}
			defer px.Close()
			b.ReportAllocs()
			cpu := startCPU(b)
			for b.Loop() {
				exchange(b, px)
				if err := px.Flush(b.Context()); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
			if st := px.Stats(); st.RequestViolations+st.ResponseViolations+st.UncheckedBusy != 0 {
				b.Fatalf("stats %+v", st)
			}
		})
	}
}

// cpuClock reports the process's CPU time (user and system, every thread:
// the validators and the garbage collector included) per op as
// cpu-ns/op. ns/op is wall time, which on a busy machine, and in report
// mode with its hand-off to a validator goroutine, is not what an exchange
// costs; cpu-ns/op is.
type cpuClock struct{ start time.Duration }

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU(b *testing.B) cpuClock { return cpuClock{processCPU(b)} }

func (c cpuClock) report(b *testing.B) {
	b.ReportMetric(float64(processCPU(b)-c.start)/float64(b.N), "cpu-ns/op")
}

func exchange(b *testing.B, px *proxy.Proxy) {
	req := httptest.NewRequest(http.MethodPost, "/org/app/users/me/presence", strings.NewReader(getBody))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer t")
	w := httptest.NewRecorder()
	px.ServeHTTP(w, req)
	if w.Code != 200 {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
}

// BenchmarkProxyGet measures the proxy's own cost on a batch get of ten
// users answered by an in-process target: routing, both validations, the
// presence checks, and the reverse-proxy copy.
func BenchmarkProxyGet(b *testing.B) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, getAnswer)
	}))
	defer target.Close()
	benchModes(b, target.URL)
}

// canned is a RoundTripper answering every request with the same body, so a
// benchmark measures the proxy alone, without a network or a target.
type canned struct{ body string }

func (c canned) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(c.body)), ContentLength: int64(len(c.body)), Request: r}, nil
}

// BenchmarkProxyOnly is BenchmarkProxyGet without the network: the proxy's
// CPU per exchange.
func BenchmarkProxyOnly(b *testing.B) {
	benchModes(b, "http://target.invalid", proxy.WithTransport(canned{getAnswer}))
}

// BenchmarkProxyCriticalPath is what a client waits for in ModeReport:
// the exchange forwarded, its copy queued; the validators run on the side
// (with a queue as large as the run, so none is skipped).
func BenchmarkProxyCriticalPath(b *testing.B) {
	doc := loadDoc(b)
	px, err := proxy.New("http://target.invalid", doc, proxy.WithTransport(canned{getAnswer}), proxy.WithValidators(1, 1<<20))
	if err != nil {
		b.Fatal(err)
	}
	defer px.Close()
	b.ReportAllocs()
	for b.Loop() {
		exchange(b, px)
	}
	b.StopTimer()
	if err := px.Flush(b.Context()); err != nil {
		b.Fatal(err)
	}
}

// worstBodies are the requests that cost most per byte (see
// spec.MaxJSONDepth): 10,000-deep nesting, a 100 KB name, 1 MB of spaces.
var worstBodies = []struct{ name, method, path, body string }{
	{"deep nesting", http.MethodDelete, "/org/app/users/me/presence", strings.Repeat("[", 10000) + strings.Repeat("]", 10000)},
	{"100 KB name", http.MethodPost, "/org/app/users/me/presence", `{"usernames":["` + strings.Repeat("n", 100<<10) + `"]}`},
	{"1 MB of spaces", http.MethodPost, "/org/app/users/me/presence", strings.Repeat(" ", 1<<20) + getBody},
}

// BenchmarkProxyWorst measures one worst request through the proxy in
// each mode, judged (in report mode the op includes Flush). In enforce
// mode each is refused before the target; in report mode it is forwarded
// and its refusal recorded.
func BenchmarkProxyWorst(b *testing.B) {
	doc := loadDoc(b)
	for _, w := range worstBodies {
		for _, mode := range []proxy.Mode{proxy.ModeEnforce, proxy.ModeReport} {
			b.Run(w.name+"/"+string(mode), func(b *testing.B) {
				px, err := proxy.New("http://target.invalid", doc, proxy.WithMode(mode), proxy.WithTransport(canned{`{"error":"json_parse","exception":"x","timestamp":1,"duration":0,"error_description":"x"}`}))
				if err != nil {
					b.Fatal(err)
				}
				defer px.Close()
				b.ReportAllocs()
				for b.Loop() {
					req := httptest.NewRequest(w.method, w.path, strings.NewReader(w.body))
					req.Header.Set("Content-Type", "application/json")
					rec := httptest.NewRecorder()
					px.ServeHTTP(rec, req)
					if mode == proxy.ModeEnforce && rec.Code/100 != 4 {
						b.Fatalf("status %d: %s", rec.Code, rec.Body)
					}
					if err := px.Flush(b.Context()); err != nil {
						b.Fatal(err)
					}
				}
				if px.Stats().RequestViolations == 0 {
					b.Fatal("not recorded")
				}
			})
		}
	}
}
