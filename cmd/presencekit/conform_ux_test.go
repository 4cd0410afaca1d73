package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/presencekit/presencekit/internal/childtest"
	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/mock/mocktest"
	"github.com/presencekit/presencekit/spec"
	"github.com/presencekit/presencekit/suites"
)

// envChildArgs holds the command line of a conform child process, one
// argument a line. Ginkgo runs one suite per process, so every test here
// that runs the suite runs it in a child: this test binary, re-run.
const envChildArgs = "PRESENCEKIT_CONFORM_CHILD_ARGS"

// TestConformChild is the child's entry point, not a test of its own.
func TestConformChild(t *testing.T) {
	raw, ok := os.LookupEnv(envChildArgs)
	if !ok {
		t.Skip("runs only as the child process of a conform test")
	}
	// As main does: SIGINT or SIGTERM ends the command gracefully.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, strings.Split(raw, "\n"), strings.NewReader(""), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// cliChild runs presencekit with args in a child process: this test
// package built without -race (child), its workers too.
func cliChild(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd, err := child.Command(t.Context(), "-test.run", "^TestConformChild$")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(append(cmd.Env, envChildArgs+"="+strings.Join(args, "\n")), env...)
	if len(args) > 0 && args[0] == "conform" {
		// A conform run is one sequence of exchanges (its workers too).
		cmd.Env = append(cmd.Env, childtest.OneProc)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	r := result{stdout: out.String()}
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	r.stdout, r.stderr = out.String(), errOut.String()
	return r
}

// mockTarget serves a mock (mocktest), broken as asked, with the given
// secrets, and returns its URL.
func mockTarget(t *testing.T, token, secret, admin string, breaks ...mock.Break) string {
	t.Helper()
	mc := mocktest.Config(t, breaks...)
	mc.VirtualClock = true
	mc.Tokens, mc.ClientSecret, mc.AdminToken = []string{token}, secret, admin
	mc.MaxSubscriptions = testCap
	return mocktest.Start(t, mc).URL
}

// testAdmin is the admin token of the mocks these tests start.
const testAdmin = "conform-test-admin"

// bearer finds an Authorization header's value in any output.
var bearer = regexp.MustCompile(`(?i)authorization\W{0,6}bearer\s+(\S+)`)

// failureLine is the one line conform prints for a failed spec.
var failureLine = regexp.MustCompile(`^\[[A-Z][A-Z0-9-]+\] \S.*$`)

// TestConformFailureLines runs the suite against a broken mock and checks
// the console: one line per failed spec, "[RULE-ID] what was expected,
// what came back", then the summary; no Gomega struct dump, no message
// twice, no hint at ginkgo flags.
func TestConformFailureLines(t *testing.T) {
	t.Parallel()
	target := mockTarget(t, mock.DefaultToken, mock.DefaultClientSecret, testAdmin,
		mock.Break(spec.RuleSubLimitUsers), mock.Break(spec.RuleAuth401Code), mock.Break(spec.RuleGetEntryPerUser))
	// Unpaced (--rate 0): the mock is no tenant to spare; --concurrency
	// stays the --target default.
	r := cliChild(t, nil, "conform", "--target", target, "--token", mock.DefaultToken,
		"--client-id", mock.DefaultClientID, "--client-secret", mock.DefaultClientSecret,
		"--admin-token", testAdmin, "--rate", "0", "--report-dir", t.TempDir())
	if r.code != exitFail {
		t.Fatalf("want exit %d:\n%s", exitFail, r)
	}
	head, _, ok := strings.Cut(r.stdout, "\nFailed rules:")
	if !ok {
		t.Fatalf("no failed-rules table:\n%s", r)
	}
	first, head, _ := strings.Cut(head, "\n")
	if !strings.HasPrefix(first, "running ") || !strings.Contains(first, " specs against http://127.0.0.1:") {
		t.Errorf("the first line does not say what runs against what: %q", first)
	}
	// With --concurrency above one (the default against a --target) the
	// parent also says how it splits the run and how each group did.
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(head), "\n") {
		switch {
		case strings.HasPrefix(l, "conform: ") || strings.HasPrefix(l, "  "):
		case failureLine.MatchString(l):
			lines = append(lines, l)
		default:
			t.Errorf("not a failure line: %q", l)
		}
	}
	m := regexp.MustCompile(`(?m)^\d+ passed, (\d+) failed, \d+ skipped$`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no closing spec count:\n%s", r)
	}
	if n, _ := strconv.Atoi(m[1]); n != len(lines) || n == 0 {
		t.Errorf("%d failed specs, %d failure lines: want one line each\n%s", n, len(lines), r)
	}
	for _, want := range []string{
		bracket(spec.RuleSubLimitUsers) + " POST ", ": want 400 illegal_argument, got 200",
		bracket(spec.RuleAuth401Code) + " ", "want 401 unauthorized, got 401 invalid_token",
		bracket(spec.RuleGetEntryPerUser) + ` uids of the answer ["`,
	} {
		if !strings.Contains(head, want) {
			t.Errorf("the failure lines lack %q:\n%s", want, head)
		}
	}
	for _, bad := range []string{"0x", "suites.Failure", "Expected success", "ginkgo", "-vv", "Timeline", ".go:"} {
		if strings.Contains(r.stdout+r.stderr, bad) {
			t.Errorf("the output has %q:\n%s", bad, r)
		}
	}
}

// TestConformSecretsNeverWritten sets every secret conform knows to a
// marker, provokes failures whose exchanges carry them (a broken mock,
// TOKEN-BAD-SECRET's wrong secret, a password in --target) and greps
// stdout, stderr and every report file for each marker.
func TestConformSecretsNeverWritten(t *testing.T) {
	t.Parallel()
	const token, secret, admin, password = "tok-M4RK3R-1", "sec-M4RK3R-2", "adm-M4RK3R-3", "pw-M4RK3R-4"
	markers := []string{token, secret, admin, password, url.QueryEscape(secret)}
	target := mockTarget(t, token, secret, admin, mock.Break(spec.RuleSubLimitUsers), mock.Break(spec.RuleTokenBadSecret),
		mock.Break(spec.RuleErrEnvelope), mock.Break(spec.RuleSchemaResponse))
	u, _ := url.Parse(target)
	u.User = url.UserPassword("user", password)
	dir := t.TempDir()
	r := cliChild(t, []string{"PRESENCE_ADMIN_TOKEN=" + admin}, "conform", "--target", u.String(), "--token", token,
		"--client-id", mock.DefaultClientID, "--client-secret", secret, "--rate", "0", "--report-dir", dir)
	if r.code != exitFail {
		t.Fatalf("want exit %d:\n%s", exitFail, r)
	}
	outputs := map[string]string{"stdout": r.stdout, "stderr": r.stderr}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		outputs[e.Name()] = string(data)
	}
	for _, f := range []string{"junit.xml", "report.json", "report.html"} {
		if _, ok := outputs[f]; !ok {
			t.Errorf("no %s written", f)
		}
	}
	for name, text := range outputs {
		for _, m := range markers {
			if strings.Contains(text, m) {
				t.Errorf("%s holds the secret %q", name, m)
			}
		}
		for _, m := range bearer.FindAllStringSubmatch(text, -1) {
			if !strings.HasPrefix(m[1], "REDACTED") {
				t.Errorf("%s holds a bearer token: %q", name, m[0])
			}
		}
	}
	if !strings.Contains(outputs["report.json"], string(spec.RuleTokenBadSecret)) || !strings.Contains(outputs["junit.xml"], "REDACTED") {
		t.Errorf("the reports do not hold the masked failure")
	}
	var reports []map[string]any
	if err := json.Unmarshal([]byte(outputs["report.json"]), &reports); err != nil {
		t.Errorf("report.json does not parse after masking: %v", err)
	}
	if err := xml.Unmarshal([]byte(outputs["junit.xml"]), new(struct{})); err != nil {
		t.Errorf("junit.xml does not parse after masking: %v", err)
	}

	// A refused client secret stops the run before any spec, and the
	// message names the flag, not the value.
	target = mockTarget(t, token, secret, admin)
	r = execute(t, "", "conform", "--target", target, "--client-id", mock.DefaultClientID, "--client-secret", secret+"-wrong")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--client-id/--client-secret") || strings.Contains(r.stdout+r.stderr, secret) {
		t.Errorf("refused client secret: want exit 2 naming the flags, not the value\n%s", r)
	}
}

