package loadgen

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/presencekit/presencekit/mock"
)

// Regression (issue 9 item 4): an unreachable target, a refused token or
// a wrong org/app ran the whole load (100% refused or 401) and passed.
// Now one request before the run says what is wrong, and nothing else is
// sent.
func TestPreflightRefusesBrokenSetups(t *testing.T) {
	url, served := startMock(t, mock.Faults{}, func(c *mock.Config) { c.Org, c.App = "org", "app" })
	cases := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"unreachable", func(c *Config) { c.Target = "http://127.0.0.1:1" }, "unreachable"},
		{"refused token", func(c *Config) { c.Token = "not-the-token" }, "refused the given token"},
		{"wrong secret", func(c *Config) {
			c.Token, c.ClientID, c.ClientSecret = "", mock.DefaultClientID, "wrong-secret"
		}, `client ID "presencekit-client"`},
		{"wrong org", func(c *Config) { c.Org = "nope" }, `org "nope"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := served.Load()
			cfg := e2eConfig(t, url)
			cfg.Concurrency, cfg.Requests = 2, 100
			c.edit(&cfg)
			res, err := Run(context.Background(), cfg)
			if !errors.Is(err, ErrPreflight) || res != nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v (results %v), want ErrPreflight saying %q", err, res != nil, c.want)
			}
			for _, secret := range []string{"not-the-token", "wrong-secret"} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("the error shows a secret: %v", err)
				}
			}
			if n := served.Load() - before; n > 2 {
				t.Fatalf("%d requests reached the server, want the preflight (and a token request) only", n)
			}
		})
	}
}

// Regression (issue 9 item 4): a run where most requests failed exited 0.
func TestRunFailsAboveMaxErrorRate(t *testing.T) {
	url, _ := startMock(t, mock.Faults{ErrorRate: 0.9})
	cfg := e2eConfig(t, url)
	cfg.Setup, cfg.Concurrency, cfg.Requests = false, 2, 200
	res, err := Run(context.Background(), cfg)
	if !errors.Is(err, ErrRunFailed) || res == nil || res.Sent != 200 || !strings.Contains(err.Error(), "5xx:503") {
		t.Fatalf("got %v, results %v: want ErrRunFailed with the results and the error kind", err, res != nil)
	}
	cfg.MaxErrorRate = 1
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatalf("with --max-error-rate 1 the same run passes: %v", err)
	}
}

func TestRunFailsWhenSetupFails(t *testing.T) {
	url, served := startMock(t, mock.Faults{ErrorRate: 0.9})
	cfg := e2eConfig(t, url)
	cfg.Concurrency, cfg.Requests = 2, 1000
	res, err := Run(context.Background(), cfg)
	if !errors.Is(err, ErrRunFailed) || res == nil || res.Setup == nil || !strings.Contains(err.Error(), "setup phase") {
		t.Fatalf("got %v: want ErrRunFailed for the setup phase", err)
	}
	if len(res.Intervals) != 0 || served.Load() > 1+200 {
		t.Fatalf("the measured phase ran after a failed setup: %d intervals, %d served", len(res.Intervals), served.Load())
	}
}

// Every numeric field is checked before anything starts, and the error
// names the field so the CLI can name its flag.
func TestCheckNamesTheField(t *testing.T) {
	cases := []struct {
		field string
		edit  func(*Config)
	}{
		{"Pacer.Rate", func(c *Config) { c.Pacer = ConstantRate(-5) }},
		{"Pacer.Rate", func(c *Config) { c.Pacer = ConstantRate(math.NaN()) }},
		{"Pacer.Rate", func(c *Config) { c.Pacer = ConstantRate(0) }},
		{"Pacer.Rate", func(c *Config) { c.Pacer = Poisson(ConstantRate(math.Inf(1)), 1) }},
		{"Pacer.Rate", func(c *Config) { c.Pacer = Ramps(-1, Stage{time.Second, 5}) }},
		{"Pacer.Stages", func(c *Config) { c.Pacer = Ramps(0) }},
		{"Pacer.Stages", func(c *Config) { c.Pacer = Ramps(0, Stage{0, 5}) }},
		{"Pacer.Stages", func(c *Config) { c.Pacer = Ramps(0, Stage{time.Second, -5}) }},
		{"Pacer", func(c *Config) { c.Pacer = Poisson(fixedPacer{}, 1) }},
		{"Concurrency", func(c *Config) { c.Concurrency = -3 }},
		{"Connections", func(c *Config) { c.Connections = -1 }},
		{"Workers", func(c *Config) { c.Workers = -1 }},
		{"Duration", func(c *Config) { c.Duration = -2 * time.Second }},
		{"Timeout", func(c *Config) { c.Timeout = -time.Second }},
		{"Interval", func(c *Config) { c.Interval = -time.Second }},
		{"Validate", func(c *Config) { c.Validate = 1.5 }},
		{"Validate", func(c *Config) { c.Validate = -0.1 }},
		{"MaxErrorRate", func(c *Config) { c.MaxErrorRate = 2 }},
		{"Workload.Users", func(c *Config) { c.Workload.Users = 0 }},
		{"Workload.Zipf", func(c *Config) { c.Workload.Zipf = 1 }},
		{"Workload.Groups", func(c *Config) { c.Workload.Groups = 0 }},
		{"Workload.SetupSubs", func(c *Config) { c.Workload.SetupSubs = -1 }},
		{"Workload.Shard", func(c *Config) { c.Workload.Users, c.Workload.Shard = 3, Shard{5, 8} }},
		{"Target", func(c *Config) { c.Target = "ftp://user:hunter2@host" }},
	}
	for _, c := range cases {
		cfg := e2eConfig(t, "http://127.0.0.1:1")
		cfg.Pacer = ConstantRate(10)
		c.edit(&cfg)
		_, err := Run(context.Background(), cfg)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || !errors.Is(err, ErrConfig) {
			t.Errorf("%s: got %v, want a FieldError for it", c.field, err)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("the error shows the target's password: %v", err)
		}
	}
	cfg := e2eConfig(t, "http://127.0.0.1:1")
	if _, err := Run(context.Background(), cfg); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "Concurrency") {
		t.Errorf("no pacing: got %v", err)
	}
	cfg.Pacer, cfg.Concurrency = ConstantRate(10), 2
	if _, err := Run(context.Background(), cfg); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "Pacer") {
		t.Errorf("open and closed loop at once: got %v", err)
	}
}

// fixedPacer is a Pacer from outside the package's constructors.
type fixedPacer struct{}

func (fixedPacer) Pace(time.Duration, uint64) (time.Duration, bool) { return 0, true }

// The library's messages name Config fields, never a CLI flag: the CLI
// maps fields to its flags itself.
func TestConfigErrorsNameFields(t *testing.T) {
	cfg := e2eConfig(t, "http://127.0.0.1:1")
	cfg.Pacer, cfg.Connections = ConstantRate(5), -1
	err := cfg.Check()
	if err == nil || err.Error() != "Config.Connections -1: want connections > 0" {
		t.Errorf("got %v", err)
	}
	cfg.Connections, cfg.Pacer = 0, ConstantRate(-2)
	if err := cfg.Check(); err == nil || !strings.HasPrefix(err.Error(), "Config.Pacer.Rate -2: ") || strings.Contains(err.Error(), "--") {
		t.Errorf("got %v", err)
	}
}

// TestFailedShareAcrossIntervals: the measured phase is judged on the
// counters of all its intervals together, whichever interval the failures
// fell in, and names the commonest kind.
func TestFailedShareAcrossIntervals(t *testing.T) {
	a := map[string]*OpInterval{"getPresenceStatus": {Count: 100, Errors: map[string]uint64{"5xx:503": 30}}}
	b := map[string]*OpInterval{"subscribePresence": {Count: 100, Errors: map[string]uint64{"timeout": 5}}}
	if err := failedShare("measured phase", 0.2, a, b); err != nil {
		t.Fatalf("35 of 200 failed, limit 20%%: %v", err)
	}
	err := failedShare("measured phase", 0.1, a, b)
	if !errors.Is(err, ErrRunFailed) || !strings.Contains(err.Error(), "5xx:503") {
		t.Fatalf("35 of 200 failed, limit 10%%: got %v", err)
	}
	if err := failedShare("measured phase", 0.3, a); err != nil {
		t.Fatalf("30 of 100 failed, limit 30%%: %v", err)
	}
	if err := failedShare("measured phase", 1); !errors.Is(err, ErrRunFailed) {
		t.Fatalf("no interval: got %v, want ErrRunFailed (no request completed)", err)
	}
}
