package suites

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/spec"
)

// gomegaMessage is the message Gomega's Succeed() fails with for err.
func gomegaMessage(err error) string {
	var msg string
	gomega.NewGomega(func(m string, _ ...int) { msg = m }).Expect(err).To(gomega.Succeed())
	return msg
}

// TestFailureFormatsAsOneLine pins the message of a failed check: the
// finding alone (the rule is data the check records, put in front by
// FailureLine), never "<*suites.Failure | 0x…>" nor a dump
// of a client error's fields (which hold the Authorization header).
func TestFailureFormatsAsOneLine(t *testing.T) {
	if got := gomegaMessage(fail(spec.RuleSubLimitUsers, "want 400, got 200")); got != "want 400, got 200" {
		t.Errorf("Succeed() message of a Failure: %q", got)
	}
	req, _ := http.NewRequest(http.MethodDelete, "http://h/org/app/users/u/presence", nil)
	req.Header.Set("Authorization", "Bearer tok-in-header")
	api := &client.APIError{Status: 500, Response: &client.Response{Request: req, Status: 500}}
	got := gomegaMessage(plainErr(errors.Join(errors.New("cleanup of u"), api)))
	for _, bad := range []string{"0x", "tok-in-header", "Bearer", "Expected success"} {
		if strings.Contains(got, bad) {
			t.Errorf("housekeeping failure message has %q: %q", bad, got)
		}
	}
}

func TestFailureLine(t *testing.T) {
	cases := []struct {
		msg    string
		blamed spec.RuleID
		want   string
	}{
		{"POST /p: want 400 illegal_argument, got 200", spec.RuleSubLimitUsers,
			"[" + string(spec.RuleSubLimitUsers) + "] POST /p: want 400 illegal_argument, got 200"},
		{"uids of the answer, in order\nExpected\n    <[]string | len:2, cap:2>: [\"a\", \"b\"]\nto equal\n    <[]string | len:2, cap:2>: [\"b\", \"a\"]",
			spec.RuleGetEntryPerUser, "[" + string(spec.RuleGetEntryPerUser) + `] uids of the answer, in order: Expected ["a", "b"] to equal ["b", "a"]`},
		{"removing the spec's subscriptions\ncleanup of u: 500", "SUB-OK",
			"[SUB-OK] removing the spec's subscriptions: cleanup of u: 500"},
	}
	for _, c := range cases {
		if got := FailureLine(c.msg, c.blamed); got != c.want {
			t.Errorf("FailureLine(%q)\n got %q\nwant %q", c.msg, got, c.want)
		}
	}
	if got := FailureLine(strings.Repeat("x", 1000), "R"); len([]rune(got)) > maxLine+1 {
		t.Errorf("a long failure line is not capped: %d runes", len([]rune(got)))
	}
}

// TestResultRedactsAndGivesSkipReasons pins the report's view of a run:
// secrets masked in messages and exchanges, the target's password masked,
// and each skipped spec's reason kept for report.html.
func TestResultRedactsAndGivesSkipReasons(t *testing.T) {
	cfg := Defaults()
	cfg.Target, cfg.Token, cfg.ClientSecret = "http://user:pw-marker@host", "tok-marker", "sec-marker"
	skipped := types.SpecReport{LeafNodeType: types.NodeTypeIt, State: types.SpecStateSkipped,
		LeafNodeLabels: []string{RuleLabel(spec.RuleGroupCount)}, Failure: types.Failure{Message: "needs a prepared group: --group"}}
	failed := types.SpecReport{LeafNodeType: types.NodeTypeIt, State: types.SpecStateFailed,
		LeafNodeLabels: []string{RuleLabel(spec.RuleTokenBadSecret)},
		Failure:        types.Failure{Message: `want 401, got 200 {"client_secret":"sec-marker-wrong"}`},
		ReportEntries: types.ReportEntries{{Name: entryExchange, Value: types.WrapEntryValue(
			"POST /org/app/token\nAuthorization: Bearer tok-marker\n{\"client_secret\":\"sec-marker-wrong\"}")}}}
	res := NewResult(types.Report{SpecReports: types.SpecReports{skipped, failed}}, cfg)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := WriteHTML(page, res); err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, marker := range []string{"pw-marker", "tok-marker", "sec-marker"} {
		if strings.Contains(string(html), marker) {
			t.Errorf("report.html holds %q", marker)
		}
	}
	if !strings.Contains(string(html), "needs a prepared group: --group") {
		t.Errorf("report.html does not give the skipped spec's reason")
	}
	if res.Config.Target != "http://user:"+client.Redacted+"@host" {
		t.Errorf("Result.Config.Target = %q, want the password masked", res.Config.Target)
	}
}

