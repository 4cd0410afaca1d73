package loadgen

import (
	"errors"
	"fmt"
	"time"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/spec"
)

// Runner defaults, used by DefaultConfig and for zero Config fields.
const (
	// DefaultConnections is the keep-alive connections to the target.
	DefaultConnections = 32
	// DefaultTimeout bounds one request, and the drain after the last send
	// or an interrupt.
	DefaultTimeout = 10 * time.Second
	// DefaultInterval is the length of a results interval and of a progress
	// line when not on a terminal.
	DefaultInterval = time.Second
	// DefaultLateAfter is how long after its intended time a send counts as
	// late. A millisecond is well above timer jitter on an idle machine and
	// well below any latency worth reporting.
	DefaultLateAfter = time.Millisecond
	// DefaultDuration bounds a run when neither Duration nor Requests nor
	// Stages is given.
	DefaultDuration = 30 * time.Second
	// DefaultMaxErrorRate is the share of failed requests above which a
	// run (or its setup phase) has failed: a run where most requests fail
	// measured the failure, not the server.
	DefaultMaxErrorRate = 0.5
	// ArrivalConstant and ArrivalPoisson name the open loop's arrival
	// processes in RunInfo.Arrival: evenly spaced (ConstantRate, Ramps) and
	// Poisson.
	ArrivalConstant = "constant"
	// ArrivalPoisson: see ArrivalConstant.
	ArrivalPoisson = "poisson"
	// ArrivalCustom is RunInfo.Arrival of a Pacer from outside this
	// package.
	ArrivalCustom = "custom"
)

// Config is one load run: open loop when Pacer is set, closed loop when
// Concurrency is.
type Config struct {
	// Target is the server's base URL (scheme, host, optional path prefix).
	Target   string
	Org, App string
	// Tenant is the spec's tenant prefix (spec.Doc.Tenant); zero means
	// spec.DefaultTenant, /{org_name}/{app_name}.
	Tenant spec.Tenant
	// Token is sent as the bearer token; it never reaches Results.
	Token string
	// ClientID and ClientSecret, when set and Token is empty, get the token
	// from the token endpoint; it is renewed before it expires and once
	// when the server answers 401 (Results.TokenRenewals counts renewals).
	ClientID, ClientSecret string

	Workload Workload

	// Pacer runs the open loop: hits leave on its schedule, whatever the
	// server's answers do (ConstantRate, Ramps, Poisson, or your own).
	Pacer Pacer
	// Concurrency > 0 runs the closed loop: that many workers send back to
	// back. Closed-loop latency is service time; only the open loop can
	// show what a queue does to users arriving on their own schedule.
	Concurrency int

	// Connections is the size of the keep-alive pool; Workers the open
	// loop's sending goroutines (default: Connections).
	Connections, Workers int
	// Duration and Requests bound the measured phase; either may be zero.
	Duration time.Duration
	Requests uint64
	// Timeout bounds each request and the final drain.
	Timeout time.Duration
	// Interval is the results interval.
	Interval time.Duration
	// LateAfter is the late-send threshold.
	LateAfter time.Duration

	// Validate is the fraction of answers checked against Doc.
	Validate float64
	Doc      *spec.Doc

	// Verify checks every answer against a model of what the run's users
	// were told and acknowledged (verify.go); VerifyStaleness is how old a
	// state an answer may show (0: none, the server is linearizable);
	// VerifySkew the tolerance between the target's clock and ours for
	// absolute expiries (0: DefaultVerifySkew); VerifyCap the subscription
	// cap, the spec's by DefaultConfig (0: none known, SUB-CAP unchecked). VerifySample is the share of read
	// answers checked (0: all; writes are always modelled, so a sample
	// loses checks, never exactness).
	VerifySample    float64
	Verify          bool
	VerifyStaleness time.Duration
	VerifySkew      time.Duration
	VerifyCap       int

	// Client is ClientFastHTTP or ClientNetHTTP.
	Client string
	// Setup runs the setup phase (the subscription graph) first.
	Setup bool
	// MaxErrorRate is the share (0..1) of failed requests above which the
	// run, or its setup phase, has failed (Run returns ErrRunFailed).
	MaxErrorRate float64

	// OnInterval, if set, is called after each interval of the setup phase
	// and of the measured phase, and once more at each phase's end
	// (progress bars, plain lines). It must return quickly.
	OnInterval func(Snapshot)

	// now is the clock of the latency accounting and token renewal; nil
	// means time.Now. Tests inject a fake one.
	now func() time.Time
}

