package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/presencekit/presencekit/proxy"
	"github.com/presencekit/presencekit/spec"
)

// proxyOptions are the flags of presencekit proxy.
type proxyOptions struct {
	listen, target, specFile, mode, logFile string
	maxBody                                 int64
	clockSkew                               time.Duration
	validators, queue                       int
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

Violations are written as JSON lines to --log and aggregated at
/_proxy/report (JSON; HTML with ?format=html or from a browser), grouped by
operation and rule. Bodies over --max-body pass through unchecked (counted).

In --mode report (the default) the client never waits for validation: answers
are forwarded as they stream and a copy is judged by --validators goroutines
fed by a queue of --queue exchanges; when the queue is full the exchange is
forwarded unjudged and counted as unchecked_busy. --mode enforce answers a
violating request with 400 and replaces a violating answer with 502, both in
the vendor's error envelope with the violation in error_description, so it
judges every exchange before answering. An unreachable target is a 502 in any
mode.

It prints its listen address (port 0 picks a free one) and stops gracefully on
SIGINT or SIGTERM, judging what is still queued first. See docs/proxy.md.`,
		Example: `  presencekit proxy --listen 127.0.0.1:9000 --target https://a1.easemob.com
  presencekit proxy --target http://127.0.0.1:8080 --mode enforce --log violations.jsonl
  curl -s http://127.0.0.1:9000/_proxy/report | jq .stats`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runProxy(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:9000", "address to listen on (port 0: a free port)")
	f.StringVar(&o.target, "target", "", "base URL of the presence server to forward to (required)")
	f.StringVar(&o.specFile, "spec", "", "openapi.yaml to check against (default: the embedded one)")
	f.StringVar(&o.mode, "mode", string(proxy.ModeReport), "report (record violations) or enforce (also block them)")
	f.StringVar(&o.logFile, "log", "", "append violations as JSON lines to this file ('-': standard output)")
	f.Int64Var(&o.maxBody, "max-body", proxy.DefaultMaxBody, "largest body buffered for validation, bytes; larger ones pass unchecked")
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
	doc, err := spec.Load()
	if o.specFile != "" {
		doc, err = spec.LoadFile(o.specFile)
	}
	if err != nil {
		return usageError("%v", err)
	}
	opts := []proxy.Option{proxy.WithMode(proxy.Mode(o.mode)), proxy.WithMaxBody(o.maxBody), proxy.WithClockSkew(o.clockSkew),
		proxy.WithValidators(o.validators, o.queue)}
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
	px, err := proxy.New(o.target, doc, opts...)
	if err != nil {
		return usageError("%v", err)
	}
	err = px.ListenAndServe(cmd.Context(), o.listen, func(addr string) {
		fmt.Fprintf(out, "presencekit proxy listening on http://%s → %s (mode %s)\n", addr, o.target, o.mode)
		fmt.Fprintf(out, "report: http://%s%s\n", addr, proxy.ReportPath)
	})
	st := px.Stats()
	fmt.Fprintf(out, "presencekit proxy: %d requests, %d request and %d response violations, %d unchecked (%d: validators busy), %d target errors\n",
		st.Requests, st.RequestViolations, st.ResponseViolations, st.UncheckedRequests+st.UncheckedResponses+st.UncheckedBusy, st.UncheckedBusy, st.UpstreamErrors)
	return failed(err)
}
