// Package suites is presencekit's conformance suite: Ginkgo v2 specs, one
// or more per rule of the catalogue, run against any presence server over
// HTTP. The specs stay thin; requests, expectations and fixtures are plain
// Go (env.go, expect.go) so they can be unit-tested.
package suites

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"math"
	"time"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/internal/settings"
)

// Defaults of Config, documented in --help and docs/conformance.md.
const (
	DefaultOrg       = "org"
	DefaultApp       = "app"
	DefaultLevel     = "should"
	DefaultReportDir = "reports"
	DefaultTimeout   = 10 * time.Second
	DefaultClockSkew = 5 * time.Second
	// DefaultRate paces a run against a --target (requests/s over the
	// whole run): under the vendors' documented limits (Easemob 100/s,
	// Agora and Shengwang 50/s per app key), so a shared tenant stays
	// usable. The embedded mock is not paced.
	DefaultRate = 20
	// DefaultConcurrency is how many spec groups run side by side against
	// a --target. The embedded mock answers in microseconds: one group.
	DefaultConcurrency = 4
	// DefaultRetryMaxWait and DefaultRetryMaxTries bound the retries of a
	// throttled request (client.RetryPolicy).
	DefaultRetryMaxWait  = 30 * time.Second
	DefaultRetryMaxTries = 5
	// EnvPrefix starts every environment variable the suite reads.
	EnvPrefix = "PRESENCE_"
)

// ErrConfig marks a configuration the suite cannot run with: the gate
// exits 2, not 1, so a broken CI setup is not mistaken for a broken server.
var ErrConfig = errors.New("bad configuration")

