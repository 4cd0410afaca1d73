package mock

import (
	"math"
	"net/url"
	"strconv"
	"strings"
)

// queryParam returns the first value of key in a raw query, unescaped, and
// whether it was present. It allocates only for escaped values.
func queryParam(raw, key string) (string, bool) {
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(kv, "=")
		if strings.ContainsAny(k, "%+") {
			uk, err := url.QueryUnescape(k)
			if err != nil {
				continue
			}
			k = uk
		}
		if k != key {
			continue
		}
		if strings.ContainsAny(v, "%+") {
			uv, err := url.QueryUnescape(v)
			if err != nil {
				return v, true // an integer parse of it fails: 400
			}
			v = uv
		}
		return v, true
	}
	return "", false
}

// pageParam reads pageNum or pageSize: absent → def; non-integer → 400
// unless the SUBLIST-NON-INTEGER break falls back to def.
func (s *Server) pageParam(raw, key string, def int, desc string) (int64, *apiError) {
	v, ok := queryParam(raw, key)
	if !ok {
		return int64(def), nil
	}
	var n int64
	var err error
	switch {
	case s.brk.sublistNonIntPrefix:
		n, err = leadingInt(v)
	case s.brk.sublistNonIntFlt:
		f, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<62 {
			err = strconv.ErrSyntax
		}
		n = int64(f)
	default:
		n, err = strconv.ParseInt(v, 10, 64)
	}
	if err != nil {
		if s.brk.sublistNonInteger {
			return int64(def), nil
		}
		return 0, errIllegal(desc)
	}
	return n, nil
}

func (s *Server) sublist(rs *reqState, username, rawQuery string) (int, *apiError) {
	sizeDef := s.lim.PageSizeDefault
	switch {
	case s.brk.sublistDefaults:
		sizeDef = 10
	case s.brk.sublistDefaultsMax:
		sizeDef = s.lim.PageSizeMax
	}
	num, e := s.pageParam(rawQuery, "pageNum", s.lim.PageNumDefault, descPageNum)
	if e != nil {
		return 0, e
	}
	size, e := s.pageParam(rawQuery, "pageSize", sizeDef, descPageSize)
	if e != nil {
		return 0, e
	}
	if num < int64(max(s.lim.PageNumMin, 1)) {
		_, sized := queryParam(rawQuery, "pageSize")
		if !s.brk.sublistPageNum && !(s.brk.sublistPageNumNeg && num < 0) && !(s.brk.sublistPageNumNoSize && !sized) {
			return 0, errIllegal(descPageNum)
		}
		num = 1
	}
	switch {
	case s.brk.sublistPageSizeNeg && size < 0:
		size = int64(sizeDef)
	}
	if size < int64(max(s.lim.PageSizeMin, 1)) || size > int64(s.lim.PageSizeMax) && !(s.brk.sublistPageSize1000 && size <= 1000) {
		if !s.brk.sublistPageSize {
			return 0, errIllegal(descPageSize)
		}
		size = max(size, 0)
	}

	now := s.clk.unix()
	now32 := clampU32(now)
	subr := rs.st.lookupString(username)
	var sh *shard
	var items []sub
	if subr != nil {
		sh = rs.st.shardOfString(username)
		sh.mu.RLock()
		if !s.keepsExpired() && subr.subs.needsCompact(now32) {
			sh.mu.RUnlock()
			sh.mu.Lock()
			if subr.subs.needsCompact(now32) {
				sh.nsubs.Add(-int64(subr.subs.compact(now32)))
			}
			sh.mu.Unlock()
			sh.mu.RLock()
		}
		defer sh.mu.RUnlock()
		items = subr.subs.items
	}
	total := int64(len(items))
	counted := total
	if s.brk.subExpiresListed || s.brk.subExpiresCounted {
		live := liveOf(items, now32)
		if s.brk.subExpiresListed {
			counted = int64(len(live))
		} else {
			items = live
			total = int64(len(items))
		}
	}
	if _, numbered := queryParam(rawQuery, "pageNum"); !numbered && s.brk.sublistDefaultsLast && size > 0 && total > 0 {
		num = (total + size - 1) / size
	}

	// start = (num-1)*size without overflow.
	start := total
	if size > 0 && num-1 <= total/size {
		start = min((num-1)*size, total)
	}
	switch {
	case s.brk.sublistPages && num > 1 && start > 0 && start < total:
		start--
	case s.brk.sublistPagesGap && num > 1 && start < total:
		start++
	}
	if num > 1 && start >= total {
		switch {
		case s.brk.sublistPastEnd:
			return 0, errIllegal(descPastEnd)
		case s.brk.sublistPastEndLast && size > 0 && total > 0:
			start = (total - 1) / size * size
		case s.brk.sublistPastEndFirst:
			start = 0
		}
	}
	end := min(start+min(size, int64(s.lim.PageSizeMax)), total)
	if s.brk.sublistPagesLastDropped && num > 1 && end == total && end > start {
		end--
	}

	shownTotal := counted
	switch {
	case s.brk.raceTotalnum && subr != nil:
		shownTotal = s.races.countOf(subr)
	case s.brk.sublistTotalnum:
		shownTotal++
	case s.brk.sublistTotalPage:
		shownTotal = max(end-start, 0)
	case s.brk.sublistTotalPageEnd:
		shownTotal = end
	}
	b := append(rs.out[:0], `{"result":{"totalnum":`...)
	b = appendQuotedInt(b, shownTotal)
	b = append(b, `,"sublist":[`...)
	if start < end {
		dir := *rs.st.dir.Load()
		for i, it := range items[start:end] {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"uid":`...)
			b = appendJSONString(b, dir[it.id>>chunkBits][it.id&(1<<chunkBits-1)].name)
			exp := int64(it.exp)
			if s.brk.subListedFirstExpiry {
				exp = int64(items[0].exp)
			}
			exp = s.shownExpiry(exp, now)
			switch {
			case s.brk.subListed:
				exp += 60
			case s.brk.subListedRelative:
				exp = max(exp-now, 0)
			}
			b = append(b, `,"expiry":`...)
			b = appendQuotedInt(b, exp)
			b = append(b, '}')
		}
	}
	rs.out = append(b, "]}}"...)
	return 200, nil
}

// liveOf is items without the expired ones, in a new slice (SUB-EXPIRES
// variants, which keep expired subscriptions in the store).
func liveOf(items []sub, now uint32) []sub {
	out := make([]sub, 0, len(items))
	for _, it := range items {
		if it.exp > now {
			out = append(out, it)
		}
	}
	return out
}
