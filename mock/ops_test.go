package mock

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/presencekit/presencekit/spec"
)

func token(t testing.TB, s *Server, body string) (resp, string) {
	t.Helper()
	r := call(t, s, "POST", base+"/token", body, "Authorization", "")
	var v struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal([]byte(r.Body), &v)
	return r, v.AccessToken
}

func TestTokenLifecycle(t *testing.T) {
	wall := &fakeWall{t: t0}
	s := newTest(t, func(c *Config) { c.Now = wall.Now })
	r, tok := token(t, s, `{"grant_type":"client_credentials","client_id":"cid","client_secret":"secret","ttl":60}`)
	if r.Status != 200 || tok == "" || !strings.Contains(r.Body, `"expires_in":60`) {
		t.Fatalf("token: %d %s", r.Status, r.Body)
	}
	if r := call(t, s, "POST", base+"/users/a/presence", names("b"), "Authorization", "Bearer "+tok); r.Status != 200 {
		t.Fatalf("issued token refused: %d", r.Status)
	}
	wall.Add(61 * time.Second)
	if r := call(t, s, "POST", base+"/users/a/presence", names("b"), "Authorization", "Bearer "+tok); r.Status != 401 {
		t.Fatalf("expired token: %d", r.Status)
	}
	for _, body := range []string{
		`{"grant_type":"client_credentials","client_id":"cid","client_secret":"nope"}`,
		`{"grant_type":"client_credentials","client_id":"x","client_secret":"secret"}`,
	} {
		if r, _ := token(t, s, body); r.Status != 401 || r.Code(t) != codeUnauthorized {
			t.Errorf("%s: %d %s", body, r.Status, r.Body)
		}
	}
	if r, _ := token(t, s, `{"grant_type":"password","client_id":"cid","client_secret":"secret"}`); r.Status != 400 {
		t.Errorf("grant type: %d", r.Status)
	}
	if r, _ := token(t, s, `{"grant_type":`); r.Status != 400 || r.Code(t) != codeJSONParse {
		t.Errorf("bad json: %d %s", r.Status, r.Body)
	}
}

// TestTokenStoreBounded: issued tokens are capped (the oldest revoked
// first) and expired ones reclaimed; 100k tokens used to stay a year.
func TestTokenStoreBounded(t *testing.T) {
	const capN, issued = 20, 50
	wall := &fakeWall{t: t0}
	s := newTest(t, func(c *Config) { c.Now = wall.Now; c.MaxTokens = capN })
	var toks []string
	for range issued {
		r, tok := token(t, s, `{"grant_type":"client_credentials","client_id":"cid","client_secret":"secret","ttl":60}`)
		if r.Status != 200 {
			t.Fatalf("token: %d %s", r.Status, r.Body)
		}
		toks = append(toks, tok)
	}
	if n := s.auth.issuedCount(); n != capN {
		t.Fatalf("%d issued tokens kept, want the cap %d", n, capN)
	}
	use := func(tok string) int {
		return call(t, s, "POST", base+"/users/a/presence", names("b"), "Authorization", "Bearer "+tok).Status
	}
	if st := use(toks[issued-capN-1]); st != 401 {
		t.Errorf("a token beyond the cap (oldest first) still accepted: %d", st)
	}
	for _, tok := range toks[issued-capN:] {
		if st := use(tok); st != 200 {
			t.Fatalf("one of the %d newest tokens refused: %d", capN, st)
		}
	}
	wall.Add(61 * time.Second)
	s.reclaim()
	if n, o := s.auth.issuedCount(), len(s.auth.order); n != 0 || o != 0 {
		t.Fatalf("after expiry and a sweep: %d tokens, %d in the issue order", n, o)
	}
}

