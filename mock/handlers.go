package mock

import (
	"errors"
	"strconv"
	"strings"
)

// The six presence operations. Each reads rs.body, appends its answer to
// rs.out and returns the status, or an error answer.

// parseErr maps a scanner error to the envelope.
func parseErr(err error) *apiError {
	if errors.Is(err, errSyntax) || errors.Is(err, errShape) {
		return errJSON
	}
	return errJSON
}

func (s *Server) setStatus(rs *reqState, username, resource, status string) (int, *apiError) {
	if s.brk.setResPlain && strings.IndexByte(resource, '_') < 0 {
		return 0, errIllegal(descResourceShape)
	}
	ext, present, arena, err := parseExt(rs.body, rs.arena[:0])
	rs.arena = arena
	if err != nil {
		return 0, parseErr(err)
	}
	if !present && !s.brk.setExtRequired {
		return 0, errIllegal(descExtNull)
	}
	if len(ext) > s.lim.ExtMaxBytes && !s.brk.setExtMax {
		return 0, errIllegal(descExtTooBig)
	}
	now := s.clk.unix()
	u := rs.st.getString(username)
	sh := rs.st.shardOfString(username)
	sh.mu.Lock()
	if s.brk.raceGetStale {
		s.races.noteSet(u, s.clk.now())
	}
	u.setStatus([]byte(resource), []byte(status), s.brk.setStatusPerResource)
	if (status == "0" || status == "1") && !s.brk.setLastTime {
		u.lastTime = now
	}
	if present && u.ext != string(ext) {
		u.ext = string(ext)
	}
	sh.mu.Unlock()
	if s.brk.setOK {
		rs.out = append(rs.out[:0], `{"result":"success"}`...)
	} else {
		rs.out = append(rs.out[:0], `{"result":"ok"}`...)
	}
	return 200, nil
}

// checkNames applies the count limits of a batch operation.
func checkNames(names [][]byte, minN, maxN int, allowEmpty, allowMore bool, tooMany string) *apiError {
	if (len(names) == 0 || len(names) < minN) && !allowEmpty {
		return errIllegal(descUsernamesEmpty)
	}
	if len(names) > maxN && !allowMore {
		return errIllegal(tooMany)
	}
	for _, n := range names {
		if len(n) == 0 {
			return errIllegal(descEmptyUsername)
		}
	}
	return nil
}

func (s *Server) subscribe(rs *reqState, username, expiry string) (int, *apiError) {
	exp, err := strconv.ParseInt(expiry, 10, 64)
	if err != nil || (exp < max(s.lim.ExpiryMin, 1) && !s.brk.subExpiryPositive) {
		return 0, errIllegal(descExpiry)
	}
	if exp > s.lim.ExpiryMax && !s.brk.subExpiryMax {
		return 0, errIllegal(descExpiry)
	}
	names, _, arena, perr := parseNames(rs.body, "usernames", false, rs.arena[:0], rs.names[:0])
	rs.names, rs.arena = names, arena
	if perr != nil {
		return 0, parseErr(perr)
	}
	if e := checkNames(names, s.lim.MinUsers, s.lim.SubscribeMaxUsers, s.brk.subUsersNonEmpty, s.brk.subLimitUsers, descTooManySub); e != nil {
		return 0, e
	}
	if !s.brk.subSelf {
		for _, n := range names {
			if string(n) == username {
				return 0, errIllegal(descSubSelf)
			}
		}
	}
	now := s.clk.unix()
	abs := clampU32(now + exp)
	for _, n := range names {
		rs.users = append(rs.users, rs.st.get(n))
	}
	s.addSubs(rs.st, username, rs.users, abs, now)

	shown := int64(abs)
	if s.brk.subExpiryAbsolute {
		shown = exp
	}
	// The schema caps the answer at the limit; a break that accepts more
	// users still answers a valid document.
	n := min(len(names), s.lim.SubscribeMaxUsers)
	b := append(rs.out[:0], `{"result":[`...)
	for k := 0; k < n; k++ {
		i := k
		if s.brk.subEntryPerUser {
			i = len(names) - 1 - k
		}
		if k > 0 {
			b = append(b, ',')
		}
		b = s.appendEntry(b, rs.st, names[i], rs.users[i], shown, true)
	}
	rs.out = append(b, "]}"...)
	return 200, nil
}

// addSubs stores subscriber → targets with absolute expiry abs.
func (s *Server) addSubs(st *store, username string, targets []*user, abs uint32, now int64) {
	if s.brk.raceSubLost {
		s.addSubsLossy(st, username, targets, abs, now)
		return
	}
	subr := st.getString(username)
	sh := st.shardOfString(username)
	maxN := s.cfg.MaxSubscriptions
	if s.brk.subCap {
		maxN = 0
	}
	sh.mu.Lock()
	// Loaded under the lock: it then holds every id in the set and the
	// targets (published before this call).
	dir := *st.dir.Load()
	if !s.brk.subExpires && subr.subs.needsCompact(clampU32(now)) {
		sh.nsubs.Add(-int64(subr.subs.compact(clampU32(now))))
	}
	var delta int64
	for _, t := range targets {
		if t == subr && !s.brk.subSelf {
			continue
		}
		delta += int64(subr.subs.upsert(dir, t, abs, maxN, s.brk.subResubscribe))
	}
	sh.noteExp(abs)
	sh.nsubs.Add(delta)
	sh.mu.Unlock()
	if s.brk.raceTotalnum {
		s.races.addCount(subr, delta)
	}
}

