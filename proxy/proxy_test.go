package proxy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/presencekit/presencekit/client"
	"go.uber.org/goleak"

	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/mock/mocktest"
	"github.com/presencekit/presencekit/proxy"
	"github.com/presencekit/presencekit/spec"
)

const (
	base     = "/org/app"
	apiToken = "Bearer s3cret-token-never-logged"
)

func loadDoc(t testing.TB) *spec.Doc {
	t.Helper()
	doc, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// startMock serves a (possibly broken) mock (mocktest) and returns its URL.
func startMock(t testing.TB, doc *spec.Doc, breaks ...mock.Break) string {
	t.Helper()
	mc := mock.DefaultConfig(doc.Limits())
	mc.Breaks = breaks
	return mocktest.Start(t, mc).URL
}

// startProxy serves a proxy to target and returns its URL and the proxy.
func startProxy(t testing.TB, target string, doc *spec.Doc, opts ...proxy.Option) (string, *proxy.Proxy) {
	t.Helper()
	px, err := proxy.New(target, doc, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(px)
	t.Cleanup(func() {
		ts.Close()
		_ = px.Close()
	})
	return ts.URL, px
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func send(t testing.TB, method, url, body string, header http.Header) answer {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", apiToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, data}
}

// TestForwardUnchanged pins that the proxy is transparent: what the target
// receives is what the client sent, and the client gets what the target
// answered, byte for byte.
func TestForwardUnchanged(t *testing.T) {
	doc := loadDoc(t)
	type seen struct {
		method, path, query, body, auth, custom string
	}
	got := make(chan seen, 1)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, string(b), r.Header.Get("Authorization"), r.Header.Get("X-Custom")}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Target", "yes")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"result":{"totalnum":"0","sublist":[]}, "extra":  1}`)
	}))
	defer target.Close()
	front, px := startProxy(t, target.URL, doc)
	body := `{"usernames":["a b","c%2Fd"]}`
	ans := send(t, http.MethodGet, front+base+"/users/u%2Fv/presence/sublist?pageSize=5&pageNum=1&x=%20", body,
		http.Header{"X-Custom": {"kept"}})
	s := <-got
	want := seen{http.MethodGet, base + "/users/u%2Fv/presence/sublist", "pageSize=5&pageNum=1&x=%20", body, apiToken, "kept"}
	if s != want {
		t.Errorf("target saw %+v\nwant          %+v", s, want)
	}
	if ans.status != http.StatusOK || ans.header.Get("X-Target") != "yes" || string(ans.body) != `{"result":{"totalnum":"0","sublist":[]}, "extra":  1}` {
		t.Errorf("client got %d %v %s", ans.status, ans.header, ans.body)
	}
	if n := px.Snapshot().Stats.Requests; n != 1 {
		t.Errorf("%d requests counted, want 1", n)
	}
}

