package mock

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSetThenGet(t *testing.T) {
	s := newTest(t)
	if r := set(t, s, "c2", "android", "1", "123"); r.Status != 200 || r.Body != `{"result":"ok"}` {
		t.Fatalf("set: %d %s", r.Status, r.Body)
	}
	set(t, s, "c2", "ios_1", "busy", "away")
	got := entries(t, get(t, s, "wzy", "c2", "nobody"))
	want := []entry{
		{UID: "c2", LastTime: "1700000000", Ext: "away", Status: map[string]string{"android": "1", "ios_1": "busy"}},
		{UID: "nobody", LastTime: "0", Ext: "", Status: map[string]string{}},
	}
	if len(got) != 2 {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i].UID != want[i].UID || got[i].LastTime != want[i].LastTime || got[i].Ext != want[i].Ext ||
			len(got[i].Status) != len(want[i].Status) {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
		for k, v := range want[i].Status {
			if got[i].Status[k] != v {
				t.Errorf("entry %d status[%s] = %q, want %q", i, k, got[i].Status[k], v)
			}
		}
	}
}

func TestLastTimeMovesOnOnlineOffline(t *testing.T) {
	s := newTest(t)
	set(t, s, "u", "web_1", "1", "")
	if _, err := s.Advance(time.Hour); err != nil {
		t.Fatal(err)
	}
	set(t, s, "u", "web_1", "busy", "") // custom status: last_time stays
	if e := entries(t, get(t, s, "x", "u")); e[0].LastTime != "1700000000" {
		t.Fatalf("custom status moved last_time: %+v", e[0])
	}
	set(t, s, "u", "web_1", "0", "")
	if e := entries(t, get(t, s, "x", "u")); e[0].LastTime != "1700003600" {
		t.Fatalf("offline did not move last_time: %+v", e[0])
	}
}

