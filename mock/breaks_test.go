package mock

import (
	"context"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/presencekit/presencekit/spec"
)

// ruleChecks holds, per rule with a break mode, a scenario that reports
// whether the server keeps the rule. Each runs on a fresh server; the
// answers are still checked against openapi.yaml by call, so a break that
// also broke the schema would fail here (SCHEMA-RESPONSE excepted).
func ruleChecks() map[spec.RuleID]func(t *testing.T, s *Server) bool {
	l := func(s *Server) spec.Limits { return s.lim }
	status := func(r resp, want int) bool { return r.Status == want }
	page := func(t *testing.T, s *Server, q string) sublistPage { _, p := sublist(t, s, "me", q); return p }
	return map[spec.RuleID]func(t *testing.T, s *Server) bool{
		spec.RuleAuthRequired: func(t *testing.T, s *Server) bool {
			return status(call(t, s, "POST", base+"/users/a/presence", names("b"), "Authorization", ""), 401)
		},
		spec.RuleAuthInvalidToken: func(t *testing.T, s *Server) bool {
			return status(call(t, s, "POST", base+"/users/a/presence", names("b"), "Authorization", "Bearer bad"), 401)
		},
		spec.RuleAuth401Code: func(t *testing.T, s *Server) bool {
			return call(t, s, "POST", base+"/users/a/presence", names("b"), "Authorization", "Bearer bad").Code(t) == codeUnauthorized
		},
		spec.RuleTokenGrant: func(t *testing.T, s *Server) bool {
			_, tok := token(t, s, `{"grant_type":"client_credentials","client_id":"cid","client_secret":"secret"}`)
			return status(call(t, s, "POST", base+"/users/a/presence", names("b"), "Authorization", "Bearer "+tok), 200)
		},
		spec.RuleTokenBadSecret: func(t *testing.T, s *Server) bool {
			r, _ := token(t, s, `{"grant_type":"client_credentials","client_id":"cid","client_secret":"wrong"}`)
			return status(r, 401)
		},
		spec.RuleErrEnvelope: func(t *testing.T, s *Server) bool {
			ts, _ := get(t, s, "a").JSON(t)["timestamp"].(float64)
			return ts > 1e12
		},
		spec.RuleErrIllegalArgument: func(t *testing.T, s *Server) bool { return get(t, s, "a").Code(t) == codeIllegalArgument },
		spec.RuleErrJSONParse: func(t *testing.T, s *Server) bool {
			return call(t, s, "POST", base+"/users/a/presence", `{"usernames":`).Code(t) == codeJSONParse
		},
		spec.RuleSchemaResponse: func(t *testing.T, s *Server) bool {
			req := httptest.NewRequest("POST", base+"/users/a/presence", strings.NewReader(names()))
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			return testDoc(t).ValidateResponse(context.Background(), req, rec.Code, rec.Header(), rec.Body.Bytes()) == nil
		},
		spec.RuleSetOk: func(t *testing.T, s *Server) bool { return set(t, s, "a", "web_1", "1", "").Body == `{"result":"ok"}` },
		spec.RuleSetStatusPerResource: func(t *testing.T, s *Server) bool {
			set(t, s, "a", "web_1", "1", "")
			set(t, s, "a", "ios_2", "0", "")
			st := entries(t, get(t, s, "x", "a"))[0].Status
			return st["web_1"] == "1" && st["ios_2"] == "0"
		},
		spec.RuleSetExtVisible: func(t *testing.T, s *Server) bool {
			set(t, s, "a", "web_1", "1", "hello")
			return entries(t, get(t, s, "x", "a"))[0].Ext == "hello"
		},
		spec.RuleSetExtRequired: func(t *testing.T, s *Server) bool {
			return status(call(t, s, "POST", base+"/users/a/presence/web_1/1", `{}`), 400)
		},
		spec.RuleSetExtMax: func(t *testing.T, s *Server) bool {
			return status(set(t, s, "a", "web_1", "1", strings.Repeat("x", l(s).ExtMaxBytes+1)), 400)
		},
		spec.RuleSetLastTime: func(t *testing.T, s *Server) bool {
			set(t, s, "a", "web_1", "1", "")
			_, _ = s.Advance(time.Minute)
			set(t, s, "a", "web_1", "0", "")
			return entries(t, get(t, s, "x", "a"))[0].LastTime == "1700000060"
		},
		spec.RuleSetResourcePlain: func(t *testing.T, s *Server) bool { return status(set(t, s, "a", "android", "1", ""), 200) },
		spec.RuleSubLimitUsers: func(t *testing.T, s *Server) bool {
			return status(subscribe(t, s, "me", "60", many("u", l(s).SubscribeMaxUsers+1)...), 400)
		},
		spec.RuleSubUsersNonempty: func(t *testing.T, s *Server) bool { return status(subscribe(t, s, "me", "60"), 400) },
		spec.RuleSubExpiryMax: func(t *testing.T, s *Server) bool {
			return status(subscribe(t, s, "me", strconv.FormatInt(l(s).ExpiryMax+1, 10), "a"), 400)
		},
		spec.RuleSubExpiryPositive: func(t *testing.T, s *Server) bool { return status(subscribe(t, s, "me", "0", "a"), 400) },
		spec.RuleSubEntryPerUser: func(t *testing.T, s *Server) bool {
			e := entries(t, subscribe(t, s, "me", "60", "b", "a"))
			return len(e) == 2 && e[0].UID == "b" && e[1].UID == "a"
		},
		spec.RuleSubExpiryAbsolute: func(t *testing.T, s *Server) bool {
			return entries(t, subscribe(t, s, "me", "60", "a"))[0].Expiry == "1700000060"
		},
		spec.RuleSubListed: func(t *testing.T, s *Server) bool {
			e := entries(t, subscribe(t, s, "me", "60", "a"))
			p := page(t, s, "")
			return len(p.UIDs) == 1 && p.UIDs[0] == "a" && p.Exps[0] == e[0].Expiry
		},
		spec.RuleSubExpires: func(t *testing.T, s *Server) bool {
			subscribe(t, s, "me", "60", "a")
			_, _ = s.Advance(61 * time.Second)
			s.reclaim()
			return page(t, s, "").Total == "0"
		},
		spec.RuleSubResubscribe: func(t *testing.T, s *Server) bool {
			subscribe(t, s, "me", "60", "a")
			subscribe(t, s, "me", "120", "a")
			p := page(t, s, "?pageSize=10")
			return p.Total == "1" && p.Exps[0] == "1700000120"
		},
		spec.RuleSubSelf: func(t *testing.T, s *Server) bool { return status(subscribe(t, s, "me", "60", "me"), 400) },
		spec.RuleSubCap: func(t *testing.T, s *Server) bool {
			all := many("u", s.cfg.MaxSubscriptions+1)
			for i := 0; i < len(all); i += 100 {
				subscribe(t, s, "me", strconv.Itoa(1000+i), all[i:min(i+100, len(all))]...)
			}
			p := page(t, s, "")
			return p.Total == strconv.Itoa(s.cfg.MaxSubscriptions)
		},
		spec.RuleGetLimitUsers: func(t *testing.T, s *Server) bool {
			return status(get(t, s, "me", many("u", l(s).GetMaxUsers+1)...), 400)
		},
		spec.RuleGetUsersNonempty: func(t *testing.T, s *Server) bool { return status(get(t, s, "me"), 400) },
		spec.RuleGetEntryPerUser: func(t *testing.T, s *Server) bool {
			e := entries(t, get(t, s, "me", "b", "a"))
			return len(e) == 2 && e[0].UID == "b" && e[1].UID == "a"
		},
		spec.RuleGetNoSideEffect: func(t *testing.T, s *Server) bool {
			get(t, s, "me", "a")
			return page(t, s, "").Total == "0"
		},
		spec.RuleGroupCount: func(t *testing.T, s *Server) bool {
			admin(t, s, "PUT", "/_mock/groups/g", `{"members":["a","b"]}`)
			admin(t, s, "POST", "/_mock/connections", `{"connect":["a"]}`)
			return call(t, s, "GET", base+"/presence/online/g/type/1", "").Body == `{"result":1}`
		},
		spec.RuleGroupQueryType: func(t *testing.T, s *Server) bool {
			return status(call(t, s, "GET", base+"/presence/online/g/type/7", ""), 400)
		},
		spec.RuleUnsubLimitUsers: func(t *testing.T, s *Server) bool {
			return status(call(t, s, "DELETE", base+"/users/me/presence", `{"users":["`+strings.Join(many("u", l(s).UnsubscribeMaxUsers+1), `","`)+`"]}`), 400)
		},
		spec.RuleUnsubUsersNonempty: func(t *testing.T, s *Server) bool {
			return status(call(t, s, "DELETE", base+"/users/me/presence", `{"users":[]}`), 400)
		},
		spec.RuleUnsubRemoves: func(t *testing.T, s *Server) bool {
			subscribe(t, s, "me", "60", "a", "b")
			call(t, s, "DELETE", base+"/users/me/presence", `{"users":["a"]}`)
			p := page(t, s, "?pageSize=10")
			return slices.Equal(p.UIDs, []string{"b"})
		},
		spec.RuleUnsubBodyForms: func(t *testing.T, s *Server) bool {
			return status(call(t, s, "DELETE", base+"/users/me/presence", `["a"]`), 200) &&
				status(call(t, s, "DELETE", base+"/users/me/presence", `{"users":["a"]}`), 200)
		},
		spec.RuleSublistPagesizeRange: func(t *testing.T, s *Server) bool {
			r, _ := sublist(t, s, "me", "?pageSize=0")
			return status(r, 400)
		},
		spec.RuleSublistPagenumMin: func(t *testing.T, s *Server) bool {
			r, _ := sublist(t, s, "me", "?pageNum=0")
			return status(r, 400)
		},
		spec.RuleSublistNonInteger: func(t *testing.T, s *Server) bool {
			r, _ := sublist(t, s, "me", "?pageSize=ten")
			return status(r, 400)
		},
		spec.RuleSublistDefaults: func(t *testing.T, s *Server) bool {
			subscribe(t, s, "me", "60", "a", "b")
			return len(page(t, s, "").UIDs) == l(s).PageSizeDefault
		},
		spec.RuleSublistTotalnum: func(t *testing.T, s *Server) bool {
			subscribe(t, s, "me", "60", "a", "b")
			return page(t, s, "").Total == "2"
		},
		spec.RuleSublistPages: func(t *testing.T, s *Server) bool {
			subscribe(t, s, "me", "60", "a", "b", "c")
			return slices.Equal(page(t, s, "?pageNum=2&pageSize=2").UIDs, []string{"c"})
		},
		spec.RuleSublistPastEnd: func(t *testing.T, s *Server) bool {
			subscribe(t, s, "me", "60", "a")
			r, p := sublist(t, s, "me", "?pageNum=5&pageSize=1")
			return r.Status == 200 && len(p.UIDs) == 0
		},
	}
}

