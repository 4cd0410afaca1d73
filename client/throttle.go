package client

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Defaults of RetryPolicy: a real tenant that is merely busy must not turn
// a run red, but a run must not hang on one that never recovers either.
const (
	// DefaultRetryMaxTries bounds the sends of one request, the first
	// included.
	DefaultRetryMaxTries = 5
	// DefaultRetryMaxWait caps one wait, whatever Retry-After asks for.
	DefaultRetryMaxWait = 30 * time.Second
	// DefaultRetryBaseWait is the ceiling of the first backoff; it doubles
	// with every further try up to the policy's MaxWait.
	DefaultRetryBaseWait = 500 * time.Millisecond
	// CodeReachLimit is Easemob's rate-limit error code (429 "This request
	// has reached api limit").
	CodeReachLimit = "reach_limit"
)

// ErrThrottled matches (errors.Is) a *ThrottledError.
var ErrThrottled = errors.New("throttled")

// ThrottledError is returned when a request was still throttled after the
// policy's last try. It keeps the last answer, so a report can show what
// the server said.
type ThrottledError struct {
	Tries    int
	Waited   time.Duration // the sum of the waits between the tries
	Response *Response
}

// Error names the request and the last answer, never headers.
func (e *ThrottledError) Error() string {
	what, code := "request", ""
	if r := e.Response; r != nil {
		if r.Request != nil {
			what = r.Request.Method + " " + r.Request.URL.Path
		}
		code = fmt.Sprintf(": %d %s", r.Status, string(ErrorCode(r.Body)))
	}
	return fmt.Sprintf("client: %s still throttled after %d tries (waited %s)%s",
		what, e.Tries, e.Waited.Round(time.Millisecond), strings.TrimSpace(code))
}

// Is makes errors.Is(err, ErrThrottled) true.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// Pacer is waited on before every request is sent. *rate.Limiter is one;
// another can share a budget between processes.
type Pacer interface {
	Wait(ctx context.Context) error
}

// WithLimiter paces every request (token fetches and retries included) on
// l, waiting as long as the request's context allows.
func WithLimiter(l *rate.Limiter) Option {
	return func(c *Client) error {
		if l == nil {
			return errors.New("WithLimiter: nil limiter")
		}
		c.pacer = l
		return nil
	}
}

// WithPacer is WithLimiter for any Pacer.
func WithPacer(p Pacer) Option {
	return func(c *Client) error {
		if p == nil {
			return errors.New("WithPacer: nil pacer")
		}
		c.pacer = p
		return nil
	}
}

// RetryPolicy says which answers mean "busy, try later" and how long to
// wait. Zero fields take the defaults.
type RetryPolicy struct {
	// MaxTries bounds the sends of one request (DefaultRetryMaxTries).
	MaxTries int
	// MaxWait caps one wait (DefaultRetryMaxWait).
	MaxWait time.Duration
	// BaseWait is the first backoff's ceiling (DefaultRetryBaseWait).
	BaseWait time.Duration
	// Codes are the envelope error codes that mean throttled whatever the
	// status (some vendors answer 400 or 403); nil: [CodeReachLimit]. A 429
	// is always throttled.
	Codes []string
	// Statuses are further HTTP statuses that mean busy like a 429, for a
	// tenant whose gateway answers 503 when loaded; nil: none. Only the
	// caller knows whether such an answer can also be a broken rule (a 5xx
	// to bad input), so the default adds nothing.
	Statuses []int
	// Jitter returns a number in [0, 1) that scales a backoff (full
	// jitter); nil: math/rand/v2. Tests inject a fixed one.
	Jitter func() float64
	// Sleep waits d or until ctx ends; nil: a timer. Tests inject one that
	// records d and returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now reads the clock for Retry-After dates; nil: time.Now.
	Now func() time.Time
}

// WithRetry retries throttled answers under p. Without it every answer is
// returned as it came.
func WithRetry(p RetryPolicy) Option {
	return func(c *Client) error {
		if p.MaxTries < 0 || p.MaxWait < 0 || p.BaseWait < 0 {
			return fmt.Errorf("WithRetry: negative tries or waits (%d, %s, %s)", p.MaxTries, p.MaxWait, p.BaseWait)
		}
		if p.MaxTries == 0 {
			p.MaxTries = DefaultRetryMaxTries
		}
		if p.MaxWait == 0 {
			p.MaxWait = DefaultRetryMaxWait
		}
		if p.BaseWait == 0 {
			p.BaseWait = min(DefaultRetryBaseWait, p.MaxWait)
		}
		if p.Codes == nil {
			p.Codes = []string{CodeReachLimit}
		}
		for _, st := range p.Statuses {
			if st < 400 || st > 599 {
				return fmt.Errorf("WithRetry: status %d cannot mean busy (want 4xx or 5xx)", st)
			}
		}
		p.Statuses = slices.Clone(p.Statuses)
		if p.Jitter == nil {
			p.Jitter = rand.Float64
		}
		if p.Sleep == nil {
			p.Sleep = sleep
		}
		if p.Now == nil {
			p.Now = time.Now
		}
		c.retry = &p
		return nil
	}
}

