package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/mock/mocktest"
)

// countingFetch issues t1, t2, … living life; fail makes it fail.
type countingFetch struct {
	n    atomic.Int64
	life time.Duration
	fail atomic.Bool
}

func (f *countingFetch) fetch(context.Context) (string, time.Duration, error) {
	if f.fail.Load() {
		return "", 0, errors.New("token endpoint down")
	}
	return fmt.Sprintf("t%d", f.n.Add(1)), f.life, nil
}

func fakeTokens(clk *fakeClock, f *countingFetch) *tokens {
	t := staticTokens("")
	t.now, t.fetch = clk.now, f.fetch
	return t
}

func TestTokensRenewedBeforeExpiry(t *testing.T) {
	clk, f := newFakeClock(), &countingFetch{life: 10 * time.Second}
	tk := fakeTokens(clk, f)
	ctx := context.Background()
	if err := tk.renew(ctx, "", false); err != nil || tk.current() != "Bearer t1" {
		t.Fatalf("first token: %q, %v", tk.current(), err)
	}
	tk.beforeExpiry(ctx, clk.at(8*time.Second))
	if tk.current() != "Bearer t1" {
		t.Fatalf("renewed at 8 s of 10: %q", tk.current())
	}
	tk.beforeExpiry(ctx, clk.at(9*time.Second)) // a tenth early
	if tk.current() != "Bearer t2" || tk.renewals() != 1 {
		t.Fatalf("at 9 s of 10: %q, %d renewals", tk.current(), tk.renewals())
	}
}

// A burst of 401s for one token costs one fetch.
func TestTokensOneFetchPerRefusedToken(t *testing.T) {
	clk, f := newFakeClock(), &countingFetch{}
	tk := fakeTokens(clk, f)
	ctx := context.Background()
	_ = tk.renew(ctx, "", false)
	stale := tk.current()
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() { _ = tk.renew(ctx, stale, false) })
	}
	wg.Wait()
	if f.n.Load() != 2 || tk.current() != "Bearer t2" {
		t.Fatalf("%d fetches, token %q: want 2 and t2", f.n.Load(), tk.current())
	}
}

// A failing token endpoint is asked at most once a second, not once per
// refused request.
func TestTokensFetchBackoffAfterFailure(t *testing.T) {
	clk, f := newFakeClock(), &countingFetch{}
	tk := fakeTokens(clk, f)
	ctx := context.Background()
	_ = tk.renew(ctx, "", false)
	f.fail.Store(true)
	stale := tk.current()
	if err := tk.renew(ctx, stale, false); err == nil {
		t.Fatal("a failed fetch reported success")
	}
	if err := tk.renew(ctx, stale, false); !errors.Is(err, errFetchBackoff) {
		t.Fatalf("second renewal within a second: %v", err)
	}
	clk.advance(retryFetchAfter)
	f.fail.Store(false)
	if err := tk.renew(ctx, stale, false); err != nil || tk.current() != "Bearer t2" || tk.failed.Load() != 1 {
		t.Fatalf("after the backoff: %v, %q, %d failures", err, tk.current(), tk.failed.Load())
	}
}

