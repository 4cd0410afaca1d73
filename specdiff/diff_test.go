package specdiff_test

import (
	"strings"
	"testing"

	"github.com/presencekit/presencekit"
	"github.com/presencekit/presencekit/spec"
	"github.com/presencekit/presencekit/specdiff"
)

// edit is one textual change to the embedded openapi.yaml.
type edit struct{ old, new string }

// edited applies edits to the embedded spec, failing the test if a text to
// replace is not there (the spec moved on: the case must follow it).
func edited(t *testing.T, edits ...edit) *spec.Doc {
	t.Helper()
	text := string(presencekit.OpenAPI)
	for _, e := range edits {
		if n := strings.Count(text, e.old); n != 1 {
			t.Fatalf("the text to edit is found %d times in openapi.yaml, want once:\n%s", n, e.old)
		}
		text = strings.Replace(text, e.old, e.new, 1)
	}
	doc, err := spec.LoadData([]byte(text), "edited.yaml")
	if err != nil {
		t.Fatalf("the edited spec does not load: %v", err)
	}
	return doc
}

// want is a change the diff must report: its kind, whether it breaks, and
// the end of its location.
type want struct {
	kind     string
	breaking bool
	loc      string
}

const (
	subscribeBody = "/paths/~1{org_name}~1{app_name}~1users~1{username}~1presence~1{expiry}/post/requestBody/content/application~1json/schema"
	sublistOp     = "/paths/~1{org_name}~1{app_name}~1users~1{username}~1presence~1sublist/get"
	sublistOK     = sublistOp + "/responses/200/content/application~1json/schema/properties/result"
	setBody       = "/paths/~1{org_name}~1{app_name}~1users~1{username}~1presence~1{resource}~1{status}/post/requestBody/content/application~1json/schema"
)

