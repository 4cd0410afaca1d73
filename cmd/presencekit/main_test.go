package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/presencekit/presencekit"
	"github.com/presencekit/presencekit/spec"
)

// result is what one in-process run of the CLI produced.
type result struct {
	code           int
	stdout, stderr string
}

// execute runs the root command with args, as main would, capturing the
// output.
func execute(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// specCopy writes the embedded spec with one replacement to copy.yaml in a
// temporary directory, failing the test if the text to replace is not
// there: a mutation that silently does nothing would let the test pass for
// the wrong reason.
func specCopy(t *testing.T, old, new string) string {
	t.Helper()
	src := string(presencekit.OpenAPI)
	if !strings.Contains(src, old) {
		t.Fatalf("text to edit not found in openapi.yaml: %q", old)
	}
	path := filepath.Join(t.TempDir(), "copy.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(src, old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSpecLintEmbeddedIsClean(t *testing.T) {
	r := execute(t, "", "spec", "lint")
	if r.code != exitOK || strings.TrimSpace(r.stdout) != "openapi.yaml+profiles/easemob.yaml: 0 findings" || r.stderr != "" {
		t.Errorf("spec lint on the embedded spec:\n%s", r)
	}
}

func TestSpecLintFindsBrokenCopies(t *testing.T) {
	cases := []struct {
		name, old, new, check string
	}{
		{"broken example",
			"                  - uid: c2\n                    last_time: '1644466063'\n                    expiry:",
			"                  - uid: ''\n                    last_time: '1644466063'\n                    expiry:",
			spec.CheckExample},
		{"dangling $ref",
			"$ref: '#/components/schemas/SubscribeResult'",
			"$ref: '#/components/schemas/Nope'",
			spec.CheckLoad},
		{"removed 401",
			"        '401': {$ref: '#/components/responses/Unauthorized'}\n        '404': {$ref: '#/components/responses/NotFound'}\n        '405': {$ref: '#/components/responses/MethodNotAllowed'}\n        '413': {$ref: '#/components/responses/PayloadTooLarge'}\n        '415': {$ref: '#/components/responses/UnsupportedMediaType'}\n        '429': {$ref: '#/components/responses/TooManyRequests'}\n        '503': {$ref: '#/components/responses/ServiceUnavailable'}\n  /{org_name}/{app_name}/users/{username}/presence:",
			"        '404': {$ref: '#/components/responses/NotFound'}\n  /{org_name}/{app_name}/users/{username}/presence:",
			spec.CheckResponses},
	}
	located := regexp.MustCompile(`(?m)copy\.yaml:[0-9]+:[0-9]+: \[([a-z-]+)\] `)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := execute(t, "", "spec", "lint", specCopy(t, tc.old, tc.new))
			if r.code != exitFail {
				t.Fatalf("want exit %d:\n%s", exitFail, r)
			}
			var checks []string
			for _, m := range located.FindAllStringSubmatch(r.stdout, -1) {
				checks = append(checks, m[1])
			}
			if !slices.Contains(checks, tc.check) {
				t.Errorf("no located [%s] finding (located: %v):\n%s", tc.check, checks, r)
			}
			if !regexp.MustCompile(`copy\.yaml: [1-9][0-9]* findings?\n$`).MatchString(r.stdout) {
				t.Errorf("no closing count line:\n%s", r)
			}
		})
	}
}

func TestSpecLintJSON(t *testing.T) {
	path := specCopy(t, "$ref: '#/components/schemas/SubscribeResult'", "$ref: '#/components/schemas/Nope'")
	r := execute(t, "", "spec", "lint", "--json", path)
	var rep lintReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, r)
	}
	if r.code != exitFail || rep.Count != 1 || len(rep.Findings) != 1 || rep.Findings[0].Check != spec.CheckLoad || rep.Findings[0].Line == 0 {
		t.Errorf("want one located load finding and exit 1:\n%s", r)
	}

	r = execute(t, "", "spec", "lint", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != exitOK || rep.Findings == nil || rep.Count != 0 {
		t.Errorf("clean spec: want exit 0 and an empty findings array (err %v):\n%s", err, r)
	}
}

func TestSpecLintStdin(t *testing.T) {
	r := execute(t, string(presencekit.OpenAPI), "spec", "lint", "-")
	if r.code != exitOK || !strings.Contains(r.stdout, "<stdin>: 0 findings") {
		t.Errorf("spec lint - :\n%s", r)
	}
}

