package loadgen

import (
	"bytes"
	"fmt"
	"strconv"
)

// checkPage checks one sublist page against the model of its subscriber:
// every entry a subscription the model allows, with an expiry the
// subscribe answer gave; totalnum between the subscriptions certainly
// held and those possibly held, and never above the cap; the page's length
// consistent with totalnum. A page that holds the whole list must list
// every subscription certainly held (a server answers from one state). A
// walk (request.Walk) reads page after page; when the set did not change
// while it ran, the pages must be disjoint and list every subscription.
// checkPage reports whether the walk goes on with st.page.
func (st *vstate) checkPage(req *request, body []byte, r int64) bool {
	v := st.v
	vu := v.user(req.Actor)
	if vu == nil {
		return false
	}
	a := &st.ans
	total, list := a.total, a.entries
	if !a.totalOK || !a.listed {
		st.violation(ruleSchema, req, body, r, func() string { return `{"result":{"totalnum":N,"sublist":[…]}}` })
		return false
	}
	s := st.s - v.staleness
	nowS := v.wallSec(st.s)
	if total > int64(v.cap) {
		st.violation(ruleCap, req, body, r, func() string { return fmt.Sprintf("totalnum at most the cap, %d", v.cap) })
	}
	start := int64(req.Page-1) * int64(req.Size)
	want := min(max(total-start, 0), int64(req.Size))
	if int64(len(list)) != want {
		st.violation(rulePages, req, body, r, func() string {
			return fmt.Sprintf("page %d of size %d with totalnum %d: %d entries", req.Page, req.Size, total, want)
		})
	}

	vu.mu.RLock()
	defer vu.mu.RUnlock()
	relaxed := vu.everSubs > v.cap
	w := &st.walk
	if req.Walk {
		*w = walkState{active: true, actor: req.Actor, s1: st.s, size: req.Size, next: req.Page, total: total, seen: w.seen, overlap: -1}
		clear(w.seen)
	}
	inWalk := w.active && req.Actor == w.actor && req.Page == w.next
	if inWalk && total != w.total {
		w.totalChanged = true
	}
	clear(st.listed)
	for i := range list {
		e := &list[i]
		uid := e.uid
		t := v.userIndex(uid)
		exp, okE := e.exp, e.expOK
		j, ok := int32(0), false
		if t >= 0 {
			j, ok = vu.subIdx.get(t)
		}
		if !ok {
			st.violation(rulePages, req, body, r, func() string {
				return fmt.Sprintf("entry %d: %q was never subscribed by %s", i, uid, v.userName(req.Actor))
			})
			continue
		}
		k := &vu.subs[j].k
		if st.listed.has(int(j)) {
			st.violation(rulePages, req, body, r, func() string { return fmt.Sprintf("entry %d: %q listed once per page", i, uid) })
		}
		st.listed.add(int(j))
		if inWalk {
			if w.seen.has(int(j)) && w.overlap < 0 {
				w.overlap = t
			}
			w.seen.add(int(j))
		}
		present, unsub, match := false, false, false
		if k.settledAt(s) != nil { // the common case, from the key alone
			present, unsub = k.present, !k.present
			match = present && okE && (k.exp != 0 && k.exp == exp || k.exp == 0 && k.lo <= exp && exp <= k.hi)
		} else {
			cs, _ := k.cands(s, r, st.cbuf)
			st.cbuf = cs
			for _, c := range cs {
				if !c.present {
					unsub = true
					continue
				}
				present = true
				if okE && (c.exp != 0 && c.exp == exp || c.exp == 0 && c.lo <= exp && exp <= c.hi) {
					match = true
				}
			}
		}
		cs := func() []*vwrite { cs, _ := k.cands(s, r, nil); return cs } // for a violation's details
		switch {
		case !present && unsub:
			st.violation(ruleUnsub, req, body, r, func() string { return fmt.Sprintf("entry %d: %q not listed: %s", i, uid, describeSubs(cs(), v)) })
		case !present:
			st.violation(rulePages, req, body, r, func() string { return fmt.Sprintf("entry %d: %q not listed: never subscribed", i, uid) })
		case okE && !match && exp < nowS-v.skew:
			st.violation(ruleSubExpiry, req, body, r, func() string {
				return fmt.Sprintf("entry %d: %q: absolute expiry %s, got %d (before now, %d)", i, uid, describeSubs(cs(), v), exp, nowS)
			})
		case !match:
			st.violation(ruleListed, req, body, r, func() string { return fmt.Sprintf("entry %d: %q: expiry %s", i, uid, describeSubs(cs(), v)) })
		case exp <= nowS-v.skew && exp <= v.w.Limits.ExpiryMax:
			st.violation(ruleSubExpiry, req, body, r, func() string {
				return fmt.Sprintf("entry %d: %q: absolute expiry (unix seconds), got %d: a duration, as the subscribe answer gave it", i, uid, exp)
			})
		case exp <= nowS-v.skew:
			st.violation(ruleExpires, req, body, r, func() string { return fmt.Sprintf("entry %d: %q expired at %d, now %d: not listed", i, uid, exp, nowS) })
		}
	}

	// totalnum against the model; a page holding the whole list against
	// every subscription certainly held.
	whole := req.Page == 1 && int64(len(list)) == total && total <= int64(req.Size)
	lo, hi := st.certain(vu, s, r, relaxed, whole, req, body)
	if total < lo || total > hi {
		st.violation(ruleTotal, req, body, r, func() string {
			return fmt.Sprintf("totalnum between %d (subscriptions certainly held) and %d (possibly held)", lo, hi)
		})
	}

	if !inWalk {
		return false
	}
	w.next++
	if int64(req.Page)*int64(req.Size) < total && len(list) > 0 && req.Page < maxWalkPages {
		st.nextPage(req, w.next)
		return true
	}
	if req.Page > 1 && !relaxed && vu.subOpen == 0 && vu.subLastAck < w.s1-v.staleness {
		st.quietWalk(vu, req, body, r)
	}
	return false
}

