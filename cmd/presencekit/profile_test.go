package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/presencekit/presencekit/spec"
)

// TestSpecProfilesAcceptance is issue 12's acceptance for the spec
// commands: spec profiles lists the five; each profile's dump lints clean
// through stdin; the limits and paths each profile changes show.
func TestSpecProfilesAcceptance(t *testing.T) {
	t.Parallel()
	r := execute(t, "", "spec", "profiles")
	if r.code != exitOK {
		t.Fatalf("spec profiles: %s", r)
	}
	for _, p := range []string{"easemob", "easemob-2022", "easemob-live", "agora-chat", "shengwang"} {
		if !strings.Contains(r.stdout, p+" ") {
			t.Errorf("spec profiles does not list %s:\n%s", p, r.stdout)
		}
		dump := execute(t, "", "spec", "dump", "--profile", p)
		if dump.code != exitOK {
			t.Fatalf("spec dump --profile %s: %s", p, dump)
		}
		if lint := execute(t, dump.stdout, "spec", "lint", "-"); lint.code != exitOK {
			t.Errorf("spec dump --profile %s | spec lint -: %s", p, lint)
		}
	}
	limits := func(p string) spec.Limits { return profileLimits(t, p) }
	if l := limits("agora-chat"); l.ExtMaxBytes != 64 {
		t.Errorf("agora-chat ext_max_bytes = %d, want 64", l.ExtMaxBytes)
	}
	if l := limits("easemob-live"); l.PageSizeMax != 100 {
		t.Errorf("easemob-live page_size_max = %d, want 100", l.PageSizeMax)
	}
	sw := execute(t, "", "spec", "dump", "--profile", "shengwang")
	if !strings.Contains(sw.stdout, "/app-id/{app_id}/users/{username}/presence") || strings.Contains(sw.stdout, "/{org_name}/") {
		t.Error("shengwang dump: paths do not start with /app-id/{app_id}")
	}
	if r := execute(t, "", "spec", "limits", "--profile", "nope"); r.code != exitUsage || !strings.Contains(r.stderr, "built-in profiles are") {
		t.Errorf("unknown profile: %s", r)
	}
}

// profileLimits is spec limits --profile p --json (p "": no flag).
func profileLimits(t *testing.T, p string) spec.Limits {
	t.Helper()
	r := execute(t, "", "spec", "limits", "--profile", p, "--json")
	var l spec.Limits
	if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &l) != nil {
		t.Fatalf("spec limits --profile %s --json: %s", p, r)
	}
	return l
}

// The profile can come from the environment.
func TestSpecProfileFromEnvironment(t *testing.T) {
	t.Setenv(spec.EnvProfile, "agora-chat")
	if l := profileLimits(t, ""); l.ExtMaxBytes != 64 {
		t.Errorf("PRESENCE_PROFILE=agora-chat: ext_max_bytes = %d, want 64", l.ExtMaxBytes)
	}
}

// TestSpecDiffTwoProfiles: diff --profile A --profile B shows how two
// vendors differ, and a tightened limit breaks clients (exit 1).
func TestSpecDiffTwoProfiles(t *testing.T) {
	r := execute(t, "", "spec", "diff", "--profile", "easemob", "--profile", "easemob-live")
	if r.code != exitFail || !strings.Contains(r.stdout, "pageSize") && !strings.Contains(r.stdout, "maximum lowered from 500 to 100") {
		t.Errorf("diff easemob → easemob-live: %s", r)
	}
}

// TestMockRateLimitDocumented: --rate-limit documented takes the
// profile's rate, and is a usage error under a profile that documents none.
func TestMockRateLimitDocumented(t *testing.T) {
	r := execute(t, "", "mock", "--profile", "easemob-2022", "--rate-limit", "documented", "--listen", "127.0.0.1:0")
	if r.code != exitUsage || !strings.Contains(r.stderr, "documents no rate limit") {
		t.Errorf("easemob-2022 --rate-limit documented: %s", r)
	}
	r = execute(t, "", "mock", "--profile", "nope")
	if r.code != exitUsage || !strings.Contains(r.stderr, "unknown profile") {
		t.Errorf("mock --profile nope: %s", r)
	}
}

// TestLoadUnderProfiles: load follows the profile's paths (Shengwang's
// /app-id/{app_id}) and leaves out operations it does not offer
// (easemob-2022's group count), so a run against the embedded mock under
// the profile has no failed request.
func TestLoadUnderProfiles(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"shengwang", "easemob-2022"} {
		r := cliChild(t, nil, "load", "--profile", p, "--rate", "200", "--requests", "100", "--max-error-rate", "0", "--setup-subs", "2", "--users", "50")
		if r.code != exitOK {
			t.Errorf("load --profile %s: %s", p, r)
		}
		if p == "easemob-2022" && strings.Contains(r.stdout, "getGroupOnlineCount") {
			t.Errorf("load --profile easemob-2022 sent the group count it does not offer:\n%s", r.stdout)
		}
	}
}

// TestSpecRulesProfile: spec rules --profile marks the rules of an
// operation the vendor does not offer, and only those, and states the
// profile's limits.
func TestSpecRulesProfile(t *testing.T) {
	r := execute(t, "", "spec", "rules", "--profile", "easemob-2022", "--json")
	var rules []struct {
		ID            string `json:"id"`
		Operation     string `json:"operation"`
		NotApplicable string `json:"not_applicable"`
	}
	if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &rules) != nil {
		t.Fatalf("spec rules --profile easemob-2022 --json: %s", r)
	}
	for _, rule := range rules {
		if (rule.Operation == spec.OpGroupOnline) != (rule.NotApplicable != "") {
			t.Errorf("%s (%s): not_applicable %q", rule.ID, rule.Operation, rule.NotApplicable)
		}
	}

	agora, err := spec.LoadProfile("agora-chat")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := agora.Rule(spec.RuleSetExtMax)
	embedded, _ := spec.RuleByID(spec.RuleSetExtMax)
	if want.Statement == embedded.Statement {
		t.Fatalf("agora-chat states SET-EXT-MAX as the embedded document does (%q): the check below could not fail", want.Statement)
	}
	r = execute(t, "", "spec", "rules", "--profile", "agora-chat", "--level", "should")
	if r.code != exitOK || !strings.Contains(r.stdout, want.Statement) || strings.Contains(r.stdout, embedded.Statement) {
		t.Errorf("spec rules --profile agora-chat: want SET-EXT-MAX as %q:\n%s", want.Statement, r)
	}
}
