package loadgen

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/presencekit/presencekit/spec"
)

// vstate is one worker's side of the verifier: the request in progress,
// the reusable decoder of answers and the walk it is on.
type vstate struct {
	v    *verifier
	rng  *rand.Rand // draws the sampled answers
	slot *atomic.Int64
	id   uint64 // of the current request; unique across workers
	s    int64  // the current request's send instant
	// hz is a pruning horizon read at hzAt. A horizon once read stays a
	// bound for good (every read it did not see was sent after it was
	// read), so an old one is safe and merely prunes less; it is read
	// again once hzEvery old, as reading the workers' slots costs cache
	// misses.
	hz, hzAt int64
	rd       spec.JSONReader
	ans      vanswer
	cbuf     []*vwrite
	slab     []vwrite // see add
	exps     []int64
	walk     walkState
	// checked counts the answers checked, per operation; read by
	// verifier.result after the run.
	checked [NumOps]uint64
	page    request // the next page of a walk
	uri     []byte  // the spare URI buffer of page
	// listed marks the subscriptions a sublist page lists (positions in
	// the subscriber's subs).
	listed bitset
	// tidx are the current subscribe's or unsubscribe's targets'
	// positions in the actor's subs, so its answer finds the keys again
	// without the map.
	tidx []int32
	// sink keeps touch's loads from being optimised away.
	sink uint64
}

// slabKeys is how many keys' first writes one slab allocation holds.
const slabKeys = 128

// hzEvery is how old a worker's pruning horizon may grow.
const hzEvery = int64(time.Millisecond)

// walkState is a walk over every page of one subscriber's list.
type walkState struct {
	active       bool
	actor        int32
	s1           int64 // the first page's send instant
	size, next   int
	total        int64
	totalChanged bool
	seen         bitset // the subscriptions listed so far
	overlap      int32  // a uid listed twice, -1 none
}

func (v *verifier) newState() *vstate {
	i := v.nextSlot.Add(1) - 1
	if int(i) >= len(v.slots) {
		panic("loadgen: more verifying workers than slots") // a programming error
	}
	st := &vstate{v: v, slot: &v.slots[i], id: uint64(i) << 40,
		rng: rand.New(rand.NewPCG(v.w.Seed, uint64(i)))}
	v.stMu.Lock()
	v.states = append(v.states, st)
	v.stMu.Unlock()
	return st
}

// begin is called just before req is sent: it publishes the send instant
// and registers req's writes as in flight.
func (st *vstate) begin(req *request) {
	v := st.v
	if !st.walk.active {
		st.slot.Store(v.now() + 1)
	}
	st.s = v.now()
	st.id++
	vu := v.user(req.Actor)
	if vu == nil {
		return
	}
	switch req.Op {
	case OpSet:
		vu.mu.Lock()
		vu.snapCodes.Store(0) // the key is in flight: no snap (one store, no seqlock needed)
		st.add(&vu.status[req.Res], vwrite{val: req.Status, present: true})
		st.add(&vu.ext, vwrite{val: string(req.Ext), present: true})
		vu.mu.Unlock()
	case OpSub, OpUnsub:
		sub := req.Op == OpSub
		lo := v.wallSec(st.s) + req.Expiry - v.skew
		st.tidx = st.tidx[:0]
		vu.mu.Lock()
		for _, t := range req.Targets {
			i := vu.subOf(t, sub)
			st.tidx = append(st.tidx, i)
			st.add(&vu.subs[i].k, vwrite{present: sub, lo: lo, hi: open})
		}
		vu.subOpen++
		vu.mu.Unlock()
	}
}

// sampled says whether to check this answer (Config.VerifySample).
func (st *vstate) sampled() bool {
	return st.v.sample >= 1 || st.rng.Float64() < st.v.sample
}

