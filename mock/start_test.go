package mock

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"
)

// TestStartGivesEachMockItsOwnAdminToken: an embedded mock's admin API
// answers its own random token, and neither another run's token nor the
// well-known one the embedded mock used to have.
func TestStartGivesEachMockItsOwnAdminToken(t *testing.T) {
	cfg := DefaultConfig(testDoc(t).Limits())
	a, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Stop()
	b, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop()
	if a.AdminToken == "" || a.AdminToken == b.AdminToken || !strings.HasPrefix(a.URL, "http://127.0.0.1:") {
		t.Fatalf("admin tokens %q and %q, URL %q: want two different tokens on loopback", a.AdminToken, b.AdminToken, a.URL)
	}
	for _, c := range []struct {
		token string
		want  int
	}{{a.AdminToken, http.StatusOK}, {b.AdminToken, http.StatusUnauthorized}, {"presencekit-admin", http.StatusUnauthorized}} {
		req, _ := http.NewRequest(http.MethodGet, a.URL+"/_mock/state", nil)
		req.Header.Set("Authorization", "Bearer "+c.token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.want {
			t.Errorf("admin API with token %q: %d, want %d", c.token, res.StatusCode, c.want)
		}
	}
	cfg.AdminToken = "given"
	c, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	if c.AdminToken != "given" {
		t.Errorf("a Config's own admin token was replaced by %q", c.AdminToken)
	}
}

// TestStartLeavesNothingRunning: Stop ends serving and the background
// reclaimer; a Start that cannot listen, or is misconfigured, leaves no
// goroutine behind (conform's embedded mock once leaked its reclaimer when
// Listen failed).
func TestStartLeavesNothingRunning(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	cfg := DefaultConfig(testDoc(t).Limits())
	var served atomic.Uint64
	count := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served.Add(1); h.ServeHTTP(w, r) })
	}
	m, err := Start(context.Background(), cfg, count)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(m.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	http.DefaultClient.CloseIdleConnections()
	if err := m.Stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
	if err := m.Stop(); err != nil {
		t.Errorf("a second stop: %v", err)
	}
	if served.Load() != 1 {
		t.Errorf("the middleware saw %d requests, want 1", served.Load())
	}

	if _, err := start(context.Background(), "bogus", cfg, nil); err == nil {
		t.Error("start on an address it cannot listen on: no error")
	}
	bad := cfg
	bad.Tokens, bad.ClientID = nil, ""
	if _, err := Start(context.Background(), bad); err == nil {
		t.Error("a mock no client could authenticate with started")
	}
}
