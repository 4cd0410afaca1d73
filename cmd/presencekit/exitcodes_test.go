package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/presencekit/presencekit/spec"
)

// exitCase is one command line and the exit code it must end with: the
// skeleton every command's exit-code test fills in (add a TestExitCodes<Cmd>
// next to the command's other tests and call checkExitCodes, then
// checkHelpListsCodes so its --help stays true to what it does).
type exitCase struct {
	name   string
	args   []string
	stdin  string
	code   int
	stderr string // a substring stderr must hold; "" means stderr must be empty
	stdout string // a substring stdout must hold; "" means anything
	// brokenStdout makes standard output fail on the first write.
	brokenStdout bool
}

// errWriter fails every write, like a closed pipe.
type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("write: broken pipe") }

// checkExitCodes runs every case in process, as main would, and checks its
// code and output. It returns the codes the cases pinned, for
// checkHelpListsCodes.
func checkExitCodes(t *testing.T, cases []exitCase) []int {
	t.Helper()
	var codes []int
	for _, tc := range cases {
		if !slices.Contains(codes, tc.code) {
			codes = append(codes, tc.code)
		}
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			var stdout io.Writer = &out
			if tc.brokenStdout {
				stdout = errWriter{}
			}
			code := run(context.Background(), tc.args, strings.NewReader(tc.stdin), stdout, &errOut)
			r := result{code: code, stdout: out.String(), stderr: errOut.String()}
			if r.code != tc.code {
				t.Errorf("presencekit %s: want exit %d, got\n%s", strings.Join(tc.args, " "), tc.code, r)
			}
			if tc.stderr == "" && r.stderr != "" || !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("presencekit %s: want %q on stderr, got\n%s", strings.Join(tc.args, " "), tc.stderr, r)
			}
			if !strings.Contains(r.stdout, tc.stdout) {
				t.Errorf("presencekit %s: want %q on stdout, got\n%s", strings.Join(tc.args, " "), tc.stdout, r)
			}
			if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
				t.Errorf("presencekit %s: a panic reached the user:\n%s", strings.Join(tc.args, " "), r)
			}
		})
	}
	slices.Sort(codes)
	return codes
}

var helpCodeLine = regexp.MustCompile(`^  ([0-9]+) +\S`)

// helpCodes reads the "Exit codes" block of a command's --help: the codes
// listed on the lines under the heading.
func helpCodes(help string) []int {
	var codes []int
	in := false
	for _, line := range strings.Split(help, "\n") {
		switch {
		case strings.HasPrefix(line, "Exit codes"):
			in = true
		case in && helpCodeLine.MatchString(line):
			n, _ := strconv.Atoi(helpCodeLine.FindStringSubmatch(line)[1])
			codes = append(codes, n)
		case in && strings.HasPrefix(line, "       "): // a wrapped description
		case in:
			in = false
		}
	}
	slices.Sort(codes)
	return slices.Compact(codes)
}

// checkHelpListsCodes checks that "presencekit <path> --help" has examples
// and lists exactly the exit codes the command's cases pinned: the help
// cannot promise a code the command never ends with, nor hide one.
func checkHelpListsCodes(t *testing.T, path []string, pinned []int) {
	t.Helper()
	r := execute(t, "", append(slices.Clone(path), "--help")...)
	if r.code != exitOK {
		t.Fatalf("%s --help:\n%s", strings.Join(path, " "), r)
	}
	if !strings.Contains(r.stdout, "\nExamples:\n  ") {
		t.Errorf("%s --help has no examples:\n%s", strings.Join(path, " "), r.stdout)
	}
	if got := helpCodes(r.stdout); !slices.Equal(got, pinned) {
		t.Errorf("%s --help lists exit codes %v, the tests pin %v:\n%s", strings.Join(path, " "), got, pinned, r.stdout)
	}
}

