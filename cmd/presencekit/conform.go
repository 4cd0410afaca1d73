package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/spec"
	"github.com/presencekit/presencekit/suites"
)

func newConformCmd() *cobra.Command {
	fs := flag.NewFlagSet("conform", flag.ContinueOnError)
	binder := suites.Bind(fs)
	// --users was conform's name for --test-users; load's --users is a
	// population size. The old name still works, with a warning.
	fs.Var(fs.Lookup("test-users").Value, "users", "deprecated: use --test-users")
	cmd := &cobra.Command{
		Use:   "conform",
		Short: "Run the conformance suite against a presence server (the CI gate)",
		Long: `conform checks a presence server against every rule of the catalogue
(presencekit spec rules) and validates every answer against openapi.yaml.

Without --target it starts the embedded mock on a loopback port, with its
virtual clock, and runs against it. With --target it uses the target's
virtual clock if it offers /_mock/clock (give --admin-token), else short
real expiries that it polls for.

Before any spec runs, one authenticated read checks the settings: an
unreachable target, refused credentials (--token, or --client-id and
--client-secret) or an unknown --org/--app stop the run with exit 2 and
one line saying which; no rule is blamed. So does a --label-filter that
does not parse or selects no spec.

Against a --target it paces itself (--rate, 20 requests/s by default), runs
--concurrency spec groups side by side (4 by default) on disjoint users,
and retries a 429 or a --rate-limit-codes answer (and a --busy-statuses one,
e.g. 503, when named) after Retry-After or a jittered backoff
(--retry-max-wait, --retry-max-tries); a spec whose request stays throttled
is skipped with the reason, never failed.

Settings come from defaults, then --config FILE (YAML), then PRESENCE_*
environment variables, then flags. Secrets (token, client secret, admin
token, a password in --target) are masked in every output.

Each failed spec prints one line: [RULE-ID] what was expected, what came
back (status and error code). The summary then lists the failed rules and
the gating rules not judged (all their specs skipped: a setting missing, a
target that kept throttling), which a passing gate does not vouch for.
Reports in --report-dir: junit.xml and
report.json (Ginkgo's, with each failure's request and answer), and
report.html (the rule matrix, failures, skipped specs with their reason).

Exit codes:
  0  every gating rule passed (--level must: MUST rules; should: MUST and SHOULD)
  1  a gating rule failed
  2  bad usage or configuration, an unreachable target, refused credentials,
     an unknown org/app, a label filter that selects nothing
  130 interrupted (with --concurrency > 1: reports written for the specs that ran)`,
		Example: `  # the embedded mock: a newcomer's first run, and a check of the suite itself
  presencekit conform

  # a real tenant, with client credentials and pre-registered test users
  presencekit conform --target https://a1.easemob.com --org 1102190223222824 --app demo \
      --client-id "$ID" --client-secret "$SECRET" --test-users alice,bob,carol \
      --group 1845212 --group-online 3

  # a staging server that allows more than the default 20 requests/s
  presencekit conform --target https://staging.example.com --token "$TOKEN" --rate 50 --concurrency 8

  # only the sublist rules, and only MUST rules fail the gate
  presencekit conform --label-filter 'op:listSubscriptions' --level must

  # settings from a file and the environment (CI)
  PRESENCE_TOKEN="$TOKEN" presencekit conform --config conform.yaml --report-dir out`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			flags := cmd.Flags()
			changed := func(name string) bool {
				return flags.Changed(name) || (name == "test-users" && flags.Changed("users"))
			}
			cfg, err := binder.ResolveChanged(os.Getenv, changed)
			if err != nil {
				return usageError("%s", suites.Redactor(cfg).Error(err))
			}
			return conform(cmd, cfg)
		},
	}
	cmd.Flags().AddGoFlagSet(fs)
	// Hidden rather than pflag's MarkDeprecated, whose notice goes to
	// stdout, among the results.
	_ = cmd.Flags().MarkHidden("users")
	cmd.AddCommand(newConformWorkerCmd())
	return cmd
}

// newConformWorkerCmd is the hidden command a --concurrency run re-executes
// this binary with: it runs one group of specs, told on stdin.
func newConformWorkerCmd() *cobra.Command {
	return &cobra.Command{
		Use:    conformWorker,
		Short:  "Run one group of a --concurrency conform run (internal)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			load := func(profile string) (*spec.Doc, error) { return loadProfileDoc(profile, "") }
			return failed(suites.RunWorker(cmd.Context(), cmd.InOrStdin(), load))
		},
	}
}

// conformWorker is the worker command's name under conform.
const conformWorker = "worker"

