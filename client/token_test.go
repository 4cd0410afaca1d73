package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// authServer issues tok-1, tok-2, … from its token endpoint and accepts on
// the API only tokens it issued and has not revoked.
type authServer struct {
	t         *testing.T
	expiresIn string        // JSON text of expires_in
	gate      chan struct{} // when set, the token endpoint waits for it to close
	entered   chan struct{} // when set, receives once per token request, before the gate
	failToken bool          // token endpoint answers 401
	rejectAll bool          // the API accepts no token at all
	mu        sync.Mutex
	issued    int             // token fetches
	api       int             // API requests
	valid     map[string]bool // tokens the API accepts
	grants    []TokenRequest  // token request bodies
}

func (s *authServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/o/a/token" {
		if s.entered != nil {
			s.entered <- struct{}{}
		}
		if s.gate != nil {
			<-s.gate
		}
		var g TokenRequest
		if err := json.NewDecoder(r.Body).Decode(&g); err != nil {
			s.t.Errorf("token body: %v", err)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if r.Header.Get("Authorization") != "" {
			s.t.Errorf("token request sent Authorization %q", r.Header.Get("Authorization"))
		}
		s.grants = append(s.grants, g)
		if s.failToken {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"unauthorized","error_description":"bad credentials"}`)
			return
		}
		s.issued++
		tok := fmt.Sprintf("tok-%d", s.issued)
		s.valid[tok] = true
		fmt.Fprintf(w, `{"access_token":%q,"expires_in":%s,"application":"app-uuid"}`, tok, s.expiresIn)
		return
	}
	s.mu.Lock()
	s.api++
	ok := !s.rejectAll && s.valid[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	s.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":"unauthorized","error_description":"Unable to authenticate due to expired access token"}`)
		return
	}
	io.WriteString(w, `{"result":[]}`)
}

func (s *authServer) revoke(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.valid, tok)
}

func (s *authServer) counts() (issued, api int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued, s.api
}

