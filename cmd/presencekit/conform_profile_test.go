package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/presencekit/presencekit/spec"
)

// TestConformProfilesEmbedded: conform --profile P against the embedded
// mock (serving P) exits 0 for every built-in profile (issue 12).
func TestConformProfilesEmbedded(t *testing.T) {
	t.Parallel()
	for _, p := range spec.ProfileNames() {
		r := cliChild(t, nil, "conform", "--profile", p, "--report-dir", t.TempDir())
		if r.code != exitOK || !regexp.MustCompile(`rules: \d+ passed, 0 failed`).MatchString(r.stdout) {
			t.Errorf("conform --profile %s: %s", p, r)
		}
	}
}

// TestConformCrossVendorCLI: a gate for one vendor against a server of
// another exits 1 and blames exactly the rule of the limit they differ on:
// agora-chat (ext ≤ 64 bytes) against an easemob mock (accepts up to 1024)
// fails SET-EXT-MAX; easemob-live (pageSize ≤ 100) against it (up to 500)
// fails SUBLIST-PAGESIZE-RANGE.
func TestConformCrossVendorCLI(t *testing.T) {
	t.Parallel()
	const tok, secret, admin = "cross-token", "cross-secret", "cross-admin"
	url := mockTarget(t, tok, secret, admin) // the easemob (default) mock
	for _, c := range []struct {
		profile string
		rule    spec.RuleID
	}{
		{"agora-chat", spec.RuleSetExtMax},
		{"easemob-live", spec.RuleSublistPagesizeRange},
	} {
		// Unpaced (--rate 0): the mock is no tenant to spare; the default
		// --concurrency keeps the worker processes under the profile too.
		r := cliChild(t, nil, "conform", "--profile", c.profile, "--target", url, "--token", tok, "--rate", "0",
			"--client-secret", secret, "--admin-token", admin, "--report-dir", t.TempDir())
		if r.code != exitFail {
			t.Errorf("conform --profile %s against an easemob mock: %s", c.profile, r)
			continue
		}
		_, table, _ := strings.Cut(r.stdout, "Failed rules:")
		table, _, _ = strings.Cut(table, "\n\n") // the next table lists rules not judged
		failedRules := regexp.MustCompile(`(?m)^([A-Z][A-Z0-9-]+)\s+(MUST|SHOULD)\s`).FindAllStringSubmatch(table, -1)
		if len(failedRules) != 1 || failedRules[0][1] != string(c.rule) {
			t.Errorf("conform --profile %s: failed rules %v, want only %s\n%s", c.profile, failedRules, c.rule, r.stdout)
		}
	}
}
