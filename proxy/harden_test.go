package proxy_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/presencekit/presencekit/proxy"
	"github.com/presencekit/presencekit/spec"
)

// countingTarget answers every request 200 with body (default
// {"result":"ok"}) and counts them.
func countingTarget(t *testing.T, body ...string) (string, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		answer := `{"result":"ok"}`
		if len(body) > 0 {
			answer = body[0]
		}
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(ts.Close)
	return ts.URL, &hits
}

// sendRaw sends a request whose path goes on the wire exactly as written.
func sendRaw(t *testing.T, method, front, rawPath, body string, header http.Header) answer {
	t.Helper()
	req, err := http.NewRequest(method, front, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.URL.Opaque = rawPath
	req.Header.Set("Authorization", apiToken)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, data}
}

// TestEncodedPathsJudged is the regression test of the enforce-mode
// bypass: 101 usernames to a path whose literal words are %-escaped were
// "unrouted", forwarded unjudged and served. Now they are judged as the
// server routes them, and paths servers may route differently are refused.
func TestEncodedPathsJudged(t *testing.T) {
	doc := loadDoc(t)
	users101 := `{"usernames":[` + strings.Repeat(`"x",`, 100) + `"x"]}`
	cases := []struct {
		method, path, body string
		status             int
		rule               spec.RuleID
	}{
		{"POST", base + "/users/u1/%70resence/100", users101, 400, spec.RuleSubLimitUsers},
		{"POST", base + "/%75sers/u1/presence/100", users101, 400, spec.RuleSubLimitUsers},
		{"POST", base + "/users/u1/presenc%65", users101, 400, spec.RuleGetLimitUsers},
		{"DELETE", base + "/users/u1/presenc%65", strings.Replace(users101, "usernames", "users", 1), 400, spec.RuleUnsubLimitUsers},
		{"POST", base + "/%74oken", `{"grant_type":"password","client_id":"a","client_secret":"b"}`, 400, proxy.RuleSchemaRequest},
		{"GET", base + "/users/u1/presence/%73ublist?pageSize=501", "", 400, spec.RuleSublistPagesizeRange},
		{"GET", base + "/presence/online/g/%74ype/7", "", 400, spec.RuleGroupQueryType},
		{"POST", base + "/users/u1/%70resence/android/1", `{"ext":"` + strings.Repeat("e", 1025) + `"}`, 400, spec.RuleSetExtMax},
		{"POST", base + "/users/u1/presence%2F100", users101, 400, proxy.RuleUnjudged},
		{"POST", base + "/users/u1/presence/./100", users101, 400, proxy.RuleUnjudged},
		{"POST", base + "/users/u1/presence%00", users101, 400, proxy.RuleUnjudged},
		{"POST", base + "/users/u1/PRESENCE", users101, 400, proxy.RuleUnjudged},
		{"GET", base + "/users/u1/presence/sublist?pageSize=1&pageSize=501", "", 400, proxy.RuleUnjudged},
		{"GET", base + "/users/u1/presence/sublist?pageSize=1&PageSize=501", "", 400, proxy.RuleUnjudged},
		{"GET", base + "/users/u1/presence/sublist?pageSize=501;pageNum=1", "", 400, proxy.RuleUnjudged},
	}
	target, hits := countingTarget(t)
	front, px := startProxy(t, target, doc, proxy.WithMode(proxy.ModeEnforce))
	for _, c := range cases {
		path, query, _ := strings.Cut(c.path, "?")
		raw := path
		if query != "" {
			raw += "?" + query
		}
		ans := sendRaw(t, c.method, front, raw, c.body, nil)
		if ans.status != c.status || ans.header.Get(proxy.HeaderViolation) != string(c.rule) {
			t.Errorf("%s %s: %d %q, want %d %q (%s)", c.method, c.path, ans.status, ans.header.Get(proxy.HeaderViolation), c.status, c.rule, ans.body)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the target was asked %d times, want never", n)
	}
	// Report mode records what enforce mode refuses.
	rfront, rpx := startProxy(t, target, doc)
	for _, c := range cases {
		sendRaw(t, c.method, rfront, c.path, c.body, nil)
	}
	if err := rpx.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st := rpx.Snapshot().Stats; st.RequestViolations != int64(len(cases)) {
		t.Errorf("report mode recorded %d request violations, want %d", st.RequestViolations, len(cases))
	}
	_ = px
}

// TestFailOpen: with WithFailOpen an ambiguous path is forwarded, and
// recorded all the same.
func TestFailOpen(t *testing.T) {
	doc := loadDoc(t)
	target, hits := countingTarget(t)
	front, px := startProxy(t, target, doc, proxy.WithMode(proxy.ModeEnforce), proxy.WithFailOpen())
	ans := sendRaw(t, "POST", front, base+"/users/u1/presence/", `{"usernames":["a"]}`, nil)
	if ans.status != 200 || hits.Load() != 1 {
		t.Errorf("status %d, target asked %d times: want forwarded", ans.status, hits.Load())
	}
	if st := px.Snapshot().Stats; st.RequestViolations != 1 || st.Blocked != 0 {
		t.Errorf("stats %+v: want the unjudged request recorded, nothing blocked", st)
	}
}

// TestBigBodyStillJudged is the regression test of the fail-open on big
// bodies: a body over --max-body was forwarded unchecked, and the path and
// query with it (expiry 99999999 passed). Now the URL is judged whatever
// the body, and enforce mode refuses the body it cannot judge with 413.
func TestBigBodyStillJudged(t *testing.T) {
	doc := loadDoc(t)
	big := `{"usernames":["` + strings.Repeat("a", 600) + `"]}`
	cases := []struct {
		name, path string
		opts       []proxy.Option
		status     int
		rule       spec.RuleID
		hit        bool
	}{
		{"expiry over the limit, enforce", "/users/u/presence/99999999", []proxy.Option{proxy.WithMode(proxy.ModeEnforce)}, 400, spec.RuleSubExpiryMax, false},
		{"expiry over the limit, fail-open", "/users/u/presence/99999999", []proxy.Option{proxy.WithMode(proxy.ModeEnforce), proxy.WithFailOpen()}, 400, spec.RuleSubExpiryMax, false},
		{"valid URL, enforce", "/users/u/presence/100", []proxy.Option{proxy.WithMode(proxy.ModeEnforce)}, 413, proxy.RuleUnjudged, false},
		{"valid URL, fail-open", "/users/u/presence/100", []proxy.Option{proxy.WithMode(proxy.ModeEnforce), proxy.WithFailOpen()}, 200, "", true},
		{"expiry over the limit, report", "/users/u/presence/99999999", nil, 200, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target, hits := countingTarget(t, `{"result":[]}`)
			front, px := startProxy(t, target, doc, append(c.opts, proxy.WithMaxBody(256))...)
			ans := send(t, http.MethodPost, front+base+c.path, big, nil)
			if ans.status != c.status || ans.header.Get(proxy.HeaderViolation) != string(c.rule) || (hits.Load() > 0) != c.hit {
				t.Errorf("%d %q, target asked %d: want %d %q asked %v (%s)", ans.status, ans.header.Get(proxy.HeaderViolation), hits.Load(), c.status, c.rule, c.hit, ans.body)
			}
			if c.status == 413 {
				if env := checkEnvelope(t, ans.body); env.Error != "request_entity_too_large" {
					t.Errorf("envelope %+v", env)
				}
			}
			if err := px.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
			if st := px.Snapshot().Stats; st.RequestViolations != 1 {
				t.Errorf("recorded %d request violations, want 1", st.RequestViolations)
			}
		})
	}
}

