package suites

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"time"

	g "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
	"golang.org/x/time/rate"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/spec"
)

// A busy server is not a broken one (docs/contract.md#d12): requests are
// paced, throttled answers retried, and a spec whose request stays
// throttled is skipped with the reason, never failed. The counts travel in
// each spec's report entries, so they add up across the processes of a
// --concurrency run.

// entryThrottle is the report entry holding what throttling cost a spec.
const entryThrottle = "throttling"

// ruleRateLimit is the probe that meets the rate limit on purpose: its
// throttled answers are what it records, so it is never skipped for them.
const ruleRateLimit = spec.RuleRateLimit

// pacingOptions are the client options of cfg's pacing and retries. The
// limiter's burst is one: a server's own bucket never sees a burst above
// the rate.
func pacingOptions(cfg Config) []client.Option {
	opts := []client.Option{client.WithRetry(client.RetryPolicy{
		MaxTries: cfg.RetryTries, MaxWait: cfg.RetryMaxWait, Codes: append([]string{}, cfg.RateCodes...), Statuses: cfg.BusyStatuses})}
	if cfg.Rate > 0 {
		opts = append(opts, client.WithLimiter(rate.NewLimiter(rate.Limit(cfg.Rate), 1)))
	}
	return opts
}

// registerThrottling snapshots the client's counters before each spec and
// records the spec's share after its last cleanup (a DeferCleanup
// registered first runs last), so cleanup requests count too.
func registerThrottling(e *Env) {
	g.BeforeEach(func() {
		before := e.Client.Stats()
		e.mu.Lock()
		e.specStart, e.lastThrottle = before, ""
		e.mu.Unlock()
		g.DeferCleanup(func() {
			if d := e.Client.Stats().Sub(before); !d.IsZero() {
				g.AddReportEntry(entryThrottle, d, g.ReportEntryVisibilityNever)
			}
		})
	})
}

// throttled turns a request still throttled after the last try into the
// failure of rule, and remembers it as the reason to skip the spec.
func (e *Env) throttled(rule spec.RuleID, err error) error {
	var te *client.ThrottledError
	if !errors.As(err, &te) {
		return nil
	}
	e.mu.Lock()
	e.lastThrottle = te.Error()
	e.mu.Unlock()
	return fail(rule, "%v", te)
}

// failOrSkip is the suite's Gomega fail handler: a failure in a spec that
// had a request still throttled after the last try is the server being
// busy, not breaking a rule, so the spec is skipped with the reason.
func (e *Env) failOrSkip(message string, callerSkip ...int) {
	skip := 1
	if len(callerSkip) > 0 {
		skip += callerSkip[0]
	}
	if reason := e.skipReason(); reason != "" {
		g.Skip(e.Redactor.String(reason), skip)
	}
	g.Fail(e.Redactor.String(message), skip)
}

// skipReason says why the current spec is skipped rather than failed, or "".
func (e *Env) skipReason() string {
	if slices.Contains(g.CurrentSpecReport().Labels(), RuleLabel(ruleRateLimit)) {
		return ""
	}
	e.mu.Lock()
	start, last := e.specStart, e.lastThrottle
	e.mu.Unlock()
	d := e.Client.Stats().Sub(start)
	if d.Exhausted == 0 {
		return ""
	}
	if last == "" {
		last = strconv.FormatInt(d.Exhausted, 10) + " requests still throttled after the last try"
	}
	return fmt.Sprintf("the target kept throttling (--retry-max-tries %d, --retry-max-wait %s): %s",
		e.Cfg.RetryTries, e.Cfg.RetryMaxWait, last)
}

// throttleOf reads a throttling entry, live or decoded from report.json.
func throttleOf(entry types.ReportEntry) client.Stats {
	if s, ok := entry.Value.GetRawValue().(client.Stats); ok {
		return s
	}
	var s client.Stats
	_ = json.Unmarshal([]byte(entry.Value.AsJSON), &s)
	return s
}

// Throttling is the pacing and retry line of the console summary.
func (r *Result) Throttling() string {
	pace := "unpaced"
	if r.Config.Rate > 0 {
		pace = strconv.FormatFloat(r.Config.Rate, 'f', -1, 64) + " requests/s"
	}
	return fmt.Sprintf("pacing: %s, %d side by side; throttled: %d retries, %s waiting, %d requests still throttled (specs skipped)",
		pace, r.Config.Concurrency, r.Throttle.Retries, r.Throttle.Throttled.Round(time.Millisecond), r.Throttle.Exhausted)
}

// JUnit suite properties with the run's throttling, for CI dashboards.
const (
	PropRetries   = "presencekit.retries"
	PropThrottled = "presencekit.throttled_seconds"
	PropExhausted = "presencekit.still_throttled"
)

// addThrottleProperties adds the run's throttling to the properties of
// every test suite in the JUnit file at path.
func addThrottleProperties(path string, s client.Stats) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var suites reporters.JUnitTestSuites
	if err := xml.Unmarshal(data, &suites); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for i := range suites.TestSuites {
		p := &suites.TestSuites[i].Properties
		p.Properties = append(p.Properties,
			reporters.JUnitProperty{Name: PropRetries, Value: strconv.FormatInt(s.Retries, 10)},
			reporters.JUnitProperty{Name: PropThrottled, Value: strconv.FormatFloat(s.Throttled.Seconds(), 'f', 3, 64)},
			reporters.JUnitProperty{Name: PropExhausted, Value: strconv.FormatInt(s.Exhausted, 10)})
	}
	out, err := xml.MarshalIndent(suites, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), out...), 0o644)
}