// TestEveryRuleHasABreakMode fails when a MUST or SHOULD rule of the
// catalogue has no break mode, or a mode names no such rule.
func TestEveryRuleHasABreakMode(t *testing.T) {
	modes := map[spec.RuleID]bool{}
	for _, m := range BreakModes() {
		modes[m.Rule] = true
		r, ok := spec.RuleByID(m.Rule)
		if !ok {
			t.Errorf("break mode %s names no catalogue rule", m.Rule)
		} else if r.Level == spec.Probe {
			t.Errorf("break mode %s is for a PROBE rule", m.Rule)
		}
	}
	checks := ruleChecks()
	for _, r := range spec.Rules() {
		if r.Level == spec.Probe {
			continue
		}
		if !modes[r.ID] {
			t.Errorf("%s rule %s has no break mode", r.Level, r.ID)
		}
		if checks[r.ID] == nil {
			t.Errorf("%s rule %s has no check in ruleChecks", r.Level, r.ID)
		}
	}
}

// TestBreakModes runs each rule's check on a correct server (it must hold)
// and on the server breaking that rule (it must not).
func TestBreakModes(t *testing.T) {
	small := func(c *Config) { c.MaxSubscriptions = 150 }
	for id, check := range ruleChecks() {
		t.Run(string(id), func(t *testing.T) {
			if !check(t, newTest(t, small)) {
				t.Fatalf("the correct server breaks %s", id)
			}
			if check(t, newTest(t, small, withBreak(id))) {
				t.Fatalf("--break %s does not break it", id)
			}
		})
	}
}

