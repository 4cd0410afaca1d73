// Command presencekit keeps presence (online-status) REST APIs honest: a
// conformance gate (conform), a reference server (mock), a load generator
// (load, report), and the contract's own tools (spec, proxy).
//
// Exit codes, the same for every command (README's table; each command's
// --help lists the ones it can end with, and a test per command pins them):
//
//	0    ok
//	1    the check failed: a rule failed, a lint finding, a breaking spec
//	     change, a failed run
//	2    bad usage, bad input (a file that cannot be read or is no OpenAPI 3
//	     document, a bad flag value), an unreachable target, refused
//	     credentials
//	3    thresholds breached
//	130  interrupted (what was written so far is kept)
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes of every command.
const (
	exitOK    = 0
	exitFail  = 1 // the check ran and failed
	exitUsage = 2 // bad flags or arguments, unreadable input
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line args and returns the process exit code.
// Tests call it in-process with buffers.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd()
	if args == nil {
		// cobra reads os.Args when given nil: run's caller decides.
		args = []string{}
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if !errors.As(err, &ee) {
		// Cobra's own errors: unknown command or flag, wrong argument count.
		ee = &exitError{code: exitUsage, err: err, usage: true}
	}
	if ee.err != nil {
		fmt.Fprintf(stderr, "presencekit: %v\n", ee.err)
	}
	if ee.usage && cmd != nil {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return ee.code
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "presencekit",
		Short: "Keep presence (online-status) REST APIs honest",
		Long: `presencekit keeps presence (online-status) REST APIs honest, starting with the
Easemob IM presence API. Its contract is openapi.yaml plus a catalogue of
rules, both built into this binary.

presencekit has four jobs:
  conform   a CI gate that fails when a server breaks a documented rule
  mock      a faithful local stand-in for the vendor's server
  load      realistic concurrent presence traffic with honest latencies
  spec      the contract itself: lint it, diff versions, show limits and rules;
            proxy validates live traffic against it

Run "presencekit conform" to check the embedded mock, or a server of yours
with --target; "presencekit mock" serves the mock on its own; "presencekit
load" drives traffic; "presencekit proxy" validates live traffic.

` + exitCodesHelp,
		Example: `  presencekit conform                          # the suite against the embedded mock
  presencekit conform --target https://a1.easemob.com --org ORG --app APP --token "$TOKEN"
  presencekit mock --listen 127.0.0.1:8080
  presencekit load --rate 500 --duration 30s
  presencekit spec lint my-copy.yaml
  presencekit spec diff embedded my-copy.yaml`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: exitUsage, err: err, usage: true}
	})
	root.AddCommand(newVersionCmd(), newSpecCmd(), newConformCmd(), newMockCmd(), newLoadCmd(), newReportCmd(), newProxyCmd())
	return root
}

// exitCodesHelp is the exit-code table of every command, as the root help
// shows it; README.md carries the same table.
const exitCodesHelp = `Exit codes (the same for every command):
  0    ok
  1    the check failed: a rule, a lint finding, a breaking change, a failed run
  2    bad usage or bad input, unreachable target, refused credentials
  3    thresholds breached
  130  interrupted (what was written so far is kept)`

// exitError carries a command's exit code to main. A nil err means the
// command has already said everything (e.g. the lint findings).
type exitError struct {
	code  int
	err   error
	usage bool // point the user at --help
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// failed wraps the error of a command's package function: 1 unless the
// function chose a code itself.
func failed(err error) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	return &exitError{code: exitFail, err: err}
}

// usageError is a bad argument cobra cannot see (e.g. an unknown --level).
func usageError(format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...), usage: true}
}
