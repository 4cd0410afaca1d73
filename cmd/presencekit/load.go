package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/internal/settings"
	"github.com/presencekit/presencekit/loadgen"
	"github.com/presencekit/presencekit/loadgen/loadout"
	"github.com/presencekit/presencekit/mock"
)

// Exit codes of load and report beyond main's.
const (
	exitThresholds  = 3   // the run completed and breached a --threshold
	exitInterrupted = 130 // SIGINT: outputs written, run cut short
)

// outputs are the files a run or a report writes.
type outputs struct{ json, hdrLog, html string }

func newLoadCmd() *cobra.Command {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	binder := bindLoadSettings(fs)
	cmd := &cobra.Command{
		Use:   "load",
		Short: "Send realistic presence traffic and measure honest latencies",
		Long: `load sends a seeded, realistic mix of presence operations (Zipf-popular
targets, batches within the contract's limits, a setup phase that builds the
subscription graph) and reports latency from the intended send time
(coordinated omission corrected) next to service time, per operation.

Pacing is required: --rate R or --stages S (open loop: requests leave on a
schedule, like independent users) or --concurrency C (closed loop: C
workers send back to back). Every number is checked before anything is
sent; a zero or negative --rate, --concurrency, --duration, ... is refused.

Without --target it runs against the embedded mock on a loopback port.
Before the run one request checks the target: unreachable, refused
credentials or an unknown org/app stop here (exit 2). With --client-id the
token is fetched, and renewed before it expires and once on a 401; the
summary counts renewals.

Settings come from defaults, then --config FILE (YAML, keys as in
docs/load.md), then PRESENCE_* variables (PRESENCE_TARGET, PRESENCE_TOKEN,
... as conform; load's own ones are PRESENCE_LOAD_*), then flags. Secrets
(token, client secret, a password in --target) never reach any output.

Exit codes:
  0    the run completed (thresholds, if any, held)
  1    the run failed: more than --max-error-rate of its requests (or of
       the setup phase's) failed; outputs are still written
  2    bad usage (a flag, a file), or the preflight failed: unreachable
       target, refused credentials, unknown org/app
  1    also: --verify found a violation (and no 'violations' threshold
       decides instead)
  3    a --threshold was breached (every threshold's verdict is printed:
       "threshold p99<50ms: pass (p99 12.30ms)" or "... fail (...)")
  130  interrupted (SIGINT): outputs are still written for the run so far`,
		Example: `  # 500 requests/s for 30 s against the embedded mock
  presencekit load --rate 500 --duration 30s

  # a ramp against a server, with thresholds and every output
  presencekit load --target http://127.0.0.1:8080 --token "$TOKEN" \
      --stages 30s:1000,2m:5000,30s:0 --threshold 'p99<50ms' --threshold 'errors<0.1%' \
      --out results.json --hdr-log results.hlog --html report.html

  # closed loop, shard 0 of 4 of a distributed run, client credentials
  PRESENCE_TARGET=https://a1.example PRESENCE_CLIENT_ID=id PRESENCE_CLIENT_SECRET=s \
      presencekit load --concurrency 64 --requests 100000 --shard 0/4 --out shard-0.json

  # conformance under load: check every answer against what the run was told
  presencekit load --verify --concurrency 32 --duration 10s --users 50`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, given, err := resolveLoad(binder, cmd.Flags().Changed)
			red := client.NewRedactor(settings.Secrets(s)...)
			if err != nil {
				return masked(red, usageError("%v", err))
			}
			return masked(red, runLoad(cmd.Context(), cmd, s, given, red))
		},
	}
	cmd.Flags().AddGoFlagSet(fs)
	return cmd
}

