package main

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/spec"
)

// mockOptions are the flags of presencekit mock.
type mockOptions struct {
	listen, org, app          string
	tokens                    []string
	clientID, clientSecret    string
	adminToken                string
	clock                     string
	breaks                    []string
	latency, stall, rateLimit string
	errorRate                 float64
	logLevel                  string
	maxSubs, maxTokens        int
	maxBody                   int64
	specFile                  string
	profile                   string
	tokenTTL                  time.Duration
}

func newMockCmd() *cobra.Command {
	var o mockOptions
	cmd := &cobra.Command{
		Use:   "mock",
		Short: "Serve the stateful reference server of the presence API",
		Long: `mock serves the presence API as openapi.yaml and docs/contract.md say:
in memory, any org/app unless --org/--app restrict it, errors in the vendor's
envelope. It prints its listen address (port 0 picks a free one) and stops
gracefully on SIGINT or SIGTERM.

The admin API under /_mock/ (reset, groups, connections, clock, state) is off
unless --admin-token is given; GET /_mock/clock (read-only) always answers,
without a token. /healthz and /metrics (Prometheus, Go runtime and process
figures included) need no token.
--break RULE:VARIANT violates one catalogue rule on purpose, one of several
plausible wrong ways (its variants), so a conformance suite can prove it
catches each; a bare --break RULE is the rule's first variant. --break list
shows them all; the variants are at the end of this help.
--break RACE-… turns on a concurrency fault that only shows under load, for
load --verify to catch (off by default; --break list shows them too):
  RACE-SUB-LOST-UPDATE   overlapping subscribe calls for one subscriber lose one
  RACE-GET-STALE         batch get answers a user's previous status for 50 ms
  RACE-SUBLIST-TOTALNUM  overlapping subscribe/unsubscribe calls lose totalnum counts
--latency takes a base and an optional uniform jitter: 5ms, 5ms±2ms, or
the ASCII form 5ms+-2ms. See docs/mock.md.

Exit codes: 0 stopped gracefully (SIGINT/SIGTERM) or --break list printed,
1 the server failed while serving, 2 bad usage (unknown or invalid flag
value, unreadable --spec, address it cannot listen on).` + breakVariantsHelp(),
		Example: `  # a mock on a fixed port, the default credentials
  presencekit mock --listen 127.0.0.1:8080

  # a virtual clock you can move, with the admin API on
  presencekit mock --clock virtual --admin-token admin
  curl -XPOST -H 'Authorization: Bearer admin' localhost:8080/_mock/clock -d '{"advance":"720h"}'

  # a slow, flaky, rate-limited server for client and load tests
  presencekit mock --latency 5ms+-2ms --error-rate 0.01 --rate-limit 50/s

  # the break modes, then a mock that breaks one rule
  presencekit mock --break list
  presencekit mock --break SUB-LIMIT-USERS`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runMock(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:8080", "address to listen on (port 0: a free port)")
	f.StringVar(&o.org, "org", "", "serve only this org_name (default: any)")
	f.StringVar(&o.app, "app", "", "serve only this app_name (default: any)")
	f.StringSliceVar(&o.tokens, "token", []string{mock.DefaultToken}, "static bearer token accepted by the presence operations (repeatable)")
	f.StringVar(&o.clientID, "client-id", mock.DefaultClientID, "client ID POST /token accepts (empty: no token endpoint)")
	f.StringVar(&o.clientSecret, "client-secret", mock.DefaultClientSecret, "client secret POST /token accepts")
	f.DurationVar(&o.tokenTTL, "token-ttl", mock.DefaultTokenTTL, "lifetime of issued tokens when the request gives no ttl")
	f.StringVar(&o.adminToken, "admin-token", "", "bearer token of the /_mock/ admin API (default: admin API off; GET /_mock/clock needs none)")
	f.StringVar(&o.clock, "clock", "real", "presence clock: real, or virtual (moved with POST /_mock/clock)")
	f.StringSliceVar(&o.breaks, "break", nil, "violate a rule on purpose, as RULE:VARIANT (RULE alone: its first variant), or turn on a RACE-… concurrency fault (repeatable; 'list' shows them)")
	f.StringVar(&o.latency, "latency", "", "delay every answer: 5ms, or with uniform jitter 5ms±2ms (ASCII: 5ms+-2ms)")
	f.Float64Var(&o.errorRate, "error-rate", 0, "fraction of requests answered 503 (0..1)")
	f.StringVar(&o.stall, "stall", "", "hold every request for D at the end of each period P: D@P, e.g. 1s@30s")
	f.StringVar(&o.rateLimit, "rate-limit", "", "requests per org/app: 50/s, 20/5s or 600/m, or 'documented' (the --profile's documented rate); over it 429 reach_limit with Retry-After")
	f.StringVar(&o.logLevel, "log-level", "info", "request log level: debug, info, warn or error")
	f.IntVar(&o.maxSubs, "max-subscriptions", 0, "subscriptions per subscriber (0: the spec's x-max-subscriptions); beyond it the one with least time left is evicted")
	f.Int64Var(&o.maxBody, "max-body", mock.DefaultMaxBodyBytes, "request body limit in bytes (≥ 1; 413 above)")
	f.IntVar(&o.maxTokens, "max-tokens", mock.DefaultMaxTokens, "issued tokens kept at once (≥ 1); one more revokes the oldest issued")
	f.StringVar(&o.specFile, "spec", "", "openapi.yaml whose limits to serve (default: the embedded one)")
	f.StringVar(&o.profile, "profile", "", profileHelp+": its limits, paths and error texts are served")
	return cmd
}

func runMock(cmd *cobra.Command, o mockOptions) error {
	out := cmd.OutOrStdout()
	if len(o.breaks) == 1 && o.breaks[0] == "list" {
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "--break RULE:VARIANT\tLEVEL\tWHAT THE MOCK DOES WRONG (a bare RULE is its first variant)")
		for _, m := range mock.BreakModes() {
			r, _ := spec.RuleByID(m.Rule)
			fmt.Fprintf(tw, "%s\t%s\t%s\n", m.Name(), r.Level, m.Description)
		}
		fmt.Fprintln(tw, "\nCONCURRENCY MODE\tRULE\tWHAT THE MOCK DOES WRONG UNDER LOAD (for load --verify)")
		for _, m := range mock.RaceModes() {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", m.Mode, m.Rule, m.Description)
		}
		return tw.Flush()
	}
	for _, c := range []struct {
		flag string
		v    int64
	}{{"--max-body", o.maxBody}, {"--max-tokens", int64(o.maxTokens)}} {
		if c.v < 1 {
			return usageError("%s %d: must be at least 1", c.flag, c.v)
		}
	}
	if o.maxSubs < 0 {
		return usageError("--max-subscriptions %d: must be at least 1 (0: the spec's)", o.maxSubs)
	}
	doc, err := loadProfileDoc(o.profile, o.specFile)
	if err != nil {
		return err
	}
	cfg := mock.ConfigFor(doc)
	cfg.Org, cfg.App = o.org, o.app
	cfg.Tokens = o.tokens
	cfg.ClientID, cfg.ClientSecret = o.clientID, o.clientSecret
	cfg.TokenTTL = o.tokenTTL
	cfg.AdminToken = o.adminToken
	cfg.MaxSubscriptions = o.maxSubs
	cfg.MaxBodyBytes = o.maxBody
	cfg.MaxTokens = o.maxTokens
	for _, b := range o.breaks {
		cfg.Breaks = append(cfg.Breaks, mock.Break(b))
	}
	switch o.clock {
	case "real":
	case "virtual":
		cfg.VirtualClock = true
	default:
		return usageError("--clock %q: want real or virtual", o.clock)
	}
	if o.rateLimit == rateDocumented {
		rl := doc.Profile().RateLimit
		if rl == nil {
			return usageError("--rate-limit documented: profile %q documents no rate limit", doc.Profile().Name)
		}
		o.rateLimit = strconv.FormatFloat(rl.PerSecond, 'g', -1, 64) + "/s"
	}
	if err := parseFaults(&cfg.Faults, o); err != nil {
		return usageError("%v", err)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return usageError("--log-level %q: %v", o.logLevel, err)
	}
	cfg.Logger = slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	srv, err := mock.New(cfg)
	if err != nil {
		return usageError("%v", err)
	}
	defer srv.Close()
	ln, err := mock.Listen(o.listen)
	if err != nil {
		return usageError("--listen: %v", err)
	}
	fmt.Fprintf(out, "presencekit mock listening on http://%s\n", ln.Addr())
	if len(o.breaks) > 0 {
		fmt.Fprintf(out, "breaking on purpose: %s\n", strings.Join(o.breaks, ", "))
	}
	return failed(srv.Serve(cmd.Context(), ln))
}

// rateDocumented is the --rate-limit value that takes the profile's
// documented rate (e.g. 50/s for agora-chat).
const rateDocumented = "documented"

// parseFaults reads the fault flags into f.
func parseFaults(f *mock.Faults, o mockOptions) error {
	var err error
	if o.latency != "" {
		if f.Latency, f.Jitter, err = mock.ParseLatency(o.latency); err != nil {
			return fmt.Errorf("--latency: %w", err)
		}
	}
	if o.stall != "" {
		if f.StallFor, f.StallEvery, err = mock.ParseStall(o.stall); err != nil {
			return fmt.Errorf("--stall: %w", err)
		}
	}
	if o.rateLimit != "" {
		if f.RateLimit, err = mock.ParseRateLimit(o.rateLimit); err != nil {
			return fmt.Errorf("--rate-limit: %w", err)
		}
	}
	f.ErrorRate = o.errorRate
	return nil
}

// breakVariantsHelp lists every --break variant for mock --help, from the
// mock's own list (mock.BreakModes), so the help cannot fall behind it.
func breakVariantsHelp() string {
	var b strings.Builder
	b.WriteString("\n\nBreak variants (--break RULE:VARIANT):")
	var rule spec.RuleID
	for _, m := range mock.BreakModes() {
		if m.Rule != rule {
			rule = m.Rule
			fmt.Fprintf(&b, "\n  %s", rule)
		}
		fmt.Fprintf(&b, "\n    %-20s %s", m.Variant, m.Description)
	}
	return b.String()
}
