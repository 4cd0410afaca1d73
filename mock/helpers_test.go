package mock

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/presencekit/presencekit/spec"
)

// t0 is the virtual clock's start in tests.
var t0 = time.Unix(1_700_000_000, 0)

const testToken = "tok"

var loadDoc = sync.OnceValues(spec.Load)

func testDoc(t testing.TB) *spec.Doc {
	t.Helper()
	d, err := loadDoc()
	if err != nil {
		t.Fatalf("spec.Load: %v", err)
	}
	return d
}

// fakeWall is a settable wall clock for token expiry and faults.
type fakeWall struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeWall) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeWall) Add(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

// newTest builds a server on a virtual clock with the sweeper off; mods
// adjust the Config.
func newTest(t testing.TB, mods ...func(*Config)) *Server {
	t.Helper()
	wall := &fakeWall{t: t0}
	cfg := Config{
		Limits:          testDoc(t).Limits(),
		Tokens:          []string{testToken},
		ClientID:        "cid",
		ClientSecret:    "secret",
		AdminToken:      "admin",
		VirtualClock:    true,
		ClockStart:      t0,
		Now:             wall.Now,
		ReclaimInterval: -1,
	}
	for _, m := range mods {
		m(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func withBreak[B ~string](id B) func(*Config) {
	return func(c *Config) { c.Breaks = append(c.Breaks, Break(id)) }
}

// resp is an answer as a test sees it.
type resp struct {
	Status int
	Header http.Header
	Body   string
}

// JSON decodes the body into a generic value.
func (r resp) JSON(t testing.TB) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(r.Body), &v); err != nil {
		t.Fatalf("body %q: %v", r.Body, err)
	}
	return v
}

// Code is the error envelope's code.
func (r resp) Code(t testing.TB) string {
	t.Helper()
	c, _ := r.JSON(t)["error"].(string)
	return c
}

// call sends one request with the test token; hdr pairs override headers
// ("Authorization", "" removes it). Every API answer is checked against
// openapi.yaml unless the server breaks SCHEMA-RESPONSE.
func call(t testing.TB, s *Server, method, path, body string, hdr ...string) resp {
	t.Helper()
	var req *http.Request
	if body == "" {
		req = httptest.NewRequest(method, path, nil)
	} else {
		req = httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	r := resp{Status: rec.Code, Header: rec.Header(), Body: rec.Body.String()}
	if r.Status >= 500 && r.Status != 503 {
		t.Errorf("%s %s: status %d: %s", method, path, r.Status, r.Body)
	}
	if !s.brk.schemaResponse {
		checkSchema(t, req, r)
	}
	return r
}

// checkSchema validates an API answer against the spec. Answers the spec
// cannot route (admin, unknown paths, 405/404 from the router) are skipped.
func checkSchema(t testing.TB, req *http.Request, r resp) {
	t.Helper()
	p := req.URL.EscapedPath()
	if strings.HasPrefix(p, "/_mock") || p == "/healthz" || p == "/metrics" {
		return
	}
	d := testDoc(t)
	if _, err := d.Route(req.Method, p); err != nil {
		if !json.Valid([]byte(r.Body)) {
			t.Errorf("%s %s: unroutable answer is not JSON: %s", req.Method, p, r.Body)
		}
		return
	}
	if err := d.ValidateResponse(context.Background(), req, r.Status, r.Header, []byte(r.Body)); err != nil {
		t.Errorf("%s %s → %d %s: spec: %v", req.Method, p, r.Status, r.Body, err)
	}
}

func admin(t testing.TB, s *Server, method, path, body string) resp {
	t.Helper()
	return call(t, s, method, path, body, "Authorization", "Bearer admin")
}

const base = "/org/app"

func set(t testing.TB, s *Server, user, res, st, ext string) resp {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"ext": ext})
	return call(t, s, "POST", base+"/users/"+user+"/presence/"+res+"/"+st, string(b))
}

func names(n ...string) string {
	b, _ := json.Marshal(map[string][]string{"usernames": n})
	return string(b)
}

func subscribe(t testing.TB, s *Server, user string, expiry string, targets ...string) resp {
	t.Helper()
	return call(t, s, "POST", base+"/users/"+user+"/presence/"+expiry, names(targets...))
}

func get(t testing.TB, s *Server, user string, targets ...string) resp {
	t.Helper()
	return call(t, s, "POST", base+"/users/"+user+"/presence", names(targets...))
}

// sublistPage is a decoded sublist answer.
type sublistPage struct {
	Total string
	UIDs  []string
	Exps  []string
}

func sublist(t testing.TB, s *Server, user, query string) (resp, sublistPage) {
	t.Helper()
	r := call(t, s, "GET", base+"/users/"+user+"/presence/sublist"+query, "")
	var p sublistPage
	if r.Status != 200 {
		return r, p
	}
	var v struct {
		Result struct {
			Totalnum string `json:"totalnum"`
			Sublist  []struct {
				UID    string `json:"uid"`
				Expiry string `json:"expiry"`
			} `json:"sublist"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(r.Body), &v); err != nil {
		t.Fatalf("sublist %q: %v", r.Body, err)
	}
	p.Total = v.Result.Totalnum
	for _, e := range v.Result.Sublist {
		p.UIDs = append(p.UIDs, e.UID)
		p.Exps = append(p.Exps, e.Expiry)
	}
	return r, p
}

// entry is one decoded subscribe/get entry.
type entry struct {
	UID      string            `json:"uid"`
	LastTime string            `json:"last_time"`
	Expiry   string            `json:"expiry"`
	Ext      string            `json:"ext"`
	Status   map[string]string `json:"status"`
}

func entries(t testing.TB, r resp) []entry {
	t.Helper()
	var v struct {
		Result []entry `json:"result"`
	}
	if err := json.Unmarshal([]byte(r.Body), &v); err != nil {
		t.Fatalf("entries %q: %v", r.Body, err)
	}
	return v.Result
}

func many(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%04d", prefix, i)
	}
	return out
}
