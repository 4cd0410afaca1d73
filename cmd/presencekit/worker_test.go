package main

import (
	"context"
	"os"
	"testing"
)

// TestMain lets this test binary stand in for presencekit when a
// --concurrency conform run re-executes itself as a worker (os.Executable
// is the test binary here).
func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == "conform" && os.Args[2] == conformWorker {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