func TestErrors(t *testing.T) {
	s := newTest(t)
	l := s.lim
	big := strings.Repeat("x", l.ExtMaxBytes+1)
	for _, tc := range []struct {
		name, method, path, body string
		hdr                      []string
		status                   int
		code, desc               string
	}{
		{"no auth", "POST", base + "/users/a/presence", names("b"), []string{"Authorization", ""}, 401, codeUnauthorized, ""},
		{"bad token", "POST", base + "/users/a/presence", names("b"), []string{"Authorization", "Bearer nope"}, 401, codeUnauthorized, ""},
		{"basic auth", "POST", base + "/users/a/presence", names("b"), []string{"Authorization", "Basic eDp5"}, 401, codeUnauthorized, ""},
		{"ext missing", "POST", base + "/users/a/presence/android/1", `{}`, nil, 400, codeIllegalArgument, descExtNull},
		{"ext null", "POST", base + "/users/a/presence/android/1", `{"ext":null}`, nil, 400, codeIllegalArgument, descExtNull},
		{"ext too big", "POST", base + "/users/a/presence/android/1", `{"ext":"` + big + `"}`, nil, 400, codeIllegalArgument, descExtTooBig},
		{"ext max ok", "POST", base + "/users/a/presence/android/1", `{"ext":"` + big[1:] + `"}`, nil, 200, "", ""},
		{"ext number", "POST", base + "/users/a/presence/android/1", `{"ext":5}`, nil, 400, codeJSONParse, ""},
		{"set bad json", "POST", base + "/users/a/presence/android/1", `{"ext":`, nil, 400, codeJSONParse, ""},
		{"sub empty", "POST", base + "/users/a/presence/100", names(), nil, 400, codeIllegalArgument, descUsernamesEmpty},
		{"sub missing", "POST", base + "/users/a/presence/100", `{}`, nil, 400, codeIllegalArgument, descUsernamesEmpty},
		{"sub too many", "POST", base + "/users/a/presence/100", names(many("u", l.SubscribeMaxUsers+1)...), nil, 400, codeIllegalArgument, descTooManySub},
		{"sub max ok", "POST", base + "/users/a/presence/100", names(many("u", l.SubscribeMaxUsers)...), nil, 200, "", ""},
		{"sub self", "POST", base + "/users/a/presence/100", names("b", "a"), nil, 400, codeIllegalArgument, descSubSelf},
		{"sub expiry 0", "POST", base + "/users/a/presence/0", names("b"), nil, 400, codeIllegalArgument, ""},
		{"sub expiry -1", "POST", base + "/users/a/presence/-1", names("b"), nil, 400, codeIllegalArgument, ""},
		{"sub expiry 1.5", "POST", base + "/users/a/presence/1.5", names("b"), nil, 400, codeIllegalArgument, ""},
		{"sub expiry max+1", "POST", base + "/users/a/presence/" + strconv.FormatInt(l.ExpiryMax+1, 10), names("b"), nil, 400, codeIllegalArgument, ""},
		{"sub expiry max", "POST", base + "/users/a/presence/" + strconv.FormatInt(l.ExpiryMax, 10), names("b"), nil, 200, "", ""},
		{"sub bad json", "POST", base + "/users/a/presence/100", `{"usernames":["b"`, nil, 400, codeJSONParse, ""},
		{"sub wrong type", "POST", base + "/users/a/presence/100", `{"usernames":"b"}`, nil, 400, codeJSONParse, ""},
		{"sub non-string", "POST", base + "/users/a/presence/100", `{"usernames":[1]}`, nil, 400, codeJSONParse, ""},
		{"sub empty name", "POST", base + "/users/a/presence/100", names(""), nil, 400, codeIllegalArgument, ""},
		{"get empty", "POST", base + "/users/a/presence", names(), nil, 400, codeIllegalArgument, descUsernamesEmpty},
		{"get too many", "POST", base + "/users/a/presence", names(many("u", l.GetMaxUsers+1)...), nil, 400, codeIllegalArgument, descTooManyGet},
		{"get max ok", "POST", base + "/users/a/presence", names(many("u", l.GetMaxUsers)...), nil, 200, "", ""},
		{"get bare array", "POST", base + "/users/a/presence", `["b"]`, nil, 400, codeJSONParse, ""},
		{"unsub empty", "DELETE", base + "/users/a/presence", `{"users":[]}`, nil, 400, codeIllegalArgument, descUsernamesEmpty},
		{"unsub empty bare", "DELETE", base + "/users/a/presence", `[]`, nil, 400, codeIllegalArgument, descUsernamesEmpty},
		{"unsub too many", "DELETE", base + "/users/a/presence", `{"users":["` + strings.Join(many("u", l.UnsubscribeMaxUsers+1), `","`) + `"]}`, nil, 400, codeIllegalArgument, descTooManyUnsub},
		{"unsub too many bare", "DELETE", base + "/users/a/presence", `["` + strings.Join(many("u", l.UnsubscribeMaxUsers+1), `","`) + `"]`, nil, 400, codeIllegalArgument, descTooManyUnsub},
		{"unsub ok", "DELETE", base + "/users/a/presence", `["b"]`, nil, 200, "", ""},
		{"group type 2", "GET", base + "/presence/online/g/type/2", "", nil, 400, codeIllegalArgument, descQueryType},
		{"group type x", "GET", base + "/presence/online/g/type/x", "", nil, 400, codeIllegalArgument, descQueryType},
		{"group ok", "GET", base + "/presence/online/g/type/1", "", nil, 200, "", ""},
		{"sublist size 0", "GET", base + "/users/a/presence/sublist?pageSize=0", "", nil, 400, codeIllegalArgument, ""},
		{"sublist size max+1", "GET", base + "/users/a/presence/sublist?pageSize=" + strconv.Itoa(l.PageSizeMax+1), "", nil, 400, codeIllegalArgument, ""},
		{"sublist size max", "GET", base + "/users/a/presence/sublist?pageSize=" + strconv.Itoa(l.PageSizeMax), "", nil, 200, "", ""},
		{"sublist num 0", "GET", base + "/users/a/presence/sublist?pageNum=0", "", nil, 400, codeIllegalArgument, ""},
		{"sublist num x", "GET", base + "/users/a/presence/sublist?pageNum=x", "", nil, 400, codeIllegalArgument, ""},
		{"sublist size empty", "GET", base + "/users/a/presence/sublist?pageSize=", "", nil, 400, codeIllegalArgument, ""},
		{"sublist huge page", "GET", base + "/users/a/presence/sublist?pageNum=9223372036854775807&pageSize=500", "", nil, 200, "", ""},
		{"method", "PUT", base + "/users/a/presence", names("b"), nil, 405, codeMethod, ""},
		{"unknown path", "GET", base + "/nothing", "", nil, 404, codeNotFound, ""},
		{"empty segment", "POST", base + "/users//presence", names("b"), nil, 404, codeNotFound, ""},
		{"media type", "POST", base + "/users/a/presence", names("b"), []string{"Content-Type", "text/plain"}, 415, codeMediaType, ""},
		{"body limit", "POST", base + "/users/a/presence", `{"usernames":["` + strings.Repeat("x", DefaultMaxBodyBytes) + `"]}`, nil, 413, codeTooLarge, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, s, tc.method, tc.path, tc.body, tc.hdr...)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if tc.code == "" {
				return
			}
			v := r.JSON(t)
			if v["error"] != tc.code {
				t.Errorf("error %v, want %s", v["error"], tc.code)
			}
			if tc.desc != "" && v["error_description"] != tc.desc {
				t.Errorf("description %v, want %s", v["error_description"], tc.desc)
			}
			if ts, _ := v["timestamp"].(float64); ts != float64(t0.UnixMilli()) {
				t.Errorf("timestamp %v, want %d ms", v["timestamp"], t0.UnixMilli())
			}
		})
	}
}

