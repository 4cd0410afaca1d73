package proxy_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/presencekit/presencekit/proxy"
)

// gatedSink blocks the validator on its first violation until the test
// opens the gate, and tells the test when it is blocked: a sync point in
// place of sleeps.
type gatedSink struct {
	entered chan struct{}
	gate    chan struct{}
	once    sync.Once
	mu      sync.Mutex
	got     []proxy.Violation
}

func newGatedSink() *gatedSink {
	return &gatedSink{entered: make(chan struct{}), gate: make(chan struct{})}
}

func (g *gatedSink) sink(v proxy.Violation) {
	g.once.Do(func() {
		close(g.entered)
		<-g.gate
	})
	g.mu.Lock()
	g.got = append(g.got, v)
	g.mu.Unlock()
}

func (g *gatedSink) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.got)
}

// wrongUID is a target answering every subscribe with the wrong uid, so each
// exchange is one SUB-ENTRY-PER-USER violation.
func wrongUID(t *testing.T) string {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"result":[{"uid":"zz","last_time":"1","expiry":"`+
			itoa(time.Now().Unix()+60)+`","ext":"","status":{}}]}`)
	}))
	t.Cleanup(target.Close)
	return target.URL
}

func itoa(n int64) string { return jsonf("%d", n) }

// TestReportModeBusy: in report mode the client never waits for a
// validator. With one validator stuck and a queue of one, the third
// exchange is forwarded at once and counted as unchecked (validator busy);
// the two queued ones are judged once the validator is free.
func TestReportModeBusy(t *testing.T) {
	doc := loadDoc(t)
	g := newGatedSink()
	front, px := startProxy(t, wrongUID(t), doc, proxy.WithValidators(1, 1), proxy.WithSink(g.sink))
	subscribe := func() {
		if ans := send(t, http.MethodPost, front+base+"/users/u/presence/60", `{"usernames":["a"]}`, nil); ans.status != 200 {
			t.Fatalf("status %d: %s", ans.status, ans.body)
		}
	}
	subscribe()
	<-g.entered // the validator holds the first exchange
	subscribe() // queued
	subscribe() // the queue is full: forwarded, not judged
	if st := px.Stats(); st.UncheckedBusy != 1 {
		t.Errorf("unchecked_busy %d, want 1", st.UncheckedBusy)
	}
	close(g.gate)
	if err := px.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	st := px.Stats()
	if g.count() != 2 || st.ResponseViolations != 2 || st.UncheckedBusy != 1 || st.Requests != 3 {
		t.Errorf("%d violations logged, stats %+v: want 2 violations and 1 unchecked of 3", g.count(), st)
	}
}

// TestCloseDrains: violations still queued when the proxy is closed are
// judged and recorded before Close returns.
func TestCloseDrains(t *testing.T) {
	doc := loadDoc(t)
	g := newGatedSink()
	px, err := proxy.New(wrongUID(t), doc, proxy.WithValidators(1, 16), proxy.WithSink(g.sink))
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(px)
	for range 5 {
		send(t, http.MethodPost, front.URL+base+"/users/u/presence/60", `{"usernames":["a"]}`, nil)
	}
	front.Close()
	<-g.entered
	closed := make(chan error, 1)
	go func() { closed <- px.Close() }()
	close(g.gate)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if n := g.count(); n != 5 {
		t.Errorf("%d violations recorded by Close, want 5", n)
	}
	if st := px.Stats(); st.UncheckedBusy != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestReportFlushQuery: /_proxy/report?flush=1 waits for the validators.
func TestReportFlushQuery(t *testing.T) {
	doc := loadDoc(t)
	g := newGatedSink()
	front, _ := startProxy(t, wrongUID(t), doc, proxy.WithSink(g.sink))
	send(t, http.MethodPost, front+base+"/users/u/presence/60", `{"usernames":["a"]}`, nil)
	<-g.entered
	type result struct {
		body []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Get(front + proxy.ReportPath + "?flush=1")
		if err != nil {
			done <- result{nil, err}
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		done <- result{body, err}
	}()
	close(g.gate)
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	if !strings.Contains(string(res.body), `"response_violations": 1`) {
		t.Errorf("report after flush: %s", res.body)
	}
}
