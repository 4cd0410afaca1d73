package mock

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Faults are injected into presence operations (not /_mock/, /healthz or
// /metrics) for client and load tests. The zero value injects nothing.
type Faults struct {
	// Latency delays every answer; Jitter spreads it uniformly over
	// Latency±Jitter (never below zero).
	Latency, Jitter time.Duration
	// ErrorRate is the fraction of requests answered 503 (0..1).
	ErrorRate float64
	// StallFor and StallEvery hold every request for the last StallFor of
	// each StallEvery period since the server started ("1s@30s").
	StallFor, StallEvery time.Duration
	// RateLimit is the requests per second allowed per org/app key (0:
	// unlimited); Burst is the bucket size (0: one second's worth).
	RateLimit float64
	Burst     int
}

func (f Faults) validate() error {
	switch {
	case f.Latency < 0 || f.Jitter < 0:
		return fmt.Errorf("%w: negative latency", ErrConfig)
	case f.ErrorRate < 0 || f.ErrorRate > 1:
		return fmt.Errorf("%w: error rate %v outside 0..1", ErrConfig, f.ErrorRate)
	case f.StallFor < 0 || f.StallEvery < 0 || (f.StallFor > 0 && f.StallEvery <= f.StallFor):
		return fmt.Errorf("%w: stall %s@%s: the period must be longer than the stall", ErrConfig, f.StallFor, f.StallEvery)
	case f.RateLimit < 0 || f.Burst < 0:
		return fmt.Errorf("%w: negative rate limit", ErrConfig)
	}
	return nil
}

// ParseLatency parses "5ms" or "5ms±2ms" (also "5ms+-2ms").
func ParseLatency(s string) (base, jitter time.Duration, err error) {
	b, j, ok := strings.Cut(s, "±")
	if !ok {
		b, j, ok = strings.Cut(s, "+-")
	}
	if base, err = time.ParseDuration(strings.TrimSpace(b)); err != nil {
		return 0, 0, fmt.Errorf("latency %q: %w", s, err)
	}
	if ok {
		if jitter, err = time.ParseDuration(strings.TrimSpace(j)); err != nil {
			return 0, 0, fmt.Errorf("latency %q: jitter: %w", s, err)
		}
	}
	if base < 0 || jitter < 0 {
		return 0, 0, fmt.Errorf("latency %q: negative", s)
	}
	return base, jitter, nil
}

// ParseStall parses "1s@30s": stall for 1 s once every 30 s.
func ParseStall(s string) (stall, every time.Duration, err error) {
	a, b, ok := strings.Cut(s, "@")
	if !ok {
		return 0, 0, fmt.Errorf("stall %q: want DURATION@PERIOD, e.g. 1s@30s", s)
	}
	if stall, err = time.ParseDuration(a); err != nil {
		return 0, 0, fmt.Errorf("stall %q: %w", s, err)
	}
	if every, err = time.ParseDuration(b); err != nil {
		return 0, 0, fmt.Errorf("stall %q: period: %w", s, err)
	}
	if stall <= 0 || every <= stall {
		return 0, 0, fmt.Errorf("stall %q: need 0 < stall < period", s)
	}
	return stall, every, nil
}

// ParseRateLimit parses "50/s", "20/5s" or "600/m" into requests per second.
func ParseRateLimit(s string) (float64, error) {
	n, per, ok := strings.Cut(s, "/")
	if !ok {
		return 0, fmt.Errorf("rate limit %q: want N/PERIOD, e.g. 50/s", s)
	}
	count, err := strconv.ParseFloat(n, 64)
	if err != nil || count <= 0 {
		return 0, fmt.Errorf("rate limit %q: bad count", s)
	}
	switch per {
	case "s":
		per = "1s"
	case "m":
		per = "1m"
	case "h":
		per = "1h"
	}
	d, err := time.ParseDuration(per)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("rate limit %q: bad period", s)
	}
	return count / d.Seconds(), nil
}