// appendEntry appends one presence entry; u may be nil (never seen: last
// time "0", ext "", no status).
func (s *Server) appendEntry(b []byte, st *store, name []byte, u *user, expiry int64, withExpiry bool) []byte {
	b = append(b, `{"uid":`...)
	b = appendJSONString(b, name)
	var last int64
	ext := ""
	var status []resStatus
	if u != nil {
		sh := st.shardOfString(u.name)
		sh.mu.RLock()
		defer sh.mu.RUnlock()
		last, ext, status = u.lastTime, u.ext, u.status
		if s.brk.raceGetStale && !withExpiry {
			if snap, ok := s.races.staleOf(u, s.clk.now()); ok {
				ext, status = snap.ext, snap.status
			}
		}
	}
	if s.brk.setExtVisible {
		ext = ""
	}
	b = append(b, `,"last_time":`...)
	b = appendQuotedInt(b, last)
	if withExpiry {
		b = append(b, `,"expiry":`...)
		b = appendQuotedInt(b, expiry)
	}
	b = append(b, `,"ext":`...)
	b = appendJSONString(b, ext)
	b = append(b, `,"status":{`...)
	if u != nil {
		for i, rsx := range status {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, rsx.res)
			b = append(b, ':')
			b = appendJSONString(b, rsx.st)
		}
	}
	return append(b, "}}"...)
}

func (s *Server) getStatus(rs *reqState, username string) (int, *apiError) {
	names, _, arena, err := parseNames(rs.body, "usernames", false, rs.arena[:0], rs.names[:0])
	rs.names, rs.arena = names, arena
	if err != nil {
		return 0, parseErr(err)
	}
	if e := checkNames(names, s.lim.MinUsers, s.lim.GetMaxUsers, s.brk.getUsersNonEmpty, s.brk.getLimitUsers, descTooManyGet); e != nil {
		return 0, e
	}
	n := min(len(names), s.lim.GetMaxUsers)
	b := append(rs.out[:0], `{"result":[`...)
	for k := 0; k < n; k++ {
		i := k
		if s.brk.getEntryPerUser {
			i = len(names) - 1 - k
		}
		if k > 0 {
			b = append(b, ',')
		}
		b = s.appendEntry(b, rs.st, names[i], rs.st.lookup(names[i]), 0, false)
	}
	rs.out = append(b, "]}"...)
	if s.brk.getNoSideEffect {
		now := s.clk.unix()
		for _, nm := range names {
			if string(nm) != username {
				rs.users = append(rs.users, rs.st.get(nm))
			}
		}
		s.addSubs(rs.st, username, rs.users, clampU32(now+86400), now)
	}
	return 200, nil
}

func (s *Server) unsubscribe(rs *reqState, username string) (int, *apiError) {
	names, _, arena, err := parseNames(rs.body, "users", !s.brk.unsubBodyForms, rs.arena[:0], rs.names[:0])
	rs.names, rs.arena = names, arena
	if err != nil {
		return 0, parseErr(err)
	}
	if e := checkNames(names, s.lim.MinUsers, s.lim.UnsubscribeMaxUsers, s.brk.unsubUsersNonEmpty, s.brk.unsubLimitUsers, descTooManyUnsub); e != nil {
		return 0, e
	}
	if !s.brk.unsubRemoves {
		if subr := rs.st.lookupString(username); subr != nil {
			sh := rs.st.shardOfString(username)
			sh.mu.Lock()
			dir := *rs.st.dir.Load()
			var removed int
			for _, n := range names {
				removed += subr.subs.remove(dir, string(n))
			}
			sh.nsubs.Add(-int64(removed))
			sh.mu.Unlock()
			if s.brk.raceTotalnum {
				s.races.addCount(subr, -int64(removed))
			}
		}
	}
	rs.out = append(rs.out[:0], `{"result":"ok"}`...)
	return 200, nil
}

func (s *Server) groupOnline(rs *reqState, group, queryType string) (int, *apiError) {
	qt, err := strconv.ParseInt(queryType, 10, 64)
	if err != nil {
		return 0, errIllegal(descQueryType)
	}
	if !s.brk.groupQueryType {
		ok := false
		for _, t := range s.lim.QueryTypes {
			ok = ok || t == qt
		}
		if !ok {
			return 0, errIllegal(descQueryType)
		}
	}
	n := rs.st.grp.online(group, s.brk.groupCount)
	b := append(rs.out[:0], `{"result":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	rs.out = append(b, '}')
	return 200, nil
}
