package main

import (
	"fmt"
	"log/slog"
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
	maxSubs                   int
	maxBody                   int64
	specFile                  string
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

Admin API under /_mock/ (reset, groups, connections, clock, state) behind
--admin-token; /healthz and /metrics (Prometheus) need no token.
--break RULE-ID violates one catalogue rule on purpose, so a conformance
suite can prove it catches it: --break list shows them. See docs/mock.md.`,
		Example: `  presencekit mock --listen 127.0.0.1:8080
  presencekit mock --clock virtual --admin-token admin
  presencekit mock --latency 5ms±2ms --error-rate 0.01 --rate-limit 50/s
  presencekit mock --break list`,
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
	f.StringVar(&o.adminToken, "admin-token", mock.DefaultAdminToken, "bearer token of the /_mock/ admin API (empty: admin API off)")
	f.StringVar(&o.clock, "clock", "real", "presence clock: real, or virtual (moved with POST /_mock/clock)")
	f.StringSliceVar(&o.breaks, "break", nil, "violate the rule with this ID on purpose (repeatable; 'list' shows the modes)")
	f.StringVar(&o.latency, "latency", "", "delay every answer, e.g. 5ms or 5ms±2ms")
	f.Float64Var(&o.errorRate, "error-rate", 0, "fraction of requests answered 503 (0..1)")
	f.StringVar(&o.stall, "stall", "", "hold every request for D at the end of each period P: D@P, e.g. 1s@30s")
	f.StringVar(&o.rateLimit, "rate-limit", "", "requests per second per org/app, e.g. 50/s; over it 429 reach_limit")
	f.StringVar(&o.logLevel, "log-level", "info", "request log level: debug, info, warn or error")
	f.IntVar(&o.maxSubs, "max-subscriptions", mock.DefaultMaxSubscriptions, "subscriptions per subscriber; the one with least time left is evicted")
	f.Int64Var(&o.maxBody, "max-body", mock.DefaultMaxBodyBytes, "request body limit in bytes (413 above)")
	f.StringVar(&o.specFile, "spec", "", "openapi.yaml whose limits to serve (default: the embedded one)")
	return cmd
}

func runMock(cmd *cobra.Command, o mockOptions) error {
	out := cmd.OutOrStdout()
	if len(o.breaks) == 1 && o.breaks[0] == "list" {
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RULE\tLEVEL\tWHAT THE MOCK DOES WRONG")
		for _, m := range mock.BreakModes() {
			r, _ := spec.RuleByID(m.Rule)
			fmt.Fprintf(tw, "%s\t%s\t%s\n", m.Rule, r.Level, m.Description)
		}
		return tw.Flush()
	}
	doc, err := spec.Load()
	if o.specFile != "" {
		doc, err = spec.LoadFile(o.specFile)
	}
	if err != nil {
		return usageError("%v", err)
	}
	cfg := mock.DefaultConfig(doc.Limits())
	cfg.Org, cfg.App = o.org, o.app
	cfg.Tokens = o.tokens
	cfg.ClientID, cfg.ClientSecret = o.clientID, o.clientSecret
	cfg.TokenTTL = o.tokenTTL
	cfg.AdminToken = o.adminToken
	cfg.MaxSubscriptions = o.maxSubs
	cfg.MaxBodyBytes = o.maxBody
	cfg.Breaks = o.breaks
	switch o.clock {
	case "real":
	case "virtual":
		cfg.VirtualClock = true
	default:
		return usageError("--clock %q: want real or virtual", o.clock)
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
	err = srv.ListenAndServe(cmd.Context(), o.listen, func(addr string) {
		fmt.Fprintf(out, "presencekit mock listening on http://%s\n", addr)
		if len(o.breaks) > 0 {
			fmt.Fprintf(out, "breaking on purpose: %s\n", strings.Join(o.breaks, ", "))
		}
	})
	return failed(err)
}

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