// TestEnforce covers what each mode does with violating requests and
// answers, against a target that answers as the case scripts.
func TestEnforce(t *testing.T) {
	doc := loadDoc(t)
	subscribeOK := `{"result":[{"uid":"a","last_time":"1","expiry":"%d","ext":"","status":{}}]}`
	users101 := `{"usernames":[` + strings.Repeat(`"x",`, 100) + `"x"]}`
	cases := []struct {
		name       string
		mode       proxy.Mode
		path, body string
		answer     func(now int64) (int, string) // the target's answer
		wantStatus int
		wantRule   spec.RuleID // in X-Presencekit-Violation and error_description
		wantHit    bool        // the target was asked
	}{
		{"valid exchange passes", proxy.ModeEnforce, "/users/u/presence/60", `{"usernames":["a"]}`,
			func(now int64) (int, string) { return 200, jsonf(subscribeOK, now+60) }, 200, "", true},
		{"request over the limit is blocked", proxy.ModeEnforce, "/users/u/presence/60", users101,
			nil, 400, spec.RuleSubLimitUsers, false},
		{"expiry over the limit is blocked", proxy.ModeEnforce, "/users/u/presence/2592001", `{"usernames":["a"]}`,
			nil, 400, spec.RuleSubExpiryMax, false},
		{"malformed JSON is blocked", proxy.ModeEnforce, "/users/u/presence", `{"usernames":[`,
			nil, 400, spec.RuleErrJSONParse, false},
		{"request over the limit is forwarded in report mode", proxy.ModeReport, "/users/u/presence/60", users101,
			func(int64) (int, string) {
				return 400, `{"error":"illegal_argument","error_description":"too many sub presence"}`
			}, 400, "", true},
		{"schema violation answered 502", proxy.ModeEnforce, "/users/u/presence/60", `{"usernames":["a"]}`,
			func(int64) (int, string) { return 200, `{"result":[{"uid":"a"}]}` }, 502, spec.RuleSchemaResponse, true},
		{"undeclared status answered 502", proxy.ModeEnforce, "/users/u/presence/60", `{"usernames":["a"]}`,
			func(int64) (int, string) { return 418, `{}` }, 502, spec.RuleSchemaResponse, true},
		{"wrong uid answered 502", proxy.ModeEnforce, "/users/u/presence/60", `{"usernames":["b"]}`,
			func(now int64) (int, string) { return 200, jsonf(subscribeOK, now+60) }, 502, spec.RuleSubEntryPerUser, true},
		{"relative expiry answered 502", proxy.ModeEnforce, "/users/u/presence/60", `{"usernames":["a"]}`,
			func(int64) (int, string) { return 200, jsonf(subscribeOK, 60) }, 502, spec.RuleSubExpiryAbsolute, true},
		{"limit accepted answered 502", proxy.ModeReport, "/users/u/presence/60", users101,
			func(now int64) (int, string) { return 200, jsonf(subscribeOK, now+60) }, 200, "", true},
		{"set-status result not ok answered 502", proxy.ModeEnforce, "/users/u/presence/android/1", `{"ext":""}`,
			func(int64) (int, string) { return 200, `{"result":"success"}` }, 502, spec.RuleSetOk, true},
		{"error timestamp in seconds answered 502", proxy.ModeEnforce, "/users/u/presence/android_1/1", `{"ext":""}`,
			func(now int64) (int, string) {
				return 400, jsonf(`{"error":"illegal_argument","timestamp":%d,"error_description":"ext cannot be null"}`, now)
			}, 502, spec.RuleErrEnvelope, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var hit atomic.Bool
			target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hit.Store(true)
				status, body := c.answer(time.Now().Unix())
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				_, _ = io.WriteString(w, body)
			}))
			defer target.Close()
			front, px := startProxy(t, target.URL, doc, proxy.WithMode(c.mode))
			ans := send(t, http.MethodPost, front+base+c.path, c.body, nil)
			if ans.status != c.wantStatus {
				t.Errorf("status %d, want %d (%s)", ans.status, c.wantStatus, ans.body)
			}
			if hit.Load() != c.wantHit {
				t.Errorf("target asked: %v, want %v", hit.Load(), c.wantHit)
			}
			if c.wantRule == "" {
				if ans.header.Get(proxy.HeaderViolation) != "" {
					t.Errorf("a made-up answer where the target's was due: %s", ans.body)
				}
				return
			}
			if got := ans.header.Get(proxy.HeaderViolation); got != string(c.wantRule) {
				t.Errorf("%s: %q, want %q", proxy.HeaderViolation, got, c.wantRule)
			}
			env := checkEnvelope(t, ans.body)
			if !strings.Contains(env.Description, string(c.wantRule)) {
				t.Errorf("error_description %q does not name %s", env.Description, c.wantRule)
			}
			if st := px.Snapshot().Stats; st.Blocked != 1 {
				t.Errorf("blocked %d, want 1", st.Blocked)
			}
		})
	}
}

// checkEnvelope demands the vendor's error envelope with a timestamp in ms.
func checkEnvelope(t *testing.T, body []byte) client.ErrorEnvelope {
	t.Helper()
	var env client.ErrorEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("not the error envelope: %v: %s", err, body)
	}
	now := time.Now().UnixMilli()
	if env.Error == "" || env.Exception == "" || env.Duration.Form != client.FormNumber || env.Timestamp.Value < now-60_000 || env.Timestamp.Value > now+60_000 {
		t.Errorf("envelope incomplete or timestamp not in ms: %s", body)
	}
	return env
}

