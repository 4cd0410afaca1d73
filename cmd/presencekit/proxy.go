package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/presencekit/presencekit/proxy"
)

// proxyOptions are the flags of presencekit proxy.
type proxyOptions struct {
	listen, target, specFile, mode, logFile string
	profile                                 string
	maxBody                                 int64
	clockSkew                               time.Duration
	validators, queue                       int
	failOpen                                bool
}

func newProxyCmd() *cobra.Command {
	var o proxyOptions
	cmd := &cobra.Command{
		Use:   "proxy",
		Short: "Validate live traffic of a presence server against the spec",
		Long: `proxy is a reverse proxy to --target that forwards every exchange unchanged
and checks it against openapi.yaml: request and response schemas, statuses the
operation does not declare, limits (a request outside them, and a server that
accepts it), and the presence rules one exchange shows: one subscribe entry per
requested user with a matching uid, absolute expiries (now + requested, within
--clock-skew), set status answering "ok", the error envelope's codes and
millisecond timestamps.

It routes on the decoded path, as a server does ("%70resence" is "presence").
A path or query servers may read differently (an escaped "/" where a word
belongs, a NUL, a dot or empty segment, a word that routes only without case
or ";params", a query parameter given twice) cannot be judged; neither can a
body over --max-body. Bodies nested deeper
than 64 levels are refused (400 json_parse) before anything decodes them, and
a request line plus headers over 64 KiB is answered 431 by the proxy itself.
The URL of a request is judged even when its body is too big.

Violations are written as JSON lines to --log and aggregated at
/_proxy/report (JSON; HTML with ?format=html or from a browser), grouped by
operation and rule; what the proxy could not judge is recorded as
PROXY-UNJUDGED.

In --mode report (the default) the client never waits for validation: answers
are forwarded as they stream and a copy is judged by --validators goroutines
fed by a queue of --queue exchanges; when the queue is full the exchange is
forwarded unjudged and counted as unchecked_busy. --mode enforce answers a
violating request with 400 (413 over the body limit) and replaces a violating
answer with 502, both in the vendor's error envelope with the violation in
error_description, so it judges every exchange before answering; a request it
cannot judge is refused (400, or 413 for a body over --max-body) unless
--fail-open. An unreachable target is a 502 in any mode.

Timeouts and the header limit are the mock's: 5 s for the headers, 30 s for
the whole request, 2 min to answer, 2 min idle.

It runs Go's garbage collector at GOGC=400 unless GOGC is set (a little more
memory for less CPU per exchange; see docs/proxy.md).

It prints its listen address (port 0 picks a free one) and stops gracefully on
SIGINT or SIGTERM, judging what is still queued first. See docs/proxy.md.

Exit codes: 0 stopped cleanly (SIGINT/SIGTERM), 1 the proxy failed while
serving, 2 bad usage: a bad flag, an unreadable --spec or --log, a bad
--target, or an address it cannot listen on.`,
		Example: `  # Watch a real tenant's traffic; violations in the log and the report
  presencekit proxy --listen 127.0.0.1:9000 --target https://a1.easemob.com --log violations.jsonl
  curl -s http://127.0.0.1:9000/_proxy/report | jq .stats

  # CI gate in front of a server under test: refuse violations and what cannot be judged
  presencekit proxy --target http://127.0.0.1:8080 --mode enforce

  # Enforce, but let bodies too big to buffer through (recorded as PROXY-UNJUDGED)
  presencekit proxy --target http://127.0.0.1:8080 --mode enforce --fail-open --max-body 65536`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runProxy(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:9000", "address to listen on (port 0: a free port)")
	f.StringVar(&o.target, "target", "", "base URL of the presence server to forward to (required)")
	f.StringVar(&o.specFile, "spec", "", "openapi.yaml to check against (default: the embedded one)")
	f.StringVar(&o.profile, "profile", "", profileHelp)
	f.StringVar(&o.mode, "mode", string(proxy.ModeReport), "report (record violations) or enforce (also block them)")
	f.StringVar(&o.logFile, "log", "", "append violations as JSON lines to this file ('-': standard output)")
	f.Int64Var(&o.maxBody, "max-body", proxy.DefaultMaxBody, "largest body buffered for validation, bytes; larger ones cannot be judged (enforce refuses them unless --fail-open)")
	f.BoolVar(&o.failOpen, "fail-open", false, "enforce mode: forward (and record) requests the proxy cannot judge instead of refusing them")
	f.DurationVar(&o.clockSkew, "clock-skew", proxy.DefaultClockSkew, "tolerated difference between the target's clock and ours")
	f.IntVar(&o.validators, "validators", proxy.DefaultValidators(), "report mode: validator goroutines (half the CPUs, at least one)")
	f.IntVar(&o.queue, "queue", proxy.DefaultQueue, "report mode: exchanges that may wait for a validator; beyond, forwarded unchecked")
	return cmd
}

func runProxy(cmd *cobra.Command, o proxyOptions) error {
	out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if o.target == "" {
		return usageError("--target is required")
	}
	doc, err := loadProfileDoc(o.profile, o.specFile)
	if err != nil {
		return err
	}
	opts := []proxy.Option{proxy.WithMode(proxy.Mode(o.mode)), proxy.WithMaxBody(o.maxBody), proxy.WithClockSkew(o.clockSkew),
		proxy.WithValidators(o.validators, o.queue)}
	if o.failOpen {
		opts = append(opts, proxy.WithFailOpen())
	}
	if o.logFile != "" {
		var w io.Writer = out
		if o.logFile != stdinName {
			f, err := os.OpenFile(o.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
			if err != nil {
				return usageError("--log: %v", err)
			}
			defer f.Close()
			w = f
		}
		opts = append(opts, proxy.WithSink(proxy.JSONLines(w, func(err error) { fmt.Fprintln(errOut, "presencekit proxy:", err) })))
	}
	tuneProxyGC(os.LookupEnv)
	px, err := proxy.New(o.target, doc, opts...)
	if err != nil {
		return usageError("%v", err)
	}
	err = px.ListenAndServe(cmd.Context(), o.listen, func(addr string) {
		fmt.Fprintf(out, "presencekit proxy listening on http://%s → %s (mode %s)\n", addr, o.target, o.mode)
		fmt.Fprintf(out, "report: http://%s%s\n", addr, proxy.ReportPath)
	})
	if errors.Is(err, proxy.ErrListen) {
		return usageError("--listen %s: %v", o.listen, err)
	}
	st := px.Stats()
	fmt.Fprintf(out, "presencekit proxy: %d requests, %d request and %d response violations, %d unchecked (%d: validators busy), %d target errors\n",
		st.Requests, st.RequestViolations, st.ResponseViolations, st.UncheckedRequests+st.UncheckedResponses+st.UncheckedBusy, st.UncheckedBusy, st.UpstreamErrors)
	return failed(err)
}

// tuneProxyGC sets the garbage collector's target to
// proxy.DefaultGCPercent unless the user set GOGC (lookup is
// os.LookupEnv): the process is the proxy's, and its small live heap makes
// Go's default collect often. It reports whether it changed the target.
func tuneProxyGC(lookup func(string) (string, bool)) bool {
	if _, set := lookup("GOGC"); set {
		return false
	}
	debug.SetGCPercent(proxy.DefaultGCPercent)
	return true
}
