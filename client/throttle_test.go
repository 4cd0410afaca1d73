package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// sleeps is an injected RetryPolicy.Sleep: it records each wait and
// returns at once, so no test waits on the wall clock.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.d)
}

// sequence answers the i-th request with replies[i] (the last one repeats).
func sequence(replies ...func(http.ResponseWriter)) func(http.ResponseWriter, *http.Request, []byte) {
	var mu sync.Mutex
	n := 0
	return func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		mu.Lock()
		i := min(n, len(replies)-1)
		n++
		mu.Unlock()
		replies[i](w)
	}
}

func answer(status int, body string, header ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

const (
	reachLimit = `{"error":"reach_limit","exception":"EasemobReachLimitException","timestamp":1,"duration":0,"error_description":"This request has reached api limit"}`
	okAck      = `{"result":"ok"}`
)

// retryFake starts a server answering with replies and a client of it
// retrying under p, whose Sleep is recorded.
func retryFake(t *testing.T, p RetryPolicy, replies ...func(http.ResponseWriter)) (*Client, *recorder, *sleeps) {
	t.Helper()
	rec := &recorder{reply: sequence(replies...)}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	s := &sleeps{}
	if p.Sleep == nil {
		p.Sleep = s.sleep
	}
	c, err := New(srv.URL, "org", "app", WithToken("tok"), WithRetry(p))
	if err != nil {
		t.Fatal(err)
	}
	return c, rec, s
}

func TestRetryAfterSeconds(t *testing.T) {
	c, rec, s := retryFake(t, RetryPolicy{},
		answer(429, reachLimit, "Retry-After", "2"), answer(429, reachLimit, "Retry-After", "3"), answer(200, okAck))
	res, r, err := c.SetPresence(t.Context(), "u1", "web_1", "1", "ext")
	if err != nil || r.Status != 200 || res.Result != "ok" {
		t.Fatalf("got %v, %v, %v; want the 200 after two retries", res, r, err)
	}
	if got, want := s.waits(), []time.Duration{2 * time.Second, 3 * time.Second}; !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
	if rec.count() != 3 {
		t.Errorf("server saw %d requests, want 3", rec.count())
	}
	// The replays carry the same body: it is our own byte slice.
	for i, q := range rec.reqs {
		if string(q.Body) != string(rec.reqs[0].Body) || len(q.Body) == 0 {
			t.Errorf("request %d body %q, want %q", i, q.Body, rec.reqs[0].Body)
		}
	}
	if st := c.Stats(); st != (Stats{Retries: 2, Throttled: 5 * time.Second}) {
		t.Errorf("stats %+v, want 2 retries, 5s throttled, none exhausted", st)
	}
}

func TestRetryAfterHTTPDateAndCap(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	cases := []struct {
		name, header string
		want         time.Duration
	}{
		{"a date 5 s ahead", now.Add(5 * time.Second).Format(http.TimeFormat), 5 * time.Second},
		{"a date in the past", now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"seconds over the cap", "120", 7 * time.Second},
		{"a date over the cap", now.Add(time.Hour).Format(http.TimeFormat), 7 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _, s := retryFake(t, RetryPolicy{MaxWait: 7 * time.Second, Now: clock, Jitter: func() float64 { return 0.5 }},
				answer(429, reachLimit, "Retry-After", tc.header), answer(200, okAck))
			if _, _, err := c.SetPresence(t.Context(), "u1", "web_1", "1", "ext"); err != nil {
				t.Fatal(err)
			}
			if got := s.waits(); !slices.Equal(got, []time.Duration{tc.want}) {
				t.Errorf("waits %v, want [%s]", got, tc.want)
			}
		})
	}
}

func TestBackoffGrowsToItsCap(t *testing.T) {
	c, _, s := retryFake(t, RetryPolicy{MaxTries: 6, BaseWait: time.Second, MaxWait: 4 * time.Second, Jitter: func() float64 { return 0.5 }},
		answer(429, reachLimit), answer(429, reachLimit), answer(429, reachLimit), answer(429, reachLimit), answer(429, reachLimit), answer(200, okAck))
	if _, _, err := c.SetPresence(t.Context(), "u1", "web_1", "1", "ext"); err != nil {
		t.Fatal(err)
	}
	// Full jitter: half of ceilings 1, 2, 4, 4, 4 s.
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 2 * time.Second, 2 * time.Second}
	if got := s.waits(); !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
}

