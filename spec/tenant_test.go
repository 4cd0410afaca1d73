package spec_test

import (
	"context"
	"testing"

	"github.com/presencekit/presencekit/spec"
)

// TestTenantInPaths pins issue 12's routing fix: the tenant prefix is part
// of every path (Prism routes on the paths only), the server URL is scheme
// and host, and the prefix round-trips between Path and Match.
func TestTenantInPaths(t *testing.T) {
	d := mustLoad(t)
	tn := d.Tenant()
	if got := tn.Template(); got != "/{org_name}/{app_name}" {
		t.Fatalf("Tenant = %s, want /{org_name}/{app_name}", got)
	}
	for _, id := range d.OperationIDs() {
		_, _, path, _ := d.Operation(id)
		if len(path) < len(tn.Template()) || path[:len(tn.Template())] != tn.Template() {
			t.Errorf("%s: path %s does not start with the tenant prefix", id, path)
		}
	}
	if got := tn.Path("my org", "app"); got != "/my%20org/app" {
		t.Errorf("Path = %q", got)
	}
	if org, app, ok := tn.Match([]string{"o", "a", "users"}); !ok || org != "o" || app != "a" {
		t.Errorf("Match = %q %q %v", org, app, ok)
	}
	sw := spec.Tenant{Segments: []string{"app-id", "{app_id}"}}
	if got := sw.Path("ignored", "42"); got != "/app-id/42" {
		t.Errorf("Shengwang Path = %q", got)
	}
	if _, _, ok := sw.Match([]string{"org", "42"}); ok {
		t.Error("Shengwang Match accepted a wrong literal")
	}
	if org, app, ok := sw.Match([]string{"app-id", "42"}); !ok || org != "" || app != "42" {
		t.Errorf("Shengwang Match = %q %q %v", org, app, ok)
	}
}

// TestLintTenant: a server URL that carries the tenant again (the old
// layout) and paths without a shared prefix are findings.
func TestLintTenant(t *testing.T) {
	data := edit(t, "  - url: '{baseUrl}'", "  - url: '{baseUrl}/{org_name}/{app_name}'")
	if !hasCheck(spec.LintData(context.Background(), data, "edited.yaml"), spec.CheckTenant) {
		t.Error("server URL with a path: no tenant finding")
	}
	data = edit(t, "  /{org_name}/{app_name}/token:", "  /token/{org_name}/{app_name}:")
	if !hasCheck(spec.LintData(context.Background(), data, "edited.yaml"), spec.CheckTenant) {
		t.Error("paths without a shared prefix: no tenant finding")
	}
}

func hasCheck(fs []spec.Finding, check string) bool {
	for _, f := range fs {
		if f.Check == check {
			return true
		}
	}
	return false
}
