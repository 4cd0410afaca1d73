package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/presencekit/presencekit/internal/settings"
	"github.com/presencekit/presencekit/loadgen"
	"github.com/presencekit/presencekit/spec"
)

// loadSettings is everything load is told, read like conform's settings:
// defaults, then a YAML file (--config / PRESENCE_LOAD_CONFIG), then
// PRESENCE_* variables, then flags. The connection settings share
// conform's variables (PRESENCE_TARGET, PRESENCE_TOKEN, …); load's own
// settings are PRESENCE_LOAD_*, so a variable meant for one command never
// changes the other.
type loadSettings struct {
	Target       string `yaml:"target" env:"TARGET" flag:"target" help:"base URL of the server (default: the embedded mock on 127.0.0.1)"`
	Org          string `yaml:"org" env:"ORG" flag:"org" help:"org name in the API paths"`
	Profile      string `yaml:"profile" env:"PROFILE" flag:"profile" help:"vendor profile: a built-in name (presencekit spec profiles) or an OpenAPI Overlay file (.yaml); its limits set batch sizes, its paths the requests; default easemob"`
	App          string `yaml:"app" env:"APP" flag:"app" help:"app name in the API paths"`
	Token        string `yaml:"token" env:"TOKEN" flag:"token" help:"bearer token; never written to any output" secret:"true"`
	ClientID     string `yaml:"client_id" env:"CLIENT_ID" flag:"client-id" help:"get the token from POST /token with these client credentials, renewed before it expires and on 401"`
	ClientSecret string `yaml:"client_secret" env:"CLIENT_SECRET" flag:"client-secret" help:"client secret for --client-id; never written to any output" secret:"true"`

	Users      int     `yaml:"users" env:"LOAD_USERS" flag:"users" help:"user population size (at least 2)"`
	UserPrefix string  `yaml:"user_prefix" env:"LOAD_USER_PREFIX" flag:"user-prefix" help:"user names are PREFIX<n>"`
	Zipf       float64 `yaml:"zipf" env:"LOAD_ZIPF" flag:"zipf" help:"Zipf exponent (> 1) of target popularity"`
	Mix        string  `yaml:"mix" env:"LOAD_MIX" flag:"mix" help:"operation weights"`
	Batch      string  `yaml:"batch" env:"LOAD_BATCH" flag:"batch" help:"users per batch request, N or MIN..MAX, clamped to the spec's limits"`
	Groups     int     `yaml:"groups" env:"LOAD_GROUPS" flag:"groups" help:"group IDs asked for online counts (at least 1)"`
	SetupSubs  int     `yaml:"setup_subs" env:"LOAD_SETUP_SUBS" flag:"setup-subs" help:"subscriptions per user in the setup phase (0: no setup)"`
	Seed       uint64  `yaml:"seed" env:"LOAD_SEED" flag:"seed" help:"seed of the request stream and arrivals"`
	Shard      string  `yaml:"shard" env:"LOAD_SHARD" flag:"shard" help:"act for part i of n of the users (i/n)"`

	Rate        float64       `yaml:"rate" env:"LOAD_RATE" flag:"rate" help:"open loop: requests per second, > 0 (start rate with --stages); one of --rate, --stages or --concurrency is required"`
	Stages      string        `yaml:"stages" env:"LOAD_STAGES" flag:"stages" help:"open loop: linear ramps \"30s:1000,2m:5000,30s:0\""`
	Arrival     string        `yaml:"arrival" env:"LOAD_ARRIVAL" flag:"arrival" help:"open loop arrivals: constant or poisson"`
	Concurrency int           `yaml:"concurrency" env:"LOAD_CONCURRENCY" flag:"concurrency" help:"closed loop: workers sending back to back, > 0"`
	Connections int           `yaml:"connections" env:"LOAD_CONNECTIONS" flag:"connections" help:"keep-alive connections, > 0 (default 32, or --concurrency)"`
	Workers     int           `yaml:"workers" env:"LOAD_WORKERS" flag:"workers" help:"open-loop sending goroutines, > 0 (default: --connections)"`
	Duration    time.Duration `yaml:"duration" env:"LOAD_DURATION" flag:"duration" help:"measured phase length, > 0 (default 30s unless --requests or --stages)"`
	Requests    uint64        `yaml:"requests" env:"LOAD_REQUESTS" flag:"requests" help:"stop after this many requests, > 0"`
	Timeout     time.Duration `yaml:"timeout" env:"LOAD_TIMEOUT" flag:"timeout" help:"per-request timeout, > 0; also bounds the drain on SIGINT"`
	ReportEvery time.Duration `yaml:"report_every" env:"LOAD_REPORT_EVERY" flag:"report-every" help:"results interval and progress tick (plain lines on whole ticks: 1s, 2s, ...), > 0"`

	Validate     float64       `yaml:"validate" env:"LOAD_VALIDATE" flag:"validate" help:"fraction (0..1) of answers validated against openapi.yaml"`
	MaxErrorRate float64       `yaml:"max_error_rate" env:"LOAD_MAX_ERROR_RATE" flag:"max-error-rate" help:"fraction (0..1) of failed requests above which the run (or its setup) failed: exit 1"`
	Verify       bool          `yaml:"verify" env:"LOAD_VERIFY" flag:"verify" help:"check every answer against a model of what this run told the server (read-your-writes, sublist pages, totalnum, expiry, cap); any violation fails the run (exit 1) unless a 'violations' threshold decides; see docs/load.md"`
	VerifyStale  time.Duration `yaml:"verify_staleness" env:"LOAD_VERIFY_STALENESS" flag:"verify-staleness" help:"with --verify: how old a state an answer may show (0: every acknowledged write is visible at once)"`
	VerifySample float64       `yaml:"verify_sample" env:"LOAD_VERIFY_SAMPLE" flag:"verify-sample" help:"with --verify: share (0..1] of read answers checked; writes are always modelled (a sample loses checks, never exactness); 1 checks every answer"`
	VerifySkew   time.Duration `yaml:"verify_skew" env:"LOAD_VERIFY_SKEW" flag:"verify-skew" help:"with --verify: tolerance between the server's clock and this machine's for absolute expiries"`
	Client       string        `yaml:"client" env:"LOAD_CLIENT" flag:"client" help:"HTTP client: fasthttp or net (net/http, for HTTP/2)"`
	Thresholds   []string      `yaml:"thresholds" env:"LOAD_THRESHOLDS" flag:"threshold" help:"pass/fail rule, repeatable: 'p99<50ms', 'get:p99.9<200ms', 'errors<0.1%', 'rate>=0.95' (exit 3 when breached)"`
	Out          string        `yaml:"out" env:"LOAD_OUT" flag:"out" help:"write results.json here"`
	HDRLog       string        `yaml:"hdr_log" env:"LOAD_HDR_LOG" flag:"hdr-log" help:"write an HdrHistogram interval log here"`
	HTML         string        `yaml:"html" env:"LOAD_HTML" flag:"html" help:"write a self-contained HTML report here: threshold verdicts, per-operation table (ms), errors by kind, configuration (secrets masked), then charts"`
	ConfigFile   string        `yaml:"-" env:"LOAD_CONFIG" flag:"config" help:"YAML file with any of these settings (keys as in docs/load.md)"`
}