// TestDeepNestingRefused: a body nested deeper than spec.MaxJSONDepth is
// answered 400 json_parse in the envelope, in enforce mode before the
// target sees it, and recorded in report mode.
func TestDeepNestingRefused(t *testing.T) {
	doc := loadDoc(t)
	deep := strings.Repeat("[", 9999) + strings.Repeat("]", 9999)
	target, hits := countingTarget(t)
	front, _ := startProxy(t, target, doc, proxy.WithMode(proxy.ModeEnforce))
	ans := send(t, http.MethodDelete, front+base+"/users/u/presence", deep, nil)
	if ans.status != 400 || ans.header.Get(proxy.HeaderViolation) != string(spec.RuleErrJSONParse) || hits.Load() != 0 {
		t.Fatalf("%d %s, target asked %d", ans.status, ans.body, hits.Load())
	}
	if env := checkEnvelope(t, ans.body); env.Error != "json_parse" {
		t.Errorf("envelope %+v, want json_parse", env)
	}
	rfront, rpx := startProxy(t, target, doc)
	send(t, http.MethodDelete, rfront+base+"/users/u/presence", deep, nil)
	if err := rpx.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, g := range rpx.Snapshot().Groups {
		found = found || (g.Rule == spec.RuleErrJSONParse && g.Direction == spec.Request)
	}
	if !found {
		t.Errorf("report mode recorded %+v, want the request's ERR-JSON-PARSE", rpx.Snapshot().Groups)
	}
}

// TestHeaderTooLarge is the regression test of the false server violation:
// a client's 1 MB header reached the target, whose 431 the proxy recorded
// as the server's fault and replaced with a 502. The proxy now answers 431
// itself, records nothing and never asks the target.
func TestHeaderTooLarge(t *testing.T) {
	doc := loadDoc(t)
	for _, mode := range []proxy.Mode{proxy.ModeReport, proxy.ModeEnforce} {
		t.Run(string(mode), func(t *testing.T) {
			target, hits := countingTarget(t)
			front, px := startProxy(t, target, doc, proxy.WithMode(mode))
			ans := send(t, http.MethodPost, front+base+"/users/u/presence", `{"usernames":["a"]}`,
				http.Header{"X-Big": {strings.Repeat("h", 1<<20-100)}})
			if ans.status != http.StatusRequestHeaderFieldsTooLarge || hits.Load() != 0 {
				t.Errorf("status %d, target asked %d: want 431, never", ans.status, hits.Load())
			}
			checkEnvelope(t, ans.body)
			if err := px.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
			if st := px.Snapshot().Stats; st.RequestViolations+st.ResponseViolations != 0 || st.HeaderTooLarge != 1 {
				t.Errorf("stats %+v: want no violation, one header too large", st)
			}
		})
	}
}
