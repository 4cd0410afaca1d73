package spec_test

import (
	"context"
	"strings"
	"testing"

	"github.com/presencekit/presencekit"
	"github.com/presencekit/presencekit/spec"
)

// TestProfilesLintClean: every built-in profile's merged document loads
// and lints with no finding (issue 12's acceptance: spec dump --profile P
// | spec lint - exits 0).
func TestProfilesLintClean(t *testing.T) {
	names := spec.ProfileNames()
	if len(names) != 5 || names[0] != spec.DefaultProfile {
		t.Fatalf("ProfileNames = %v, want the five with easemob first", names)
	}
	for _, name := range names {
		d, err := spec.LoadProfile(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if d.Profile().Name != name {
			t.Errorf("%s: x-presencekit-profile name %q", name, d.Profile().Name)
		}
		for _, f := range spec.Lint(context.Background(), d) {
			t.Errorf("%s: %s", name, f)
		}
	}
}

// TestProfileFacts pins the numbers each profile changes.
func TestProfileFacts(t *testing.T) {
	load := func(name string) *spec.Doc {
		t.Helper()
		d, err := spec.LoadProfile(name)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if got := load("agora-chat").Limits().ExtMaxBytes; got != 64 {
		t.Errorf("agora-chat ext = %d bytes, want 64", got)
	}
	if got := load("easemob").Limits().ExtMaxBytes; got != 1024 {
		t.Errorf("easemob ext = %d bytes, want 1024", got)
	}
	if got := load("easemob-live").Limits().PageSizeMax; got != 100 {
		t.Errorf("easemob-live pageSize max = %d, want 100", got)
	}
	sw := load("shengwang")
	for _, id := range sw.OperationIDs() {
		if _, _, p, _ := sw.Operation(id); !strings.HasPrefix(p, "/app-id/{app_id}/") {
			t.Errorf("shengwang %s: path %s", id, p)
		}
	}
	rt, err := sw.Route("POST", "/app-id/42/users/bob/presence")
	if err != nil || rt.Operation != spec.OpGetStatus || rt.App != "42" || rt.Org != "" {
		t.Errorf("shengwang route: %+v, %v", rt, err)
	}
	if _, err := sw.Route("POST", "/org/42/users/bob/presence"); err == nil {
		t.Error("shengwang routed an /org/app path")
	}
	old := load("easemob-2022")
	if _, ok := old.NotApplicable("GROUP-COUNT"); !ok {
		t.Error("easemob-2022: GROUP-COUNT applies, want not applicable")
	}
	if _, ok := load("easemob").NotApplicable("GROUP-COUNT"); ok {
		t.Error("easemob: GROUP-COUNT not applicable")
	}
	if _, _, _, ok := old.Operation(spec.OpGroupOnline); ok {
		t.Error("easemob-2022 still has the group count")
	}
}

// TestProfileFileAndErrors: an overlay file of the user's applies; an
// unknown name and an overlay whose target no longer matches fail clearly.
func TestProfileFileAndErrors(t *testing.T) {
	if _, err := spec.LoadProfile("nope"); err == nil || !strings.Contains(err.Error(), "easemob-live") {
		t.Errorf("unknown profile: %v", err)
	}
	bad := []byte("overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n  - target: $.paths['/nope']\n    update: {x: 1}\n")
	if _, err := spec.ApplyOverlay([]byte("openapi: 3.0.3\npaths: {}\n"), bad); err == nil {
		t.Error("an action selecting nothing applied")
	}
}

// BenchmarkLoadProfile measures what applying an overlay adds to loading
// the spec (each command loads once at start).
func BenchmarkLoadProfile(b *testing.B) {
	for _, name := range []string{"easemob", "shengwang"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := spec.LoadProfile(name); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("no-overlay", func(b *testing.B) {
		for b.Loop() {
			if _, err := spec.LoadData(presencekit.OpenAPI, spec.EmbeddedLocation); err != nil {
				b.Fatal(err)
			}
		}
	})
}