func runLoad(ctx context.Context, cmd *cobra.Command, s loadSettings, given map[string]settings.Source, red *client.Redactor) error {
	doc, err := loadProfileDoc(s.Profile, "")
	if err != nil {
		return err
	}
	cfg, ths, err := s.config(given, doc)
	if err != nil {
		return usageError("%v", err)
	}
	cfg.Tenant = doc.Tenant()

	stdout, stderr := red.Writer(cmd.OutOrStdout()), red.Writer(cmd.ErrOrStderr())
	embedded := cfg.Target == ""
	if rl := doc.Profile().RateLimit; rl != nil && !embedded && s.peakRate() > rl.PerSecond {
		fmt.Fprintf(stderr, "load: --rate/--stages %g is above the %g/s per %s that profile %s documents: expect 429 answers\n", s.peakRate(), rl.PerSecond, rl.Scope, doc.Profile().Name)
	}
	if embedded {
		stop, err := startMock(ctx, &cfg, stderr)
		if err != nil {
			return failed(err)
		}
		defer stop()
	}
	var tty *os.File // stderr's terminal, for bars; nil: plain lines
	if f, ok := cmd.ErrOrStderr().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		tty = f
	}
	prog := loadout.NewProgress(stderr, tty)
	cfg.OnInterval = prog.Update
	res, runErr := loadgen.Run(ctx, cfg)
	if res != nil && !res.Interrupted && (runErr == nil || errors.Is(runErr, loadgen.ErrRunFailed)) {
		prog.Close()
	} else {
		prog.Abort() // the bar shows where the run stopped, not 100%
	}
	switch {
	case errors.Is(runErr, loadgen.ErrConfig):
		return usageError("%v", flagError(runErr, func(f string, v any, want string) error {
			return fmt.Errorf("--%s %v: %s", f, v, want)
		}))
	case errors.Is(runErr, loadgen.ErrPreflight):
		return &exitError{code: exitUsage, err: runErr}
	case runErr != nil && !errors.Is(runErr, loadgen.ErrRunFailed):
		return failed(runErr)
	}
	if embedded {
		// Its port is new each run; the shards of one run against their
		// own embedded mocks still merge.
		res.Config.Target = embeddedTarget
	}
	ferr := finish(res, ths, outputs{s.Out, s.HDRLog, s.HTML}, stdout, stderr, red)
	// A failed run (exit 1) outranks breached thresholds (3); an output
	// that could not be written is reported as it is.
	var ee *exitError
	if runErr != nil && (ferr == nil || errors.As(ferr, &ee) && ee.code == exitThresholds) {
		return &exitError{code: exitFail, err: runErr}
	}
	return ferr
}

// masked masks the text of a command's error (it may quote a URL or an
// answer); errors.Is and the exit code still see the original.
func masked(red *client.Redactor, err error) error {
	var ee *exitError
	if errors.As(err, &ee) && ee.err != nil {
		return &exitError{code: ee.code, usage: ee.usage, err: maskedError{err: ee.err, red: red}}
	}
	if err != nil {
		return maskedError{err: err, red: red}
	}
	return nil
}

type maskedError struct {
	err error
	red *client.Redactor
}

func (m maskedError) Error() string { return m.red.Error(m.err) }
func (m maskedError) Unwrap() error { return m.err }

// embeddedTarget is the target results record for the embedded mock.
const embeddedTarget = "embedded mock"

// startMock serves the embedded mock (mock.Start) for a run without
// --target and points cfg at it; stop shuts it down. The mock outlives an
// interrupt of ctx: the run's last requests are still answered while it
// drains.
func startMock(ctx context.Context, cfg *loadgen.Config, log io.Writer) (stop func(), err error) {
	mc := mock.DefaultConfig(cfg.Workload.Limits)
	mc.Tenant = cfg.Tenant
	m, err := mock.Start(context.WithoutCancel(ctx), mc)
	if err != nil {
		return nil, fmt.Errorf("embedded mock: %w", err)
	}
	cfg.Target = m.URL
	if cfg.Token == "" && cfg.ClientID == "" {
		cfg.Token = mock.DefaultToken
	}
	fmt.Fprintf(log, "no --target: load against the embedded mock at %s\n", cfg.Target)
	return func() { _ = m.Stop() }, nil
}

// finish writes every output, prints the summary and the breached
// thresholds, and picks the exit code.
func finish(res *loadgen.Results, ths []loadgen.Threshold, out outputs, stdout, stderr io.Writer, red *client.Redactor) error {
	res.Redact(red)
	s, err := loadgen.Summarize(res)
	if err != nil {
		return failed(err)
	}
	verdicts := loadgen.Judge(s, ths)
	if err := writeOutputs(res, verdicts, out); err != nil {
		return failed(err)
	}
	if err := loadout.WriteText(stdout, s); err != nil {
		return failed(err)
	}
	breached := 0
	for _, v := range verdicts {
		fmt.Fprintln(stderr, v)
		if !v.Pass {
			breached++
		}
	}
	if len(ths) > 0 && breached == 0 {
		fmt.Fprintf(stderr, "thresholds: all %d held\n", len(ths))
	}
	switch {
	case res.Interrupted:
		return &exitError{code: exitInterrupted, err: errors.New("interrupted: outputs written for the run so far")}
	case loadgen.VerifyFailed(s, ths):
		// The check failed (exit 1), which outranks breached thresholds.
		return &exitError{code: exitFail, err: fmt.Errorf("verify: %d violations of the contract under load (see the summary)", s.Verify.Total())}
	case breached > 0:
		return &exitError{code: exitThresholds, err: fmt.Errorf("%d of %d thresholds breached", breached, len(ths))}
	}
	return nil
}