// certain returns how many subscriptions vu certainly and possibly holds
// for a read sent at s (staleness applied) and answered at r; with check
// it reports each one certainly held that the page (st.listed) lacks.
func (st *vstate) certain(vu *vuser, s, r int64, relaxed, check bool, req *request, body []byte) (lo, hi int64) {
	v := st.v
	endS := v.wallSec(r) + v.skew
	for i := range vu.subs {
		t, k := vu.subs[i].t, &vu.subs[i].k
		if k.settledAt(s) != nil { // the common case, from the key alone
			if !k.present {
				continue
			}
			hi++
			if k.until() > endS && !relaxed {
				lo++
				if check && !st.listed.has(i) {
					st.violation(ruleListed, req, body, r, func() string {
						cs, _ := k.cands(s, r, nil)
						return fmt.Sprintf("%s listed: %s", v.userName(t), describeSubs(cs, v))
					})
				}
			}
			continue
		}
		cs, initial := k.cands(s, r, st.cbuf)
		st.cbuf = cs
		some, all := false, !initial && len(cs) > 0
		for _, c := range cs {
			if !c.present {
				all = false
				continue
			}
			some = true
			if c.exp != 0 && c.exp <= endS || c.exp == 0 && c.lo <= endS {
				all = false // may expire while the read runs
			}
		}
		if some {
			hi++
		}
		if all && !relaxed {
			lo++
			if check && !st.listed.has(i) {
				st.violation(ruleListed, req, body, r, func() string { return fmt.Sprintf("%s listed: %s", v.userName(t), describeSubs(cs, v)) })
			}
		}
	}
	return lo, hi
}

// quietWalk checks a walk of several pages during which the subscriber's
// set did not change: disjoint pages, one totalnum, every subscription.
func (st *vstate) quietWalk(vu *vuser, req *request, body []byte, r int64) {
	v := st.v
	w := &st.walk
	if w.overlap >= 0 {
		st.violation(rulePages, req, body, r, func() string {
			return fmt.Sprintf("walk of %d pages of %d: %s on one page only (the set did not change during the walk)", req.Page, w.size, v.userName(w.overlap))
		})
	}
	if w.totalChanged {
		st.violation(ruleTotal, req, body, r, func() string { return "one totalnum on every page of a walk during which the set did not change" })
	}
	s := w.s1 - v.staleness
	endS := v.wallSec(r) + v.skew
	for i := range vu.subs {
		t, k := vu.subs[i].t, &vu.subs[i].k
		if k.settledAt(s) != nil && (!k.present || k.until() <= endS || w.seen.has(i)) {
			continue // the common case, from the key alone
		}
		cs, initial := k.cands(s, r, st.cbuf)
		st.cbuf = cs
		all := !initial && len(cs) > 0
		for _, c := range cs {
			if !c.present || c.exp != 0 && c.exp <= endS || c.exp == 0 && c.lo <= endS {
				all = false
			}
		}
		if all && !w.seen.has(i) {
			st.violation(ruleListed, req, body, r, func() string {
				return fmt.Sprintf("walk of %d pages of %d lists %s: %s", req.Page, w.size, v.userName(t), describeSubs(cs, v))
			})
		}
	}
}

// nextPage prepares page n of the walk req belongs to in st.page.
func (st *vstate) nextPage(req *request, n int) {
	i := bytes.Index(req.URI, []byte("pageNum="))
	if i < 0 {
		return
	}
	u := append(st.uri[:0], req.URI[:i+len("pageNum=")]...)
	u = strconv.AppendInt(u, int64(n), 10)
	u = append(u, "&pageSize="...)
	u = strconv.AppendInt(u, int64(req.Size), 10)
	p := &st.page
	st.uri = p.URI
	p.URI = u
	p.Op, p.Seq, p.Method, p.JSON, p.Body = OpSublist, req.Seq, req.Method, req.JSON, nil
	p.Actor, p.Page, p.Size, p.Walk = req.Actor, n, req.Size, false
}

// describeSubs words the subscription states the model allows.
func describeSubs(cs []*vwrite, v *verifier) string {
	var b bytes.Buffer
	b.WriteString("one of [")
	for i, c := range cs {
		if i > 0 {
			b.WriteString(", ")
		}
		switch {
		case !c.present:
			b.WriteString("unsubscribed")
		case c.exp != 0:
			fmt.Fprintf(&b, "subscribed, expiry %d", c.exp)
		default:
			fmt.Fprintf(&b, "subscribed, expiry in [%d, %d]", c.lo, c.hi)
		}
		if c.ack == open {
			fmt.Fprintf(&b, " (sent at %s, in flight)", v.clock(c.send))
		} else {
			fmt.Fprintf(&b, " (sent at %s, acknowledged at %s)", v.clock(c.send), v.clock(c.ack))
		}
	}
	b.WriteString("]")
	return b.String()
}