func TestSubscribeAndSublist(t *testing.T) {
	s := newTest(t)
	set(t, s, "c3", "android", "1", "hi")
	r := subscribe(t, s, "wzy", "1000", "c3", "c2", "c3")
	e := entries(t, r)
	if len(e) != 3 || e[0].UID != "c3" || e[1].UID != "c2" || e[2].UID != "c3" {
		t.Fatalf("entries %+v", e)
	}
	if e[0].Expiry != "1700001000" || e[0].Ext != "hi" || e[0].Status["android"] != "1" {
		t.Errorf("entry %+v", e[0])
	}
	_, p := sublist(t, s, "wzy", "?pageNum=1&pageSize=10")
	if p.Total != "2" || !slices.Equal(p.UIDs, []string{"c2", "c3"}) || p.Exps[0] != "1700001000" {
		t.Fatalf("sublist %+v", p)
	}
	// Defaults: page 1 of one entry.
	if _, p := sublist(t, s, "wzy", ""); p.Total != "2" || !slices.Equal(p.UIDs, []string{"c2"}) {
		t.Errorf("default page %+v", p)
	}
	// Re-subscribing replaces the expiry.
	subscribe(t, s, "wzy", "50", "c2")
	if _, p := sublist(t, s, "wzy", "?pageSize=10"); p.Total != "2" || p.Exps[0] != "1700000050" {
		t.Errorf("resubscribe %+v", p)
	}
	// Past the end: empty.
	if r, p := sublist(t, s, "wzy", "?pageNum=3&pageSize=1"); r.Status != 200 || len(p.UIDs) != 0 || p.Total != "2" {
		t.Errorf("past end %d %+v", r.Status, p)
	}
	// Expiry hides, and reclaim frees.
	if _, err := s.Advance(50 * time.Second); err != nil {
		t.Fatal(err)
	}
	if got := s.reclaim(); got != 1 || s.Subscriptions() != 1 {
		t.Errorf("reclaimed %d, left %d", got, s.Subscriptions())
	}
	if _, p := sublist(t, s, "wzy", "?pageSize=10"); p.Total != "1" || !slices.Equal(p.UIDs, []string{"c3"}) {
		t.Errorf("after expiry %+v", p)
	}
	// Get creates no subscription.
	get(t, s, "wzy", "z1", "z2")
	if _, p := sublist(t, s, "wzy", "?pageSize=10"); p.Total != "1" {
		t.Errorf("get subscribed: %+v", p)
	}
}

