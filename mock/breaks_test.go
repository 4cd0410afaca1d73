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
func ruleChecks() map[string]func(t *testing.T, s *Server) bool {
	l := func(s *Server) spec.Limits { return s.lim }
	status := func(r resp, want int) bool { return r.Status == want }
	page := func(t *testing.T, s *Server, q string) sublistPage { _, p := sublist(t, s, "me", q); return p }
	return map[string]func(t *testing.T, s *Server) bool{
		"AUTH-REQUIRED": func(t *testing.T, s *Server) bool {
			return status(call(t, s, "POST", base+"/users/a/presence", names("b"), "Authorization", ""), 401)
		},
		"AUTH-INVALID-TOKEN": func(t *testing.T, s *Server) bool {
			return status(call(t, s, "POST", base+"/users/a/presence", names("b"), "Authorization", "Bearer bad"), 401)
		},
		"AUTH-401-CODE": func(t *testing.T, s *Server) bool {
			return call(t, s, "POST", base+"/users/a/presence", names("b"), "Authorization", "Bearer bad").Code(t) == codeUnauthorized
		},
		"TOKEN-GRANT": func(t *testing.T, s *Server) bool {
			_, tok := token(t, s, `{"grant_type":"client_credentials","client_id":"cid","client_secret":"secret"}`)
			return status(call(t, s, "POST", base+"/users/a/presence", names("b"), "Authorization", "Bearer "+tok), 200)
		},
		"TOKEN-BAD-SECRET": func(t *testing.T, s *Server) bool {
			r, _ := token(t, s, `{"grant_type":"client_credentials","client_id":"cid","client_secret":"wrong"}`)
			return status(r, 401)
		},
		"ERR-ENVELOPE": func(t *testing.T, s *Server) bool {
			ts, _ := get(t, s, "a").JSON(t)["timestamp"].(float64)
			return ts > 1e12
		},
		"ERR-ILLEGAL-ARGUMENT": func(t *testing.T, s *Server) bool { return get(t, s, "a").Code(t) == codeIllegalArgument },
		"ERR-JSON-PARSE": func(t *testing.T, s *Server) bool {
			return call(t, s, "POST", base+"/users/a/presence", `{"usernames":`).Code(t) == codeJSONParse
		},
		"SCHEMA-RESPONSE": func(t *testing.T, s *Server) bool {
			req := httptest.NewRequest("POST", base+"/users/a/presence", strings.NewReader(names()))
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			return testDoc(t).ValidateResponse(context.Background(), req, rec.Code, rec.Header(), rec.Body.Bytes()) == nil
		},
		"SET-OK": func(t *testing.T, s *Server) bool { return set(t, s, "a", "web_1", "1", "").Body == `{"result":"ok"}` },
		"SET-STATUS-PER-RESOURCE": func(t *testing.T, s *Server) bool {
			set(t, s, "a", "web_1", "1", "")
			set(t, s, "a", "ios_2", "0", "")
			st := entries(t, get(t, s, "x", "a"))[0].Status
			return st["web_1"] == "1" && st["ios_2"] == "0"
		},
		"SET-EXT-VISIBLE": func(t *testing.T, s *Server) bool {
			set(t, s, "a", "web_1", "1", "hello")
			return entries(t, get(t, s, "x", "a"))[0].Ext == "hello"
		},
		"SET-EXT-REQUIRED": func(t *testing.T, s *Server) bool {
			return status(call(t, s, "POST", base+"/users/a/presence/web_1/1", `{}`), 400)
		},
		"SET-EXT-MAX": func(t *testing.T, s *Server) bool {
			return status(set(t, s, "a", "web_1", "1", strings.Repeat("x", l(s).ExtMaxBytes+1)), 400)
		},
		"SET-LAST-TIME": func(t *testing.T, s *Server) bool {
			set(t, s, "a", "web_1", "1", "")
			_, _ = s.Advance(time.Minute)
			set(t, s, "a", "web_1", "0", "")
			return entries(t, get(t, s, "x", "a"))[0].LastTime == "1700000060"
		},
		"SET-RESOURCE-PLAIN": func(t *testing.T, s *Server) bool { return status(set(t, s, "a", "android", "1", ""), 200) },
		"SUB-LIMIT-USERS": func(t *testing.T, s *Server) bool {
			return status(subscribe(t, s, "me", "60", many("u", l(s).SubscribeMaxUsers+1)...), 400)
		},
		"SUB-USERS-NONEMPTY": func(t *testing.T, s *Server) bool { return status(subscribe(t, s, "me", "60"), 400) },
		"SUB-EXPIRY-MAX": func(t *testing.T, s *Server) bool {
			return status(subscribe(t, s, "me", strconv.FormatInt(l(s).ExpiryMax+1, 10), "a"), 400)
		},
		"SUB-EXPIRY-POSITIVE": func(t *testing.T, s *Server) bool { return status(subscribe(t, s, "me", "0", "a"), 400) },
		"SUB-ENTRY-PER-USER": func(t *testing.T, s *Server) bool {
			e := entries(t, subscribe(t, s, "me", "60", "b", "a"))
			return len(e) == 2 && e[0].UID == "b" && e[1].UID == "a"
		},
		"SUB-EXPIRY-ABSOLUTE": func(t *testing.T, s *Server) bool {
			return entries(t, subscribe(t, s, "me", "60", "a"))[0].Expiry == "1700000060"
		},
		"SUB-LISTED": func(t *testing.T, s *Server) bool {
			e := entries(t, subscribe(t, s, "me", "60", "a"))
			p := page(t, s, "")
			return len(p.UIDs) == 1 && p.UIDs[0] == "a" && p.Exps[0] == e[0].Expiry
		},
		"SUB-EXPIRES": func(t *testing.T, s *Server) bool {
			subscribe(t, s, "me", "60", "a")
			_, _ = s.Advance(61 * time.Second)
			s.reclaim()
			return page(t, s, "").Total == "0"
		},
		"SUB-RESUBSCRIBE": func(t *testing.T, s *Server) bool {
			subscribe(t, s, "me", "60", "a")
			subscribe(t, s, "me", "120", "a")
			p := page(t, s, "?pageSize=10")
			return p.Total == "1" && p.Exps[0] == "1700000120"
		},
		"SUB-SELF": func(t *testing.T, s *Server) bool { return status(subscribe(t, s, "me", "60", "me"), 400) },
		"SUB-CAP": func(t *testing.T, s *Server) bool {
			all := many("u", s.cfg.MaxSubscriptions+1)
			for i := 0; i < len(all); i += 100 {
				subscribe(t, s, "me", strconv.Itoa(1000+i), all[i:min(i+100, len(all))]...)
			}
			p := page(t, s, "")
			return p.Total == strconv.Itoa(s.cfg.MaxSubscriptions)
		},
		"GET-LIMIT-USERS": func(t *testing.T, s *Server) bool {
			return status(get(t, s, "me", many("u", l(s).GetMaxUsers+1)...), 400)
		},
		"GET-USERS-NONEMPTY": func(t *testing.T, s *Server) bool { return status(get(t, s, "me"), 400) },
		"GET-ENTRY-PER-USER": func(t *testing.T, s *Server) bool {
			e := entries(t, get(t, s, "me", "b", "a"))
			return len(e) == 2 && e[0].UID == "b" && e[1].UID == "a"
		},
		"GET-NO-SIDE-EFFECT": func(t *testing.T, s *Server) bool {
			get(t, s, "me", "a")
			return page(t, s, "").Total == "0"
		},
		"GROUP-COUNT": func(t *testing.T, s *Server) bool {
			admin(t, s, "PUT", "/_mock/groups/g", `{"members":["a","b"]}`)
			admin(t, s, "POST", "/_mock/connections", `{"connect":["a"]}`)
			return call(t, s, "GET", base+"/presence/online/g/type/1", "").Body == `{"result":1}`
		},
		"GROUP-QUERY-TYPE": func(t *testing.T, s *Server) bool {
			return status(call(t, s, "GET", base+"/presence/online/g/type/7", ""), 400)
		},
		"UNSUB-LIMIT-USERS": func(t *testing.T, s *Server) bool {
			return status(call(t, s, "DELETE", base+"/users/me/presence", `{"users":["`+strings.Join(many("u", l(s).UnsubscribeMaxUsers+1), `","`)+`"]}`), 400)
		},
		"UNSUB-USERS-NONEMPTY": func(t *testing.T, s *Server) bool {
			return status(call(t, s, "DELETE", base+"/users/me/presence", `{"users":[]}`), 400)
		},
		"UNSUB-REMOVES": func(t *testing.T, s *Server) bool {
			subscribe(t, s, "me", "60", "a", "b")
			call(t, s, "DELETE", base+"/users/me/presence", `{"users":["a"]}`)
			p := page(t, s, "?pageSize=10")
			return slices.Equal(p.UIDs, []string{"b"})
		},
		"UNSUB-BODY-FORMS": func(t *testing.T, s *Server) bool {
			return status(call(t, s, "DELETE", base+"/users/me/presence", `["a"]`), 200) &&
				status(call(t, s, "DELETE", base+"/users/me/presence", `{"users":["a"]}`), 200)
		},
		"SUBLIST-PAGESIZE-RANGE": func(t *testing.T, s *Server) bool {
			r, _ := sublist(t, s, "me", "?pageSize=0")
			return status(r, 400)
		},
		"SUBLIST-PAGENUM-MIN": func(t *testing.T, s *Server) bool {
			r, _ := sublist(t, s, "me", "?pageNum=0")
			return status(r, 400)
		},
		"SUBLIST-NON-INTEGER": func(t *testing.T, s *Server) bool {
			r, _ := sublist(t, s, "me", "?pageSize=ten")
			return status(r, 400)
		},
		"SUBLIST-DEFAULTS": func(t *testing.T, s *Server) bool {
			subscribe(t, s, "me", "60", "a", "b")
			return len(page(t, s, "").UIDs) == l(s).PageSizeDefault
		},
		"SUBLIST-TOTALNUM": func(t *testing.T, s *Server) bool {
			subscribe(t, s, "me", "60", "a", "b")
			return page(t, s, "").Total == "2"
		},
		"SUBLIST-PAGES": func(t *testing.T, s *Server) bool {
			subscribe(t, s, "me", "60", "a", "b", "c")
			return slices.Equal(page(t, s, "?pageNum=2&pageSize=2").UIDs, []string{"c"})
		},
		"SUBLIST-PAST-END": func(t *testing.T, s *Server) bool {
			subscribe(t, s, "me", "60", "a")
			r, p := sublist(t, s, "me", "?pageNum=5&pageSize=1")
			return r.Status == 200 && len(p.UIDs) == 0
		},
	}
}

// TestEveryRuleHasABreakMode fails when a MUST or SHOULD rule of the
// catalogue has no break mode, or a mode names no such rule.
func TestEveryRuleHasABreakMode(t *testing.T) {
	modes := map[string]bool{}
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
		t.Run(id, func(t *testing.T) {
			if !check(t, newTest(t, small)) {
				t.Fatalf("the correct server breaks %s", id)
			}
			if check(t, newTest(t, small, withBreak(id))) {
				t.Fatalf("--break %s does not break it", id)
			}
		})
	}
}