// add registers w on k, pruning k first (the horizon is read once per
// request); the user's lock is held. A key's first writes go in a slice
// of the worker's slab: one allocation per slabKeys new keys, not one
// each.
func (st *vstate) add(k *vkey, w vwrite) {
	w.id, w.send, w.ack = st.id, st.s, open
	if k.ws == nil {
		if len(st.slab) < 2 {
			st.slab = make([]vwrite, 2*slabKeys)
		}
		k.ws, st.slab = st.slab[:0:2], st.slab[2:]
	}
	if len(k.ws) > 1 {
		if st.hzAt == 0 || st.s-st.hzAt > hzEvery {
			st.hz, st.hzAt = st.v.horizon(), st.s
		}
		k.prune(st.hz)
	}
	k.ws = append(k.ws, w)
	k.refresh()
}

// end is called when req's answer (or failure) is in: it acknowledges or
// drops req's writes and checks what the answer shows. It reports whether
// the worker should send st.page next (a walk goes on).
func (st *vstate) end(req *request, status int, body []byte, failed bool) bool {
	v := st.v
	r := v.now()
	ok := !failed && status >= 200 && status < 300
	refused := !failed && status >= 400 && status < 500
	more := false
	switch req.Op {
	case OpSet:
		if vu := v.user(req.Actor); vu != nil && (ok || refused) {
			vu.mu.Lock()
			for _, k := range [...]*vkey{&vu.status[req.Res], &vu.ext} {
				if ok {
					k.ack(st.id, r, 0, 0)
				} else {
					k.drop(st.id)
				}
			}
			vu.resnap(v.codes, v.seed)
			vu.mu.Unlock()
		}
	case OpUnsub:
		st.settleSubs(req, r, ok, refused, nil)
	case OpSub:
		st.exps = st.exps[:0]
		if ok && st.sampled() && st.touch(req.Targets) && st.decode(req, body, r) {
			st.checkEntries(req, body, r)
		}
		st.settleSubs(req, r, ok, refused, st.exps)
	case OpGet:
		if ok && st.sampled() && st.touch(req.Targets) && st.decode(req, body, r) {
			st.checkEntries(req, body, r)
		}
	case OpSublist:
		if ok && (st.walk.active || st.sampled()) && st.decode(req, body, r) { // a walk, once begun, is read to its end
			more = st.checkPage(req, body, r)
		}
		if !more {
			st.walk.active = false
		}
	}
	if !more {
		st.slot.Store(0)
	}
	return more
}

// touch reads the head (vhead) of each target's model before the answer
// is decoded: the targets are known, and their cache misses, issued one
// after another here, overlap each other and the decoding instead of
// stalling the checks one by one. It always reports true.
func (st *vstate) touch(ts []int32) bool {
	var x uint64
	for _, t := range ts {
		if vu := st.v.user(t); vu != nil {
			x += vu.seq.Load()
		}
	}
	st.sink += x
	return true
}

// decode decodes a 2xx answer into st.ans, once; an answer that is not
// JSON is a violation of the response schema.
func (st *vstate) decode(req *request, body []byte, r int64) bool {
	st.checked[req.Op]++
	var ok bool
	if req.Op == OpSublist {
		ok = st.ans.decodeSublist(&st.rd, body)
	} else {
		ok = st.ans.decodeEntries(&st.rd, body)
	}
	if !ok {
		at := st.rd.Offset()
		st.violation(ruleSchema, req, body, r, func() string { return "a JSON answer (not JSON from byte " + strconv.Itoa(at) + ")" })
	}
	return ok
}

// settleSubs acknowledges (with the answered expiries, when known) or
// drops a subscribe's or unsubscribe's writes.
func (st *vstate) settleSubs(req *request, r int64, ok, refused bool, exps []int64) {
	v := st.v
	vu := v.user(req.Actor)
	if vu == nil || !ok && !refused {
		return // failed: the writes may still apply; they stay open for good
	}
	hi := v.wallSec(r) + req.Expiry + v.skew
	vu.mu.Lock()
	for i, t := range req.Targets {
		var k *vkey
		if len(st.tidx) == len(req.Targets) { // as begin left it
			k = &vu.subs[st.tidx[i]].k
		} else if k = vu.sub(t); k == nil {
			continue
		}
		if refused {
			k.drop(st.id)
			continue
		}
		var exp int64
		if i < len(exps) {
			exp = exps[i]
		}
		k.ack(st.id, r, hi, exp)
	}
	vu.subOpen--
	vu.subLastAck = max(vu.subLastAck, r)
	vu.mu.Unlock()
}