func TestPagesPartitionTheList(t *testing.T) {
	s := newTest(t)
	all := many("t", 250)
	for i := 0; i < len(all); i += 100 {
		subscribe(t, s, "me", "3600", all[i:min(i+100, len(all))]...)
	}
	for _, size := range []int{1, 7, 100, 500} {
		var seen []string
		for n := 1; ; n++ {
			_, p := sublist(t, s, "me", "?pageNum="+strconv.Itoa(n)+"&pageSize="+strconv.Itoa(size))
			if p.Total != "250" {
				t.Fatalf("totalnum %s", p.Total)
			}
			if len(p.UIDs) == 0 {
				break
			}
			seen = append(seen, p.UIDs...)
		}
		if !slices.Equal(seen, all) {
			t.Errorf("size %d: pages gave %d entries", size, len(seen))
		}
	}
}

func TestCapEvictsLeastTimeLeft(t *testing.T) {
	s := newTest(t, func(c *Config) { c.MaxSubscriptions = 3 })
	subscribe(t, s, "me", "300", "a")
	subscribe(t, s, "me", "100", "b")
	subscribe(t, s, "me", "200", "c")
	subscribe(t, s, "me", "400", "d") // evicts b
	if _, p := sublist(t, s, "me", "?pageSize=10"); !slices.Equal(p.UIDs, []string{"a", "c", "d"}) {
		t.Fatalf("after cap %+v", p)
	}
	subscribe(t, s, "me", "10", "e") // least time left itself: not kept
	if _, p := sublist(t, s, "me", "?pageSize=10"); !slices.Equal(p.UIDs, []string{"a", "c", "d"}) || s.Subscriptions() != 3 {
		t.Fatalf("after short one %+v (%d)", p, s.Subscriptions())
	}
}

func TestUnsubscribeBothForms(t *testing.T) {
	s := newTest(t)
	subscribe(t, s, "me", "300", "a", "b", "c", "d")
	call(t, s, "DELETE", base+"/users/me/presence", `{"users":["a","zz"]}`)
	call(t, s, "DELETE", base+"/users/me/presence", `["c"]`)
	if _, p := sublist(t, s, "me", "?pageSize=10"); p.Total != "2" || !slices.Equal(p.UIDs, []string{"b", "d"}) {
		t.Fatalf("after unsub %+v", p)
	}
	if s.Subscriptions() != 2 {
		t.Errorf("gauge %d", s.Subscriptions())
	}
}

func TestGroupOnlineCount(t *testing.T) {
	s := newTest(t)
	admin(t, s, "PUT", "/_mock/groups/g1", `{"members":["a","b","c"]}`)
	admin(t, s, "POST", "/_mock/connections", `{"connect":["a","c","x"]}`)
	set(t, s, "b", "android", "1", "") // a presence status is not a connection
	r := call(t, s, "GET", base+"/presence/online/g1/type/1", "")
	if r.Body != `{"result":2}` {
		t.Fatalf("count %s", r.Body)
	}
	admin(t, s, "POST", "/_mock/connections", `{"disconnect":["a"]}`)
	if r := call(t, s, "GET", base+"/presence/online/g1/type/0", ""); r.Body != `{"result":1}` {
		t.Fatalf("count %s", r.Body)
	}
	if r := call(t, s, "GET", base+"/presence/online/none/type/1", ""); r.Body != `{"result":0}` {
		t.Fatalf("unknown group %s", r.Body)
	}
}

func TestOrgAppRestriction(t *testing.T) {
	s := newTest(t, func(c *Config) { c.Org, c.App = "org", "app" })
	if r := call(t, s, "POST", "/other/app/users/a/presence", names("b")); r.Status != 404 || r.Code(t) != codeOrgAppNotFound {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if r := get(t, s, "a", "b"); r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
}

func TestEscapedNames(t *testing.T) {
	s := newTest(t)
	r := subscribe(t, s, "a%2Fb", "60", "q\"uote", "\u00e9t\u00e9", "tab\t")
	e := entries(t, r)
	if e[0].UID != "q\"uote" || e[1].UID != "été" || e[2].UID != "tab\t" {
		t.Fatalf("%+v", e)
	}
	if _, p := sublist(t, s, "a%2Fb", "?pageSize=5"); p.Total != "3" {
		t.Fatalf("%+v", p)
	}
	if got := s.dump(s.st.load(), "a/b"); len(got.Users) != 1 || len(got.Users[0].Subscriptions) != 3 {
		t.Fatalf("dump %+v", got)
	}
}
