package mock

import (
	"bytes"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The code paths of break variants that need more than a flag check in
// line. Each runs only when its flag is on: the correct paths call none of
// them (keepsExpired, extTooBig, parseExpiry and shownExpiry fall through
// to the correct answer at the cost of a few flag reads).

// keepsExpired says expired subscriptions stay in the store (SUB-EXPIRES
// variants), so no path may compact them away.
func (s *Server) keepsExpired() bool {
	return s.brk.subExpires || s.brk.subExpiresListed || s.brk.subExpiresCounted
}

// extTooBig applies SET-EXT-MAX, in bytes unless a variant counts
// otherwise.
func (s *Server) extTooBig(ext []byte) bool {
	switch {
	case s.brk.setExtMax:
		return false
	case s.brk.setExtMaxRunes:
		return utf8.RuneCount(ext) > s.lim.ExtMaxBytes
	case s.brk.setExtMaxEscaped:
		return len(appendJSONString(nil, ext))-2 > s.lim.ExtMaxBytes
	}
	return len(ext) > s.lim.ExtMaxBytes
}

// parseExpiry parses subscribe's expiry segment: a decimal integer, unless
// a SUB-EXPIRY-POSITIVE variant parses it otherwise.
func (s *Server) parseExpiry(raw string) (int64, error) {
	switch {
	case s.brk.subExpiryFloat:
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<62 {
			return 0, strconv.ErrSyntax
		}
		return int64(f), nil
	case s.brk.subExpiryPrefix:
		return leadingInt(raw)
	}
	return strconv.ParseInt(raw, 10, 64)
}

// leadingInt parses the leading sign and digits of raw, as C's atoi does:
// "1.5" is 1, "60s" is 60; no digit at all is an error.
func leadingInt(raw string) (int64, error) {
	i := 0
	if i < len(raw) && (raw[i] == '-' || raw[i] == '+') {
		i++
	}
	j := i
	for j < len(raw) && j < 18 && raw[j] >= '0' && raw[j] <= '9' {
		j++
	}
	if j == i {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseInt(raw[:j], 10, 64)
}

// emptyAllowed says a batch body without names passes a USERS-NONEMPTY
// variant: a missing key (missingOK) or a null one (nullOK).
func (s *Server) emptyAllowed(body []byte, key string, missingOK, nullOK bool) bool {
	if !missingOK && !nullOK {
		return false
	}
	has := bytes.Contains(body, []byte(`"`+key+`"`))
	return (missingOK && !has) || (nullOK && has && bytes.Contains(body, []byte("null")))
}

// checkSelf applies SUB-SELF, or the variant that is on.
func (s *Server) checkSelf(names [][]byte, username string) *apiError {
	switch {
	case s.brk.subSelf:
		return nil
	case s.brk.subSelfFirstOnly:
		if len(names) > 0 && string(names[0]) == username {
			return errIllegal(descSubSelf)
		}
		return nil
	case s.brk.subSelfAloneOnly:
		if len(names) == 1 && string(names[0]) == username {
			return errIllegal(descSubSelf)
		}
		return nil // addSubs skips oneself among others
	}
	for _, n := range names {
		if string(n) == username {
			return errIllegal(descSubSelf)
		}
	}
	return nil
}

// shownExpiry is how subscribe and sublist show an absolute expiry abs.
func (s *Server) shownExpiry(abs, now int64) int64 {
	switch {
	case s.brk.subExpiryAbsolute:
		return max(abs-now, 0)
	case s.brk.subExpiryMillis:
		return abs * 1000
	case s.brk.subExpiryGrace:
		return abs + 30
	}
	return abs
}

// answerOrder is the order of the first n names in a batch answer; nil is
// request order (correct).
func answerOrder(names [][]byte, n int, reversed, sorted bool) []int {
	if !reversed && !sorted {
		return nil
	}
	order := make([]int, n)
	for k := range order {
		order[k] = k
		if reversed {
			order[k] = len(names) - 1 - k
		}
	}
	if sorted {
		sort.SliceStable(order, func(a, b int) bool { return bytes.Compare(names[order[a]], names[order[b]]) < 0 })
	}
	return order
}

// distinctCount is the number of different names.
func distinctCount(names [][]byte) int {
	seen := make(map[string]struct{}, len(names))
	for _, n := range names {
		seen[string(n)] = struct{}{}
	}
	return len(seen)
}

// dropSameType removes the statuses of other resources of resource's
// device type (SET-STATUS-PER-RESOURCE:type-key); the shard lock is held.
func (u *user) dropSameType(resource string) {
	typ, _, _ := strings.Cut(resource, "_")
	k := 0
	for _, r := range u.status {
		if t, _, _ := strings.Cut(r.res, "_"); t == typ && r.res != resource {
			continue
		}
		u.status[k] = r
		k++
	}
	u.status = u.status[:k]
}

// crossSet copies a set to the same resource of the user set before, when
// that user has it (SET-STATUS-PER-RESOURCE:cross-user).
func (s *Server) crossSet(st *store, u *user, resource, status string) {
	s.crossMu.Lock()
	prev := s.crossPrev
	s.crossPrev = u
	s.crossMu.Unlock()
	if prev == nil || prev == u {
		return
	}
	sh := st.shardOfString(prev.name)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for i := range prev.status {
		if prev.status[i].res == resource {
			prev.status[i].st = status
		}
	}
}

// getSideEffect is what a GET-NO-SIDE-EFFECT variant does after a batch
// get: renew the reader's subscriptions to the users, or subscribe the
// users to the reader.
func (s *Server) getSideEffect(rs *reqState, reader string, names [][]byte) {
	now := s.clk.unix()
	abs := clampU32(now + 86400)
	if s.brk.getSideReverse {
		r := []*user{rs.st.getString(reader)}
		for _, n := range names {
			if string(n) != reader {
				s.addSubs(rs.st, string(n), r, abs, now)
			}
		}
		return
	}
	subr := rs.st.lookupString(reader)
	if subr == nil {
		return
	}
	// The users are found before the reader's shard is locked: a user in
	// the same shard would otherwise read-lock what this goroutine holds
	// for writing, and the mock would hang (shard locks do not nest).
	targets := make([]*user, 0, len(names))
	for _, n := range names {
		if t := rs.st.lookup(n); t != nil {
			targets = append(targets, t)
		}
	}
	sh := rs.st.shardOfString(reader)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	dir := *rs.st.dir.Load()
	for _, t := range targets {
		if i := subr.subs.lowerBound(dir, t.name); i < len(subr.subs.items) && subr.subs.items[i].id == t.id {
			subr.subs.items[i].exp = abs
		}
	}
}

// unsubscribeAll removes names from every subscriber
// (UNSUB-REMOVES:all-subscribers).
func (s *Server) unsubscribeAll(st *store, names [][]byte) {
	dir := *st.dir.Load()
	for i := range st.shards {
		sh := &st.shards[i]
		sh.mu.Lock()
		for _, u := range sh.users {
			var removed int
			for _, n := range names {
				removed += u.subs.remove(dir, string(n))
			}
			sh.nsubs.Add(-int64(removed))
		}
		sh.mu.Unlock()
	}
}

// groupByPresence counts the group's members with presence status "1" on
// some resource, or (both) also the connected ones (GROUP-COUNT variants).
func (s *Server) groupByPresence(st *store, group string, both bool) int {
	n := 0
	for _, u := range (*st.grp.m.Load())[group] {
		if both && u.connected.Load() {
			n++
			continue
		}
		sh := st.shardOfString(u.name)
		sh.mu.RLock()
		for _, r := range u.status {
			if r.st == "1" {
				n++
				break
			}
		}
		sh.mu.RUnlock()
	}
	return n
}

// noteMade records when subr's subscription to id was first made
// (SUB-CAP:evict-oldest).
func (s *Server) noteMade(subr *user, id uint32) {
	s.madeMu.Lock()
	defer s.madeMu.Unlock()
	if s.made == nil {
		s.made = map[*user]map[uint32]uint64{}
	}
	m := s.made[subr]
	if m == nil {
		m = map[uint32]uint64{}
		s.made[subr] = m
	}
	if _, ok := m[id]; !ok {
		s.madeSeq++
		m[id] = s.madeSeq
	}
}

// madeOf is when each of subr's subscriptions was first made
// (SUB-CAP:evict-oldest); one never noted sorts first.
func (s *Server) madeOf(subr *user) func(id uint32) uint64 {
	return func(id uint32) uint64 {
		s.madeMu.Lock()
		defer s.madeMu.Unlock()
		return s.made[subr][id]
	}
}