// Config is everything the suite is told, in one typed struct. It is filled
// in order: defaults, the YAML file (--config / PRESENCE_CONFIG), PRESENCE_*
// environment variables, flags. Each field's tags name its YAML key, its
// environment variable (PRESENCE_ + env), its flag and its help text.
type Config struct {
	Target       string        `yaml:"target" env:"TARGET" flag:"target" help:"base URL of the server under test, e.g. https://a1.easemob.com (empty: start the embedded mock)"`
	Org          string        `yaml:"org" env:"ORG" flag:"org" help:"org_name of the tenant"`
	App          string        `yaml:"app" env:"APP" flag:"app" help:"app_name of the tenant"`
	Token        string        `yaml:"token" env:"TOKEN" flag:"token" help:"app token sent as 'Authorization: Bearer' (never printed)" secret:"true"`
	ClientID     string        `yaml:"client_id" env:"CLIENT_ID" flag:"client-id" help:"client ID for POST /token (used when --token is empty, and by the TOKEN-* rules)"`
	ClientSecret string        `yaml:"client_secret" env:"CLIENT_SECRET" flag:"client-secret" help:"client secret for POST /token (never printed)" secret:"true"`
	AdminToken   string        `yaml:"admin_token" env:"ADMIN_TOKEN" flag:"admin-token" help:"token of a presencekit mock's /_mock/ admin API: moves its virtual clock and prepares groups (never printed)" secret:"true"`
	UserPrefix   string        `yaml:"user_prefix" env:"USER_PREFIX" flag:"user-prefix" help:"prefix of every user name the suite touches (default: random per run)"`
	Users        []string      `yaml:"test_users" env:"TEST_USERS" flag:"test-users" help:"comma-separated pre-registered test users the server knows; without it every generated name is taken as known"`
	Group        string        `yaml:"group" env:"GROUP" flag:"group" help:"a group you prepared, for the group-count rules (without it and without --admin-token they are skipped)"`
	GroupOnline  int           `yaml:"group_online" env:"GROUP_ONLINE" flag:"group-online" help:"how many members of --group are connected, to check GROUP-COUNT exactly (-1: only the answer's shape)"`
	Level        string        `yaml:"level" env:"LEVEL" flag:"level" help:"rules that fail the gate: 'must' or 'should' (MUST and SHOULD)"`
	LabelFilter  string        `yaml:"label_filter" env:"LABEL_FILTER" flag:"label-filter" help:"Ginkgo label filter: rule:<ID>, level:<LEVEL>, op:<operationId>, slow, e.g. 'level:MUST || op:listSubscriptions'"`
	ReportDir    string        `yaml:"report_dir" env:"REPORT_DIR" flag:"report-dir" help:"directory for junit.xml, report.json and report.html"`
	Timeout      time.Duration `yaml:"timeout" env:"TIMEOUT" flag:"timeout" help:"timeout of one HTTP request"`
	ClockSkew    time.Duration `yaml:"clock_skew" env:"CLOCK_SKEW" flag:"clock-skew" help:"tolerated difference between the server's clock and ours"`
	StrictTypes  string        `yaml:"strict_types" env:"STRICT_TYPES" flag:"strict-types" help:"demand one number form: 'string' or 'integer' (empty: accept both, docs/contract.md#d5)"`
	MaxSubs      int           `yaml:"max_subscriptions" env:"MAX_SUBSCRIPTIONS" flag:"max-subscriptions" help:"per-subscriber subscription cap of SUB-CAP (docs/contract.md#d4); 0: the spec's x-max-subscriptions; without --target the embedded mock holds this cap too"`
	Rate         float64       `yaml:"rate" env:"RATE" flag:"rate" help:"requests per second over the whole run, retries and cleanup included (0: unpaced; default 20 with --target, 0 for the embedded mock)"`
	Concurrency  int           `yaml:"concurrency" env:"CONCURRENCY" flag:"concurrency" help:"spec groups run side by side, on disjoint users (default 4 with --target, 1 for the embedded mock)"`
	RetryMaxWait time.Duration `yaml:"retry_max_wait" env:"RETRY_MAX_WAIT" flag:"retry-max-wait" help:"longest wait before retrying a throttled request (429 or --rate-limit-codes), whatever Retry-After says"`
	RetryTries   int           `yaml:"retry_max_tries" env:"RETRY_MAX_TRIES" flag:"retry-max-tries" help:"sends of one request at most, the first included; a request still throttled skips its spec"`
	RateCodes    []string      `yaml:"rate_limit_codes" env:"RATE_LIMIT_CODES" flag:"rate-limit-codes" help:"comma-separated error codes that mean throttled whatever the status (a 429 always does)"`
	BusyStatuses []int         `yaml:"busy_statuses" env:"BUSY_STATUSES" flag:"busy-statuses" help:"comma-separated 5xx statuses that mean throttled too, e.g. 503 from a loaded gateway (default none: a 5xx fails its rule); a spec still answered so is skipped, so a 5xx to bad input then goes unjudged"`
	Profile      string        `yaml:"profile" env:"PROFILE" flag:"profile" help:"vendor profile: a built-in name (presencekit spec profiles) or an OpenAPI Overlay file (.yaml); default easemob"`
	ConfigFile   string        `yaml:"-" env:"CONFIG" flag:"config" help:"YAML file with any of these settings (keys as in docs/conformance.md)"`
}

// Defaults returns the Config the suite starts from.
func Defaults() Config {
	return Config{Org: DefaultOrg, App: DefaultApp, Level: DefaultLevel, ReportDir: DefaultReportDir,
		Timeout: DefaultTimeout, ClockSkew: DefaultClockSkew, GroupOnline: -1,
		Rate: DefaultRate, Concurrency: DefaultConcurrency, RetryMaxWait: DefaultRetryMaxWait,
		RetryTries: DefaultRetryMaxTries, RateCodes: []string{client.CodeReachLimit}}
}

// forEmbeddedMock turns the --target defaults of pacing into the embedded
// mock's, for the settings no layer gave explicitly.
func (c *Config) forEmbeddedMock(explicit func(flag string) bool) {
	if c.Target != "" {
		return
	}
	if !explicit("rate") {
		c.Rate = 0
	}
	if !explicit("concurrency") {
		c.Concurrency = 1
	}
}