func TestAdminAPI(t *testing.T) {
	s := newTest(t)
	if r := call(t, s, "POST", "/_mock/reset", ""); r.Status != 401 {
		t.Fatalf("admin with API token: %d", r.Status)
	}
	subscribe(t, s, "me", "60", "a")
	r := admin(t, s, "POST", "/_mock/clock", `{"advance":"720h"}`)
	if r.Status != 200 || s.Now().Sub(t0) != 720*time.Hour {
		t.Fatalf("clock: %d %s", r.Status, r.Body)
	}
	if r := admin(t, s, "POST", "/_mock/clock", `{"set":1800000000}`); r.Status != 200 || s.Now().Unix() != 1_800_000_000 {
		t.Fatalf("clock set: %d %s", r.Status, r.Body)
	}
	if r := admin(t, s, "POST", "/_mock/clock", `{"advance":"-1h"}`); r.Status != 400 {
		t.Fatalf("backwards: %d", r.Status)
	}
	if r := admin(t, s, "POST", "/_mock/clock", `{"set":1700000000}`); r.Status != 400 || r.Code(t) != codeIllegalArgument ||
		s.Now().Unix() != 1_800_000_000 {
		t.Fatalf("set backwards: %d %s, clock %d", r.Status, r.Body, s.Now().Unix())
	}
	st := admin(t, s, "GET", "/_mock/state", "")
	if !strings.Contains(st.Body, `"name":"me"`) {
		t.Fatalf("state: %s", st.Body)
	}
	admin(t, s, "POST", "/_mock/reset", "")
	if s.Subscriptions() != 0 || len(s.dump(s.st.load(), "").Users) != 0 {
		t.Fatalf("reset left state")
	}
	if r := admin(t, s, "GET", "/_mock/nothing", ""); r.Status != 404 {
		t.Fatalf("unknown admin route: %d", r.Status)
	}
	real := newTest(t, func(c *Config) { c.VirtualClock = false })
	if r := admin(t, real, "POST", "/_mock/clock", `{"advance":"1h"}`); r.Status != 400 {
		t.Fatalf("moving a real clock: %d", r.Status)
	}
	off := newTest(t, func(c *Config) { c.AdminToken = "" })
	if r := admin(t, off, "GET", "/_mock/state", ""); r.Status != 404 {
		t.Fatalf("disabled admin: %d", r.Status)
	}
}

// TestClockReadableWithoutToken: GET /_mock/clock is read-only and open,
// with or without an admin token configured, so a conformance run against
// a mock finds its virtual clock by itself; moving it still needs the
// token.
func TestClockReadableWithoutToken(t *testing.T) {
	for _, adminTok := range []string{"admin", ""} {
		s := newTest(t, func(c *Config) { c.AdminToken = adminTok })
		r := call(t, s, "GET", "/_mock/clock", "", "Authorization", "")
		var v clockAnswer
		if r.Status != 200 || json.Unmarshal([]byte(r.Body), &v) != nil || !v.Virtual || v.Now != t0.Unix() {
			t.Errorf("admin token %q: GET /_mock/clock without a token: %d %s", adminTok, r.Status, r.Body)
		}
		if r := call(t, s, "POST", "/_mock/clock", `{"advance":"1h"}`, "Authorization", ""); r.Status == 200 {
			t.Errorf("admin token %q: the clock moved without a token", adminTok)
		}
		if r := call(t, s, "GET", "/_mock/state", "", "Authorization", ""); r.Status == 200 {
			t.Errorf("admin token %q: state read without a token", adminTok)
		}
	}
}

