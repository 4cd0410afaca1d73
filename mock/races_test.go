package mock

import (
	"slices"
	"strings"
	"testing"

	"github.com/presencekit/presencekit/spec"
)

// ok fails the test unless r is a 200.
func ok(t *testing.T, r resp) {
	t.Helper()
	if r.Status != 200 {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
}

// The concurrency modes are apart from the catalogue's break modes (the
// conformance self-check runs every BreakModes entry and must not run
// these), each names a catalogue rule, and each is accepted by --break.
func TestRaceModesApartFromCatalogue(t *testing.T) {
	modes := RaceModes()
	if len(modes) < 3 {
		t.Fatalf("%d concurrency modes, want 3 or more", len(modes))
	}
	for _, m := range modes {
		if !strings.HasPrefix(m.Mode, "RACE-") {
			t.Errorf("mode %s: want a RACE- name, apart from rule IDs", m.Mode)
		}
		if _, ok := spec.RuleByID(spec.RuleID(m.Mode)); ok {
			t.Errorf("mode %s is a rule ID", m.Mode)
		}
		if _, ok := spec.RuleByID(m.Rule); !ok {
			t.Errorf("mode %s names rule %s, not in the catalogue", m.Mode, m.Rule)
		}
		if slices.ContainsFunc(BreakModes(), func(b BreakMode) bool { return b.Rule == spec.RuleID(m.Mode) || b.Mode != "" }) {
			t.Errorf("mode %s is listed among the catalogue break modes", m.Mode)
		}
		newTest(t, withBreak(m.Mode)) // accepted
	}
}

// One request at a time, the lost-update and counter modes behave: only
// overlapping requests show them (the loadgen tests prove they do).
func TestRaceModesSerialIsCorrect(t *testing.T) {
	for _, mode := range []spec.RuleID{"RACE-SUB-LOST-UPDATE", "RACE-SUBLIST-TOTALNUM"} {
		t.Run(string(mode), func(t *testing.T) {
			s := newTest(t, withBreak(mode))
			ok(t, call(t, s, "POST", base+"/users/a/presence/3600", names("b", "c", "d")))
			ok(t, call(t, s, "DELETE", base+"/users/a/presence", `{"users":["c"]}`))
			r := call(t, s, "GET", base+"/users/a/presence/sublist?pageNum=1&pageSize=10", "")
			body := r.JSON(t)["result"].(map[string]any)
			list := body["sublist"].([]any)
			if body["totalnum"] != "2" || len(list) != 2 || list[0].(map[string]any)["uid"] != "b" || list[1].(map[string]any)["uid"] != "d" {
				t.Fatalf("serially, want b and d, totalnum 2: %s", r.Body)
			}
		})
	}
}

// RACE-GET-STALE answers the previous status for 50 ms after a set, then
// the current one.
func TestRaceGetStaleWindow(t *testing.T) {
	s := newTest(t, withBreak("RACE-GET-STALE"))
	ok(t, call(t, s, "POST", base+"/users/a/presence/ios_1/1", `{"ext":"one"}`))
	admin(t, s, "POST", "/_mock/clock", `{"advance":"1s"}`)
	ok(t, call(t, s, "POST", base+"/users/a/presence/ios_1/0", `{"ext":"two"}`))
	get := func() string { return call(t, s, "POST", base+"/users/b/presence", names("a")).Body }
	if g := get(); !strings.Contains(g, `"ext":"one"`) || !strings.Contains(g, `"ios_1":"1"`) {
		t.Fatalf("inside the window, want the previous state: %s", g)
	}
	admin(t, s, "POST", "/_mock/clock", `{"advance":"1s"}`)
	if g := get(); !strings.Contains(g, `"ext":"two"`) || !strings.Contains(g, `"ios_1":"0"`) {
		t.Fatalf("after the window, want the current state: %s", g)
	}
}
