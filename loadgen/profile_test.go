package loadgen

import (
	"testing"

	"github.com/presencekit/presencekit/spec"
)

// TestWorkloadWithoutGroupCount: a profile without the group count
// (easemob-2022) has no query_type limits; the workload is valid once the
// group operation weighs zero, and refused while it does not. The tenant
// prefix follows the profile.
func TestWorkloadWithoutGroupCount(t *testing.T) {
	d, err := spec.LoadProfile("easemob-2022")
	if err != nil {
		t.Fatal(err)
	}
	w := DefaultWorkload(d.Limits())
	if err := w.Validate(); err == nil {
		t.Error("a group weight with no query_type limits validated")
	}
	w.Mix[OpGroup] = 0
	if err := w.Validate(); err != nil {
		t.Errorf("group weight 0: %v", err)
	}
	sw, err := spec.LoadProfile("shengwang")
	if err != nil {
		t.Fatal(err)
	}
	if got := tenantPathPrefix("/gw", sw.Tenant(), "org", "a b"); got != "/gw/app-id/a%20b" {
		t.Errorf("tenantPathPrefix = %q", got)
	}
}