func newAuthFake(t *testing.T, opts ...Option) (*Client, *authServer) {
	t.Helper()
	s := &authServer{t: t, expiresIn: `"5184000"`, valid: map[string]bool{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, "o", "a", append([]Option{WithClientCredentials("id", "secret")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

func get(c *Client, ctx context.Context) (*Response, error) {
	_, resp, err := c.GetPresence(ctx, "u", []string{"a"})
	return resp, err
}

func TestTokenFetchedLazilyOnceAndCached(t *testing.T) {
	c, s := newAuthFake(t, WithTokenTTL(2*time.Hour))
	if issued, _ := s.counts(); issued != 0 {
		t.Fatalf("New fetched %d tokens; want none before first use", issued)
	}
	for i := 0; i < 3; i++ {
		if _, err := get(c, context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if issued, api := s.counts(); issued != 1 || api != 3 {
		t.Errorf("issued %d tokens for %d calls; want 1 for 3", issued, api)
	}
	want := TokenRequest{GrantType: "client_credentials", ClientID: "id", ClientSecret: "secret", TTL: 7200}
	if s.grants[0] != want {
		t.Errorf("token request = %+v, want %+v", s.grants[0], want)
	}
	if tok, err := c.Token(context.Background()); err != nil || tok != "tok-1" {
		t.Errorf("Token() = %q, %v", tok, err)
	}
}

func TestTokenRefreshedOnceOn401ThenRetried(t *testing.T) {
	c, s := newAuthFake(t)
	ctx := context.Background()
	if _, err := get(c, ctx); err != nil {
		t.Fatal(err)
	}
	s.revoke("tok-1")
	resp, err := get(c, ctx)
	if err != nil {
		t.Fatalf("after revocation: %v", err)
	}
	if issued, api := s.counts(); issued != 2 || api != 3 {
		t.Errorf("issued %d, api %d; want 2 and 3 (call, rejected call, retry)", issued, api)
	}
	if a := resp.Request.Header.Get("Authorization"); a != "Bearer tok-2" {
		t.Errorf("Response.Request is not the retry: Authorization %q", a)
	}
	if _, err := get(c, ctx); err != nil {
		t.Fatal(err)
	}
	if issued, _ := s.counts(); issued != 2 {
		t.Errorf("refreshed token not cached: issued %d", issued)
	}
}

func TestTokenRefreshIsNotLooped(t *testing.T) {
	c, s := newAuthFake(t)
	s.rejectAll = true
	_, err := get(c, context.Background())
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 401 {
		t.Fatalf("err = %v, want the retry's 401", err)
	}
	if issued, api := s.counts(); issued != 2 || api != 2 {
		t.Errorf("issued %d, api %d; want exactly one refresh and one retry", issued, api)
	}
}

func TestSeedTokenUsedUntilRejected(t *testing.T) {
	c, s := newAuthFake(t, WithToken("seed"))
	s.valid["seed"] = true
	if _, err := get(c, context.Background()); err != nil {
		t.Fatal(err)
	}
	if issued, _ := s.counts(); issued != 0 {
		t.Fatalf("fetched a token while the seed was good")
	}
	s.revoke("seed")
	if _, err := get(c, context.Background()); err != nil {
		t.Fatal(err)
	}
	if issued, api := s.counts(); issued != 1 || api != 3 {
		t.Errorf("issued %d, api %d; want 1 and 3", issued, api)
	}
}

func TestConcurrentCallsShareOneFetch(t *testing.T) {
	c, s := newAuthFake(t)
	s.gate = make(chan struct{})
	const n = 64
	// The fetch is held at the server until every other caller is waiting
	// for it: then only a client that shares one fetch issues one token.
	waiting := make(chan struct{}, n)
	c.onWait = func() { waiting <- struct{}{} }
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := get(c, context.Background())
			errs <- err
		}()
	}
	for i := 0; i < n-1; i++ {
		<-waiting
	}
	close(s.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if issued, api := s.counts(); issued != 1 || api != n {
		t.Errorf("issued %d, api %d; want 1 and %d", issued, api, n)
	}
}

func TestConcurrent401sRefreshOnce(t *testing.T) {
	c, s := newAuthFake(t)
	if _, err := get(c, context.Background()); err != nil {
		t.Fatal(err)
	}
	s.revoke("tok-1")
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := get(c, context.Background())
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if issued, _ := s.counts(); issued != 2 {
		t.Errorf("a burst of 401s caused %d fetches in all; want 2", issued)
	}
}

func TestTokenRenewedWhenExpiresInRunsOut(t *testing.T) {
	c, s := newAuthFake(t)
	s.expiresIn = "3600"
	if _, err := get(c, context.Background()); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	if d := time.Until(c.expiresAt); d < 50*time.Minute || d > 55*time.Minute {
		t.Errorf("renewal due in %v; want a tenth before the hour", d)
	}
	c.expiresAt = time.Now().Add(-time.Second)
	c.mu.Unlock()
	if _, err := get(c, context.Background()); err != nil {
		t.Fatal(err)
	}
	if issued, api := s.counts(); issued != 2 || api != 2 {
		t.Errorf("issued %d, api %d; want a renewal without a rejected call", issued, api)
	}
}

func TestTokenWaitHonoursContext(t *testing.T) {
	c, s := newAuthFake(t)
	s.gate = make(chan struct{})
	s.entered = make(chan struct{}, 1)
	done := make(chan error)
	go func() { _, err := get(c, context.Background()); done <- err }()
	<-s.entered // the first caller now holds the fetch
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := get(c, ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting caller: err = %v, want DeadlineExceeded", err)
	}
	close(s.gate)
	if err := <-done; err != nil {
		t.Errorf("fetching caller: %v", err)
	}
}

func TestTokenFetchFailureIsTyped(t *testing.T) {
	c, s := newAuthFake(t)
	s.failToken = true
	_, err := get(c, context.Background())
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 401 || apiErr.Envelope.Description != "bad credentials" {
		t.Fatalf("err = %v, want the token endpoint's *APIError", err)
	}
	if _, api := s.counts(); api != 0 {
		t.Errorf("sent %d API requests without a token", api)
	}
}