func TestExitCodes(t *testing.T) {
	cases := []struct {
		args []string
		code int
		err  string // in stderr
	}{
		{[]string{"spec", "lint", filepath.Join(t.TempDir(), "missing.yaml")}, exitUsage, "presencekit: read spec:"},
		{[]string{"spec", "limits", filepath.Join(t.TempDir(), "missing.yaml")}, exitUsage, "presencekit: read spec:"},
		{[]string{"spec", "lint", "a.yaml", "b.yaml"}, exitUsage, "presencekit: accepts at most 1 arg"},
		{[]string{"spec", "lint", "--no-such-flag"}, exitUsage, "presencekit: unknown flag: --no-such-flag"},
		{[]string{"no-such-command"}, exitUsage, `presencekit: unknown command "no-such-command"`},
		{[]string{"spec", "no-such-command"}, exitUsage, `presencekit: unknown command "no-such-command" for "presencekit spec"`},
		{[]string{"spec", "rules", "--level", "may"}, exitUsage, "presencekit: --level"},
		{[]string{"spec", "rules", "--json", "--markdown"}, exitUsage, "presencekit: "},
		{[]string{"spec", "dump", "extra"}, exitUsage, "presencekit: "},
		{[]string{}, exitOK, ""},
		{[]string{"spec"}, exitOK, ""},
		{[]string{"spec", "lint", "--help"}, exitOK, ""},
	}
	for _, tc := range cases {
		r := execute(t, "", tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.err) || (tc.err == "" && r.stderr != "") {
			t.Errorf("presencekit %s: want exit %d and %q on stderr, got\n%s", strings.Join(tc.args, " "), tc.code, tc.err, r)
		}
	}
}

func TestSpecLimits(t *testing.T) {
	r := execute(t, "", "spec", "limits", "--json")
	var l map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &l); err != nil || r.code != exitOK {
		t.Fatalf("spec limits --json (err %v):\n%s", err, r)
	}
	if l["subscribe_max_users"] != float64(100) || l["expiry_max"] != float64(2592000) || l["page_size_max"] != float64(500) {
		t.Errorf("limits = %v", l)
	}

	r = execute(t, "", "spec", "limits")
	if r.code != exitOK || !regexp.MustCompile(`(?m)^subscribe_max_users +100 +SUB-LIMIT-USERS$`).MatchString(r.stdout) {
		t.Errorf("spec limits table:\n%s", r)
	}
}

func TestSpecLimitsFollowEditedCopy(t *testing.T) {
	path := specCopy(t, "    SubscribeUsernames:\n      type: array\n      minItems: 1\n      maxItems: 100",
		"    SubscribeUsernames:\n      type: array\n      minItems: 1\n      maxItems: 50")
	r := execute(t, "", "spec", "limits", "--json", path)
	var l spec.Limits
	if err := json.Unmarshal([]byte(r.stdout), &l); err != nil || r.code != exitOK || l.SubscribeMaxUsers != 50 {
		t.Errorf("limits of a copy with maxItems 50 (err %v):\n%s", err, r)
	}
}

func TestSpecRules(t *testing.T) {
	rules := spec.Rules()

	r := execute(t, "", "spec", "rules", "--markdown")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != exitOK || len(lines) != len(rules)+2 || !strings.HasPrefix(lines[0], "| ID | Level | Operation | Statement | Source |") {
		t.Fatalf("want a header, a separator and %d rows:\n%s", len(rules), r)
	}
	for i, rule := range rules {
		row := lines[i+2]
		if !strings.HasPrefix(row, "| `"+string(rule.ID)+"` | "+string(rule.Level)+" | ") || !strings.Contains(row, rule.Source) ||
			strings.Count(row, " | ") != 4 {
			t.Errorf("row %d is not rule %s with its source: %s", i, rule.ID, row)
		}
	}

	r = execute(t, "", "spec", "rules", "--json", "--level", "should")
	var got []spec.Rule
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || r.code != exitOK || len(got) == 0 {
		t.Fatalf("spec rules --json --level should (err %v):\n%s", err, r)
	}
	for _, rule := range got {
		if rule.Level != spec.Should {
			t.Errorf("--level should listed %s (%s)", rule.ID, rule.Level)
		}
	}

	r = execute(t, "", "spec", "rules")
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "ID ") || strings.Count(r.stdout, "\n") != len(rules)+1 ||
		!regexp.MustCompile(`(?m)^SUB-LIMIT-USERS +MUST +subscribePresence +Subscribe accepts`).MatchString(r.stdout) {
		t.Errorf("spec rules table:\n%s", r)
	}
}

func TestSpecDump(t *testing.T) {
	r := execute(t, "", "spec", "dump")
	if r.code != exitOK || r.stdout != string(presencekit.OpenAPI) {
		t.Errorf("spec dump differs from presencekit.OpenAPI (exit %d, %d bytes)", r.code, len(r.stdout))
	}
}

func TestVersion(t *testing.T) {
	r := execute(t, "", "version")
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "presencekit dev\n") || !strings.Contains(r.stdout, "go:     go1.") {
		t.Errorf("version:\n%s", r)
	}
}

func TestBuildVersion(t *testing.T) {
	info := &debug.BuildInfo{
		Main: debug.Module{Path: "github.com/presencekit/presencekit", Version: "v0.3.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123abcd"},
			{Key: "vcs.time", Value: "2026-01-02T03:04:05Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	var b strings.Builder
	if err := printVersion(&b, buildVersion(info)); err != nil {
		t.Fatal(err)
	}
	want := "presencekit v0.3.0\ngo:     " + runtime.Version() + "\ncommit: 0123abcd (modified) 2026-01-02T03:04:05Z\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	if v := buildVersion(nil); v.Version != version || v.Commit != "" {
		t.Errorf("buildVersion(nil) = %+v", v)
	}
}
