// Package altserver is a second, independently written implementation of
// the presence API, used only by tests. It makes the choices the contract
// leaves open differently from presencekit's mock — numbers as JSON
// integers, extra vendor fields in answers, subscriptions listed by expiry
// instead of by uid, its own error descriptions, a real clock and no admin
// API — so a conformance suite that passes against both asserts the
// contract, not the mock's habits.
package altserver

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Credentials and the prepared group the server starts with.
const (
	Token        = "alt-token"
	ClientID     = "alt-client"
	ClientSecret = "alt-secret"
	Group        = "alt-group"
	GroupOnline  = 2
)

// The contract's limits, written down here on purpose rather than read from
// openapi.yaml: this server is an outside implementation.
const (
	maxUsers    = 100
	maxExpiry   = 2592000
	maxPageSize = 500
	maxExt      = 1024
	maxSubs     = 3000
)

type user struct {
	lastTime int64
	ext      string
	status   map[string]string
}

// Server is the alternative implementation; the zero value is not usable,
// use New.
type Server struct {
	mu        sync.Mutex
	users     map[string]*user
	subs      map[string]map[string]int64 // subscriber -> target -> expiry
	tokens    map[string]time.Time
	groups    map[string][]string
	connected map[string]bool
	now       func() time.Time
}

// New returns a server with the prepared Group: four members, the first
// GroupOnline of them connected.
func New() *Server {
	s := &Server{users: map[string]*user{}, subs: map[string]map[string]int64{}, tokens: map[string]time.Time{},
		groups: map[string][]string{}, connected: map[string]bool{}, now: time.Now}
	members := []string{"alt-m1", "alt-m2", "alt-m3", "alt-m4"}
	s.groups[Group] = members
	for _, m := range members[:GroupOnline] {
		s.connected[m] = true
	}
	return s
}

// ServeHTTP routes on the path's tail, whatever prefix and org/app it has.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 3 {
		s.fail(w, 404, "service_resource_not_found", "no such resource")
		return
	}
	rest := parts[2:]
	switch {
	case len(rest) == 1 && rest[0] == "token":
		s.only(w, r, "POST", s.token)
	case len(rest) == 5 && rest[0] == "presence" && rest[1] == "online" && rest[3] == "type":
		s.only(w, r, "GET", func(w http.ResponseWriter, r *http.Request) { s.group(w, rest[2], rest[4]) })
	case len(rest) >= 3 && rest[0] == "users" && rest[2] == "presence":
		if !s.authorized(r) {
			s.fail(w, 401, "unauthorized", "Unable to authenticate due to corrupt access token")
			return
		}
		u := rest[1]
		switch {
		case len(rest) == 3 && r.Method == "POST":
			s.get(w, r, u)
		case len(rest) == 3 && r.Method == "DELETE":
			s.unsubscribe(w, r, u)
		case len(rest) == 4 && rest[3] == "sublist":
			s.only(w, r, "GET", func(w http.ResponseWriter, r *http.Request) { s.sublist(w, r, u) })
		case len(rest) == 4:
			s.only(w, r, "POST", func(w http.ResponseWriter, r *http.Request) { s.subscribe(w, r, u, rest[3]) })
		case len(rest) == 5:
			s.only(w, r, "POST", func(w http.ResponseWriter, r *http.Request) { s.set(w, r, u, rest[3], rest[4]) })
		default:
			s.fail(w, 405, "method_not_allowed", "method not supported here")
		}
	default:
		s.fail(w, 404, "service_resource_not_found", "no such resource")
	}
}

func (s *Server) only(w http.ResponseWriter, r *http.Request, method string, h http.HandlerFunc) {
	if r.Method != method {
		s.fail(w, 405, "method_not_allowed", "use "+method)
		return
	}
	if !strings.HasSuffix(r.URL.Path, "/token") && !s.authorized(r) {
		s.fail(w, 401, "unauthorized", "Unable to authenticate due to corrupt access token")
		return
	}
	h(w, r)
}