func TestBackoffJitterIsFull(t *testing.T) {
	c, _, s := retryFake(t, RetryPolicy{BaseWait: time.Second, Jitter: func() float64 { return 0 }},
		answer(429, reachLimit), answer(200, okAck))
	if _, _, err := c.SetPresence(t.Context(), "u1", "web_1", "1", "ext"); err != nil {
		t.Fatal(err)
	}
	if got := s.waits(); !slices.Equal(got, []time.Duration{0}) {
		t.Errorf("waits %v, want [0]: full jitter may wait nothing", got)
	}
}

func TestTriesCapReturnsThrottledError(t *testing.T) {
	c, rec, _ := retryFake(t, RetryPolicy{MaxTries: 3, Jitter: func() float64 { return 0.5 }}, answer(429, reachLimit))
	_, r, err := c.Subscribe(t.Context(), "u1", 60, []string{"u2"})
	if !errors.Is(err, ErrThrottled) {
		t.Fatalf("err %v, want ErrThrottled", err)
	}
	var te *ThrottledError
	if !errors.As(err, &te) || te.Tries != 3 || te.Response == nil || te.Response.Status != 429 || r != te.Response {
		t.Fatalf("err %#v, response %v: want 3 tries and the last 429 answer", err, r)
	}
	if rec.count() != 3 {
		t.Errorf("server saw %d requests, want 3", rec.count())
	}
	if st := c.Stats(); st.Retries != 2 || st.Exhausted != 1 || st.Throttled != te.Waited || te.Waited <= 0 {
		t.Errorf("stats %+v, error waited %s: want 2 retries, 1 exhausted, waits summed", st, te.Waited)
	}
	for _, leak := range []string{"tok", "Bearer"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("the error text %q shows %q", err, leak)
		}
	}
}

func TestVendorRateLimitCodesWhateverTheStatus(t *testing.T) {
	busy := `{"error":"too_busy","error_description":"slow down"}`
	cases := []struct {
		name     string
		codes    []string
		statuses []int
		reply    func(http.ResponseWriter)
		retried  bool
	}{
		{"reach_limit with 400", nil, nil, answer(400, reachLimit), true},
		{"reach_limit with 403", nil, nil, answer(403, reachLimit), true},
		{"a configured code with 403", []string{"too_busy"}, nil, answer(403, busy), true},
		{"a configured list replaces the default", []string{"too_busy"}, nil, answer(400, reachLimit), false},
		{"illegal_argument is an answer, not throttling", nil, nil, answer(400, `{"error":"illegal_argument"}`), false},
		{"a 200 naming the code is an answer", nil, nil, answer(200, `{"error":"reach_limit","result":"ok"}`), false},
		{"a 503 is not throttling", nil, nil, answer(503, `oops`), false},
		{"a 503 is busy when configured", nil, []int{503}, answer(503, `oops`), true},
		{"a configured 503 leaves a 500 an answer", nil, []int{503}, answer(500, `oops`), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, rec, _ := retryFake(t, RetryPolicy{Codes: tc.codes, Statuses: tc.statuses, Jitter: func() float64 { return 0 }}, tc.reply, answer(200, okAck))
			r, err := c.Do(t.Context(), http.MethodPost, "/users/u1/presence/web_1/1", nil, []byte(`{"ext":""}`), nil)
			if err != nil {
				t.Fatal(err)
			}
			if retried := rec.count() == 2; retried != tc.retried || (tc.retried && r.Status != 200) {
				t.Errorf("server saw %d requests, final status %d; want retried=%v", rec.count(), r.Status, tc.retried)
			}
		})
	}
}

func TestContextCancelledDuringWait(t *testing.T) {
	reached := make(chan struct{}, 1)
	rec := &recorder{reply: func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		answer(429, reachLimit, "Retry-After", "30")(w)
		select {
		case reached <- struct{}{}:
		default:
		}
	}}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, "org", "app", WithToken("tok"), WithRetry(RetryPolicy{})) // the real sleeper
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := c.Do(ctx, http.MethodGet, "/users/u1/presence/sublist", nil, nil, nil)
		done <- err
	}()
	<-reached
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
	if rec.count() != 1 {
		t.Errorf("server saw %d requests, want 1", rec.count())
	}
}