// Binder registers Config's flags on a flag.FlagSet and, after parsing,
// resolves the layers. cobra takes the same set through AddGoFlagSet, and
// `go test ./suites -args` through flag.CommandLine. The mechanics are
// internal/settings', shared with load.
type Binder struct {
	fs *flag.FlagSet
	b  *settings.Binder
}

// Bind registers one flag per Config field on fs.
func Bind(fs *flag.FlagSet) *Binder {
	return &Binder{fs: fs, b: settings.Bind(fs, Defaults(), settings.Options{EnvPrefix: EnvPrefix, FileFlag: "config"})}
}

// Resolve builds the Config: defaults, then the YAML file, then the
// environment (getenv, usually os.Getenv), then the flags that were set.
func (b *Binder) Resolve(getenv func(string) string) (Config, error) {
	set := map[string]bool{}
	b.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return b.ResolveChanged(getenv, func(name string) bool { return set[name] })
}

// ResolveChanged is Resolve for a command line parsed by someone else
// (cobra's pflag), which knows which flags were given.
func (b *Binder) ResolveChanged(getenv func(string) string, changed func(name string) bool) (Config, error) {
	var cfg Config
	given, err := b.b.Resolve(&cfg, getenv, changed)
	if err != nil {
		return cfg, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	cfg.forEmbeddedMock(func(name string) bool { _, ok := given[name]; return ok })
	return cfg, cfg.Check()
}

// Check refuses settings that cannot work, before any request is sent.
func (c *Config) Check() error {
	switch c.Level {
	case "must", "should":
	default:
		return fmt.Errorf("%w: --level %q: want must or should", ErrConfig, c.Level)
	}
	switch c.StrictTypes {
	case "", "string", "integer":
	default:
		return fmt.Errorf("%w: --strict-types %q: want string or integer", ErrConfig, c.StrictTypes)
	}
	if c.Org == "" || c.App == "" {
		return fmt.Errorf("%w: --org and --app must not be empty", ErrConfig)
	}
	if c.Timeout <= 0 || c.ClockSkew < 0 || c.MaxSubs < 0 {
		return fmt.Errorf("%w: --timeout, --clock-skew and --max-subscriptions must be positive", ErrConfig)
	}
	return c.checkPacing()
}

// checkPacing refuses pacing and retry settings that cannot work.
func (c *Config) checkPacing() error {
	switch {
	case c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0):
		return fmt.Errorf("%w: --rate %v: want requests per second, 0 or more (0: unpaced)", ErrConfig, c.Rate)
	case c.Concurrency < 1:
		return fmt.Errorf("%w: --concurrency %d: want 1 or more", ErrConfig, c.Concurrency)
	case c.RetryMaxWait <= 0:
		return fmt.Errorf("%w: --retry-max-wait %s: want a positive duration", ErrConfig, c.RetryMaxWait)
	case c.RetryTries < 1:
		return fmt.Errorf("%w: --retry-max-tries %d: want 1 or more (1: never retry)", ErrConfig, c.RetryTries)
	}
	for _, st := range c.BusyStatuses {
		// A 4xx is an answer the contract judges (400, 401, 404, ...):
		// calling one busy would let a server skip the rules that demand
		// it. A vendor that throttles with a 4xx names its error code
		// (--rate-limit-codes) instead.
		if st < 500 || st > 599 {
			return fmt.Errorf("%w: --busy-statuses %d: want 5xx statuses (a 429 always counts; a vendor's 4xx throttling goes in --rate-limit-codes)", ErrConfig, st)
		}
	}
	return nil
}

// WithUserPrefix fills an empty UserPrefix with a random one, so parallel
// runs (ginkgo -p, several CI jobs) never touch each other's users.
func (c Config) WithUserPrefix() Config {
	if c.UserPrefix == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		c.UserPrefix = "pk" + hex.EncodeToString(b[:])
	}
	return c
}

// Redacted is the Config with its secrets replaced, for reports and logs:
// the secret fields, and the password of a target URL (http://user:pw@host).
func (c Config) Redacted() Config {
	c = settings.Redacted(c)
	c.Target = (*client.Redactor)(nil).URL(c.Target)
	return c
}
