package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/presencekit/presencekit/spec"
	"github.com/presencekit/presencekit/suites"
)

// conformReport writes a report.json the way conform does (Ginkgo's JSON
// reporter) for a run of four specs: AUTH-REQUIRED passed, SUB-SELF (a
// SHOULD rule) failed with a message holding a bearer token and a pipe,
// TOKEN-GRANT skipped for want of a setting, SUB-LISTED left out by the
// label filter.
func conformReport(t *testing.T) string {
	t.Helper()
	specOf := func(rule spec.RuleID, state types.SpecState, msg string) types.SpecReport {
		return types.SpecReport{
			ContainerHierarchyTexts: []string{"Presence API"},
			LeafNodeText:            string(rule) + " spec",
			LeafNodeType:            types.NodeTypeIt,
			LeafNodeLabels:          []string{suites.RuleLabel(rule)},
			State:                   state,
			Failure:                 types.Failure{Message: msg},
		}
	}
	r := types.Report{
		SuiteDescription: "presencekit conformance",
		SpecReports: types.SpecReports{
			specOf(spec.RuleAuthRequired, types.SpecStatePassed, ""),
			specOf(spec.RuleSubSelf, types.SpecStateFailed, "subscribing to oneself was accepted | Authorization: Bearer sekret-token-4711\n<b>second line</b>"),
			specOf(spec.RuleTokenGrant, types.SpecStateSkipped, "needs --client-id and --client-secret"),
			specOf(spec.RuleSubListed, types.SpecStateSkipped, ""), // left out by --label-filter
		},
	}
	path := filepath.Join(t.TempDir(), "report.json")
	if err := reporters.GenerateJSONReport(r, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReportConformMarkdown(t *testing.T) {
	path := conformReport(t)
	r := execute(t, "", "report", "conform-md", path)
	if r.code != exitOK {
		t.Fatalf("%s", r)
	}
	for _, want := range []string{
		"### presencekit conformance: FAILED (1 failures of gating rules)\n",
		"Rules: 1 passed, 1 failed, 2 skipped, 0 probes recorded,",
		"| Rule | Level | Operation | Result | First failure, or why skipped |\n| --- | --- | --- | --- | --- |\n",
		row(spec.RuleTokenGrant, "SHOULD | `getAppToken` | ⏭️ skipped | needs --client-id and --client-secret |\n"),
		row(spec.RuleSubListed, "MUST | `subscribePresence` | ⏭️ skipped |  |\n"),
		row(spec.RuleAuthRequired, "MUST | all | ✅ passed |  |\n"),
		row(spec.RuleSubSelf, "SHOULD | `subscribePresence` | ❌ failed | "+bracket(spec.RuleSubSelf)+" subscribing to oneself was accepted \\| Authorization: Bearer "),
		row(spec.RuleSubLimitUsers, "MUST | `subscribePresence` | not checked |  |\n"),
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("missing %q in\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "sekret-token-4711") || strings.Contains(r.stdout, "<b>") {
		t.Errorf("the token or raw HTML reached the summary:\n%s", r.stdout)
	}
	// At --level must a SHOULD rule's failure does not fail the gate.
	if r := execute(t, "", "report", "conform-md", "--level", "must", path); r.code != exitOK ||
		!strings.HasPrefix(r.stdout, "### presencekit conformance: passed\n") {
		t.Errorf("--level must:\n%s", r)
	}
}

func TestReportConformMarkdownBadInput(t *testing.T) {
	notReport := filepath.Join(t.TempDir(), "results.json")
	if err := os.WriteFile(notReport, []byte(`{"schema":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"report", "conform-md", notReport},
		{"report", "conform-md", filepath.Join(t.TempDir(), "missing.json")},
		{"report", "conform-md", "--level", "may", conformReport(t)},
	} {
		if r := execute(t, "", args...); r.code != exitUsage || r.stdout != "" {
			t.Errorf("%q: want exit 2 and no output\n%s", args, r)
		}
	}
}

// row is the start of a rule's row in a Markdown rules table.
func row(id spec.RuleID, rest string) string { return "| `" + string(id) + "` | " + rest }

// TestReportConformProfile: conform-md --profile marks the rules the
// profile does not apply, instead of showing them unchecked.
func TestReportConformProfile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := cliChild(t, nil, "conform", "--profile", "easemob-2022", "--report-dir", dir)
	if r.code != exitOK {
		t.Fatalf("conform --profile easemob-2022: %s", r)
	}
	md := execute(t, "", "report", "conform-md", "--profile", "easemob-2022", filepath.Join(dir, "report.json"))
	if md.code != exitOK || !strings.Contains(md.stdout, row(spec.RuleGroupCount, "MUST | `getGroupOnlineCount` | ➖ not applicable |")) {
		t.Errorf("conform-md --profile easemob-2022: %s", md)
	}
}