func TestHealthAndMetrics(t *testing.T) {
	s := newTest(t)
	get(t, s, "a", "b")
	call(t, s, "POST", base+"/users/a/presence", `{`)
	if r := call(t, s, "GET", "/healthz", ""); r.Status != 200 {
		t.Fatalf("healthz %d", r.Status)
	}
	r := call(t, s, "GET", "/metrics", "")
	for _, want := range []string{
		`presencekit_mock_requests_total{code="200",operation="getPresenceStatus"} 1`,
		`presencekit_mock_requests_total{code="400",operation="getPresenceStatus"} 1`,
		`presencekit_mock_subscriptions 0`,
		`presencekit_mock_request_duration_seconds_count{operation="getPresenceStatus"} 2`,
		// the standard Go and process collectors, on the mock's own registry
		"\ngo_goroutines ",
		"\ngo_memstats_heap_alloc_bytes ",
		"\nprocess_resident_memory_bytes ", // read from /proc: Linux only
	} {
		if strings.HasPrefix(want, "\nprocess_") && runtime.GOOS != "linux" {
			continue
		}
		if !strings.Contains(r.Body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestFaults(t *testing.T) {
	t.Run("error rate", func(t *testing.T) {
		s := newTest(t, func(c *Config) { c.Faults.ErrorRate = 1 })
		if r := get(t, s, "a", "b"); r.Status != 503 || r.Code(t) != codeUnavailable {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if r := call(t, s, "GET", "/healthz", ""); r.Status != 200 {
			t.Fatalf("faults reached healthz")
		}
	})
	t.Run("rate limit", func(t *testing.T) {
		wall := &fakeWall{t: t0}
		s := newTest(t, func(c *Config) { c.Now = wall.Now; c.Faults.RateLimit = 2 })
		codes := []int{get(t, s, "a", "b").Status, get(t, s, "a", "b").Status}
		if codes[0] != 200 || codes[1] != 200 {
			t.Fatalf("codes %v", codes)
		}
		// The vendor's envelope for a throttled request, and when to retry:
		// at 2/s the next token is 0.5 s away, rounded up to 1 s.
		r := get(t, s, "a", "b")
		env := r.JSON(t)
		if r.Status != 429 || env["error"] != "reach_limit" || env["error_description"] != "This request has reached api limit" ||
			r.Header.Get("Retry-After") != "1" {
			t.Fatalf("throttled: %d Retry-After %q %s", r.Status, r.Header.Get("Retry-After"), r.Body)
		}
		if r := call(t, s, "POST", "/other/app/users/a/presence", names("b")); r.Status != 200 {
			t.Fatalf("another app key shares the bucket: %d", r.Status)
		}
		wall.Add(500 * time.Millisecond)
		if r := get(t, s, "a", "b"); r.Status != 200 {
			t.Fatalf("bucket did not refill: %d", r.Status)
		}
		if r := get(t, s, "a", "b"); r.Status != 429 || r.Code(t) != codeReachLimit {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("rate limiters bounded", func(t *testing.T) {
		wall := &fakeWall{t: t0}
		s := newTest(t, func(c *Config) { c.Now = wall.Now; c.Faults.RateLimit = 1000 })
		for i := range 50 {
			if r := call(t, s, "POST", "/org/app"+strconv.Itoa(i)+"/users/a/presence", names("b")); r.Status != 200 {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		}
		if n := len(s.flt.limiters); n != 50 {
			t.Fatalf("%d limiters, want one per app key (50)", n)
		}
		wall.Add(time.Second) // every bucket is full again: idle
		s.reclaim()
		if n := len(s.flt.limiters); n != 0 {
			t.Fatalf("%d idle limiters kept after the sweep", n)
		}
	})
	t.Run("latency and stall", func(t *testing.T) {
		wall := &fakeWall{t: t0}
		s := newTest(t, func(c *Config) {
			c.Now = wall.Now
			c.Faults = Faults{Latency: 5 * time.Millisecond, Jitter: 2 * time.Millisecond, StallFor: time.Second, StallEvery: 30 * time.Second}
		})
		var slept []time.Duration
		s.flt.sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
		s.flt.rand = func() float64 { return 1 }
		get(t, s, "a", "b")
		wall.Add(29500 * time.Millisecond)
		get(t, s, "a", "b")
		want := []time.Duration{7 * time.Millisecond, 500 * time.Millisecond, 7 * time.Millisecond}
		if len(slept) != 3 || slept[0] != want[0] || slept[1] != want[1] || slept[2] != want[2] {
			t.Fatalf("slept %v, want %v", slept, want)
		}
		s.flt.sleep = func(context.Context, time.Duration) error { return context.Canceled }
		if r := get(t, s, "a", "b"); r.Status != 503 {
			t.Fatalf("cancelled delay: %d", r.Status)
		}
	})
}

func TestParseFaults(t *testing.T) {
	if b, j, err := ParseLatency("5ms±2ms"); err != nil || b != 5*time.Millisecond || j != 2*time.Millisecond {
		t.Errorf("latency %v %v %v", b, j, err)
	}
	if b, j, err := ParseLatency("5ms+-2ms"); err != nil || b != 5*time.Millisecond || j != 2*time.Millisecond {
		t.Errorf("latency ASCII form %v %v %v", b, j, err)
	}
	if b, j, err := ParseLatency("5ms"); err != nil || b != 5*time.Millisecond || j != 0 {
		t.Errorf("latency %v %v %v", b, j, err)
	}
	if s, e, err := ParseStall("1s@30s"); err != nil || s != time.Second || e != 30*time.Second {
		t.Errorf("stall %v %v %v", s, e, err)
	}
	for in, want := range map[string]float64{"50/s": 50, "20/5s": 4, "600/m": 10} {
		if got, err := ParseRateLimit(in); err != nil || got != want {
			t.Errorf("rate %s = %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"x", "5/", "/s", "-1/s"} {
		if _, err := ParseRateLimit(bad); err == nil {
			t.Errorf("rate %q accepted", bad)
		}
	}
	if _, _, err := ParseStall("30s@1s"); err == nil {
		t.Error("stall longer than period accepted")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for name, mod := range map[string]func(*Config){
		"no auth":                    func(c *Config) { c.Tokens, c.ClientID = nil, "" },
		"unknown rule":               withBreak("NOPE"),
		"probe rule":                 withBreak(spec.RuleErrMethod),
		"error rate":                 func(c *Config) { c.Faults.ErrorRate = 2 },
		"limits":                     func(c *Config) { c.Limits.PageSizeMax = 0 },
		"negative max body":          func(c *Config) { c.MaxBodyBytes = -1 },
		"negative max subscriptions": func(c *Config) { c.MaxSubscriptions = -5 },
		"negative max tokens":        func(c *Config) { c.MaxTokens = -1 },
	} {
		cfg := Config{Limits: testDoc(t).Limits(), Tokens: []string{"x"}}
		mod(&cfg)
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err %v", name, err)
		}
	}
}

func TestListenAndServe(t *testing.T) {
	s := newTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServe(ctx, "127.0.0.1:0", func(a string) { addrc <- a }) }()
	addr := <-addrc
	res, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}
