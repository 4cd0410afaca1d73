package suites_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/presencekit/presencekit/internal/childtest"
	"github.com/presencekit/presencekit/spec"
	"github.com/presencekit/presencekit/suites"
)

// runProfileChild runs the suite in a child process (Ginkgo runs one suite
// per process) under the profile, against a mock serving mockProfile, and
// returns the result read from its report.json.
func runProfileChild(t *testing.T, profile, mockProfile string) *suites.Result {
	t.Helper()
	dir := t.TempDir()
	cmd := childCommand(t)
	cmd.Env = append(cmd.Env, envChild+"=1", envBreak+"=", envMockProfile+"="+mockProfile,
		suites.EnvPrefix+"PROFILE="+profile, suites.EnvPrefix+"REPORT_DIR="+dir,
		suites.EnvPrefix+"TARGET=", suites.EnvPrefix+"LABEL_FILTER=")
	output, _ := cmd.CombinedOutput() // a failing suite exits 1: judged below
	data, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatalf("%s against %s: no report: %s", profile, mockProfile, childtest.LastLines(string(output), 8))
	}
	var reports []types.Report
	if err := json.Unmarshal(data, &reports); err != nil || len(reports) != 1 {
		t.Fatalf("unreadable report.json: %v", err)
	}
	cfg := suites.Defaults()
	cfg.Profile = profile
	res := suites.NewResult(reports[0], cfg)
	return res
}

func skipInChild(t *testing.T) {
	if os.Getenv(envBreak) != "" || os.Getenv(envChild) != "" {
		t.Skip("a child runs TestConformance only")
	}
}

// TestConformCrossVendor: a gate for one vendor fails a server of another
// where their documented limits differ, and blames exactly the rule of
// that limit (issue 12's acceptance).
func TestConformCrossVendor(t *testing.T) {
	skipInChild(t)
	cases := []struct {
		profile, mockProfile string
		rule                 spec.RuleID
	}{
		// The easemob mock accepts ext of 65..1024 bytes; Agora Chat allows 64.
		{"agora-chat", "easemob", spec.RuleSetExtMax},
		// The easemob mock accepts pageSize 101..500; the live page allows 100.
		{"easemob-live", "easemob", spec.RuleSublistPagesizeRange},
	}
	for _, c := range cases {
		res := runProfileChild(t, c.profile, c.mockProfile)
		if res.Failed == 0 {
			t.Errorf("conform --profile %s against a %s mock passed; want %s to fail", c.profile, c.mockProfile, c.rule)
		}
		if res.GatePassed() {
			t.Errorf("conform --profile %s against a %s mock: the gate passed", c.profile, c.mockProfile)
		}
		for _, s := range res.Specs {
			if s.State == suites.StateFailed && s.Blamed != c.rule {
				t.Errorf("%s vs %s mock: a failure blamed %s, want only %s: %s", c.profile, c.mockProfile, s.Blamed, c.rule, s.FailureLine())
			}
		}
	}
}

// TestSelfCheckProfiles runs the self-check's break modes for the rules
// whose limits differ between profiles, under those profiles: the broken
// mock must be caught by that rule's specs alone.
func TestSelfCheckProfiles(t *testing.T) {
	skipInChild(t)
	cases := []struct {
		profile string
		rule    spec.RuleID
	}{
		{"agora-chat", spec.RuleSetExtMax},
		{"easemob-live", spec.RuleSublistPagesizeRange},
		{"shengwang", spec.RuleSetExtMax},
	}
	for _, c := range cases {
		o := runBroken(t, c.rule, t.TempDir(), suites.EnvPrefix+"PROFILE="+c.profile)
		switch {
		case o.problem != "":
			t.Errorf("%s --break %s: %s", c.profile, c.rule, o.problem)
		case o.caught == 0:
			t.Errorf("%s --break %s: no spec of the rule failed", c.profile, c.rule)
		}
		for _, s := range o.strays {
			t.Errorf("%s --break %s: an unrelated spec failed: %s", c.profile, c.rule, s)
		}
	}
}

// TestGeneratedUsersFitProfiles: the user names the suite generates fit
// every profile's documented charset (Easemob: lower-case a-z, 0-9, "_",
// "-", ".", at most 64 bytes).
func TestGeneratedUsersFitProfiles(t *testing.T) {
	cfg := suites.Defaults().WithUserPrefix()
	e := &suites.Env{Cfg: cfg}
	names := []string{e.User("subscriber"), e.User("g"), e.User("target-99")}
	for _, p := range spec.ProfileNames() {
		d, err := spec.LoadProfile(p)
		if err != nil {
			t.Fatal(err)
		}
		un := d.Profile().UserNames
		if un == nil {
			continue
		}
		re := regexp.MustCompile(un.Pattern)
		for _, n := range names {
			if !re.MatchString(n) || len(n) > un.MaxBytes {
				t.Errorf("%s: generated user %q does not fit %s (≤ %d bytes)", p, n, un.Pattern, un.MaxBytes)
			}
		}
	}
}
