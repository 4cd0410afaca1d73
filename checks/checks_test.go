package checks_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/presencekit/presencekit/checks"
	"github.com/presencekit/presencekit/spec"
)

func TestEnvelope(t *testing.T) {
	for body, ok := range map[string]bool{
		`{"error":"illegal_argument","error_description":"x","timestamp":1700000000000}`:   true,
		`{"error":"illegal_argument","error_description":"x","timestamp":"1700000000000"}`: true,
		`{"error":"","error_description":"x","timestamp":1}`:                               false,
		`{"error":"e","timestamp":1}`:                                                      false,
		`{"error":"e","error_description":"x"}`:                                            false,
		`{"error":"e","error_description":"x","timestamp":"+5"}`:                           false,
		`<html>`: false,
	} {
		if _, err := checks.Envelope([]byte(body)); (err == nil) != ok {
			t.Errorf("Envelope(%s) = %v, want ok %v", body, err, ok)
		}
	}
}

// TestNumberIsTheClients: one reading of integer-or-digit-string; the
// proxy used to accept "+5", which the client refuses.
func TestNumberIsTheClients(t *testing.T) {
	for raw, want := range map[string]int64{`5`: 5, `"5"`: 5, `"-3"`: -3, `1644466063`: 1644466063} {
		if got, ok := checks.Number(json.RawMessage(raw)); !ok || got != want {
			t.Errorf("Number(%s) = %d, %v", raw, got, ok)
		}
	}
	for _, raw := range []string{`"+5"`, `1.5`, `"1e3"`, `null`, `""`, `" 5"`, ``, `true`} {
		if got, ok := checks.Number(json.RawMessage(raw)); ok {
			t.Errorf("Number(%s) = %d, want refused", raw, got)
		}
	}
}

func TestNear(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	if !checks.NearMillis(now.UnixMilli()+4000, now, 5*time.Second) || checks.NearMillis(now.Unix(), now, 5*time.Second) {
		t.Error("NearMillis: ms within skew must pass, seconds must not")
	}
	if !checks.NearUnix(now.Unix()+6, now, 5*time.Second) || checks.NearUnix(now.Unix()+7, now, 5*time.Second) {
		t.Error("NearUnix: skew plus the truncated second")
	}
}

func TestEntryPerUser(t *testing.T) {
	names := []string{"a", "b", "c"}
	if i, _ := checks.EntryPerUser([]string{"a", "b", "c"}, names); i != -1 {
		t.Errorf("in order: %d", i)
	}
	if i, _ := checks.EntryPerUser([]string{"c", "b", "a"}, names); i != 0 {
		t.Errorf("reversed: %d, want 0", i)
	}
	if i, _ := checks.EntryPerUser([]string{"a", "b"}, names); i != 2 {
		t.Errorf("one missing: %d, want 2", i)
	}
}

func TestInRequestOrder(t *testing.T) {
	names := []string{"a", "b", "c"}
	for _, c := range []struct {
		uids []string
		want int
	}{{[]string{"a", "c"}, -1}, {nil, -1}, {[]string{"b", "a"}, 1}, {[]string{"a", "a"}, 1}, {[]string{"x"}, 0}} {
		if got := checks.InRequestOrder(c.uids, names); got != c.want {
			t.Errorf("InRequestOrder(%v) = %d, want %d", c.uids, got, c.want)
		}
	}
}

func TestRepeated(t *testing.T) {
	if u, ok := checks.Repeated([]string{"a", "b"}, []string{"c", "a"}); !ok || u != "a" {
		t.Errorf("overlapping pages: %q %v", u, ok)
	}
	if _, ok := checks.Repeated([]string{"a"}, []string{"b"}); ok {
		t.Error("disjoint pages reported overlapping")
	}
	if !checks.Distinct([]string{"a", "b"}) || checks.Distinct([]string{"a", "a"}) {
		t.Error("Distinct")
	}
}

func TestNumberForms(t *testing.T) {
	body := []byte(`{"result":[{"uid":"a","last_time":"1","expiry":2,"ext":"","status":{}}]}`)
	if f, form := checks.NumberForms(body, "string"); f != "body.result[0].expiry" || form != "number" {
		t.Errorf("strict string: %s %s", f, form)
	}
	if f, form := checks.NumberForms(body, "integer"); f != "body.result[0].last_time" || form != "string" {
		t.Errorf("strict integer: %s %s", f, form)
	}
	if f, _ := checks.NumberForms([]byte(`{"result":"ok"}`), "integer"); f != "" {
		t.Errorf("result \"ok\" is not a number: %s", f)
	}
}

func TestLimitRules(t *testing.T) {
	d, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	l := d.Limits()
	cases := []struct {
		name      string
		got, want spec.RuleID
	}{
		{"101 usernames", checks.UsersRule(spec.OpSubscribe, l.SubscribeMaxUsers+1, l), spec.RuleSubLimitUsers},
		{"no usernames", checks.UsersRule(spec.OpGetStatus, 0, l), spec.RuleGetUsersNonempty},
		{"100 users", checks.UsersRule(spec.OpUnsubscribe, l.UnsubscribeMaxUsers, l), ""},
		{"expiry 0", second(checks.ExpiryRule("0", l)), spec.RuleSubExpiryPositive},
		{"expiry huge", second(checks.ExpiryRule("99999999999999999999", l)), spec.RuleSubExpiryMax},
		{"expiry max+1", second(checks.ExpiryRule("2592001", l)), spec.RuleSubExpiryMax},
		{"expiry fraction", second(checks.ExpiryRule("1.5", l)), spec.RuleSubExpiryPositive},
		{"no ext", checks.ExtRule(nil, false, l), spec.RuleSetExtRequired},
		{"query_type 2", checks.QueryTypeRule("2", l), spec.RuleGroupQueryType},
		{"query_type 1", checks.QueryTypeRule("1", l), ""},
		{"pageNum 0", second(checks.PageNumRule("0", l)), spec.RuleSublistPagenumMin},
		{"pageSize 501", second(checks.PageSizeRule("501", l)), spec.RuleSublistPagesizeRange},
		{"pageSize x", second(checks.PageSizeRule("x", l)), spec.RuleSublistNonInteger},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.name, c.got, c.want)
		}
	}
	if checks.CodeRule("json_parse") != spec.RuleErrJSONParse || checks.CodeRule("reach_limit") != "" {
		t.Error("CodeRule")
	}
}

func second[T any](_ T, r spec.RuleID) spec.RuleID { return r }
