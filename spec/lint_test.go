package spec_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/presencekit/presencekit"
	"github.com/presencekit/presencekit/spec"
)

func TestEmbeddedSpecLintsClean(t *testing.T) {
	for _, f := range spec.Lint(context.Background(), mustLoad(t)) {
		t.Errorf("finding on the shipped spec: %s", f)
	}
}

// edit returns the embedded spec with one replacement, failing the test if
// the text to replace is not there: a mutation that silently does nothing
// would make the lint test pass for the wrong reason.
func edit(t *testing.T, old, new string) []byte {
	t.Helper()
	src := string(presencekit.OpenAPI)
	if strings.Count(src, old) == 0 {
		t.Fatalf("text to edit not found in openapi.yaml: %q", old)
	}
	return []byte(strings.Replace(src, old, new, 1))
}

func TestLintFindsBrokenCopies(t *testing.T) {
	cases := []struct {
		name, old, new string
		check, inMsg   string
	}{
		{"broken example", "                  - uid: c2\n                    last_time: '1644466063'\n                    expiry:",
			"                  - uid: ''\n                    last_time: '1644466063'\n                    expiry:", spec.CheckExample, "result[0].uid"},
		{"dangling $ref", "$ref: '#/components/schemas/SubscribeResult'", "$ref: '#/components/schemas/Nope'", spec.CheckLoad, "Nope"},
		{"removed 401", "        '401': {$ref: '#/components/responses/Unauthorized'}\n        '404': {$ref: '#/components/responses/NotFound'}\n        '405': {$ref: '#/components/responses/MethodNotAllowed'}\n        '413': {$ref: '#/components/responses/PayloadTooLarge'}\n        '415': {$ref: '#/components/responses/UnsupportedMediaType'}\n        '429': {$ref: '#/components/responses/TooManyRequests'}\n        '503': {$ref: '#/components/responses/ServiceUnavailable'}\n  /{org_name}/{app_name}/users/{username}/presence:",
			"        '404': {$ref: '#/components/responses/NotFound'}\n  /{org_name}/{app_name}/users/{username}/presence:", spec.CheckResponses, "subscribePresence"},
		{"limit without constraint", "            minimum: 1\n            maximum: 2592000\n", "            minimum: 1\n", spec.CheckLimits, "ExpiryMax"},
		{"bad error example", "            error_description: too many sub presence\n", "            error_description: 7\n", spec.CheckExample, "error_description"},
		{"operation renamed", "operationId: listSubscriptions", "operationId: listSubs", spec.CheckOperation, "listSubscriptions"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			findings := spec.LintData(context.Background(), edit(t, tc.old, tc.new), "copy.yaml")
			var hit *spec.Finding
			for i, f := range findings {
				if f.Check == tc.check && strings.Contains(f.Message, tc.inMsg) {
					hit = &findings[i]
				}
			}
			if hit == nil {
				t.Fatalf("no %s finding mentioning %q; got %v", tc.check, tc.inMsg, findings)
			}
			if hit.File != "copy.yaml" || (tc.check != spec.CheckLimits && hit.Line == 0) {
				t.Errorf("finding has no location: %s", hit)
			}
		})
	}
}

func TestLimitsReadFromSpec(t *testing.T) {
	l := mustLoad(t).Limits()
	want := spec.Limits{MinUsers: 1, SubscribeMaxUsers: 100, GetMaxUsers: 100, UnsubscribeMaxUsers: 100,
		ExpiryMin: 1, ExpiryMax: 2592000, PageNumMin: 1, PageNumDefault: 1, PageSizeMin: 1, PageSizeMax: 500,
		PageSizeDefault: 1, ExtMaxBytes: 1024, MaxSubscriptions: 3000}
	qt := l.QueryTypes
	l.QueryTypes = nil
	if !reflect.DeepEqual(l, want) {
		t.Errorf("Limits() = %+v, want %+v", l, want)
	}
	if len(qt) != 2 || qt[0] != 0 || qt[1] != 1 {
		t.Errorf("QueryTypes = %v, want [0 1]", qt)
	}
}