func (s *Server) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	if tok == Token {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[tok]
	return ok && s.now().Before(exp)
}

// reply writes a 200 with the vendor's extra fields around result.
func (s *Server) reply(w http.ResponseWriter, result any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"action": "presence", "application": "alt", "timestamp": s.now().UnixMilli(), "duration": 1, "result": result,
	})
}

func (s *Server) fail(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"error": code, "exception": "alt." + code, "timestamp": s.now().UnixMilli(), "duration": 0, "error_description": desc,
	})
}

func (s *Server) bad(w http.ResponseWriter, desc string) { s.fail(w, 400, "illegal_argument", desc) }

// decode reads a JSON body; false means an answer was already written.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		s.fail(w, 400, "json_parse", "cannot read the JSON body: "+err.Error())
		return false
	}
	return true
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	var req struct {
		GrantType    string `json:"grant_type"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		TTL          int64  `json:"ttl"`
	}
	if !s.decode(w, r, &req) {
		return
	}
	if req.GrantType != "client_credentials" {
		s.bad(w, "unsupported grant_type")
		return
	}
	if req.ClientID != ClientID || req.ClientSecret != ClientSecret {
		s.fail(w, 401, "unauthorized", "invalid client credentials")
		return
	}
	ttl := req.TTL
	if ttl <= 0 {
		ttl = 3600
	}
	tok := "alt-issued-" + strconv.FormatInt(s.now().UnixNano(), 36)
	s.mu.Lock()
	s.tokens[tok] = s.now().Add(time.Duration(ttl) * time.Second)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "expires_in": ttl, "application": "alt"})
}

func (s *Server) userLocked(name string) *user {
	u := s.users[name]
	if u == nil {
		u = &user{status: map[string]string{}}
		s.users[name] = u
	}
	return u
}

func (s *Server) set(w http.ResponseWriter, r *http.Request, name, resource, status string) {
	var req struct {
		Ext *string `json:"ext"`
	}
	if !s.decode(w, r, &req) {
		return
	}
	switch {
	case req.Ext == nil:
		s.bad(w, "ext is required")
		return
	case len(*req.Ext) > maxExt:
		s.bad(w, "ext longer than 1024 bytes")
		return
	}
	s.mu.Lock()
	u := s.userLocked(name)
	u.status[resource] = status
	u.ext = *req.Ext
	if status == "0" || status == "1" {
		u.lastTime = s.now().Unix()
	}
	s.mu.Unlock()
	s.reply(w, "ok")
}

// names validates a user list: 1..maxUsers non-empty names.
func names(list []string) string {
	if len(list) == 0 {
		return "the user list is empty"
	}
	if len(list) > maxUsers {
		return "more than 100 users"
	}
	for _, n := range list {
		if n == "" {
			return "an empty user name"
		}
	}
	return ""
}

func (s *Server) entry(name string, expiry int64) map[string]any {
	u := s.userLocked(name)
	status := make(map[string]string, len(u.status))
	for k, v := range u.status {
		status[k] = v
	}
	e := map[string]any{"uid": name, "last_time": u.lastTime, "ext": u.ext, "status": status}
	if expiry > 0 {
		e["expiry"] = expiry
	}
	return e
}

func (s *Server) subscribe(w http.ResponseWriter, r *http.Request, name, rawExpiry string) {
	secs, err := strconv.ParseInt(rawExpiry, 10, 64)
	if err != nil || secs < 1 || secs > maxExpiry {
		s.bad(w, "expiry must be an integer from 1 to 2592000")
		return
	}
	var req struct {
		Usernames []string `json:"usernames"`
	}
	if !s.decode(w, r, &req) {
		return
	}
	if msg := names(req.Usernames); msg != "" {
		s.bad(w, msg)
		return
	}
	for _, t := range req.Usernames {
		if t == name {
			s.bad(w, "a user cannot subscribe to itself")
			return
		}
	}
	now := s.now().Unix()
	expiry := now + secs
	s.mu.Lock()
	defer s.mu.Unlock()
	subs := s.subs[name]
	if subs == nil {
		subs = map[string]int64{}
		s.subs[name] = subs
	}
	s.dropExpiredLocked(subs, now)
	out := make([]map[string]any, 0, len(req.Usernames))
	for _, t := range req.Usernames {
		if _, had := subs[t]; !had && len(subs) >= maxSubs {
			s.evictLocked(subs)
		}
		subs[t] = expiry
		out = append(out, s.entry(t, expiry))
	}
	s.reply(w, out)
}

func (s *Server) dropExpiredLocked(subs map[string]int64, now int64) {
	for t, exp := range subs {
		if exp <= now {
			delete(subs, t)
		}
	}
}

// evictLocked removes the subscription with least time left.
func (s *Server) evictLocked(subs map[string]int64) {
	victim, soonest := "", int64(0)
	for t, exp := range subs {
		if victim == "" || exp < soonest || (exp == soonest && t < victim) {
			victim, soonest = t, exp
		}
	}
	delete(subs, victim)
}

func (s *Server) get(w http.ResponseWriter, r *http.Request, _ string) {
	var req struct {
		Usernames []string `json:"usernames"`
	}
	if !s.decode(w, r, &req) {
		return
	}
	if msg := names(req.Usernames); msg != "" {
		s.bad(w, msg)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]map[string]any, 0, len(req.Usernames))
	for _, t := range req.Usernames {
		out = append(out, s.entry(t, 0))
	}
	s.reply(w, out)
}

func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request, name string) {
	var raw json.RawMessage
	if !s.decode(w, r, &raw) {
		return
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		var obj struct {
			Users []string `json:"users"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil {
			s.bad(w, "want {\"users\":[...]} or [...]")
			return
		}
		list = obj.Users
	}
	if msg := names(list); msg != "" {
		s.bad(w, msg)
		return
	}
	s.mu.Lock()
	for _, t := range list {
		delete(s.subs[name], t)
	}
	s.mu.Unlock()
	s.reply(w, "ok")
}