// TestRedactReportsKeepsThemReadable pins the post-processing of Ginkgo's
// files: secrets gone, JSON still JSON (also inside an entry kept as JSON
// text), even where a secret sits next to an escaped quote.
func TestRedactReportsKeepsThemReadable(t *testing.T) {
	cfg := Defaults()
	cfg.Token, cfg.ClientSecret, cfg.Target = "tok-marker", `se"c-marker`, "http://u:pw-marker@h"
	dir := t.TempDir()
	inner, _ := json.Marshal(`Authorization: Bearer tok-marker\"x {"client_secret":"se\"c-marker-wrong"} http://u:pw-marker@h`)
	doc, _ := json.Marshal([]any{map[string]any{"Message": "[R] tok-marker", "AsJSON": string(inner), "N": 1796254371000000000}})
	if err := os.WriteFile(filepath.Join(dir, "report.json"), doc, 0o644); err != nil {
		t.Fatal(err)
	}
	junit := `<testsuites><testcase name="x"><failure message="se&#34;c-marker tok-marker">Bearer tok-marker&#xA;</failure></testcase></testsuites>`
	if err := os.WriteFile(filepath.Join(dir, "junit.xml"), []byte(junit), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := RedactReports(dir, Redactor(cfg), cfg); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"report.json", "junit.xml"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, marker := range []string{"tok-marker", "c-marker", "pw-marker"} {
			if strings.Contains(string(data), marker) {
				t.Errorf("%s still holds %q:\n%s", f, marker, data)
			}
		}
		if f == "report.json" {
			var v []map[string]any
			if err := json.Unmarshal(data, &v); err != nil {
				t.Fatalf("report.json is no longer JSON: %v\n%s", err, data)
			}
			if !strings.Contains(string(data), "1796254371000000000") {
				t.Errorf("a large number changed: %s", data)
			}
		}
	}
	u, _ := url.Parse(Defaults().Redacted().Target)
	if u.User != nil {
		t.Errorf("an empty target gained userinfo: %v", u)
	}
}

// TestSummaryListsGatingRulesNotJudged: the console names the gating rules
// none of whose specs ran, with why, MUST first; rules the label filter
// left out, rules below the gate's level and probes are not listed.
func TestSummaryListsGatingRulesNotJudged(t *testing.T) {
	skip := func(id spec.RuleID, why string) types.SpecReport {
		return types.SpecReport{LeafNodeType: types.NodeTypeIt, State: types.SpecStateSkipped,
			LeafNodeLabels: []string{RuleLabel(id)}, Failure: types.Failure{Message: why}}
	}
	reports := types.SpecReports{
		skip(spec.RuleTokenGrant, "needs --client-id and --client-secret"),
		skip(spec.RuleGroupCount, "needs a prepared group: --group"),
		skip(spec.RuleSubListed, ""), // left out by the label filter
		skip(spec.RuleProbeUnknownUser, "the target kept throttling"),
	}
	for _, c := range []struct {
		level string
		want  []string // rule IDs in the order listed
	}{
		{"should", []string{string(spec.RuleGroupCount), string(spec.RuleTokenGrant)}},
		{"must", []string{string(spec.RuleGroupCount)}},
	} {
		cfg := Defaults()
		cfg.Level = c.level
		var b strings.Builder
		NewResult(types.Report{SpecReports: reports}, cfg).Summary(&b)
		out := b.String()
		_, table, found := strings.Cut(out, "Gating rules not judged")
		if !found {
			t.Fatalf("level %s: no list of rules not judged:\n%s", c.level, out)
		}
		table, _, _ = strings.Cut(table, "\n\n")
		var got []string
		for _, line := range strings.Split(table, "\n")[2:] {
			if f := strings.Fields(line); len(f) > 0 {
				got = append(got, f[0])
			}
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("level %s: listed %v, want %v:\n%s", c.level, got, c.want, out)
		}
		if !strings.Contains(table, "needs a prepared group: --group") {
			t.Errorf("level %s: the reason is not given:\n%s", c.level, out)
		}
	}
	var b strings.Builder
	NewResult(types.Report{SpecReports: reports[2:]}, Defaults()).Summary(&b)
	if strings.Contains(b.String(), "not judged") {
		t.Errorf("listed rules not judged when only the filter and a probe skipped:\n%s", b.String())
	}
}
