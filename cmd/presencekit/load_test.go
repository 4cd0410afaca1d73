package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/presencekit/presencekit/loadgen"
	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/mock/mocktest"
)

// loadTarget serves a mock (mocktest) on a loopback port the test keeps
// listening on, counting the requests it answers; edit changes the mock's
// configuration, and hook, if set, sees each request's number before it
// is served.
func loadTarget(t *testing.T, edit func(*mock.Config), hook func(n uint64)) (url string, served *atomic.Uint64) {
	t.Helper()
	cfg := mocktest.Config(t)
	if edit != nil {
		edit(&cfg)
	}
	served = &atomic.Uint64{}
	m := mocktest.Start(t, cfg, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := served.Add(1)
			if hook != nil {
				hook(n)
			}
			h.ServeHTTP(w, r)
		})
	})
	return m.URL, served
}

// Regression (issue 9 item 4): every numeric flag is checked before
// anything starts (no mock, no request), and the message names the flag.
func TestLoadRefusesBadNumbers(t *testing.T) {
	t.Parallel()
	c := []string{"--concurrency", "2"}
	cases := []struct {
		args []string
		flag string
	}{
		{[]string{"--rate", "-5"}, "--rate"},
		{[]string{"--rate", "0"}, "--rate"},
		{[]string{"--rate", "NaN"}, "--rate"},
		{[]string{"--concurrency", "-3"}, "--concurrency"},
		{[]string{"--concurrency", "0"}, "--concurrency"},
		{append(c, "--duration", "-2s"), "--duration"},
		{append(c, "--duration", "0s"), "--duration"},
		{append(c, "--requests", "0"), "--requests"},
		{append(c, "--requests", "-1"), "--requests"},
		{append(c, "--connections", "-1"), "--connections"},
		{append(c, "--connections", "0"), "--connections"},
		{append(c, "--workers", "0"), "--workers"},
		{append(c, "--timeout", "0s"), "--timeout"},
		{append(c, "--report-every", "-1s"), "--report-every"},
		{append(c, "--users", "1"), "--users"},
		{append(c, "--users", "-4"), "--users"},
		{append(c, "--groups", "0"), "--groups"},
		{append(c, "--setup-subs", "-1"), "--setup-subs"},
		{append(c, "--zipf", "1"), "--zipf"},
		{append(c, "--zipf", "0.5"), "--zipf"},
		{append(c, "--validate", "1.5"), "--validate"},
		{append(c, "--validate", "-0.1"), "--validate"},
		{append(c, "--max-error-rate", "2"), "--max-error-rate"},
		{append(c, "--batch", "0..3"), "--batch"},
		{append(c, "--shard", "4/4"), "--shard"},
		{append(c, "--stages", "10s:-1"), "--stages"},
		{[]string{"--stages", "10s:5", "--rate", "-1"}, "--rate"},
		{append(c, "--arrival", "bursty"), "--arrival"},
		{append(c, "--threshold", "p99<soon"), "--threshold"},
		{append(c, "--target", "ftp://x"), "--target"},
		{append(c, "--rate", "10"), "--concurrency"},
		{nil, "--concurrency"},
	}
	for _, tc := range cases {
		r := execute(t, "", append([]string{"load"}, tc.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.flag) || strings.Contains(r.stderr, "embedded mock") ||
			strings.Contains(r.stderr, "Config.") {
			t.Errorf("load %s: want exit 2 naming %s before anything starts, got\n%s", strings.Join(tc.args, " "), tc.flag, r)
		}
	}
	r := execute(t, "", "load")
	if !strings.Contains(r.stderr, "--rate") || !strings.Contains(r.stderr, "--stages") {
		t.Errorf("load without pacing must say what to give:\n%s", r)
	}
}

// A bad number from the environment is refused as from a flag, and the
// message says where it came from.
func TestLoadRefusesBadNumberFromEnvironment(t *testing.T) {
	t.Setenv("PRESENCE_LOAD_RATE", "-5")
	if r := execute(t, "", "load"); r.code != exitUsage || !strings.Contains(r.stderr, "--rate -5 (from the environment)") {
		t.Errorf("PRESENCE_LOAD_RATE=-5:\n%s", r)
	}
}

// Regression (issue 9 item 4): load ignored PRESENCE_TARGET and ran
// against the embedded mock.
func TestLoadReadsPresenceSettings(t *testing.T) {
	url, served := loadTarget(t, nil, nil)
	t.Setenv("PRESENCE_TARGET", url)
	t.Setenv("PRESENCE_TOKEN", mock.DefaultToken)
	t.Setenv("PRESENCE_LOAD_REQUESTS", "40")
	file := filepath.Join(t.TempDir(), "load.yaml")
	if err := os.WriteFile(file, []byte("concurrency: 2\nsetup_subs: 0\nusers: 50\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := execute(t, "", "load", "--config", file)
	if r.code != exitOK || served.Load() != 41 || strings.Contains(r.stderr, "embedded mock") {
		t.Fatalf("want 1 preflight + 40 requests at PRESENCE_TARGET, served %d:\n%s", served.Load(), r)
	}
}

// Regression (issue 9 item 4): an unreachable target, a refused token or
// a wrong org/app ran to the end with 100% errors and exit 0.
func TestLoadPreflightExits2(t *testing.T) {
	url, served := loadTarget(t, func(c *mock.Config) { c.Org, c.App = "org", "app" }, nil)
	base := []string{"load", "--concurrency", "2", "--requests", "10"}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--target", "http://127.0.0.1:1", "--token", "x"}, "unreachable"},
		{[]string{"--target", url, "--token", "wrong"}, "refused the given token"},
		{[]string{"--target", url, "--client-id", mock.DefaultClientID, "--client-secret", "wrong"}, "token endpoint refused"},
		{[]string{"--target", url, "--token", mock.DefaultToken, "--org", "nope"}, "404"},
	}
	for _, tc := range cases {
		before := served.Load()
		r := execute(t, "", append(base, tc.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) || served.Load()-before > 2 {
			t.Errorf("%v: want exit 2 saying %q after at most 2 requests (got %d):\n%s", tc.args, tc.want, served.Load()-before, r)
		}
	}
}

// Regression (issue 9 item 4): a run where most requests failed exited 0.
func TestLoadRunFailedExits1WithOutputs(t *testing.T) {
	t.Parallel()
	url, _ := loadTarget(t, func(c *mock.Config) { c.Faults.ErrorRate = 0.9 }, nil)
	out := filepath.Join(t.TempDir(), "results.json")
	r := execute(t, "", "load", "--target", url, "--token", mock.DefaultToken, "--concurrency", "2",
		"--requests", "100", "--setup-subs", "0", "--out", out, "--threshold", "p99<1h")
	if r.code != exitFail || !strings.Contains(r.stderr, "requests failed") || !strings.Contains(r.stderr, "5xx:503") {
		t.Fatalf("want exit 1 saying why:\n%s", r)
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatalf("a failed run still writes its outputs: %v", err)
	}
	r = execute(t, "", "load", "--target", url, "--token", mock.DefaultToken, "--concurrency", "2",
		"--requests", "100", "--users", "50", "--out", out)
	if r.code != exitFail || !strings.Contains(r.stderr, "setup phase") {
		t.Fatalf("a failed setup phase: want exit 1 saying so:\n%s", r)
	}
}

// Regression (issue 10 item 5): load --client-id never renewed its token;
// from the token's expiry on most requests failed unauthorized and the
// run passed. The mock's token clock jumps past the TTL mid-run.
func TestLoadRenewsClientCredentialToken(t *testing.T) {
	t.Parallel()
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	url, _ := loadTarget(t, func(c *mock.Config) { c.TokenTTL, c.Now = 8*time.Second, now }, func(n uint64) {
		if n == 200 {
			offset.Add(int64(9 * time.Second))
		}
	})
	r := execute(t, "", "load", "--target", url, "--client-id", mock.DefaultClientID, "--client-secret", mock.DefaultClientSecret,
		"--concurrency", "2", "--requests", "600", "--setup-subs", "0")
	m := regexp.MustCompile(`token renewals: (\d+) \(0 failed\)`).FindStringSubmatch(r.stdout)
	if r.code != exitOK || m == nil || m[1] == "0" || strings.Contains(r.stdout, "errors by kind") {
		t.Fatalf("want exit 0, no errors and the renewals counted:\n%s", r)
	}
}

// Regression (issue 10 item 3): secrets reached load's outputs: a
// password in --target was written to results.json and the HTML report,
// and PRESENCE_TOKEN showed as a default in --help. Every secret is a
// marker here; failures are provoked; no output holds a marker.
func TestLoadNoSecretInAnyOutput(t *testing.T) {
	t.Parallel()
	const tok, pw, sec = "tokMARK3R", "pwMARK3R", "secMARK3R"
	url, _ := loadTarget(t, nil, nil)
	withPW := strings.Replace(url, "http://", "http://user:"+pw+"@", 1)
	dir := t.TempDir()
	files := []string{"--out", filepath.Join(dir, "r.json"), "--html", filepath.Join(dir, "r.html"), "--hdr-log", filepath.Join(dir, "r.hlog")}
	runs := []struct {
		env  map[string]string
		args []string
		code int
	}{
		{map[string]string{"PRESENCE_TOKEN": tok}, []string{"--help"}, exitOK},
		{map[string]string{"PRESENCE_TOKEN": tok}, []string{"--target", withPW, "--concurrency", "2"}, exitUsage},                      // refused token
		{map[string]string{"PRESENCE_CLIENT_SECRET": sec}, []string{"--target", withPW, "--client-id", "c", "--rate", "5"}, exitUsage}, // wrong secret
		{map[string]string{"PRESENCE_TOKEN": mock.DefaultToken}, append([]string{"--target", withPW, "--concurrency", "2",
			"--requests", "60", "--users", "20", "--validate", "1", "--threshold", "p99<1us"}, files...), exitThresholds},
		{nil, append([]string{"--target", "http://user:" + pw + "@127.0.0.1:1", "--token", tok, "--concurrency", "2"}, files...), exitUsage},
		{nil, []string{"--target", "ftp://user:" + pw + "@host", "--token", tok, "--concurrency", "2"}, exitUsage},
	}
	for i, run := range runs {
		r := cliChild(t, environ(run.env), append([]string{"load"}, run.args...)...)
		if r.code != run.code {
			t.Errorf("run %d: exit %d, want %d:\n%s", i, r.code, run.code, r)
		}
		for _, m := range []string{tok, pw, sec} {
			if strings.Contains(r.stdout+r.stderr, m) {
				t.Errorf("run %d: the console shows %s:\n%s", i, m, r)
			}
		}
	}
	for _, f := range []string{"r.json", "r.html", "r.hlog"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []string{tok, pw, sec} {
			if strings.Contains(string(b), m) {
				t.Errorf("%s holds %s", f, m)
			}
		}
	}
	var res loadgen.Results
	b, _ := os.ReadFile(filepath.Join(dir, "r.json"))
	if err := json.Unmarshal(b, &res); err != nil || !strings.Contains(res.Config.Target, "user:REDACTED@") {
		t.Errorf("results.json target %q (%v): want the password masked, the rest kept", res.Config.Target, err)
	}
}

// Regression (issue 9 item 6): report merge summed shards of different
// runs. It refuses them with exit 2 and names the setting that differs.
func TestReportMergeRefusesDifferentRuns(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	shard := func(name string, args ...string) string {
		p := filepath.Join(dir, name)
		// A child: this test is about merging; the load command runs
		// under the race detector in the tests around it.
		r := cliChild(t, nil, append([]string{"load", "--concurrency", "2", "--requests", "20", "--setup-subs", "0",
			"--users", "20", "--out", p}, args...)...)
		if r.code != exitOK {
			t.Fatalf("load %v:\n%s", args, r)
		}
		return p
	}
	a := shard("a.json", "--shard", "0/2")
	b := shard("b.json", "--shard", "1/2")
	seed := shard("seed.json", "--shard", "1/2", "--seed", "7")
	three := shard("three.json", "--shard", "1/3")
	if r := execute(t, "", "report", "merge", a, b); r.code != exitOK || !strings.Contains(r.stdout, "shards 0/2,1/2") {
		t.Errorf("shards of one run:\n%s", r)
	}
	for file, want := range map[string]string{seed: "seed 7 differs from 1", three: "shard count 3 differs from 2"} {
		if r := execute(t, "", "report", "merge", a, file); r.code != exitUsage || !strings.Contains(r.stderr, want) {
			t.Errorf("merge with %s: want exit 2 saying %q:\n%s", filepath.Base(file), want, r)
		}
	}
}

// Every threshold gets its verdict on the console, a passing one too, with
// the measured value; the HTML report (here written later by report show)
// lists the verdicts before its charts.
func TestLoadThresholdVerdicts(t *testing.T) {
	t.Parallel()
	url, _ := loadTarget(t, nil, nil)
	dir := t.TempDir()
	out := filepath.Join(dir, "r.json")
	r := execute(t, "", "load", "--target", url, "--token", mock.DefaultToken, "--concurrency", "2", "--requests", "40",
		"--setup-subs", "0", "--users", "20", "--out", out, "--threshold", "p99<1h", "--threshold", "get:p99<1us")
	if r.code != exitThresholds {
		t.Fatalf("exit %d, want %d:\n%s", r.code, exitThresholds, r)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^threshold p99<1h: pass \(p99 [0-9.]+(µs|ms)\)$`),
		regexp.MustCompile(`(?m)^threshold get:p99<1us: fail \(getPresenceStatus:p99 [0-9.]+(µs|ms)\)$`),
	} {
		if !want.MatchString(r.stderr) {
			t.Errorf("the console lacks %s:\n%s", want, r.stderr)
		}
	}
	html := filepath.Join(dir, "r.html")
	if r := execute(t, "", "report", "show", out, "--html", html, "--threshold", "p99<1h"); r.code != exitOK ||
		!strings.Contains(r.stderr, "threshold p99<1h: pass") || !strings.Contains(r.stderr, "thresholds: all 1 held") {
		t.Fatalf("report show:\n%s", r)
	}
	b, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `<code>p99&lt;1h</code></td><td class="pass">pass</td>`) {
		t.Error("the HTML report lacks the verdict")
	}
}

// report's and load's help carry examples and exit codes.
func TestLoadAndReportHelp(t *testing.T) {
	for _, args := range [][]string{{"load", "--help"}, {"report", "--help"}, {"report", "merge", "--help"}, {"report", "show", "--help"}} {
		r := execute(t, "", args...)
		if r.code != exitOK || !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "xit") {
			t.Errorf("%v: want examples and exit codes:\n%s", args, r)
		}
		for _, code := range []int{0, 2, 3} {
			if !strings.Contains(r.stdout, strconv.Itoa(code)) {
				t.Errorf("%v: exit code %d not documented", args, code)
			}
		}
	}
}