// TestConformSkipsAndFilters: --users (deprecated) still names the test
// users, with a warning; report.html gives each skip's reason; a filter
// that selects nothing is exit 2.
func TestConformSkipsAndFilters(t *testing.T) {
	t.Parallel()
	target := mockTarget(t, mock.DefaultToken, mock.DefaultClientSecret, testAdmin)
	dir := t.TempDir()
	r := cliChild(t, nil, "conform", "--target", target, "--token", mock.DefaultToken, "--users", "a,b",
		"--rate", "0", "--concurrency", "1", "--label-filter", suites.RuleLabel(spec.RuleGetEntryPerUser)+" || op:getGroupOnlineCount", "--report-dir", dir)
	if r.code != exitOK {
		t.Fatalf("want exit 0:\n%s", r)
	}
	if !strings.Contains(r.stderr, "--users") || !strings.Contains(r.stderr, "deprecated") || !strings.Contains(r.stderr, "--test-users") {
		t.Errorf("no deprecation warning for --users:\n%s", r)
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, reason := range []string{"needs 3 known users; --test-users lists 2",
		"needs a prepared group: --group (with --group-online for an exact count), or a presencekit mock target with its admin API (--admin-token)"} {
		if !strings.Contains(string(page), reason) {
			t.Errorf("report.html lacks the skip reason %q", reason)
		}
	}

	r = cliChild(t, nil, "conform", "--target", target, "--token", mock.DefaultToken, "--label-filter", "rule:NO-SUCH-RULE",
		"--report-dir", t.TempDir())
	if r.code != exitUsage || !strings.Contains(r.stderr, "selects no spec") {
		t.Errorf("a filter selecting nothing: want exit 2\n%s", r)
	}
}

// TestConformProbeExits2 pins the start-up probe's exit code and line: a
// refused token names where it came from, an unknown org/app says so, an
// unparsable filter is plain text. None of them runs a spec.
func TestConformProbeExits2(t *testing.T) {
	target := mockTarget(t, "good-token", mock.DefaultClientSecret, testAdmin)
	cases := []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"--token", "bad-token"}, "refused the token (401 unauthorized); the token came from --token"},
		{map[string]string{"PRESENCE_TOKEN": "bad-token"}, nil, "the token came from PRESENCE_TOKEN"},
		{nil, []string{"--token", "good-token", "--label-filter", "rule:("}, `--label-filter "rule:(": `},
	}
	for _, c := range cases {
		for k, v := range c.env {
			t.Setenv(k, v)
		}
		r := execute(t, "", append([]string{"conform", "--target", target}, c.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
			t.Errorf("%v %v: want exit 2 and one line with %q\n%s", c.env, c.args, c.want, r)
		}
		if strings.Contains(r.stderr, "\x1b[") || strings.Contains(r.stdout+r.stderr, "bad-token") {
			t.Errorf("%v: colour codes or the token in the output\n%s", c.args, r)
		}
		for k := range c.env {
			t.Setenv(k, "")
		}
	}
}

// bracket is how a console failure line names its rule: "[RULE-ID]".
func bracket(id spec.RuleID) string { return "[" + string(id) + "]" }