// DefaultConfig is the default run against target with the given limits.
func DefaultConfig(target string, limits spec.Limits) Config {
	return Config{
		Target: target, Org: "org", App: "app", Workload: DefaultWorkload(limits),
		Connections: DefaultConnections, Timeout: DefaultTimeout,
		Interval: DefaultInterval, LateAfter: DefaultLateAfter, Client: DefaultClient, Setup: true,
		MaxErrorRate: DefaultMaxErrorRate, VerifyCap: limits.MaxSubscriptions,
	}
}

// Snapshot is the state after an interval, for progress displays.
type Snapshot struct {
	// Setup marks the setup phase: Done of Requests setup requests (the
	// subscription graph) sent so far; the latency fields are zero. The
	// setup's first snapshot comes before any request (Done 0).
	Setup bool
	// Elapsed since the phase started; Bound is Config.Duration (0 in
	// the setup phase).
	Elapsed, Bound time.Duration
	// At is the whole number of intervals (1s, 2s, ... with the default
	// Interval) whose tick this snapshot is, whatever the timer's jitter;
	// 0 on the first setup snapshot and on a Final one.
	At time.Duration
	// Final marks a phase's last snapshot: its end, or an interrupt.
	Final bool
	// Requests is Config.Requests (the setup's size in the setup phase);
	// Done the requests completed so far.
	Requests, Done uint64
	// Errors and Late so far.
	Errors, Late uint64
	// Rate is completions per second in the last interval; Target the
	// pacer's rate now (0 in the closed loop).
	Rate, Target float64
	// P99 is the last interval's corrected p99 over all operations.
	P99 time.Duration
	// Verify says the run checks answers (--verify); Violations is how
	// many violations it found so far.
	Verify     bool
	Violations uint64
}

// ErrConfig is wrapped by configuration errors, so the CLI can exit 2.
var ErrConfig = errors.New("invalid load configuration")

// FieldError is a Config field whose value cannot work. Field is the Go
// path of the field in Config ("Connections", "Workload.Users",
// "Pacer.Rate" for the rate a Pacer was built with), so a caller can name
// its own flag or key for it; the message names it as Config.<Field>.
// errors.Is(err, ErrConfig) holds.
type FieldError struct {
	Field string
	Value any
	Want  string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("Config.%s %v: %s", e.Field, e.Value, e.Want)
}

// Is makes a FieldError an ErrConfig.
func (e *FieldError) Is(target error) bool { return target == ErrConfig }

func bad(field string, v any, want string) error {
	return &FieldError{Field: field, Value: v, Want: want}
}