func TestDiff(t *testing.T) {
	subUsers := edit{"    SubscribeUsernames:\n      type: array\n      minItems: 1\n      maxItems: 100", ""}
	sublistEntry := "    SublistEntry:\n      type: object\n      required: [uid, expiry]\n      properties:\n        uid:\n          type: string\n          minLength: 1\n        expiry:\n          $ref: '#/components/schemas/UnixSeconds'\n"
	setReq := "    SetStatusRequest:\n      type: object\n      required: [ext]\n      properties:\n"
	pageSize := "        - name: pageSize\n          in: query\n          required: false\n          description: Entries per page, 1 to 500. Absent means 1.\n          schema:\n            type: integer\n            minimum: 1\n            maximum: 500\n            default: 1\n          example: 100\n"
	cases := []struct {
		name  string
		edits []edit
		want  []want
		// only: the diff reports exactly the wanted changes.
		only bool
	}{
		{name: "identical", only: true},
		{name: "subscribe maxItems lowered", only: true,
			edits: []edit{{subUsers.old, strings.Replace(subUsers.old, "100", "50", 1)}},
			want:  []want{{"request-maxItems-lowered", true, subscribeBody + "/properties/usernames/maxItems"}}},
		{name: "subscribe maxItems raised", only: true,
			edits: []edit{{subUsers.old, strings.Replace(subUsers.old, "100", "200", 1)}},
			want:  []want{{"request-maxItems-raised", false, subscribeBody + "/properties/usernames/maxItems"}}},
		{name: "minItems raised", only: true,
			edits: []edit{{subUsers.old, strings.Replace(subUsers.old, "minItems: 1", "minItems: 2", 1)}},
			want:  []want{{"request-minItems-raised", true, subscribeBody + "/properties/usernames/minItems"}}},
		{name: "expiry maximum lowered", only: true,
			edits: []edit{{"            minimum: 1\n            maximum: 2592000", "            minimum: 1\n            maximum: 86400"}},
			want:  []want{{"request-maximum-lowered", true, "/paths/~1{org_name}~1{app_name}~1users~1{username}~1presence~1{expiry}/post/parameters/1/schema/maximum"}}},
		{name: "pageNum minimum raised", only: true,
			edits: []edit{{"            type: integer\n            minimum: 1\n            default: 1", "            type: integer\n            minimum: 2\n            default: 1"}},
			want:  []want{{"request-minimum-raised", true, sublistOp + "/parameters/1/schema/minimum"}}},
		{name: "enum value removed", only: true,
			edits: []edit{{"enum: [0, 1]", "enum: [1]"}},
			want:  []want{{"request-enum-value-removed", true, "/paths/~1{org_name}~1{app_name}~1presence~1online~1{group_id}~1type~1{query_type}/get/parameters/1/schema/enum"}}},
		{name: "enum value added", only: true,
			edits: []edit{{"enum: [0, 1]", "enum: [0, 1, 2]"}},
			want:  []want{{"request-enum-value-added", false, "/parameters/1/schema/enum"}}},
		{name: "operation moved", only: true,
			edits: []edit{{"  /{org_name}/{app_name}/presence/online/{group_id}/type/{query_type}:", "  /{org_name}/{app_name}/presence/online/{group_id}/kind/{query_type}:"}},
			want: []want{
				{"operation-removed", true, "/paths/~1{org_name}~1{app_name}~1presence~1online~1{group_id}~1type~1{query_type}/get"},
				{"operation-added", false, "/paths/~1{org_name}~1{app_name}~1presence~1online~1{group_id}~1kind~1{query_type}/get"},
			}},
		{name: "response field removed", only: true,
			edits: []edit{{sublistEntry, "    SublistEntry:\n      type: object\n      required: [uid]\n      properties:\n        uid:\n          type: string\n          minLength: 1\n"}},
			want:  []want{{"response-property-removed", true, sublistOK + "/properties/sublist/items/properties/expiry"}}},
		{name: "response field became optional", only: true,
			edits: []edit{{sublistEntry, strings.Replace(sublistEntry, "[uid, expiry]", "[uid]", 1)}},
			want:  []want{{"response-property-became-optional", true, sublistOK + "/properties/sublist/items/required"}}},
		{name: "new required request field", only: true,
			edits: []edit{{setReq, "    SetStatusRequest:\n      type: object\n      required: [ext, device]\n      properties:\n        device:\n          type: string\n"}},
			want:  []want{{"request-property-added-required", true, setBody + "/properties/device"}}},
		{name: "new optional request field", only: true,
			edits: []edit{{setReq, setReq + "        device:\n          type: string\n"}},
			want:  []want{{"request-property-added", false, setBody + "/properties/device"}}},
		{name: "type changed", only: true,
			edits: []edit{{"    Ext:\n      type: string\n      maxLength: 1024", "    Ext:\n      type: integer\n      maxLength: 1024"}},
			want:  []want{{"request-type-changed", true, setBody + "/properties/ext/type"}}},
		{name: "byte limit lowered", only: true,
			edits: []edit{{"      x-max-bytes: 1024", "      x-max-bytes: 64"}},
			want:  []want{{"request-x-max-bytes-lowered", true, setBody + "/properties/ext/x-max-bytes"}}},
		{name: "parameter removed", only: true,
			edits: []edit{{pageSize, ""}},
			want:  []want{{"parameter-removed", true, sublistOp + "/parameters/2"}}},
		{name: "optional parameter added", only: true,
			edits: []edit{{pageSize, pageSize + "        - name: order\n          in: query\n          schema:\n            type: string\n"}},
			want:  []want{{"parameter-added", false, sublistOp + "/parameters/3"}}},
		{name: "required parameter added", only: true,
			edits: []edit{{pageSize, pageSize + "        - name: order\n          in: query\n          required: true\n          schema:\n            type: string\n"}},
			want:  []want{{"parameter-added-required", true, sublistOp + "/parameters/3"}}},
		{name: "response limit loosened", only: true,
			edits: []edit{{"              maxItems: 500", "              maxItems: 1000"}},
			want:  []want{{"response-maxItems-raised", true, sublistOK + "/properties/sublist/maxItems"}}},
		{name: "response limit tightened", only: true,
			edits: []edit{{"              maxItems: 500", "              maxItems: 100"}},
			want:  []want{{"response-maxItems-lowered", false, sublistOK + "/properties/sublist/maxItems"}}},
	}
	base := edited(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			changes := specdiff.Docs(base, edited(t, c.edits...))
			for _, w := range c.want {
				found := false
				for _, ch := range changes {
					if ch.Kind == w.kind && strings.HasSuffix(ch.Location, w.loc) {
						found = true
						if ch.Breaking != w.breaking {
							t.Errorf("%s at %s: breaking %v, want %v", w.kind, ch.Location, ch.Breaking, w.breaking)
						}
					}
				}
				if !found {
					t.Errorf("no %s at …%s", w.kind, w.loc)
				}
			}
			if c.only && len(changes) != len(c.want) {
				var b strings.Builder
				for _, ch := range changes {
					b.WriteString("\n  " + ch.String())
				}
				t.Errorf("%d changes, want %d:%s", len(changes), len(c.want), b.String())
			}
			wantBreaking := false
			for _, w := range c.want {
				wantBreaking = wantBreaking || w.breaking
			}
			if got := specdiff.Breaking(changes) > 0; got != wantBreaking {
				t.Errorf("breaking: %v, want %v", got, wantBreaking)
			}
		})
	}
}

// TestDiffSymmetric pins that reversing an edit reverses its verdict for
// limits: what breaks one way is safe the other.
func TestDiffSymmetric(t *testing.T) {
	old := edited(t)
	tight := edited(t, edit{"enum: [0, 1]", "enum: [1]"})
	if specdiff.Breaking(specdiff.Docs(old, tight)) == 0 || specdiff.Breaking(specdiff.Docs(tight, old)) != 0 {
		t.Errorf("removing an enum value should break, adding it back should not")
	}
}