func TestLimiterPacesEverySend(t *testing.T) {
	// A burst of 3 and then one token an hour: the fourth send would wait
	// past the context's deadline, so the limiter refuses it at once.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	c, rec := newFake(t, 200, okAck, WithLimiter(rate.NewLimiter(rate.Every(time.Hour), 3)))
	for i := range 3 {
		if _, err := c.Do(ctx, http.MethodGet, "/users/u1/presence/sublist", nil, nil, nil); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	if _, err := c.Do(ctx, http.MethodGet, "/users/u1/presence/sublist", nil, nil, nil); err == nil {
		t.Fatal("a fourth request went out beyond the limiter's budget")
	}
	if rec.count() != 3 {
		t.Errorf("server saw %d requests, want 3", rec.count())
	}
	// WithoutPacing bypasses it: the rate-limit probe sends a burst.
	if _, err := c.Do(ctx, http.MethodGet, "/users/u1/presence/sublist", nil, nil, nil, WithoutPacing()); err != nil || rec.count() != 4 {
		t.Errorf("unpaced request: %v, server saw %d", err, rec.count())
	}
}

func TestRetriesArePacedToo(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	rec := &recorder{reply: sequence(answer(429, reachLimit))}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	s := &sleeps{}
	c, err := New(srv.URL, "org", "app", WithToken("tok"),
		WithLimiter(rate.NewLimiter(rate.Every(time.Hour), 2)), WithRetry(RetryPolicy{Sleep: s.sleep}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(ctx, http.MethodGet, "/users/u1/presence/sublist", nil, nil, nil); err == nil {
		t.Fatal("want the pacing error of the third send")
	}
	if rec.count() != 2 {
		t.Errorf("server saw %d requests, want 2: a retry waits on the limiter like any send", rec.count())
	}
}

func TestWithoutRetryReturnsTheThrottledAnswer(t *testing.T) {
	c, rec, s := retryFake(t, RetryPolicy{}, answer(429, reachLimit), answer(200, okAck))
	r, err := c.Do(t.Context(), http.MethodGet, "/users/u1/presence/sublist", nil, nil, nil, WithoutRetry())
	if err != nil || r.Status != 429 || rec.count() != 1 || len(s.waits()) != 0 {
		t.Errorf("got %v, %v after %d requests, waits %v: want the 429 as it came", r, err, rec.count(), s.waits())
	}
}

func TestNoRetryWithoutPolicy(t *testing.T) {
	c, rec := newFake(t, 429, reachLimit)
	r, err := c.Do(t.Context(), http.MethodGet, "/users/u1/presence/sublist", nil, nil, nil)
	if err != nil || r.Status != 429 || rec.count() != 1 || !c.Stats().IsZero() {
		t.Errorf("got %v, %v after %d requests: want the 429 once, no stats", r, err, rec.count())
	}
}

func TestRetryOptionsRefuseBadValues(t *testing.T) {
	for _, opt := range []Option{WithRetry(RetryPolicy{MaxTries: -1}), WithRetry(RetryPolicy{MaxWait: -time.Second}),
		WithRetry(RetryPolicy{BaseWait: -1}), WithRetry(RetryPolicy{Statuses: []int{200}}), WithRetry(RetryPolicy{Statuses: []int{600}}),
		WithLimiter(nil), WithPacer(nil)} {
		if _, err := New("http://127.0.0.1:1", "o", "a", opt); err == nil {
			t.Error("a bad option was accepted")
		}
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for v, want := range map[string]time.Duration{"0": 0, " 5 ": 5 * time.Second, now.Add(time.Minute).Format(http.TimeFormat): time.Minute} {
		if d, ok := retryAfter(v, now); !ok || d != want {
			t.Errorf("retryAfter(%q) = %s, %v; want %s", v, d, ok, want)
		}
	}
	for _, v := range []string{"", "-1", "soon", "1.5"} {
		if _, ok := retryAfter(v, now); ok {
			t.Errorf("retryAfter(%q) accepted", v)
		}
	}
	if d, ok := retryAfter("99999999999999999", now); !ok || d <= 0 {
		t.Errorf("a huge Retry-After overflowed: %s, %v", d, ok)
	}
}