// faultState runs the faults. sleep is replaceable in tests.
type faultState struct {
	f     Faults
	now   func() time.Time
	start time.Time
	sleep func(ctx context.Context, d time.Duration) error
	rand  func() float64

	mu       sync.Mutex
	limiters map[appKey]*rate.Limiter
}

// appKey is the org/app pair a rate limit applies to, as the vendor's is
// per app key.
type appKey struct{ org, app string }

// maxLimiters bounds the rate limiters kept when any org/app is served (a
// client inventing app names must not grow the map without end). Idle
// limiters — full buckets, indistinguishable from new ones — are dropped
// by the reclaimer and when the map is full; if it is still full, one
// arbitrary limiter is restarted to make room.
const maxLimiters = 10_000

func newFaultState(f Faults, now func() time.Time) *faultState {
	return &faultState{f: f, now: now, start: now(), sleep: sleepCtx, rand: rand.Float64, limiters: map[appKey]*rate.Limiter{}}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("fault delay: %w", ctx.Err())
	}
}

// before applies stall, latency and error rate.
func (fs *faultState) before(ctx context.Context) *apiError {
	f := &fs.f
	if f.StallFor > 0 {
		phase := fs.now().Sub(fs.start) % f.StallEvery
		if phase >= f.StallEvery-f.StallFor {
			if fs.sleep(ctx, f.StallEvery-phase) != nil {
				return errUnavailable
			}
		}
	}
	if f.Latency > 0 || f.Jitter > 0 {
		d := f.Latency
		if f.Jitter > 0 {
			d += time.Duration((fs.rand()*2 - 1) * float64(f.Jitter))
		}
		if fs.sleep(ctx, max(d, 0)) != nil {
			return errUnavailable
		}
	}
	if f.ErrorRate > 0 && fs.rand() < f.ErrorRate {
		return errUnavailable
	}
	return nil
}

// burst is the limiter's bucket size: Faults.Burst, or one second's worth.
func (fs *faultState) burst() int {
	if fs.f.Burst > 0 {
		return fs.f.Burst
	}
	return int(max(fs.f.RateLimit, 1))
}

// limit applies the per org/app rate limit (a token bucket of
// golang.org/x/time/rate). Over it, it returns 429 reach_limit and how
// long until a request would be allowed again.
func (fs *faultState) limit(org, app string) (*apiError, time.Duration) {
	if fs.f.RateLimit <= 0 {
		return nil, 0
	}
	now := fs.now()
	fs.mu.Lock()
	l := fs.limiters[appKey{org, app}]
	if l == nil {
		if len(fs.limiters) >= maxLimiters {
			fs.sweepLocked(now)
			for k := range fs.limiters {
				if len(fs.limiters) < maxLimiters {
					break
				}
				delete(fs.limiters, k)
			}
		}
		l = rate.NewLimiter(rate.Limit(fs.f.RateLimit), fs.burst())
		fs.limiters[appKey{strings.Clone(org), strings.Clone(app)}] = l
	}
	fs.mu.Unlock()
	if l.AllowN(now, 1) {
		return nil, 0
	}
	missing := 1 - l.TokensAt(now)
	return errReachLimit, time.Duration(missing / fs.f.RateLimit * float64(time.Second))
}

// sweep drops idle rate limiters; the reclaimer calls it.
func (fs *faultState) sweep() {
	if fs.f.RateLimit <= 0 {
		return
	}
	now := fs.now()
	fs.mu.Lock()
	fs.sweepLocked(now)
	fs.mu.Unlock()
}

func (fs *faultState) sweepLocked(now time.Time) {
	for k, l := range fs.limiters {
		if l.TokensAt(now) >= float64(l.Burst()) {
			delete(fs.limiters, k)
		}
	}
}

// retryAfter is the Retry-After header value for a wait: whole seconds,
// rounded up, at least 1.
func retryAfter(wait time.Duration) string {
	return strconv.FormatInt(max(int64(math.Ceil(wait.Seconds())), 1), 10)
}
