package main

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/presencekit/presencekit/internal/childtest"
)

// testCap is the subscription cap of this package's conform runs.
const testCap = 250

// child is this test package built without -race (childtest), the
// presencekit the end-to-end tests run in a child process (cliChild): the
// suite and the load generator are race-tested in their own packages,
// and under -race a whole conform run costs several times the CPU.
var child childtest.Binary

// TestMain lets this test binary stand in for presencekit when a
// --concurrency conform run re-executes itself as a worker (os.Executable
// is the test binary here).
func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == "conform" && os.Args[2] == conformWorker {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	// Every conform run of this package checks (and its embedded mock
	// holds) a cap of 250, not the spec's 3,000: SUB-CAP's specs fill the
	// cap, and the CLI's tests are about the CLI. The suite's own tests
	// and the self-check cover the rule; mocks the tests start themselves
	// set the same cap (mockTarget) or pass the flag (limitedTarget).
	if err := os.Setenv("PRESENCE_MAX_SUBSCRIPTIONS", strconv.Itoa(testCap)); err != nil {
		panic(err)
	}
	// go test -race of this package alone: 66 s of CPU at GOMAXPROCS=4,
	// 54 s on one P. Children (cliChild, mockProcess) keep the
	// environment's GOMAXPROCS, but for conform runs (childtest.OneProc).
	if _, isChild := os.LookupEnv(envChildArgs); !isChild {
		childtest.OneP()
	}
	code := m.Run()
	child.Remove()
	os.Exit(code)
}