// defaultLoadSettings are load's defaults, as --help shows them.
func defaultLoadSettings() loadSettings {
	w := loadgen.DefaultWorkload(spec.Limits{})
	return loadSettings{
		Org: "org", App: "app", Users: w.Users, UserPrefix: w.UserPrefix, Zipf: w.Zipf,
		Mix: loadgen.DefaultMix, Batch: w.Batch.String(), Groups: w.Groups, SetupSubs: w.SetupSubs,
		Seed: w.Seed, Shard: "0/1", Arrival: loadgen.ArrivalConstant, Timeout: loadgen.DefaultTimeout,
		ReportEvery: loadgen.DefaultInterval, MaxErrorRate: loadgen.DefaultMaxErrorRate, Client: loadgen.DefaultClient,
		VerifySkew: loadgen.DefaultVerifySkew, VerifySample: 1,
	}
}

func bindLoadSettings(fs *flag.FlagSet) *settings.Binder {
	return settings.Bind(fs, defaultLoadSettings(), settings.Options{EnvPrefix: "PRESENCE_", FileFlag: "config"})
}

// loadFlags names the flag of each loadgen.Config field a FieldError can
// name.
var loadFlags = map[string]string{
	"Target": "target", "Org": "org", "App": "app", "Pacer.Rate": "rate", "Pacer.Stages": "stages",
	"Concurrency": "concurrency", "Connections": "connections", "Workers": "workers", "Duration": "duration",
	"Timeout": "timeout", "Interval": "report-every", "Validate": "validate", "MaxErrorRate": "max-error-rate",
	"Client": "client", "Workload.Users": "users", "Workload.Zipf": "zipf", "Workload.Batch": "batch",
	"Workload.Groups": "groups", "Workload.SetupSubs": "setup-subs", "Workload.Mix": "mix", "Workload.Shard": "shard",
	"VerifyStaleness": "verify-staleness", "VerifySkew": "verify-skew", "VerifySample": "verify-sample",
}