// TestLimitsFollowSpecEdits pins "nothing hard-coded": an edited copy of
// the spec moves every limit.
func TestLimitsFollowSpecEdits(t *testing.T) {
	cases := []struct {
		name, old, new string
		got            func(spec.Limits) int64
		want           int64
	}{
		{"subscribe maxItems 50", "    SubscribeUsernames:\n      type: array\n      minItems: 1\n      maxItems: 100",
			"    SubscribeUsernames:\n      type: array\n      minItems: 1\n      maxItems: 50", func(l spec.Limits) int64 { return int64(l.SubscribeMaxUsers) }, 50},
		{"get maxItems 20", "    GetUsernames:\n      type: array\n      minItems: 1\n      maxItems: 100",
			"    GetUsernames:\n      type: array\n      minItems: 1\n      maxItems: 20", func(l spec.Limits) int64 { return int64(l.GetMaxUsers) }, 20},
		{"unsubscribe maxItems 10", "    UnsubscribeUsers:\n      type: array\n      minItems: 1\n      maxItems: 100",
			"    UnsubscribeUsers:\n      type: array\n      minItems: 1\n      maxItems: 10", func(l spec.Limits) int64 { return int64(l.UnsubscribeMaxUsers) }, 10},
		{"expiry 7 days", "maximum: 2592000", "maximum: 604800", func(l spec.Limits) int64 { return l.ExpiryMax }, 604800},
		{"pageSize 200", "            maximum: 500\n            default: 1", "            maximum: 200\n            default: 1", func(l spec.Limits) int64 { return int64(l.PageSizeMax) }, 200},
		{"pageSize default 20", "            maximum: 500\n            default: 1", "            maximum: 500\n            default: 20", func(l spec.Limits) int64 { return int64(l.PageSizeDefault) }, 20},
		{"ext 64 bytes", "x-max-bytes: 1024", "x-max-bytes: 64", func(l spec.Limits) int64 { return int64(l.ExtMaxBytes) }, 64},
		{"cap 500", "x-max-subscriptions: 3000", "x-max-subscriptions: 500", func(l spec.Limits) int64 { return int64(l.MaxSubscriptions) }, 500},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := spec.LoadData(edit(t, tc.old, tc.new), "copy.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if got := tc.got(d.Limits()); got != tc.want {
				t.Errorf("limit = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestEditedLimitValidates pins that validation follows the same edit.
func TestEditedLimitValidates(t *testing.T) {
	d, err := spec.LoadData(edit(t, "    SubscribeUsernames:\n      type: array\n      minItems: 1\n      maxItems: 100",
		"    SubscribeUsernames:\n      type: array\n      minItems: 1\n      maxItems: 50"), "copy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.ValidateRequest(context.Background(), newReq("POST", base+"/users/u/presence/10", `{"usernames":`+users(51)+`}`)); err == nil {
		t.Error("51 users accepted by a spec that allows 50")
	}
	if err := d.ValidateRequest(context.Background(), newReq("POST", base+"/users/u/presence/10", `{"usernames":`+users(50)+`}`)); err != nil {
		t.Errorf("50 users refused: %v", err)
	}
}

func TestRulesCatalogue(t *testing.T) {
	seen := map[spec.RuleID]bool{}
	levels := map[spec.Level]int{}
	for _, r := range spec.Rules() {
		if r.ID == "" || r.Statement == "" || r.Source == "" || r.Operation == "" {
			t.Errorf("rule %+v lacks a field", r)
		}
		if seen[r.ID] {
			t.Errorf("rule %s listed twice", r.ID)
		}
		seen[r.ID] = true
		levels[r.Level]++
		if got, ok := spec.RuleByID(r.ID); !ok || got.ID != r.ID {
			t.Errorf("RuleByID(%s) = %v, %v", r.ID, got, ok)
		}
	}
	if len(levels) != 3 || levels[spec.Must] == 0 {
		t.Errorf("levels = %v, want MUST, SHOULD and PROBE rules", levels)
	}
	// Contract decisions and limits docs/contract.md names must each have a rule.
	for _, id := range []spec.RuleID{spec.RuleAuthRequired, spec.RuleErrEnvelope, spec.RuleSubLimitUsers, spec.RuleGetLimitUsers, spec.RuleUnsubLimitUsers,
		spec.RuleSubExpiryMax, spec.RuleSublistPagesizeRange, spec.RuleSublistPagenumMin, spec.RuleSetExtMax, spec.RuleSetExtRequired, spec.RuleSubSelf,
		spec.RuleSubCap, spec.RuleGroupQueryType, spec.RuleSubResubscribe, spec.RuleUnsubBodyForms, spec.RuleSubEntryPerUser, spec.RuleSubExpiryAbsolute,
		spec.RuleSetStatusPerResource, spec.RuleSublistPages, spec.RuleUnsubRemoves, spec.RuleGroupCount, spec.RuleSetResourcePlain, spec.RuleRateLimit} {
		if !seen[id] {
			t.Errorf("no rule %s", id)
		}
	}
}

func TestRulesChangesDoNotLeak(t *testing.T) {
	r := spec.Rules()
	r[0].ID = "CHANGED"
	if spec.Rules()[0].ID == "CHANGED" {
		t.Error("Rules() shares its slice between callers")
	}
}

func TestRoute(t *testing.T) {
	d := mustLoad(t)
	cases := []struct {
		method, path, op, org, app, base string
		params                           map[string]string
	}{
		{"POST", "/acme/chat/users/bob/presence/ios_1/busy", spec.OpSetStatus, "acme", "chat", "/", map[string]string{"username": "bob", "resource": "ios_1", "status": "busy"}},
		{"GET", "/gw/v2/o/a/users/bob/presence/sublist", spec.OpSublist, "o", "a", "/gw/v2", map[string]string{"username": "bob"}},
		{"POST", "/o/a/users/bob/presence/sublist", spec.OpSubscribe, "o", "a", "/", map[string]string{"username": "bob", "expiry": "sublist"}},
		{"POST", "/o/a/users/b%2Fob/presence", spec.OpGetStatus, "o", "a", "/", map[string]string{"username": "b/ob"}},
		{"DELETE", "/o/a/users/bob/presence", spec.OpUnsubscribe, "o", "a", "/", map[string]string{"username": "bob"}},
		{"GET", "/o/a/presence/online/g1/type/1", spec.OpGroupOnline, "o", "a", "/", map[string]string{"group_id": "g1", "query_type": "1"}},
		{"POST", "/o/a/token", spec.OpToken, "o", "a", "/", nil},
	}
	for _, tc := range cases {
		rt, err := d.Route(tc.method, tc.path)
		if err != nil {
			t.Errorf("%s %s: %v", tc.method, tc.path, err)
			continue
		}
		if rt.Operation != tc.op || rt.Org != tc.org || rt.App != tc.app || rt.Base != tc.base {
			t.Errorf("%s %s: got %s org=%s app=%s base=%s", tc.method, tc.path, rt.Operation, rt.Org, rt.App, rt.Base)
		}
		for k, v := range tc.params {
			if rt.Params[k] != v {
				t.Errorf("%s %s: param %s = %q, want %q", tc.method, tc.path, k, rt.Params[k], v)
			}
		}
	}
	for _, p := range []string{"/users/bob/presence", "/a/token", "/o/a/users//presence", "/o/a/users/bob/presence/x/y/z"} {
		if rt, err := d.Route("POST", p); err == nil {
			t.Errorf("POST %s routed to %s, want no route (org and app are required)", p, rt.Operation)
		}
	}
}