// TestBreakVariants: every MUST and SHOULD rule has at least three
// variants, with distinct names; --break RULE:variant turns on that
// variant's flag alone, a bare RULE its first, and an unknown variant is
// refused with the rule's variants named.
func TestBreakVariants(t *testing.T) {
	perRule := map[spec.RuleID][]string{}
	for _, m := range BreakModes() {
		if slices.Contains(perRule[m.Rule], m.Variant) || m.Variant == "" || strings.ContainsAny(m.Variant, ": ") {
			t.Errorf("%s: variant %q repeated or malformed", m.Rule, m.Variant)
		}
		perRule[m.Rule] = append(perRule[m.Rule], m.Variant)
	}
	for _, r := range spec.Rules() {
		if r.Level != spec.Probe && len(perRule[r.ID]) < 3 {
			t.Errorf("%s rule %s has %d break variants, want 3 or more", r.Level, r.ID, len(perRule[r.ID]))
		}
	}
	count := func(b breakSet) int {
		n := 0
		for _, d := range breakDefs() {
			if *d.flag(&b) {
				n++
			}
		}
		return n
	}
	for _, d := range breakDefs() {
		name := Break(string(d.rule) + ":" + d.variant)
		b, err := parseBreaks([]Break{name})
		if err != nil || !*d.flag(&b) || count(b) != 1 {
			t.Errorf("--break %s: err %v, own flag %v, %d flags on", name, err, *d.flag(&b), count(b))
		}
	}
	for rule, variants := range perRule {
		b, err := parseBreaks([]Break{Break(rule)})
		first := breakDefs()[slices.IndexFunc(breakDefs(), func(d breakDef) bool { return d.rule == rule })]
		if err != nil || first.variant != variants[0] || !*first.flag(&b) {
			t.Errorf("--break %s: want its first variant %s on, got err %v", rule, variants[0], err)
		}
	}
	_, err := parseBreaks([]Break{"SUB-CAP:no-such"})
	if err == nil || !strings.Contains(err.Error(), "evict-newest") {
		t.Errorf("an unknown variant: %v, want an error naming the rule's variants", err)
	}
}