func (s *Server) sublist(w http.ResponseWriter, r *http.Request, name string) {
	q := r.URL.Query()
	num, size := 1, 1
	for _, p := range []struct {
		key      string
		dst      *int
		min, max int
	}{{"pageNum", &num, 1, 1 << 30}, {"pageSize", &size, 1, maxPageSize}} {
		if v, ok := q[p.key]; ok {
			n, err := strconv.Atoi(v[0])
			if err != nil || n < p.min || n > p.max {
				s.bad(w, p.key+" out of range")
				return
			}
			*p.dst = n
		}
	}
	s.mu.Lock()
	subs := s.subs[name]
	s.dropExpiredLocked(subs, s.now().Unix())
	type sub struct {
		UID    string `json:"uid"`
		Expiry int64  `json:"expiry"`
	}
	all := make([]sub, 0, len(subs))
	for t, exp := range subs {
		all = append(all, sub{t, exp})
	}
	s.mu.Unlock()
	// Latest expiry first, then uid descending: not the mock's order.
	sort.Slice(all, func(i, j int) bool {
		if all[i].Expiry != all[j].Expiry {
			return all[i].Expiry > all[j].Expiry
		}
		return all[i].UID > all[j].UID
	})
	start := min((num-1)*size, len(all))
	end := min(start+size, len(all))
	s.reply(w, map[string]any{"totalnum": len(all), "sublist": all[start:end]})
}

func (s *Server) group(w http.ResponseWriter, id, rawType string) {
	t, err := strconv.Atoi(rawType)
	if err != nil || (t != 0 && t != 1) {
		s.bad(w, "query_type must be 0 or 1")
		return
	}
	s.mu.Lock()
	members, ok := s.groups[id]
	n := 0
	for _, m := range members {
		if s.connected[m] {
			n++
		}
	}
	s.mu.Unlock()
	if !ok {
		s.fail(w, 404, "service_resource_not_found", "no such group")
		return
	}
	s.reply(w, n)
}
