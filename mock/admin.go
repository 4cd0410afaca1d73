package mock

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// groups holds group membership for the online count, copy-on-write: the
// count reads a snapshot without a lock.
type groups struct {
	mu sync.Mutex
	m  atomic.Pointer[map[string][]*user]
}

func newGroups() *groups {
	g := &groups{}
	g.m.Store(&map[string][]*user{})
	return g
}

// online counts the group's connected members (all members with all).
func (g *groups) online(name string, all bool) int {
	members := (*g.m.Load())[name]
	if all {
		return len(members)
	}
	n := 0
	for _, u := range members {
		if u.connected.Load() {
			n++
		}
	}
	return n
}

func (g *groups) update(f func(m map[string][]*user)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	old := *g.m.Load()
	m := make(map[string][]*user, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	f(m)
	g.m.Store(&m)
}

// Admin API request and answer bodies.
type (
	clockRequest struct {
		Advance string `json:"advance"`
		Set     *int64 `json:"set"`
	}
	clockAnswer struct {
		Now     int64  `json:"now"`
		NowTime string `json:"now_time"`
		Virtual bool   `json:"virtual"`
	}
	groupRequest struct {
		Members []string `json:"members"`
	}
	connRequest struct {
		Connect       []string `json:"connect"`
		Disconnect    []string `json:"disconnect"`
		DisconnectAll bool     `json:"disconnect_all"`
	}
	subDump struct {
		UID    string `json:"uid"`
		Expiry int64  `json:"expiry"`
	}
	userDump struct {
		Name          string            `json:"name"`
		LastTime      int64             `json:"last_time"`
		Ext           string            `json:"ext"`
		Status        map[string]string `json:"status"`
		Connected     bool              `json:"connected"`
		Subscriptions []subDump         `json:"subscriptions"`
	}
	stateDump struct {
		Clock         clockAnswer         `json:"clock"`
		Breaks        []Break             `json:"breaks"`
		Subscriptions int64               `json:"subscriptions"`
		Users         []userDump          `json:"users"`
		Groups        map[string][]string `json:"groups"`
	}
)

// adminFail is an admin error, in the same envelope as the API's.
func (s *Server) adminFail(w http.ResponseWriter, status int, code, desc string) int {
	rs := &reqState{}
	return s.writeError(w, rs, &apiError{status, code, "MockAdminException", desc})
}

func (s *Server) adminJSON(w http.ResponseWriter, v any) int {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(v)
	return http.StatusOK
}

// serveAdmin serves /_mock/…; path is what follows /_mock.
// GET /_mock/clock needs no token and answers even with the admin API off:
// it is read-only, and it lets a client (conform --target) find out by
// itself whether the clock is virtual.
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request, path string) int {
	if r.Method == http.MethodGet && path == "/clock" {
		return s.adminJSON(w, s.clockAnswer())
	}
	if s.cfg.AdminToken == "" {
		return s.adminFail(w, 404, codeNotFound, "the admin API is disabled (no admin token)")
	}
	tok, ok := bearer(r.Header.Get("Authorization"))
	if !ok || subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.AdminToken)) != 1 {
		return s.adminFail(w, 401, codeUnauthorized, "admin token required")
	}
	body, err := readAdminBody(r, s.cfg.MaxBodyBytes)
	if err != nil {
		if _, big := errors.AsType[*http.MaxBytesError](err); big {
			return s.adminFail(w, 413, codeTooLarge, err.Error())
		}
		return s.adminFail(w, 400, codeJSONParse, err.Error())
	}
	decode := func(v any) bool {
		if len(bytes.TrimSpace(body)) == 0 {
			return true
		}
		return json.Unmarshal(body, v) == nil
	}
	route := r.Method + " " + path
	st := s.st.load()
	switch {
	case route == "POST /reset":
		s.st.reset()
		s.log.Info("admin reset")
		return s.adminJSON(w, map[string]string{"result": "ok"})
	case route == "POST /clock":
		var req clockRequest
		if !decode(&req) {
			return s.adminFail(w, 400, codeJSONParse, "want {\"advance\":\"720h\"} or {\"set\":<unix seconds>}")
		}
		var err error
		switch {
		case req.Set != nil:
			_, err = s.clk.set(*req.Set)
		case req.Advance != "":
			var d time.Duration
			if d, err = time.ParseDuration(req.Advance); err == nil {
				_, err = s.clk.advance(d)
			}
		default:
			err = fmt.Errorf("want advance or set")
		}
		if err != nil {
			return s.adminFail(w, 400, codeIllegalArgument, err.Error())
		}
		s.log.Info("admin clock", "now", s.clk.now())
		return s.adminJSON(w, s.clockAnswer())
	case route == "GET /groups":
		return s.adminJSON(w, groupDump(st))
	case strings.HasPrefix(path, "/groups/") && len(path) > len("/groups/"):
		name := path[len("/groups/"):]
		switch r.Method {
		case http.MethodPut, http.MethodPost:
			var req groupRequest
			if !decode(&req) {
				return s.adminFail(w, 400, codeJSONParse, "want {\"members\":[…]}")
			}
			members := make([]*user, 0, len(req.Members))
			for _, m := range req.Members {
				if m != "" {
					members = append(members, st.getString(m))
				}
			}
			st.grp.update(func(m map[string][]*user) { m[name] = members })
			return s.adminJSON(w, map[string]any{"group": name, "members": len(members)})
		case http.MethodDelete:
			st.grp.update(func(m map[string][]*user) { delete(m, name) })
			return s.adminJSON(w, map[string]string{"result": "ok"})
		}
	case route == "GET /connections":
		return s.adminJSON(w, map[string][]string{"connected": connected(st)})
	case route == "POST /connections":
		var req connRequest
		if !decode(&req) {
			return s.adminFail(w, 400, codeJSONParse, "want {\"connect\":[…],\"disconnect\":[…]}")
		}
		if req.DisconnectAll {
			for _, n := range connected(st) {
				st.getString(n).connected.Store(false)
			}
		}
		for _, n := range req.Disconnect {
			if u := st.lookupString(n); u != nil {
				u.connected.Store(false)
			}
		}
		for _, n := range req.Connect {
			if n != "" {
				st.getString(n).connected.Store(true)
			}
		}
		return s.adminJSON(w, map[string][]string{"connected": connected(st)})
	case route == "GET /state":
		return s.adminJSON(w, s.dump(st, r.URL.Query().Get("user")))
	case route == "GET /breaks":
		return s.adminJSON(w, map[string]any{"active": s.cfg.Breaks, "available": BreakModes()})
	}
	return s.adminFail(w, 404, codeNotFound, "no admin route "+route)
}

func readAdminBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	n, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, limit))
	if err != nil {
		return nil, fmt.Errorf("read admin body (%d bytes read): %w", n, err)
	}
	return buf.Bytes(), nil
}

func (s *Server) clockAnswer() clockAnswer {
	t := s.clk.now()
	return clockAnswer{Now: t.Unix(), NowTime: t.UTC().Format(time.RFC3339), Virtual: s.clk.virtual}
}

func groupDump(st *store) map[string][]string {
	out := map[string][]string{}
	for name, members := range *st.grp.m.Load() {
		names := make([]string, len(members))
		for i, u := range members {
			names[i] = u.name
		}
		out[name] = names
	}
	return out
}

// connected lists connected users, sorted.
func connected(st *store) []string {
	var out []string
	for i := range st.shards {
		sh := &st.shards[i]
		sh.mu.RLock()
		for _, u := range sh.users {
			if u.connected.Load() {
				out = append(out, u.name)
			}
		}
		sh.mu.RUnlock()
	}
	slices.Sort(out)
	return out
}

// dump is the state of one user (only) or of everything.
func (s *Server) dump(st *store, only string) stateDump {
	d := stateDump{Clock: s.clockAnswer(), Breaks: s.cfg.Breaks, Subscriptions: st.subscriptions(),
		Groups: groupDump(st), Users: []userDump{}}
	for i := range st.shards {
		sh := &st.shards[i]
		sh.mu.RLock()
		dir := *st.dir.Load()
		for _, u := range sh.users {
			if only != "" && u.name != only {
				continue
			}
			ud := userDump{Name: u.name, LastTime: u.lastTime, Ext: u.ext, Status: map[string]string{},
				Connected: u.connected.Load(), Subscriptions: make([]subDump, len(u.subs.items))}
			for _, rsx := range u.status {
				ud.Status[rsx.res] = rsx.st
			}
			for j, it := range u.subs.items {
				ud.Subscriptions[j] = subDump{UID: dir[it.id>>chunkBits][it.id&(1<<chunkBits-1)].name, Expiry: int64(it.exp)}
			}
			d.Users = append(d.Users, ud)
		}
		sh.mu.RUnlock()
	}
	slices.SortFunc(d.Users, func(a, b userDump) int { return strings.Compare(a.Name, b.Name) })
	return d
}