func jsonf(format string, n int64) string {
	return strings.Replace(format, "%d", strconv.FormatInt(n, 10), 1)
}

// TestOversizedBodies pins that with WithFailOpen bodies over the buffer
// pass through intact and are counted as unchecked and recorded as
// unjudged, not judged.
func TestOversizedBodies(t *testing.T) {
	doc := loadDoc(t)
	big := `{"usernames":["` + strings.Repeat("a", 500) + `"]}`
	bigAnswer := `{"result":[` + strings.Repeat(`{"uid":"`+strings.Repeat("z", 50)+`"},`, 20) + `{"uid":"z"}]}`
	var received atomic.Value
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		received.Store(string(b))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, bigAnswer) // wrong, but too big to be judged
	}))
	defer target.Close()
	front, px := startProxy(t, target.URL, doc, proxy.WithMaxBody(256), proxy.WithMode(proxy.ModeEnforce), proxy.WithFailOpen())
	for _, chunked := range []bool{false, true} {
		var body io.Reader = strings.NewReader(big)
		if chunked {
			body = io.MultiReader(strings.NewReader(big)) // no length known: sent chunked
		}
		req, _ := http.NewRequest(http.MethodPost, front+base+"/users/u/presence", body)
		req.Header.Set("Authorization", apiToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(got) != bigAnswer {
			t.Errorf("chunked=%v: client got %d %.80s…", chunked, resp.StatusCode, got)
		}
		if received.Load() != big {
			t.Errorf("chunked=%v: the target got %d bytes, want the %d sent", chunked, len(received.Load().(string)), len(big))
		}
	}
	st := px.Snapshot().Stats
	if st.UncheckedRequests != 2 || st.UncheckedResponses != 2 || st.RequestViolations != 2 || st.ResponseViolations != 0 {
		t.Errorf("stats %+v: want 2 unchecked requests and answers, 2 unjudged requests recorded", st)
	}
	for _, g := range px.Snapshot().Groups {
		if g.Rule != proxy.RuleUnjudged {
			t.Errorf("recorded %s, want only %s", g.Rule, proxy.RuleUnjudged)
		}
	}
}

