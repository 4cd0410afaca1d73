package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/loadgen"
	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/spec"
)

// Exit codes of load and report beyond main's.
const (
	exitThresholds  = 3   // the run completed and breached a --threshold
	exitInterrupted = 130 // SIGINT: outputs written, run cut short
)

// loadOptions are the flags of "load" that are not loadgen.Config fields.
type loadOptions struct {
	mix, batch, stages, shard string
	clientID, clientSecret    string
	thresholds                []string
	out                       outputs
}

// outputs are the files a run or a report writes.
type outputs struct{ json, hdrLog, html string }

func newLoadCmd() *cobra.Command {
	var o loadOptions
	cfg := loadgen.DefaultConfig("", spec.Limits{})
	cmd := &cobra.Command{
		Use:   "load",
		Short: "Send realistic presence traffic and measure honest latencies",
		Long: `load sends a seeded, realistic mix of presence operations (Zipf-popular
targets, batches within the contract's limits, a setup phase that builds the
subscription graph) at an open-loop rate (--rate, --stages, --arrival) or in
a closed loop (--concurrency), and reports latency from the intended send
time (coordinated omission corrected) next to service time, per operation.

Without --target it runs against the embedded mock on a loopback port.
Exit 0 ok, 1 run failed, 2 bad usage, 3 a --threshold was breached,
130 interrupted (outputs are still written).`,
		Example: `  presencekit load --rate 500 --duration 30s
  presencekit load --target http://127.0.0.1:8080 --token T --stages 30s:1000,2m:5000,30s:0 \
      --threshold 'p99<50ms' --threshold 'errors<0.1%' --out results.json --html report.html
  presencekit load --concurrency 64 --requests 100000 --shard 0/4`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLoad(cmd.Context(), cmd, &cfg, &o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Target, "target", "", "base URL of the server (default: the embedded mock on 127.0.0.1)")
	f.StringVar(&cfg.Org, "org", cfg.Org, "org name in the API paths")
	f.StringVar(&cfg.App, "app", cfg.App, "app name in the API paths")
	f.StringVar(&cfg.Token, "token", os.Getenv("PRESENCE_TOKEN"), "bearer token (env PRESENCE_TOKEN); never written to any output")
	f.StringVar(&o.clientID, "client-id", os.Getenv("PRESENCE_CLIENT_ID"), "fetch the token with these client credentials")
	f.StringVar(&o.clientSecret, "client-secret", os.Getenv("PRESENCE_CLIENT_SECRET"), "client secret for --client-id")
	f.IntVar(&cfg.Workload.Users, "users", loadgen.DefaultUsers, "user population")
	f.StringVar(&cfg.Workload.UserPrefix, "user-prefix", loadgen.DefaultUserPrefix, "user names are PREFIX<n>")
	f.Float64Var(&cfg.Workload.Zipf, "zipf", loadgen.DefaultZipf, "Zipf exponent (> 1) of target popularity")
	f.StringVar(&o.mix, "mix", loadgen.DefaultMix, "operation weights")
	f.StringVar(&o.batch, "batch", "1..20", "users per batch request, clamped to the spec's limits")
	f.IntVar(&cfg.Workload.Groups, "groups", loadgen.DefaultGroups, "group IDs asked for online counts")
	f.IntVar(&cfg.Workload.SetupSubs, "setup-subs", loadgen.DefaultSetupSubs, "subscriptions per user in the setup phase (0: no setup)")
	f.Uint64Var(&cfg.Workload.Seed, "seed", 1, "seed of the request stream and arrivals")
	f.StringVar(&o.shard, "shard", "0/1", "act for part i of n of the users (i/n)")
	f.Float64Var(&cfg.Rate, "rate", 0, "open loop: requests per second (start rate with --stages)")
	f.StringVar(&o.stages, "stages", "", `open loop: linear ramps "30s:1000,2m:5000,30s:0"`)
	f.StringVar(&cfg.Arrival, "arrival", loadgen.ArrivalConstant, "open loop arrivals: constant or poisson")
	f.IntVar(&cfg.Concurrency, "concurrency", 0, "closed loop: workers sending back to back")
	f.IntVar(&cfg.Connections, "connections", 0, fmt.Sprintf("keep-alive connections (default %d, or --concurrency)", loadgen.DefaultConnections))
	f.IntVar(&cfg.Workers, "workers", 0, "open-loop sending goroutines (default: --connections)")
	f.DurationVar(&cfg.Duration, "duration", 0, fmt.Sprintf("measured phase length (default %s unless --requests or --stages)", loadgen.DefaultDuration))
	f.Uint64Var(&cfg.Requests, "requests", 0, "stop after this many requests")
	f.DurationVar(&cfg.Timeout, "timeout", loadgen.DefaultTimeout, "per-request timeout; also bounds the drain on SIGINT")
	f.DurationVar(&cfg.Interval, "report-every", loadgen.DefaultInterval, "results interval and progress line period")
	f.Float64Var(&cfg.Validate, "validate", 0, "fraction of answers validated against openapi.yaml")
	f.StringVar(&cfg.Client, "client", loadgen.DefaultClient, "HTTP client: fasthttp or net (net/http, for HTTP/2)")
	f.StringArrayVar(&o.thresholds, "threshold", nil, "pass/fail rule, repeatable: 'p99<50ms', 'get:p99.9<200ms', 'errors<0.1%', 'rate>=0.95'")
	f.StringVar(&o.out.json, "out", "", "write results.json here")
	f.StringVar(&o.out.hdrLog, "hdr-log", "", "write an HdrHistogram interval log here")
	f.StringVar(&o.out.html, "html", "", "write a self-contained HTML report here")
	return cmd
}

func runLoad(ctx context.Context, cmd *cobra.Command, cfg *loadgen.Config, o *loadOptions) error {
	doc, err := spec.Load()
	if err != nil {
		return failed(err)
	}
	cfg.Workload.Limits, cfg.Doc = doc.Limits(), doc
	if err := o.apply(cfg); err != nil {
		return usageError("%v", err)
	}
	ths := make([]loadgen.Threshold, 0, len(o.thresholds))
	for _, s := range o.thresholds {
		t, err := loadgen.ParseThreshold(s)
		if err != nil {
			return usageError("%v", err)
		}
		ths = append(ths, t)
	}
	if cfg.Target == "" {
		stop, err := startMock(ctx, cfg, cmd.ErrOrStderr())
		if err != nil {
			return failed(err)
		}
		defer stop()
	} else if cfg.Token == "" && o.clientID != "" {
		c, err := client.New(cfg.Target, cfg.Org, cfg.App, client.WithClientCredentials(o.clientID, o.clientSecret))
		if err != nil {
			return usageError("%v", err)
		}
		if cfg.Token, err = c.Token(ctx); err != nil {
			return failed(fmt.Errorf("fetch token: %w", err))
		}
	}
	stderr := cmd.ErrOrStderr()
	tty := false
	if f, ok := stderr.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	bound := cfg.Duration
	switch {
	case bound == 0 && len(cfg.Stages) > 0:
		bound = loadgen.Stages{Start: cfg.Rate, Steps: cfg.Stages}.Total()
	case bound == 0 && cfg.Requests == 0:
		bound = loadgen.DefaultDuration
	}
	prog := loadgen.NewProgress(stderr, tty, bound, cfg.Requests)
	cfg.OnInterval = prog.Update
	res, err := loadgen.Run(ctx, *cfg)
	prog.Close()
	if err != nil {
		if errors.Is(err, loadgen.ErrConfig) {
			return usageError("%v", err)
		}
		return failed(err)
	}
	return finish(res, ths, o.out, cmd.OutOrStdout(), stderr)
}

// apply parses the flags that need parsing into cfg.
func (o *loadOptions) apply(cfg *loadgen.Config) error {
	var err error
	if cfg.Workload.Mix, err = loadgen.ParseMix(o.mix); err != nil {
		return err
	}
	if cfg.Workload.Batch, err = loadgen.ParseRange(o.batch); err != nil {
		return err
	}
	if cfg.Workload.Shard, err = loadgen.ParseShard(o.shard); err != nil {
		return err
	}
	if o.stages != "" {
		if cfg.Stages, err = loadgen.ParseStages(o.stages); err != nil {
			return err
		}
	}
	return nil
}

// startMock serves the embedded mock on a loopback port for a run without
// --target; stop shuts it down.
func startMock(ctx context.Context, cfg *loadgen.Config, log io.Writer) (stop func(), err error) {
	srv, err := mock.New(mock.DefaultConfig(cfg.Workload.Limits))
	if err != nil {
		return nil, fmt.Errorf("embedded mock: %w", err)
	}
	ln, err := mock.Listen("127.0.0.1:0")
	if err != nil {
		_ = srv.Close()
		return nil, err
	}
	mctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(mctx, ln) }()
	cfg.Target = "http://" + ln.Addr().String()
	if cfg.Token == "" {
		cfg.Token = mock.DefaultToken
	}
	fmt.Fprintf(log, "no --target: load against the embedded mock at %s\n", cfg.Target)
	return func() { cancel(); <-done; _ = srv.Close() }, nil
}

// finish writes every output, prints the summary and the breached
// thresholds, and picks the exit code.
func finish(res *loadgen.Results, ths []loadgen.Threshold, out outputs, stdout, stderr io.Writer) error {
	s, err := loadgen.Summarize(res)
	if err != nil {
		return failed(err)
	}
	if err := writeOutputs(res, out); err != nil {
		return failed(err)
	}
	if err := s.WriteText(stdout); err != nil {
		return failed(err)
	}
	breaches := loadgen.Evaluate(s, ths)
	for _, b := range breaches {
		fmt.Fprintf(stderr, "threshold breached: %s\n", b)
	}
	switch {
	case res.Interrupted:
		return &exitError{code: exitInterrupted, err: errors.New("interrupted: outputs written for the run so far")}
	case len(breaches) > 0:
		return &exitError{code: exitThresholds, err: fmt.Errorf("%d of %d thresholds breached", len(breaches), len(ths))}
	}
	return nil
}
