package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/presencekit/presencekit/internal/childtest"
	"github.com/presencekit/presencekit/mock"
)

// child is this test package built without -race (childtest), the
// process startTargetProcess serves a mock from.
var child childtest.Binary

func TestMain(m *testing.M) {
	// The children (targets, verify runs) keep the environment's
	// GOMAXPROCS: a race break mode shows only when requests overlap.
	_, target := os.LookupEnv(targetEnv)
	_, verify := os.LookupEnv(verifyEnv)
	if !target && !verify {
		childtest.OneP()
	}
	code := m.Run()
	child.Remove()
	os.Exit(code)
}

// targetEnv carries a target process's mock settings (targetSettings as
// JSON) and makes TestTargetProcess serve instead of skipping.
const targetEnv = "PRESENCEKIT_LOADGEN_TARGET"

// targetSettings is what a target process's mock differs in from the
// default mock.
type targetSettings struct {
	MaxSubscriptions int          `json:"max_subscriptions,omitempty"`
	Breaks           []mock.Break `json:"breaks,omitempty"`
}

// childRunning is the child process (child) running only the test named
// test, with settings as JSON in the environment variable env.
func childRunning(ctx context.Context, tb testing.TB, test, env string, settings any) *exec.Cmd {
	tb.Helper()
	raw, err := json.Marshal(settings)
	if err != nil {
		tb.Fatal(err)
	}
	cmd, err := child.Command(ctx, "-test.run=^"+test+"$", "-test.count=1")
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Env = append(cmd.Env, env+"="+string(raw))
	return cmd
}

// childSettings reads into s the settings childRunning gave the child in
// env. A test that is only a child's entry point skips when env is unset.
func childSettings(t *testing.T, env string, s any) {
	t.Helper()
	raw, ok := os.LookupEnv(env)
	if !ok {
		t.Skip("the entry point of a child process (childRunning); runs only as one")
	}
	if err := json.Unmarshal([]byte(raw), s); err != nil {
		t.Fatalf("%s: %v", env, err)
	}
}

// startTargetProcess serves the mock in a child process on a loopback port,
// broken as breaks say and with a subscription cap of maxSubs (0: the
// spec's), and returns its URL; the child ends with the test (its stdin
// closes) or after 15 minutes. The child is built without -race: what the
// tests that use it check is the load generator, which stays in this
// process under the race detector, and the benchmarks count only this
// process's CPU.
func startTargetProcess(tb testing.TB, maxSubs int, breaks ...mock.Break) string {
	tb.Helper()
	cmd := childRunning(context.Background(), tb, "TestTargetProcess", targetEnv,
		targetSettings{MaxSubscriptions: maxSubs, Breaks: breaks})
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	return childtest.Serve(tb, cmd, "target ", func() error {
		_ = stdin.Close()
		_ = cmd.Wait()
		return nil
	})
}

// TestTargetProcess is startTargetProcess's child, not a test: run with
// targetEnv set, it serves the mock on a loopback port until its stdin
// closes (15 minutes at most); otherwise it skips.
func TestTargetProcess(t *testing.T) {
	var s targetSettings
	childSettings(t, targetEnv, &s)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cfg := mock.DefaultConfig(testDoc(t).Limits())
	cfg.Breaks = s.Breaks
	if s.MaxSubscriptions > 0 {
		cfg.MaxSubscriptions = s.MaxSubscriptions
	}
	started, err := mock.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = started.Stop() }()
	fmt.Println("target " + started.URL)
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	<-ctx.Done()
}

// verifyEnv carries a verify process's settings (verifySettings as JSON)
// and makes TestVerifyProcess run instead of skipping.
const verifyEnv = "PRESENCEKIT_LOADGEN_VERIFY"

// verifySettings is what a verify process runs: verifyConfig's run of
// Requests against Target.
type verifySettings struct {
	Target   string `json:"target"`
	Requests uint64 `json:"requests"`
}

// verificationLine prefixes the verify process's one line of output that
// holds its verification as JSON.
const verificationLine = "verification "

// runVerifyProcess runs verifyConfig's load run in a child process built
// without -race, and returns its verification. It is for the tests that
// judge whether the verifier finds a server's faults: their runs need the
// generator's full concurrency (a race break mode shows only when
// requests overlap), which this package's race-detected process, kept on
// one P (TestMain), no longer offers. The tests run in this process cover
// the verifier under the race detector.
func runVerifyProcess(t *testing.T, target string, requests uint64) *Verification {
	t.Helper()
	cmd := childRunning(t.Context(), t, "TestVerifyProcess", verifyEnv,
		verifySettings{Target: target, Requests: requests})
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("verify process: %v: %s", err, childtest.LastLines(string(out), 8))
	}
	for line := range strings.SplitSeq(string(out), "\n") {
		if raw, ok := strings.CutPrefix(line, verificationLine); ok {
			var v Verification
			if err := json.Unmarshal([]byte(raw), &v); err != nil {
				t.Fatalf("verify process: %v", err)
			}
			return &v
		}
	}
	t.Fatalf("the verify process printed no verification: %s", childtest.LastLines(string(out), 8))
	return nil
}

// TestVerifyProcess is runVerifyProcess's child, not a test: run with
// verifyEnv set, it runs the load and prints the verification; otherwise
// it skips.
func TestVerifyProcess(t *testing.T) {
	var s verifySettings
	childSettings(t, verifyEnv, &s)
	b, err := json.Marshal(runVerify(t, verifyConfig(t, s.Target, s.Requests)))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(verificationLine + string(b))
}