// errNoPacing is the usage error of a load with no pacing at all.
var errNoPacing = errors.New("give --rate R or --stages S (open loop: requests leave on a schedule) or --concurrency C (closed loop: C workers back to back)")

// config resolves the settings into a loadgen.Config; every error names
// the flag (and the variable or file that set it).
func (s *loadSettings) config(given map[string]settings.Source, doc *spec.Doc) (loadgen.Config, []loadgen.Threshold, error) {
	cfg := loadgen.DefaultConfig(s.Target, doc.Limits())
	cfg.Doc = doc
	named := func(flag string, v any, want string) error {
		from := ""
		switch given[flag] {
		case settings.FromEnv:
			from = " (from the environment)"
		case settings.FromFile:
			from = " (from the config file)"
		}
		return fmt.Errorf("--%s %v%s: %s", flag, v, from, want)
	}
	// Zero means "the default" inside loadgen; a zero given explicitly is a
	// mistake (--rate 0 would silently run the closed loop's error).
	positive := []struct {
		flag string
		zero bool
		v    any
	}{
		{"rate", s.Rate == 0, s.Rate}, {"concurrency", s.Concurrency == 0, s.Concurrency},
		{"connections", s.Connections == 0, s.Connections}, {"workers", s.Workers == 0, s.Workers},
		{"duration", s.Duration == 0, s.Duration}, {"requests", s.Requests == 0, s.Requests},
		{"timeout", s.Timeout == 0, s.Timeout}, {"report-every", s.ReportEvery == 0, s.ReportEvery},
		{"verify-sample", s.VerifySample == 0, s.VerifySample},
	}
	for _, p := range positive {
		if _, ok := given[p.flag]; ok && p.zero {
			return cfg, nil, named(p.flag, p.v, "must be greater than 0")
		}
	}
	var err error
	w := &cfg.Workload
	if w.Mix, err = loadgen.ParseMix(s.Mix); err != nil {
		return cfg, nil, named("mix", fmt.Sprintf("%q", s.Mix), err.Error())
	}
	// Operations the profile's vendor does not offer weigh zero: a load
	// test of them would only measure 404s.
	for op := loadgen.Op(0); op < loadgen.NumOps; op++ {
		if slices.Contains(doc.Profile().OperationsNotOffered, op.ID()) {
			w.Mix[op] = 0
		}
	}
	if w.Batch, err = loadgen.ParseRange(s.Batch); err != nil {
		return cfg, nil, named("batch", fmt.Sprintf("%q", s.Batch), err.Error())
	}
	if w.Shard, err = loadgen.ParseShard(s.Shard); err != nil {
		return cfg, nil, named("shard", fmt.Sprintf("%q", s.Shard), err.Error())
	}
	var ferr *flagValueError
	if cfg.Pacer, ferr = s.pacer(); ferr != nil {
		return cfg, nil, named(ferr.flag, fmt.Sprintf("%q", ferr.value), ferr.want)
	}
	ths := make([]loadgen.Threshold, 0, len(s.Thresholds))
	for _, raw := range s.Thresholds {
		th, err := loadgen.ParseThreshold(raw)
		if err != nil {
			return cfg, nil, named("threshold", fmt.Sprintf("%q", raw), err.Error())
		}
		ths = append(ths, th)
	}
	cfg.Org, cfg.App, cfg.Token, cfg.ClientID, cfg.ClientSecret = s.Org, s.App, s.Token, s.ClientID, s.ClientSecret
	w.Users, w.UserPrefix, w.Zipf, w.Groups, w.SetupSubs, w.Seed = s.Users, s.UserPrefix, s.Zipf, s.Groups, s.SetupSubs, s.Seed
	cfg.Concurrency, cfg.Connections, cfg.Workers = s.Concurrency, s.Connections, s.Workers
	cfg.Duration, cfg.Requests, cfg.Timeout, cfg.Interval = s.Duration, s.Requests, s.Timeout, s.ReportEvery
	cfg.Validate, cfg.MaxErrorRate, cfg.Client = s.Validate, s.MaxErrorRate, s.Client
	cfg.Verify, cfg.VerifyStaleness, cfg.VerifySkew, cfg.VerifySample = s.Verify, s.VerifyStale, s.VerifySkew, s.VerifySample
	if err := cfg.Check(); err != nil {
		var fe *loadgen.FieldError
		open := cfg.Pacer != nil
		switch {
		case errors.As(err, &fe):
			return cfg, nil, flagError(err, named)
		case !open && cfg.Concurrency == 0:
			return cfg, nil, errNoPacing
		case open && cfg.Concurrency > 0:
			return cfg, nil, errors.New("--rate/--stages (open loop) and --concurrency (closed loop) exclude each other")
		case cfg.Token == "" && (cfg.ClientID == "") != (cfg.ClientSecret == ""):
			return cfg, nil, errors.New("--client-id and --client-secret go together")
		}
		return cfg, nil, err
	}
	return cfg, ths, nil
}

