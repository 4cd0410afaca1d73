package mock

import (
	"bytes"
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
	plain := strings.IndexByte(resource, '_') < 0
	if s.brk.setResPlain && plain {
		return 0, errIllegal(descResourceShape)
	}
	if s.brk.setResPlainRenamed && plain {
		resource += "_0"
	}
	ext, present, arena, err := parseExt(rs.body, rs.arena[:0])
	rs.arena = arena
	if err != nil {
		return 0, parseErr(err)
	}
	if !present && !s.brk.setExtRequired && !(s.brk.setExtNullOK && bytes.Contains(rs.body, []byte("null"))) &&
		!(s.brk.setExtAnyDepth && bytes.Contains(rs.body, []byte(`"ext"`))) {
		return 0, errIllegal(descExtNull)
	}
	if s.extTooBig(ext) {
		return 0, errIllegal(descExtTooBig)
	}
	if s.brk.setExtTruncated && len(ext) > 255 {
		ext = ext[:255]
	}
	now := s.clk.unix()
	u := rs.st.getString(username)
	sh := rs.st.shardOfString(username)
	sh.mu.Lock()
	if s.brk.raceGetStale {
		s.races.noteSet(u, s.clk.now())
	}
	repeat := len(u.status) > 0
	if !(s.brk.setResPlainDropped && plain) {
		if s.brk.setStatusTypeKey {
			u.dropSameType(resource)
		}
		u.setStatus([]byte(resource), []byte(status), s.brk.setStatusPerResource)
	}
	online := status == "0" || status == "1"
	switch {
	case s.brk.setLastTime:
	case s.brk.setLastTimeFirst:
		if online && u.lastTime == 0 {
			u.lastTime = now
		}
	case online || s.brk.setLastTimeAny:
		u.lastTime = now
	}
	if present && u.ext != string(ext) && !(s.brk.setExtFirstKept && u.ext != "") {
		u.ext = string(ext)
	}
	sh.mu.Unlock()
	if s.brk.setStatusCross {
		s.crossSet(rs.st, u, resource, status)
	}
	if s.brk.setOK || (s.brk.setOKOffline && status == "0") || (s.brk.setOKRepeat && repeat) {
		rs.out = append(rs.out[:0], `{"result":"success"}`...)
	} else {
		rs.out = append(rs.out[:0], `{"result":"ok"}`...)
	}
	return 200, nil
}

// checkNames applies the count limits of a batch operation.
func checkNames(names [][]byte, minN, maxN int, allowEmpty, allowMore bool, tooMany string) *apiError {
	return checkNamesBroken(names, minN, maxN, allowEmpty, allowMore, limitPolicy{}, tooMany)
}

// limitPolicy is how a batch limit check departs from the contract, for
// break variants; the zero value is correct.
type limitPolicy struct {
	offByOne, distinct bool
}

