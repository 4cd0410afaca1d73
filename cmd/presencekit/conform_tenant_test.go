package main

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/reporters"

	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/mock/mocktest"
	"github.com/presencekit/presencekit/suites"
)

// These tests run conform against the mock rate-limited as `presencekit
// mock --rate-limit N/s` does (429 reach_limit above N per second), the way
// a busy real tenant answers. They use --concurrency above one, so every
// Ginkgo run happens in a worker process (this test binary, see TestMain)
// and they can run side by side with each other.

// limitedTarget serves a mock limited to perSecond requests per second
// (one second's burst), with the virtual clock and a small subscription cap
// so SUB-CAP stays cheap, and returns the conform flags to reach it.
func limitedTarget(t *testing.T, perSecond float64) []string {
	t.Helper()
	return faultyTarget(t, mock.Faults{RateLimit: perSecond})
}

// faultyTarget is limitedTarget with any faults the mock injects.
func faultyTarget(t *testing.T, faults mock.Faults) []string {
	t.Helper()
	mc := mocktest.Config(t)
	mc.VirtualClock = true
	mc.MaxSubscriptions = 300
	mc.Faults = faults
	m := mocktest.Start(t, mc)
	return []string{"conform", "--target", m.URL, "--token", mock.DefaultToken, "--admin-token", m.AdminToken,
		"--client-id", mock.DefaultClientID, "--client-secret", mock.DefaultClientSecret,
		"--max-subscriptions", "300", "--report-dir", t.TempDir()}
}

var throttleLine = regexp.MustCompile(`throttled: (\d+) retries, \S+ waiting, (\d+) requests still throttled`)

// throttling reads the summary's counts: retries and requests still
// throttled after the last try.
func throttling(t *testing.T, r result) (retries, exhausted int) {
	t.Helper()
	m := throttleLine.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no throttling line in the summary\n%s", r)
	}
	retries, _ = strconv.Atoi(m[1])
	exhausted, _ = strconv.Atoi(m[2])
	t.Log(m[0])
	return retries, exhausted
}

func noFailures(t *testing.T, r result) {
	t.Helper()
	if r.code != exitOK || !regexp.MustCompile(`\d+ passed, 0 failed, \d+ skipped`).MatchString(r.stdout) {
		t.Fatalf("want exit 0 and no failed spec\n%s", r)
	}
}

func TestConformBelowTheTargetsRateLimit(t *testing.T) {
	t.Parallel()
	r := cliChild(t, nil, append(limitedTarget(t, 20), "--rate", "15")...)
	noFailures(t, r)
	if !strings.Contains(r.stdout, "pacing: 15 requests/s, 4 side by side") {
		t.Errorf("the summary does not state the pacing\n%s", r)
	}
	throttling(t, r)
}

func TestConformDefaultsAgainstARateLimitedTarget(t *testing.T) {
	t.Parallel()
	r := cliChild(t, nil, limitedTarget(t, 20)...)
	noFailures(t, r)
	if !strings.Contains(r.stdout, "pacing: 20 requests/s, 4 side by side") {
		t.Errorf("the summary does not state the default pacing for a --target\n%s", r)
	}
	throttling(t, r)
}

// TestConformRetriesThrottledRequests paces at twice the target's limit:
// requests are throttled for sure, retried, counted, and the run passes.
func TestConformRetriesThrottledRequests(t *testing.T) {
	t.Parallel()
	args := limitedTarget(t, 20)
	r := cliChild(t, nil, append(args, "--rate", "40")...)
	noFailures(t, r)
	retries, _ := throttling(t, r)
	if retries == 0 {
		t.Fatalf("paced at 40/s against a 20/s limit, yet no retry was counted\n%s", r)
	}
	data, err := os.ReadFile(filepath.Join(args[len(args)-1], "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var junit reporters.JUnitTestSuites
	if err := xml.Unmarshal(data, &junit); err != nil {
		t.Fatal(err)
	}
	if got := junit.TestSuites[0].Properties.WithName(suites.PropRetries); got != strconv.Itoa(retries) {
		t.Errorf("junit.xml property %s = %q, want %d as in the summary", suites.PropRetries, got, retries)
	}
	// The workers' reports merge into one: every spec once.
	m := regexp.MustCompile(`(?m)^(\d+) passed, 0 failed, (\d+) skipped`).FindStringSubmatch(r.stdout)
	passed, _ := strconv.Atoi(m[1])
	skipped, _ := strconv.Atoi(m[2])
	names := map[string]bool{}
	for _, c := range junit.TestSuites[0].TestCases {
		names[c.Name] = true
	}
	if len(junit.TestSuites[0].TestCases) != passed+skipped || len(names) != passed+skipped {
		t.Errorf("junit.xml has %d test cases (%d names), the summary %d specs", len(junit.TestSuites[0].TestCases), len(names), passed+skipped)
	}
}

// TestConformSkipsSpecsThatStayThrottled gives no retry against a tight
// limit: specs whose request stays throttled are skipped with the reason,
// never failed, and the gate passes.
func TestConformSkipsSpecsThatStayThrottled(t *testing.T) {
	t.Parallel()
	args := limitedTarget(t, 5)
	r := cliChild(t, nil, append(args, "--rate", "0", "--retry-max-tries", "1", "--concurrency", "2")...)
	noFailures(t, r)
	if _, exhausted := throttling(t, r); exhausted == 0 {
		t.Fatalf("no request stayed throttled against 5/s unpaced\n%s", r)
	}
	if regexp.MustCompile(`\d+ passed, 0 failed, 0 skipped`).MatchString(r.stdout) {
		t.Errorf("no spec was skipped\n%s", r)
	}
	data, err := os.ReadFile(filepath.Join(args[len(args)-1], "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "the target kept throttling") {
		t.Error("report.json does not give the skip reason")
	}
}

// TestConformBusyStatuses: against a target that answers one request in
// five with 503, --busy-statuses 503 makes those answers busy: retried,
// counted, and the gate passes. Without it (the default) they fail rules.
func TestConformBusyStatuses(t *testing.T) {
	t.Parallel()
	args := faultyTarget(t, mock.Faults{ErrorRate: 0.2})
	// 30 tries: a request answered 503 every time is one in 0.2^30.
	r := cliChild(t, nil, append(args, "--rate", "0", "--busy-statuses", "503", "--retry-max-tries", "30", "--retry-max-wait", "1ms")...)
	noFailures(t, r)
	if retries, _ := throttling(t, r); retries == 0 {
		t.Fatalf("one answer in five was 503, yet no retry was counted\n%s", r)
	}

	r = cliChild(t, nil, append(faultyTarget(t, mock.Faults{ErrorRate: 0.2}), "--rate", "0", "--label-filter", "level:MUST")...)
	if r.code != exitFail || !strings.Contains(r.stdout, "503") {
		t.Errorf("without --busy-statuses: want exit 1 with the 503 answers failing rules\n%s", r)
	}
}

func TestConformConcurrentLabelFilterMistakesExit2(t *testing.T) {
	t.Parallel()
	args := limitedTarget(t, 1000)
	for _, filter := range []string{"rule:(", "rule:NO-SUCH-RULE"} {
		r := execute(t, "", append(args, "--label-filter", filter)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "--label-filter") {
			t.Errorf("--label-filter %q: want exit 2 naming the flag\n%s", filter, r)
		}
	}
}