// WithoutRetry returns a throttled answer as it came, for probes of the
// rate limit itself.
func WithoutRetry() CallOption {
	return func(cc *callConfig) { cc.noRetry = true }
}

// WithoutPacing sends at once, not waiting on the client's Pacer: a probe
// of the rate limit has to send a burst.
func WithoutPacing() CallOption {
	return func(cc *callConfig) { cc.noPacing = true }
}

// Stats are what pacing and retries cost so far, for reports.
type Stats struct {
	// Retries counts sends repeated because the answer was throttled.
	Retries int64
	// Throttled is the sum of the waits before those retries.
	Throttled time.Duration
	// Exhausted counts requests still throttled after the last try.
	Exhausted int64
}

// Sub is s minus an earlier snapshot: what happened in between.
func (s Stats) Sub(earlier Stats) Stats {
	return Stats{Retries: s.Retries - earlier.Retries, Throttled: s.Throttled - earlier.Throttled,
		Exhausted: s.Exhausted - earlier.Exhausted}
}

// Add sums two Stats (e.g. of several processes).
func (s Stats) Add(o Stats) Stats {
	return Stats{Retries: s.Retries + o.Retries, Throttled: s.Throttled + o.Throttled, Exhausted: s.Exhausted + o.Exhausted}
}

// IsZero reports whether nothing was throttled.
func (s Stats) IsZero() bool { return s == Stats{} }

// stats are the client's counters behind Stats.
type stats struct {
	retries, throttledNanos, exhausted atomic.Int64
}

// Stats returns the client's counters since New.
func (c *Client) Stats() Stats {
	return Stats{Retries: c.stats.retries.Load(), Throttled: time.Duration(c.stats.throttledNanos.Load()),
		Exhausted: c.stats.exhausted.Load()}
}

// throttled reports whether r means "busy, try later".
func (p *RetryPolicy) throttled(r *Response) bool {
	if r == nil || r.Status < 400 {
		return false
	}
	return r.Status == http.StatusTooManyRequests || slices.Contains(p.Statuses, r.Status) ||
		slices.Contains(p.Codes, string(ErrorCode(r.Body)))
}

// wait is how long to wait after the try-th send (1-based) was throttled:
// the server's Retry-After when it sends one, else a full-jitter backoff
// whose ceiling doubles per try; capped by MaxWait either way.
func (p *RetryPolicy) wait(r *Response, try int) time.Duration {
	if d, ok := retryAfter(r.Header.Get("Retry-After"), p.Now()); ok {
		return min(d, p.MaxWait)
	}
	ceiling := p.MaxWait
	if shift := try - 1; shift < 32 && p.BaseWait<<shift > 0 && p.BaseWait<<shift < p.MaxWait {
		ceiling = p.BaseWait << shift
	}
	return time.Duration(p.Jitter() * float64(ceiling))
}

// retryAfter reads a Retry-After value: delta-seconds or an HTTP date
// (RFC 9110 10.2.3). A date in the past means at once.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > int64(365*24*time.Hour/time.Second) {
			n = int64(365 * 24 * time.Hour / time.Second) // no overflow; the cap applies anyway
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retrying sends through once until the answer is not throttled, the tries
// run out (a *ThrottledError with the last answer) or ctx ends.
func (c *Client) retrying(ctx context.Context, cc callConfig, once func() (*Response, error)) (*Response, error) {
	p := c.retry
	var waited time.Duration
	for try := 1; ; try++ {
		resp, err := once()
		if err != nil || p == nil || cc.noRetry || !p.throttled(resp) {
			return resp, err
		}
		if try >= p.MaxTries {
			c.stats.exhausted.Add(1)
			return resp, &ThrottledError{Tries: try, Waited: waited, Response: resp}
		}
		d := p.wait(resp, try)
		c.stats.retries.Add(1)
		c.stats.throttledNanos.Add(int64(d))
		waited += d
		if err := p.Sleep(ctx, d); err != nil {
			return resp, fmt.Errorf("client: waiting %s to retry a throttled request: %w", d, err)
		}
	}
}

// pace waits on the pacer unless the call opted out.
func (c *Client) pace(ctx context.Context, cc callConfig) error {
	if c.pacer == nil || cc.noPacing {
		return nil
	}
	if err := c.pacer.Wait(ctx); err != nil {
		return fmt.Errorf("client: pacing: %w", err)
	}
	return nil
}