// flagValueError is a flag whose text cannot be read.
type flagValueError struct{ flag, value, want string }

// pacer builds the open loop's pacer from --rate, --stages and --arrival;
// nil without --rate or --stages (the closed loop, or no pacing at all,
// which Check refuses). The numbers themselves are Config.Check's to
// refuse, in Config field names the caller maps back to flags.
func (s *loadSettings) pacer() (loadgen.Pacer, *flagValueError) {
	if s.Arrival != "" && s.Arrival != loadgen.ArrivalConstant && s.Arrival != loadgen.ArrivalPoisson {
		return nil, &flagValueError{"arrival", s.Arrival, "want " + loadgen.ArrivalConstant + " or " + loadgen.ArrivalPoisson}
	}
	var p loadgen.Pacer
	switch {
	case s.Stages != "":
		stages, err := loadgen.ParseStages(s.Stages)
		if err != nil {
			return nil, &flagValueError{"stages", s.Stages, err.Error()}
		}
		p = loadgen.Ramps(s.Rate, stages...)
	case s.Rate != 0:
		p = loadgen.ConstantRate(s.Rate)
	default:
		return nil, nil
	}
	if s.Arrival == loadgen.ArrivalPoisson {
		p = loadgen.Poisson(p, s.Seed)
	}
	return p, nil
}

// peakRate is the highest rate --rate and --stages ask for (0 in the
// closed loop).
func (s *loadSettings) peakRate() float64 {
	peak := s.Rate
	if stages, err := loadgen.ParseStages(s.Stages); err == nil {
		for _, st := range stages {
			peak = max(peak, st.Target)
		}
	}
	return peak
}

// flagError rewrites a loadgen.FieldError in flag names.
func flagError(err error, named func(flag string, v any, want string) error) error {
	var fe *loadgen.FieldError
	if errors.As(err, &fe) {
		if f, ok := loadFlags[fe.Field]; ok {
			return named(f, fe.Value, fe.Want)
		}
	}
	return err
}

// resolveLoad reads the layers (os.Getenv for the environment).
func resolveLoad(b *settings.Binder, changed func(string) bool) (loadSettings, map[string]settings.Source, error) {
	var s loadSettings
	given, err := b.Resolve(&s, os.Getenv, changed)
	return s, given, err
}