// TestTargetDown: an unreachable target is a 502 in the envelope, in both
// modes, counted and not mistaken for a violation.
func TestTargetDown(t *testing.T) {
	doc := loadDoc(t)
	// Nothing listens on port 1 (privileged, unassigned on loopback); a
	// port freed by this test could be taken by another meanwhile.
	dead := "http://127.0.0.1:1"
	for _, mode := range []proxy.Mode{proxy.ModeReport, proxy.ModeEnforce} {
		t.Run(string(mode), func(t *testing.T) {
			front, px := startProxy(t, dead, doc, proxy.WithMode(mode))
			for _, path := range []string{base + "/users/u/presence/sublist", "/healthz"} {
				ans := send(t, http.MethodGet, front+path, "", nil)
				if ans.status != http.StatusBadGateway {
					t.Errorf("%s: status %d, want 502", path, ans.status)
				}
				if env := checkEnvelope(t, ans.body); env.Error != "bad_gateway" || !strings.Contains(env.Description, "did not answer") {
					t.Errorf("%s: envelope %+v", path, env)
				}
			}
			if err := px.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
			if st := px.Snapshot().Stats; st.UpstreamErrors != 2 || st.RequestViolations+st.ResponseViolations != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestNoGoroutineLeak runs traffic of every kind (forwarded, blocked,
// target down) through a proxy, stops everything, and demands that no
// goroutine started since is left (goleak retries while they wind down).
func TestNoGoroutineLeak(t *testing.T) {
	doc := loadDoc(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	m, err := mock.Start(context.Background(), mock.DefaultConfig(doc.Limits()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := m.Stop(); err != nil {
			t.Error(err)
		}
	}()
	for _, mode := range []proxy.Mode{proxy.ModeReport, proxy.ModeEnforce} {
		px, err := proxy.New(m.URL, doc, proxy.WithMode(mode), proxy.WithMaxBody(512))
		if err != nil {
			t.Fatal(err)
		}
		front := httptest.NewServer(px)
		client := &http.Client{Transport: &http.Transport{}}
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Go(func() {
				body := `{"usernames":["a","b"]}`
				switch i % 4 {
				case 1:
					body = `{"usernames":[]}` // violating request
				case 2:
					body = `{"usernames":["` + strings.Repeat("a", 600) + `"]}` // unchecked
				}
				req, _ := http.NewRequest(http.MethodPost, front.URL+base+"/users/u/presence/60", bytes.NewReader([]byte(body)))
				req.Header.Set("Authorization", "Bearer "+mock.DefaultToken)
				req.Header.Set("Content-Type", "application/json")
				if resp, err := client.Do(req); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
		}
		wg.Wait()
		client.CloseIdleConnections()
		front.Close()
		_ = px.Close()
	}
}

// TestNoAcceptEncodingAdded: a request without Accept-Encoding reaches the
// target without one. Go's transport adds "Accept-Encoding: gzip" to such
// a request and inflates the answer itself, which would change what the
// target is asked and what the client gets.
func TestNoAcceptEncodingAdded(t *testing.T) {
	doc := loadDoc(t)
	got := make(chan []string, 1)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Values("Accept-Encoding")
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"result":"ok"}`)
	}))
	defer target.Close()
	for _, mode := range []proxy.Mode{proxy.ModeReport, proxy.ModeEnforce} {
		px, err := proxy.New(target.URL, doc, proxy.WithMode(mode))
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, base+"/users/u/presence/android_1/1", strings.NewReader(`{"ext":"x"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", apiToken)
		w := httptest.NewRecorder()
		px.ServeHTTP(w, req)
		if ae := <-got; len(ae) != 0 || w.Code != http.StatusOK {
			t.Errorf("%s: target saw Accept-Encoding %q (status %d), want none", mode, ae, w.Code)
		}
		_ = px.Close()
	}
}

// TestNoContentTypeAdded: in report mode an answer the target sent without
// a Content-Type reaches the client without one (net/http would otherwise
// sniff one from the body); enforce mode replaces it, as it breaks the
// schema's content type, with a refusal that says why; report mode records
// it. One the target did send passes unchanged in both modes.
func TestNoContentTypeAdded(t *testing.T) {
	doc := loadDoc(t)
	for _, sent := range [][]string{nil, {"application/json"}} {
		target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Content-Type"] = sent
			_, _ = io.WriteString(w, `{"result":"ok"}`)
		}))
		for _, mode := range []proxy.Mode{proxy.ModeReport, proxy.ModeEnforce} {
			var mu sync.Mutex
			var found []proxy.Violation
			px, err := proxy.New(target.URL, doc, proxy.WithMode(mode), proxy.WithSink(func(v proxy.Violation) {
				mu.Lock()
				defer mu.Unlock()
				found = append(found, v)
			}))
			if err != nil {
				t.Fatal(err)
			}
			front := httptest.NewServer(px)
			req, err := http.NewRequest(http.MethodPost, front.URL+base+"/users/u/presence/android_1/1", strings.NewReader(`{"ext":"x"}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", apiToken)
			res, err := front.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
			switch got := res.Header.Values("Content-Type"); {
			case sent == nil && mode == proxy.ModeEnforce:
				if res.Header.Get(proxy.HeaderViolation) == "" {
					t.Errorf("%s: an answer without Content-Type passed unreplaced (status %d, Content-Type %q)", mode, res.StatusCode, got)
				}
			case !slices.Equal(got, sent):
				t.Errorf("%s: target sent Content-Type %q, client got %q", mode, sent, got)
			}
			front.Close()
			_ = px.Close() // judges what is queued
			mu.Lock()
			if recorded := len(found) > 0; recorded != (sent == nil) {
				t.Errorf("%s: target sent Content-Type %q: violations recorded %v", mode, sent, found)
			}
			mu.Unlock()
		}
		target.Close()
	}
}