// Regression (issue 10 item 5): with client credentials, a token that
// expires mid-run made every later request fail unauthorized and the run
// exit 0. The mock's token clock jumps past the TTL after 300 requests;
// the run must renew and finish without errors, whether the generator's
// clock sees the jump (renewal before expiry) or not (renewal on 401).
func TestE2EClientCredentialTokenRenewed(t *testing.T) {
	for _, sees := range []bool{true, false} {
		t.Run(fmt.Sprintf("generator_sees_clock=%v", sees), func(t *testing.T) {
			clk := newFakeClock()
			mcfg := mock.DefaultConfig(testDoc(t).Limits())
			mcfg.TokenTTL, mcfg.Now = 8*time.Second, clk.now
			var served, refused, tokens atomic.Uint64
			m := mocktest.Start(t, mcfg, func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if served.Add(1) == 300 {
						clk.advance(9 * time.Second) // every token issued so far has expired
					}
					if r.Method == http.MethodPost && len(r.URL.Path) > 6 && r.URL.Path[len(r.URL.Path)-6:] == "/token" {
						tokens.Add(1)
					}
					sw := &statusWriter{ResponseWriter: w}
					h.ServeHTTP(sw, r)
					if sw.status == http.StatusUnauthorized {
						refused.Add(1)
					}
				})
			})

			cfg := e2eConfig(t, m.URL)
			cfg.Token, cfg.ClientID, cfg.ClientSecret = "", mock.DefaultClientID, mock.DefaultClientSecret
			cfg.Setup, cfg.Concurrency, cfg.Requests, cfg.Duration = false, 4, 1000, time.Minute
			if sees {
				cfg.now = clk.now
			}
			res, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			s, _ := Summarize(res)
			if s.All.Count != 1000 || s.All.Errors != 0 {
				t.Fatalf("%d requests, errors %v: want 1000 and none", s.All.Count, s.All.ErrorKinds)
			}
			if res.TokenRenewals < 1 || tokens.Load() != 1+res.TokenRenewals {
				t.Fatalf("%d renewals, %d token requests served", res.TokenRenewals, tokens.Load())
			}
			if s.TokenRenewals != res.TokenRenewals || s.TokenRenewalFailures != 0 {
				t.Fatalf("summary: %d renewals (%d failed), results: %d", s.TokenRenewals, s.TokenRenewalFailures, res.TokenRenewals)
			}
			if !sees && refused.Load() == 0 {
				t.Fatal("the generator did not see the jump, yet no request was refused: the 401 path went untested")
			}
		})
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// A server that refuses even a fresh token gets one renewal per second,
// not one per refused request; an expired token is renewed at once.
func TestTokensRefusedFreshTokenBacksOff(t *testing.T) {
	clk, f := newFakeClock(), &countingFetch{}
	tk := fakeTokens(clk, f)
	ctx := context.Background()
	_ = tk.renew(ctx, "", false)
	if err := tk.refused(ctx, "Bearer t1"); err != nil || tk.current() != "Bearer t2" {
		t.Fatalf("first refusal: %v, %q: want an immediate renewal", err, tk.current())
	}
	if err := tk.refused(ctx, "Bearer t2"); !errors.Is(err, errFetchBackoff) || f.n.Load() != 2 {
		t.Fatalf("the renewed token refused at once: %v, %d fetches: want a backoff", err, f.n.Load())
	}
	clk.advance(retryFetchAfter)
	if err := tk.refused(ctx, "Bearer t2"); err != nil || tk.current() != "Bearer t3" {
		t.Fatalf("after the backoff: %v, %q", err, tk.current())
	}
}

// Regression: a request refused with a token that another worker was
// just replacing was given up as unauthorized (the refusal's backoff was
// read without the lock, seeing the new fetch with the old header). Every
// worker refused with the stale token must get to retry: refused reports
// no error to any of them, and the token is fetched once.
func TestTokensRefusedWhileRenewingRetries(t *testing.T) {
	for range 300 {
		clk, f := newFakeClock(), &countingFetch{}
		tk := fakeTokens(clk, f)
		ctx := context.Background()
		if err := tk.renew(ctx, "", false); err != nil {
			t.Fatal(err)
		}
		stale := tk.current()
		var wg sync.WaitGroup
		var backoffs atomic.Int64
		start := make(chan struct{})
		for range 8 {
			wg.Go(func() {
				<-start
				if err := tk.refused(ctx, stale); err != nil {
					backoffs.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		if backoffs.Load() != 0 || f.n.Load() != 2 {
			t.Fatalf("%d of 8 workers refused with the stale token were told to give up; %d fetches (want 0 and 2)", backoffs.Load(), f.n.Load())
		}
	}
}