// TestGetSideEffectRefreshesWithOneShard: GET-NO-SIDE-EFFECT:refreshes
// renews the reader's subscriptions to the users it reads. With one shard
// every user shares the reader's shard, which the variant locks for
// writing: it must find the users before, or the batch get never answers
// (it hung a self-check run). A hang fails here at the bound, not at the
// package timeout.
func TestGetSideEffectRefreshesWithOneShard(t *testing.T) {
	s := newTest(t, withBreak("GET-NO-SIDE-EFFECT:refreshes"), func(c *Config) { c.Shards = 1 })
	if r := subscribe(t, s, "me", "60", "a", "b"); r.Status != 200 {
		t.Fatalf("subscribe: %d %s", r.Status, r.Body)
	}
	done := make(chan resp, 1)
	go func() { done <- get(t, s, "me", "a", "b") }()
	select {
	case r := <-done:
		if r.Status != 200 {
			t.Fatalf("batch get: %d %s", r.Status, r.Body)
		}
	case <-time.After(time.Minute):
		t.Fatal("the batch get did not answer within a minute: the variant deadlocked on the reader's shard")
	}
	_, p := sublist(t, s, "me", "?pageNum=1&pageSize=10")
	renewed := strconv.FormatInt(t0.Unix()+86400, 10) // what the variant sets
	if p.Total != "2" || len(p.Exps) != 2 || p.Exps[0] != renewed || p.Exps[1] != renewed {
		t.Errorf("sublist after the refreshing get: %+v, want both expiring at %s", p, renewed)
	}
}