// checkEntries checks a batch get's or a subscribe's result (st.ans):
// one entry per requested user in order, each one's status and ext
// against the model, and a subscribe's absolute expiries (kept in st.exps
// for the model).
func (st *vstate) checkEntries(req *request, body []byte, r int64) {
	v := st.v
	orderRule := ruleGetEntry
	if req.Op == OpSub {
		orderRule = ruleSubEntry
	}
	entries := st.ans.entries
	if len(entries) != len(req.Targets) {
		st.violation(orderRule, req, body, r, func() string { return fmt.Sprintf("%d entries, one per requested user", len(req.Targets)) })
	}
	lo, hi := v.wallSec(st.s)+req.Expiry-v.skew, v.wallSec(r)+req.Expiry+v.skew
	for i := range entries {
		if i >= len(req.Targets) {
			break
		}
		e := &entries[i]
		t := req.Targets[i]
		if v.userIndex(e.uid) != t {
			uid := string(e.uid)
			st.violation(orderRule, req, body, r, func() string {
				return fmt.Sprintf("entry %d for %s (request order), got uid %q", i, v.userName(t), uid)
			})
			st.exps = st.exps[:0]
			return
		}
		if req.Op == OpSub {
			if !e.expOK || e.exp < lo || e.exp > hi {
				st.violation(ruleSubExpiry, req, body, r, func() string {
					return fmt.Sprintf("entry %d: expiry absolute unix seconds in [%d, %d] (now + %d s, ±%d s)", i, lo, hi, req.Expiry, v.skew)
				})
			}
			if e.expOK {
				st.exps = append(st.exps, e.exp)
			} else {
				st.exps = append(st.exps, 0)
			}
		}
		st.checkPresence(req, e, t, body, r)
	}
}

// checkPresence checks one entry's status map and ext against the model
// of user t (skipped when another shard owns t).
func (st *vstate) checkPresence(req *request, e *ventry, t int32, body []byte, r int64) {
	v := st.v
	vu := v.user(t)
	if vu == nil {
		return
	}
	s := st.s - v.staleness
	if st.quiet(vu, e, s) {
		return
	}
	vu.mu.RLock()
	defer vu.mu.RUnlock()
	st.checkStatus(req, vu, e, t, s, body, r)
	if w := vu.ext.settledAt(s); w != nil && w.val == string(e.ext) {
		return
	}
	cs, initial := vu.ext.cands(s, r, st.cbuf)
	st.cbuf = cs
	if initial && len(e.ext) == 0 || hasVal(cs, e.ext) {
		return
	}
	st.violation(ruleExt, req, body, r, func() string { return fmt.Sprintf("%s: ext %s", v.userName(t), describe(cs, initial, v)) })
}

// quiet says whether entry e shows exactly the status of every resource
// and the ext of a user whose snap holds for reads sent at s: the common
// case, decided from one cache line, read without the lock (the snap's
// seqlock, vhead). False means check it in full, under the lock.
func (st *vstate) quiet(vu *vuser, e *ventry, s int64) bool {
	q := vu.seq.Load()
	if q&1 != 0 {
		return false // a writer is changing the snap
	}
	w := vu.snapCodes.Load()
	if w&snapOK == 0 || vu.snapAt.Load() >= s || vu.snapExt.Load() != maphash.Bytes(st.v.seed, e.ext) {
		return false
	}
	var seen uint64
	for _, p := range st.ans.pairs[e.p0:e.p1] {
		idx := resIndex(p.key)
		if idx < 0 {
			return false
		}
		c := snapCode(w, idx)
		if c == 0 || st.v.codes[c-1] != string(p.val) {
			return false
		}
		seen |= 1 << (snapSetBit + idx)
	}
	return seen == w&^snapOK&^(1<<snapSetBit-1) && vu.seq.Load() == q
}