// Check refuses a Config that cannot run, before anything starts: every
// numeric field is in range (zero means "the default" where a default
// exists), and exactly one of open loop (Pacer) and closed loop
// (Concurrency) is chosen.
func (c *Config) Check() error {
	open := c.Pacer != nil
	switch {
	case c.Concurrency < 0:
		return bad("Concurrency", c.Concurrency, "want workers > 0")
	case open && c.Concurrency > 0:
		return fmt.Errorf("%w: Config.Pacer (open loop) and Config.Concurrency (closed loop) exclude each other", ErrConfig)
	case !open && c.Concurrency == 0:
		return fmt.Errorf("%w: no pacing: set Config.Pacer (open loop) or Config.Concurrency (closed loop)", ErrConfig)
	case c.Connections < 0:
		return bad("Connections", c.Connections, "want connections > 0")
	case c.Workers < 0:
		return bad("Workers", c.Workers, "want workers > 0")
	case c.Duration < 0:
		return bad("Duration", c.Duration, "want a positive duration")
	case c.Timeout < 0:
		return bad("Timeout", c.Timeout, "want a positive duration")
	case c.Interval < 0:
		return bad("Interval", c.Interval, "want a positive duration")
	case c.LateAfter < 0:
		return bad("LateAfter", c.LateAfter, "want a positive duration")
	case !(c.Validate >= 0 && c.Validate <= 1):
		return bad("Validate", c.Validate, "want a fraction in 0..1")
	case c.Validate > 0 && c.Doc == nil:
		return fmt.Errorf("%w: Config.Validate needs Config.Doc, the spec", ErrConfig)
	case c.VerifyStaleness < 0:
		return bad("VerifyStaleness", c.VerifyStaleness, "want 0 or a positive duration")
	case c.VerifySkew < 0:
		return bad("VerifySkew", c.VerifySkew, "want 0 or a positive duration")
	case !(c.VerifySample >= 0 && c.VerifySample <= 1):
		return bad("VerifySample", c.VerifySample, "want a fraction in 0..1 (0: every answer)")
	case c.VerifyCap < 0:
		return bad("VerifyCap", c.VerifyCap, "want 0 (the default) or a positive cap")
	case !(c.MaxErrorRate >= 0 && c.MaxErrorRate <= 1):
		return bad("MaxErrorRate", c.MaxErrorRate, "want a fraction in 0..1")
	case c.Org == "" && (len(c.Tenant.Segments) == 0 || c.Tenant.HasOrg()):
		return bad("Org", `""`, "must not be empty")
	case c.App == "":
		return bad("App", `""`, "must not be empty")
	case c.Token == "" && (c.ClientID == "") != (c.ClientSecret == ""):
		return fmt.Errorf("%w: Config.ClientID and Config.ClientSecret go together", ErrConfig)
	}
	if p, ok := c.Pacer.(builtin); ok {
		if p.curve() == nil {
			return bad("Pacer", "Poisson(a custom pacer)", "want Poisson over ConstantRate or Ramps")
		}
		if err := p.curve().check(); err != nil {
			return err
		}
	}
	return c.Workload.check()
}

func (c *Config) normalize() error {
	if err := c.Check(); err != nil {
		return err
	}
	if c.Connections == 0 {
		c.Connections = max(c.Concurrency, DefaultConnections)
	}
	if c.Workers == 0 {
		c.Workers = c.Connections
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.LateAfter == 0 {
		c.LateAfter = DefaultLateAfter
	}
	if c.Client == "" {
		c.Client = DefaultClient
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.Verify {
		c.Workload.Walks = true
		if c.VerifySkew == 0 {
			c.VerifySkew = DefaultVerifySkew
		}
	}
	if c.Duration == 0 && c.Requests == 0 {
		c.Duration = DefaultDuration
		if p, ok := c.Pacer.(builtin); ok && p.curve().span() > 0 {
			c.Duration = p.curve().span() // the run ends with the last stage
		}
	}
	return nil
}

func (c *Config) info() RunInfo {
	ri := RunInfo{
		Target: client.NewRedactor(c.Token, c.ClientSecret).URL(c.Target), Org: c.Org, App: c.App, Auth: "none", Mode: "open",
		Concurrency: c.Concurrency,
		Connections: c.Connections, Workers: c.Workers, Duration: c.Duration, Requests: c.Requests,
		Timeout: c.Timeout, Users: c.Workload.Users, UserPrefix: c.Workload.UserPrefix,
		Zipf: c.Workload.Zipf, Mix: c.Workload.Mix.String(), Batch: c.Workload.Batch.String(),
		Seed: c.Workload.Seed, Shard: c.Workload.Shard.norm().String(), Validate: c.Validate, Client: c.Client,
		MaxErrorRate: c.MaxErrorRate, Verify: c.Verify, VerifyStaleness: c.VerifyStaleness,
		VerifySample: c.VerifySample,
	}
	switch {
	case c.Token != "":
		ri.Auth = "token (redacted)"
	case c.ClientID != "":
		ri.Auth = "client credentials (token renewed as needed)"
	}
	switch p := c.Pacer.(type) {
	case nil:
		ri.Mode, ri.Workers = "closed", c.Concurrency
	case builtin:
		ri.Arrival = p.arrival()
		p.curve().describe(&ri)
	default:
		ri.Arrival = ArrivalCustom
		if r, ok := p.(rater); ok {
			ri.Rate = r.Rate(0)
		}
	}
	return ri
}