// checkNamesBroken is checkNames with the limit bent as pol says.
func checkNamesBroken(names [][]byte, minN, maxN int, allowEmpty, allowMore bool, pol limitPolicy, tooMany string) *apiError {
	if (len(names) == 0 || len(names) < minN) && !allowEmpty {
		return errIllegal(descUsernamesEmpty)
	}
	n := len(names)
	if pol.distinct {
		n = distinctCount(names)
	}
	if pol.offByOne {
		n++
	}
	if n > maxN && !allowMore {
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
	exp, err := s.parseExpiry(expiry)
	checked := exp
	if s.brk.subExpiryMaxWrap {
		checked = int64(uint32(exp))
	}
	if err != nil || (checked < max(s.lim.ExpiryMin, 1) && !s.brk.subExpiryPositive) {
		return 0, errIllegal(descExpiry)
	}
	if (checked > s.lim.ExpiryMax || (s.brk.subExpiryMaxOffByOne && checked == s.lim.ExpiryMax)) && !s.brk.subExpiryMax {
		return 0, errIllegal(descExpiry)
	}
	names, _, arena, perr := parseNames(rs.body, "usernames", false, rs.arena[:0], rs.names[:0])
	rs.names, rs.arena = names, arena
	if perr != nil {
		return 0, parseErr(perr)
	}
	allowEmpty := s.brk.subUsersNonEmpty || s.emptyAllowed(rs.body, "usernames", s.brk.subUsersMissingOK, s.brk.subUsersNullOK)
	pol := limitPolicy{distinct: s.brk.subLimitDistinct}
	if e := checkNamesBroken(names, s.lim.MinUsers, s.lim.SubscribeMaxUsers, allowEmpty, s.brk.subLimitUsers || s.brk.subLimitTruncates, pol, descTooManySub); e != nil {
		return 0, e
	}
	if s.brk.subLimitTruncates && len(names) > s.lim.SubscribeMaxUsers {
		names = names[:s.lim.SubscribeMaxUsers]
	}
	if e := s.checkSelf(names, username); e != nil {
		return 0, e
	}
	now := s.clk.unix()
	abs := clampU32(now + exp)
	for _, n := range names {
		rs.users = append(rs.users, rs.st.get(n))
	}
	s.addSubs(rs.st, username, rs.users, abs, now)

	shown := s.shownExpiry(int64(abs), now)
	// The schema caps the answer at the limit; a break that accepts more
	// users still answers a valid document.
	n := min(len(names), s.lim.SubscribeMaxUsers)
	order := answerOrder(names, n, s.brk.subEntryPerUser, s.brk.subEntrySorted)
	if s.brk.subEntryLastDropped && n >= 3 {
		n--
	}
	b := append(rs.out[:0], `{"result":[`...)
	for k := 0; k < n; k++ {
		i := k
		if order != nil {
			i = order[k]
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
	pol := upsertPolicy{dup: s.brk.subResubscribe, keepFirst: s.brk.subResubKeepFirst, keepLonger: s.brk.subResubKeepLonger,
		evictNewest: s.brk.subCapEvictNewest, evictFirst: s.brk.subCapEvictFirst, evictLast: s.brk.subCapEvictLast}
	if s.brk.subCapEvictOldest {
		pol.made = s.madeOf(subr)
	}
	sh.mu.Lock()
	// Loaded under the lock: it then holds every id in the set and the
	// targets (published before this call).
	dir := *st.dir.Load()
	if !s.keepsExpired() && subr.subs.needsCompact(clampU32(now)) {
		sh.nsubs.Add(-int64(subr.subs.compact(clampU32(now))))
	}
	var delta int64
	for _, t := range targets {
		if t == subr && !s.brk.subSelf && !s.brk.subSelfFirstOnly {
			continue
		}
		delta += int64(subr.subs.upsert(dir, t, abs, maxN, pol))
		if s.brk.subCapEvictOldest {
			s.noteMade(subr, t.id)
		}
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
	if ext == "" && s.brk.schemaExtNull {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, ext)
	}
	if len(status) == 0 && s.brk.schemaStatusNull {
		return append(b, `,"status":null}`...)
	}
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
	allowEmpty := s.brk.getUsersNonEmpty || s.emptyAllowed(rs.body, "usernames", s.brk.getUsersMissingOK, s.brk.getUsersNullOK)
	pol := limitPolicy{offByOne: s.brk.getLimitOffByOne, distinct: s.brk.getLimitDistinct}
	if e := checkNamesBroken(names, s.lim.MinUsers, s.lim.GetMaxUsers, allowEmpty, s.brk.getLimitUsers, pol, descTooManyGet); e != nil {
		return 0, e
	}
	n := min(len(names), s.lim.GetMaxUsers)
	order := answerOrder(names, n, s.brk.getEntryPerUser, s.brk.getEntrySorted)
	if s.brk.getEntryLastDropped && n >= 3 {
		n--
	}
	b := append(rs.out[:0], `{"result":[`...)
	for k := 0; k < n; k++ {
		i := k
		if order != nil {
			i = order[k]
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
	if s.brk.getSideRefreshes || s.brk.getSideReverse {
		s.getSideEffect(rs, username, names)
	}
	return 200, nil
}

func (s *Server) unsubscribe(rs *reqState, username string) (int, *apiError) {
	names, bare, arena, err := parseNames(rs.body, "users", !s.brk.unsubBodyForms, rs.arena[:0], rs.names[:0])
	rs.names, rs.arena = names, arena
	if err != nil {
		return 0, parseErr(err)
	}
	allowEmpty := s.brk.unsubUsersNonEmpty || (s.brk.unsubUsersBareOnly && bare) ||
		s.emptyAllowed(rs.body, "users", false, s.brk.unsubUsersNullOK)
	overOK := s.brk.unsubLimitUsers || s.brk.unsubLimitTruncates || (s.brk.unsubLimitBare && bare)
	if e := checkNames(names, s.lim.MinUsers, s.lim.UnsubscribeMaxUsers, allowEmpty, overOK, descTooManyUnsub); e != nil {
		return 0, e
	}
	if s.brk.unsubLimitTruncates && len(names) > s.lim.UnsubscribeMaxUsers {
		names = names[:s.lim.UnsubscribeMaxUsers]
	}
	if (s.brk.unsubRemovesFirst || (s.brk.unsubBodyBareFirst && bare)) && len(names) > 1 {
		names = names[:1]
	}
	if s.brk.unsubRemovesAll {
		s.unsubscribeAll(rs.st, names)
	}
	if !s.brk.unsubRemoves && !(s.brk.unsubBodyBareIgnored && bare) {
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
		ok := s.brk.groupQueryNegative && qt < 0
		for _, t := range s.lim.QueryTypes {
			ok = ok || t == qt
		}
		if !ok || (s.brk.groupQueryOneOnly && qt == 0) {
			return 0, errIllegal(descQueryType)
		}
	}
	n := rs.st.grp.online(group, s.brk.groupCount)
	if s.brk.groupCountPresence || s.brk.groupCountBoth {
		n = s.groupByPresence(rs.st, group, s.brk.groupCountBoth)
	}
	b := append(rs.out[:0], `{"result":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	rs.out = append(b, '}')
	return 200, nil
}