// checkStatus checks entry e's status map against the model of user t,
// key by key; the user's lock is held.
func (st *vstate) checkStatus(req *request, vu *vuser, e *ventry, t int32, s int64, body []byte, r int64) {
	v := st.v
	var seen uint16
	for _, p := range st.ans.pairs[e.p0:e.p1] {
		idx := resIndex(p.key)
		if idx < 0 {
			key := string(p.key)
			st.violation(ruleStatus, req, body, r, func() string { return fmt.Sprintf("%s: no resource %q (never set)", v.userName(t), key) })
			continue
		}
		seen |= 1 << idx
		k := &vu.status[idx]
		if w := k.settledAt(s); w != nil && w.val == string(p.val) {
			continue
		}
		cs, _ := k.cands(s, r, st.cbuf)
		st.cbuf = cs
		if !hasVal(cs, p.val) {
			st.violation(ruleStatus, req, body, r, func() string {
				return fmt.Sprintf("%s %s: status %s", v.userName(t), resources[idx], describe(cs, false, v))
			})
		}
	}
	for idx := range vu.status {
		k := &vu.status[idx]
		if seen&(1<<idx) != 0 || len(k.ws) == 0 {
			continue
		}
		if k.settledAt(s) == nil {
			cs, initial := k.cands(s, r, st.cbuf)
			st.cbuf = cs
			if initial {
				continue
			}
		}
		st.violation(ruleStatus, req, body, r, func() string {
			cs, _ := k.cands(s, r, nil)
			return fmt.Sprintf("%s %s: status %s, not missing", v.userName(t), resources[idx], describe(cs, false, v))
		})
	}
}

// hasVal says whether a candidate write set val.
func hasVal(cs []*vwrite, val []byte) bool {
	for _, c := range cs {
		if c.val == string(val) {
			return true
		}
	}
	return false
}

// resIndex finds a resource name in resources: by its length and
// first byte, then one comparison with a constant, which the compiler
// makes a word or two compared in place.
func resIndex(name []byte) int {
	if len(name) < 4 {
		return -1
	}
	d := int(name[len(name)-1]) - '1'
	if d < 0 || d > 2 {
		return -1
	}
	var ok bool
	base := 0
	switch string(name[:len(name)-1]) {
	case "android_":
		ok = true
	case "ios_":
		ok, base = true, 3
	case "web_":
		ok, base = true, 6
	case "pc_":
		ok, base = true, 9
	}
	if !ok {
		return -1
	}
	return base + d
}

// describe words what the model allows, for a violation's "expected".
func describe(cs []*vwrite, initial bool, v *verifier) string {
	var b strings.Builder
	b.WriteString("one of [")
	for i, c := range cs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(c.val))
		if c.ack == open {
			fmt.Fprintf(&b, " (sent at %s, in flight)", v.clock(c.send))
		} else {
			fmt.Fprintf(&b, " (sent at %s, acknowledged at %s)", v.clock(c.send), v.clock(c.ack))
		}
	}
	if initial {
		if len(cs) > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`never set ("")`)
	}
	b.WriteString("]")
	return b.String()
}

// clock renders a verifier instant as the UTC time of day, as the
// examples' sent and answered times are given.
func (v *verifier) clock(t int64) string {
	return time.Unix(0, v.baseWall+t).UTC().Format("15:04:05.000000")
}

// violation records one violation with the request, the answer and what
// the model expected.
func (st *vstate) violation(rule string, req *request, body []byte, r int64, expected func() string) {
	s := st.s
	v := st.v
	v.violation(rule, req.Op, func() VerifyExample {
		return VerifyExample{
			Request:  req.Method + " " + string(req.URI) + " " + clip(req.Body),
			Answer:   clip(body),
			Expected: expected(),
			Sent:     time.Unix(0, v.baseWall+s).UTC(),
			Answered: time.Unix(0, v.baseWall+r).UTC(),
		}
	})
}

// clip shortens an answer for an example.
func clip(b []byte) string {
	const maxShown = 600
	if len(b) > maxShown {
		return string(b[:maxShown]) + "…"
	}
	return string(bytes.TrimSpace(b))
}

// abandon ends a walk cut short (the run was interrupted).
func (st *vstate) abandon() {
	st.walk.active = false
	st.slot.Store(0)
}