// spawnWorker re-executes this program as a conform worker.
func spawnWorker(ctx context.Context) *exec.Cmd {
	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	cmd := exec.CommandContext(ctx, self, "conform", conformWorker)
	// Interrupted: let the worker's specs run their cleanup (Ginkgo does
	// on SIGINT), so the tenant is left as found; kill only if it hangs.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = workerGrace
	return cmd
}

// workerGrace is how long an interrupted worker may take to clean up.
const workerGrace = time.Minute

// conform runs the suite; exit codes as in the command's help.
func conform(cmd *cobra.Command, cfg suites.Config) error {
	ctx := cmd.Context()
	out := cmd.OutOrStdout()
	if cmd.Flags().Changed("users") {
		fmt.Fprintln(cmd.ErrOrStderr(), "presencekit: --users is deprecated, use --test-users (load's --users is a population size)")
	}
	doc, err := loadProfileDoc(cfg.Profile, "")
	if err != nil {
		return err
	}
	if cfg.Target == "" {
		mc := mock.ConfigFor(doc)
		mc.VirtualClock = true
		if cfg.MaxSubs > 0 {
			// The embedded mock holds the cap the suite checks: a smaller
			// --max-subscriptions makes SUB-CAP's specs cheaper.
			mc.MaxSubscriptions = cfg.MaxSubs
		}
		m, err := mock.Start(ctx, mc)
		if err != nil {
			return &exitError{code: exitUsage, err: fmt.Errorf("embedded mock: %w", err)}
		}
		defer func() { _ = m.Stop() }()
		// The admin token is the run's own random one, a secret the
		// Redactor masks like any --admin-token.
		cfg.Target, cfg.Token, cfg.AdminToken = m.URL, mock.DefaultToken, m.AdminToken
		cfg.ClientID, cfg.ClientSecret = mock.DefaultClientID, mock.DefaultClientSecret
		fmt.Fprintf(out, "conform: no --target, running against the embedded mock at %s\n", m.URL)
	}
	e, err := suites.NewEnv(ctx, cfg, doc)
	if err != nil {
		return conformSetupError(cmd, err)
	}
	res, err := suites.Run(ctx, e, out, !isTerminal(out), spawnWorker)
	if errors.Is(err, suites.ErrConfig) {
		return &exitError{code: exitUsage, err: err}
	}
	if errors.Is(err, suites.ErrInterrupted) {
		return &exitError{code: exitInterrupted, err: fmt.Errorf("%w: reports written for the specs that ran", err)}
	}
	if err != nil {
		return failed(err)
	}
	if cfg.ReportDir != "" {
		fmt.Fprintf(out, "reports: %s\n", filepath.Join(cfg.ReportDir, "{junit.xml,report.json,report.html}"))
	}
	if !res.GatePassed() {
		return &exitError{code: exitFail, err: fmt.Errorf("%d failures of gating rules (level %s)", res.GateFailures, cfg.Level)}
	}
	return nil
}

// conformSetupError maps what stopped the suite before any spec to its
// exit code: 2 for settings (bad configuration, the start-up probe's
// findings), naming where a refused credential came from, never its value.
func conformSetupError(cmd *cobra.Command, err error) error {
	var pe *suites.ProbeError
	if errors.As(err, &pe) && errors.Is(err, suites.ErrRefused) {
		return &exitError{code: exitUsage, err: fmt.Errorf("%w; the %s came from %s", err, pe.Credential, credentialSource(cmd, pe.Credential))}
	}
	if errors.Is(err, suites.ErrUnreachable) || errors.Is(err, suites.ErrNoTenant) || errors.Is(err, suites.ErrConfig) {
		return &exitError{code: exitUsage, err: err}
	}
	return failed(err)
}

// credentialSource names the layer a credential was taken from (flags,
// then environment, then the --config file), as Resolve layers them.
func credentialSource(cmd *cobra.Command, credential string) string {
	if credential == suites.CredentialToken {
		switch {
		case cmd.Flags().Changed("token"):
			return "--token"
		case os.Getenv(suites.EnvPrefix+"TOKEN") != "":
			return suites.EnvPrefix + "TOKEN"
		}
		return "token in the --config file"
	}
	switch {
	case cmd.Flags().Changed("client-id") || cmd.Flags().Changed("client-secret"):
		return "--client-id/--client-secret"
	case os.Getenv(suites.EnvPrefix+"CLIENT_ID") != "" || os.Getenv(suites.EnvPrefix+"CLIENT_SECRET") != "":
		return suites.EnvPrefix + "CLIENT_ID/" + suites.EnvPrefix + "CLIENT_SECRET"
	}
	return "client_id/client_secret in the --config file"
}

// isTerminal reports whether w is a terminal, for colours.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