// tempFile writes data to name in a fresh temporary directory.
func tempFile(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Inputs that are no OpenAPI 3 document. Before they were refused, lint
// panicked on each and limits and diff answered zeros and exit 0.
const (
	emptyObject = `{}`
	otherObject = `{"a":1}`
	noPaths     = "openapi: 3.0.3\ninfo: {title: x, version: '1'}\n"
)

func TestExitCodesRoot(t *testing.T) {
	codes := checkExitCodes(t, []exitCase{
		{name: "no args shows help", args: nil, code: exitOK, stdout: "Exit codes (the same for every command):"},
		{name: "help", args: []string{"--help"}, code: exitOK, stdout: "130  interrupted"},
		{name: "unknown command", args: []string{"no-such-command"}, code: exitUsage, stderr: `unknown command "no-such-command"`},
		{name: "unknown flag", args: []string{"--no-such-flag"}, code: exitUsage, stderr: "unknown flag: --no-such-flag"},
	})
	if !slices.Equal(codes, []int{exitOK, exitUsage}) {
		t.Errorf("root pins %v", codes)
	}
	// The root's help carries the table of every command, which is wider
	// than what the root itself can end with.
	if got := helpCodes(execute(t, "", "--help").stdout); !slices.Equal(got, []int{0, 1, 2, 3, 130}) {
		t.Errorf("root --help lists exit codes %v, want the whole table 0 1 2 3 130", got)
	}
	if r := execute(t, "", "--help"); !strings.Contains(r.stdout, "\nExamples:\n  ") {
		t.Errorf("root --help has no examples:\n%s", r.stdout)
	}
}

func TestExitCodesVersion(t *testing.T) {
	codes := checkExitCodes(t, []exitCase{
		{name: "ok", args: []string{"version"}, code: exitOK, stdout: "presencekit "},
		{name: "stdout broken", args: []string{"version"}, code: exitFail, stderr: "broken pipe", brokenStdout: true},
		{name: "argument", args: []string{"version", "extra"}, code: exitUsage, stderr: `unknown command "extra"`},
		{name: "unknown flag", args: []string{"version", "--short"}, code: exitUsage, stderr: "unknown flag: --short"},
	})
	checkHelpListsCodes(t, []string{"version"}, codes)
}

func TestExitCodesSpec(t *testing.T) {
	codes := checkExitCodes(t, []exitCase{
		{name: "help", args: []string{"spec"}, code: exitOK, stdout: "  diff     review a change"},
		{name: "unknown subcommand", args: []string{"spec", "nope"}, code: exitUsage, stderr: `unknown command "nope" for "presencekit spec"`},
	})
	checkHelpListsCodes(t, []string{"spec"}, codes)
}

func TestExitCodesSpecLint(t *testing.T) {
	broken := specCopy(t, "$ref: '#/components/schemas/SubscribeResult'", "$ref: '#/components/schemas/Nope'")
	codes := checkExitCodes(t, []exitCase{
		{name: "embedded is clean", args: []string{"spec", "lint"}, code: exitOK, stdout: "openapi.yaml+profiles/easemob.yaml: 0 findings"},
		{name: "stdin", args: []string{"spec", "lint", "-"}, stdin: noPaths, code: exitFail, stdout: `<stdin>: [load] not an OpenAPI 3 document: it has no "paths" object`},
		{name: "findings", args: []string{"spec", "lint", broken}, code: exitFail, stdout: "[load]"},
		{name: "empty object", args: []string{"spec", "lint", tempFile(t, "e.json", emptyObject)}, code: exitFail, stdout: `[load] not an OpenAPI 3 document: it has no "openapi" field`},
		{name: "other object", args: []string{"spec", "lint", tempFile(t, "a.json", otherObject)}, code: exitFail, stdout: `[load] not an OpenAPI 3 document`},
		{name: "no paths", args: []string{"spec", "lint", tempFile(t, "p.yaml", noPaths)}, code: exitFail, stdout: `[load] not an OpenAPI 3 document: it has no "paths" object`},
		{name: "missing file", args: []string{"spec", "lint", filepath.Join(t.TempDir(), "missing.yaml")}, code: exitUsage, stderr: "presencekit: read spec:"},
		{name: "two files", args: []string{"spec", "lint", "a.yaml", "b.yaml"}, code: exitUsage, stderr: "accepts at most 1 arg"},
		{name: "unknown flag", args: []string{"spec", "lint", "--no-such-flag"}, code: exitUsage, stderr: "unknown flag: --no-such-flag"},
	})
	checkHelpListsCodes(t, []string{"spec", "lint"}, codes)
}

func TestExitCodesSpecLimits(t *testing.T) {
	codes := checkExitCodes(t, []exitCase{
		{name: "embedded", args: []string{"spec", "limits"}, code: exitOK, stdout: "subscribe_max_users"},
		{name: "empty object", args: []string{"spec", "limits", tempFile(t, "e.json", emptyObject)}, code: exitUsage, stderr: `not an OpenAPI 3 document: it has no "openapi" field`},
		{name: "other object on stdin", args: []string{"spec", "limits", "-"}, stdin: otherObject, code: exitUsage, stderr: "not an OpenAPI 3 document"},
		{name: "no paths", args: []string{"spec", "limits", "--json", tempFile(t, "p.yaml", noPaths)}, code: exitUsage, stderr: `no "paths" object`},
		{name: "missing file", args: []string{"spec", "limits", filepath.Join(t.TempDir(), "missing.yaml")}, code: exitUsage, stderr: "presencekit: read spec:"},
		{name: "two files", args: []string{"spec", "limits", "a.yaml", "b.yaml"}, code: exitUsage, stderr: "accepts at most 1 arg"},
	})
	checkHelpListsCodes(t, []string{"spec", "limits"}, codes)
}

func TestExitCodesSpecRules(t *testing.T) {
	codes := checkExitCodes(t, []exitCase{
		{name: "all", args: []string{"spec", "rules"}, code: exitOK, stdout: string(spec.RuleSubLimitUsers)},
		{name: "unknown level", args: []string{"spec", "rules", "--level", "may"}, code: exitUsage, stderr: "presencekit: --level"},
		{name: "two formats", args: []string{"spec", "rules", "--json", "--markdown"}, code: exitUsage, stderr: "presencekit: "},
		{name: "argument", args: []string{"spec", "rules", "extra"}, code: exitUsage, stderr: `unknown command "extra"`},
	})
	checkHelpListsCodes(t, []string{"spec", "rules"}, codes)
}

func TestExitCodesSpecDump(t *testing.T) {
	codes := checkExitCodes(t, []exitCase{
		{name: "ok", args: []string{"spec", "dump"}, code: exitOK, stdout: "openapi: 3."},
		{name: "stdout broken", args: []string{"spec", "dump"}, code: exitFail, stderr: "broken pipe", brokenStdout: true},
		{name: "argument", args: []string{"spec", "dump", "extra"}, code: exitUsage, stderr: `unknown command "extra"`},
	})
	checkHelpListsCodes(t, []string{"spec", "dump"}, codes)
}

func TestExitCodesSpecDiff(t *testing.T) {
	t.Parallel()
	empty := tempFile(t, "e.json", emptyObject)
	tighter := specCopy(t, "    SubscribeUsernames:\n      type: array\n      minItems: 1\n      maxItems: 100",
		"    SubscribeUsernames:\n      type: array\n      minItems: 1\n      maxItems: 50")
	codes := checkExitCodes(t, []exitCase{
		{name: "same", args: []string{"spec", "diff", "embedded", "embedded"}, code: exitOK, stdout: "0 breaking"},
		{name: "breaking", args: []string{"spec", "diff", "embedded", tighter}, code: exitFail, stdout: "BREAKING"},
		{name: "empty object old", args: []string{"spec", "diff", empty, "embedded"}, code: exitUsage, stderr: `not an OpenAPI 3 document: it has no "openapi" field`},
		{name: "empty object both", args: []string{"spec", "diff", empty, empty}, code: exitUsage, stderr: "not an OpenAPI 3 document"},
		{name: "other object new", args: []string{"spec", "diff", "embedded", "-"}, stdin: otherObject, code: exitUsage, stderr: "not an OpenAPI 3 document"},
		{name: "no paths", args: []string{"spec", "diff", "embedded", tempFile(t, "p.yaml", noPaths)}, code: exitUsage, stderr: `no "paths" object`},
		{name: "missing file", args: []string{"spec", "diff", "embedded", filepath.Join(t.TempDir(), "missing.yaml")}, code: exitUsage, stderr: "presencekit: read spec:"},
		{name: "one argument", args: []string{"spec", "diff", "embedded"}, code: exitUsage, stderr: "accepts 2 arg(s)"},
		{name: "both stdin", args: []string{"spec", "diff", "-", "-"}, code: exitUsage, stderr: "only one of OLD and NEW"},
	})
	checkHelpListsCodes(t, []string{"spec", "diff"}, codes)
}
