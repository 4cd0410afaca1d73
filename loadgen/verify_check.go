package loadgen

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/valyala/fastjson"
)

// vstate is one worker's side of the verifier: the request in progress,
// a reusable JSON parser and the walk it is on.
type vstate struct {
	v    *verifier
	rng  *rand.Rand // draws the sampled answers
	slot *atomic.Int64
	id   uint64 // of the current request; unique across workers
	s    int64  // the current request's send instant
	hz   int64  // the pruning horizon for the current request, 0 unknown
	p    fastjson.Parser
	cbuf []*vwrite
	exps []int64
	walk walkState
	// checked counts the answers checked, per operation; read by
	// verifier.result after the run.
	checked [NumOps]uint64
	page    request // the next page of a walk
	uri     []byte  // the spare URI buffer of page
	listed  []int32
}

// walkState is a walk over every page of one subscriber's list.
type walkState struct {
	active       bool
	actor        int32
	s1           int64 // the first page's send instant
	size, next   int
	total        int64
	totalChanged bool
	seen         map[int32]bool
	overlap      int32 // a uid listed twice, -1 none
}

func (v *verifier) newState() *vstate {
	i := v.nextSlot.Add(1) - 1
	if int(i) >= len(v.slots) {
		panic("loadgen: more verifying workers than slots") // a programming error
	}
	st := &vstate{v: v, slot: &v.slots[i], id: uint64(i) << 40, walk: walkState{seen: map[int32]bool{}},
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
	st.hz = 0
	st.id++
	vu := v.user(req.Actor)
	if vu == nil {
		return
	}
	switch req.Op {
	case OpSet:
		vu.mu.Lock()
		st.add(&vu.status[req.Res], vwrite{val: req.Status, present: true})
		st.add(&vu.ext, vwrite{val: string(req.Ext), present: true})
		vu.mu.Unlock()
	case OpSub, OpUnsub:
		sub := req.Op == OpSub
		lo := v.wallSec(st.s) + req.Expiry - v.skew
		vu.mu.Lock()
		if vu.subs == nil {
			vu.subs = map[int32]*vkey{}
		}
		for _, t := range req.Targets {
			k := vu.subs[t]
			if k == nil {
				k = &vkey{}
				vu.subs[t] = k
				if sub {
					vu.everSubs++
				}
			}
			st.add(k, vwrite{present: sub, lo: lo, hi: open})
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
// request); the user's lock is held.
func (st *vstate) add(k *vkey, w vwrite) {
	w.id, w.send, w.ack = st.id, st.s, open
	if len(k.ws) > 1 {
		if st.hz == 0 {
			st.hz = st.v.horizon()
		}
		k.prune(st.hz)
	}
	k.ws = append(k.ws, w)
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
					if w := k.find(st.id); w != nil {
						w.ack = r
					}
				} else {
					k.drop(st.id)
				}
			}
			vu.mu.Unlock()
		}
	case OpUnsub:
		st.settleSubs(req, r, ok, refused, nil)
	case OpSub:
		var root *fastjson.Value
		if ok && st.sampled() {
			root = st.parse(req, body, r)
		}
		st.exps = st.exps[:0]
		if root != nil {
			st.checkEntries(req, root, body, r)
		}
		st.settleSubs(req, r, ok, refused, st.exps)
	case OpGet:
		if ok && st.sampled() {
			if root := st.parse(req, body, r); root != nil {
				st.checkEntries(req, root, body, r)
			}
		}
	case OpSublist:
		if ok && (st.walk.active || st.sampled()) { // a walk, once begun, is read to its end
			if root := st.parse(req, body, r); root != nil {
				more = st.checkPage(req, root, body, r)
			}
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

// parse decodes a 2xx answer; an answer that is not the documented JSON
// is a violation of the response schema.
func (st *vstate) parse(req *request, body []byte, r int64) *fastjson.Value {
	st.checked[req.Op]++
	root, err := st.p.ParseBytes(body)
	if err != nil {
		st.violation(ruleSchema, req, body, r, func() string { return "a JSON answer: " + err.Error() })
		return nil
	}
	return root
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
		k := vu.subs[t]
		if k == nil {
			continue
		}
		if refused {
			k.drop(st.id)
			continue
		}
		if w := k.find(st.id); w != nil {
			w.ack, w.hi = r, hi
			if i < len(exps) {
				w.exp = exps[i]
			}
		}
	}
	vu.subOpen--
	vu.subLastAck = max(vu.subLastAck, r)
	vu.mu.Unlock()
}

// checkEntries checks a batch get's or a subscribe's result: one entry
// per requested user in order, each one's status and ext against the
// model, and a subscribe's absolute expiries (kept in st.exps for the
// model).
func (st *vstate) checkEntries(req *request, root *fastjson.Value, body []byte, r int64) {
	v := st.v
	orderRule := ruleGetEntry
	if req.Op == OpSub {
		orderRule = ruleSubEntry
	}
	entries := root.GetArray("result")
	if len(entries) != len(req.Targets) {
		st.violation(orderRule, req, body, r, func() string { return fmt.Sprintf("%d entries, one per requested user", len(req.Targets)) })
	}
	lo, hi := v.wallSec(st.s)+req.Expiry-v.skew, v.wallSec(r)+req.Expiry+v.skew
	for i, e := range entries {
		if i >= len(req.Targets) {
			break
		}
		t := req.Targets[i]
		if uid := e.GetStringBytes("uid"); v.userIndex(uid) != t {
			st.violation(orderRule, req, body, r, func() string {
				return fmt.Sprintf("entry %d for %s (request order), got uid %q", i, v.userName(t), uid)
			})
			st.exps = st.exps[:0]
			return
		}
		if req.Op == OpSub {
			exp, ok := number(e.Get("expiry"))
			if !ok || exp < lo || exp > hi {
				st.violation(ruleSubExpiry, req, body, r, func() string {
					return fmt.Sprintf("entry %d: expiry absolute unix seconds in [%d, %d] (now + %d s, ±%d s)", i, lo, hi, req.Expiry, v.skew)
				})
			}
			if ok {
				st.exps = append(st.exps, exp)
			} else {
				st.exps = append(st.exps, 0)
			}
		}
		st.checkPresence(req, e, t, body, r)
	}
}

// checkPresence checks one entry's status map and ext against the model
// of user t (skipped when another shard owns t).
func (st *vstate) checkPresence(req *request, e *fastjson.Value, t int32, body []byte, r int64) {
	v := st.v
	vu := v.user(t)
	if vu == nil {
		return
	}
	s := st.s - v.staleness
	var seen uint16
	obj := e.GetObject("status")
	vu.mu.RLock()
	defer vu.mu.RUnlock()
	if obj != nil {
		obj.Visit(func(key []byte, val *fastjson.Value) {
			idx := resIndex(key)
			if idx < 0 {
				st.violation(ruleStatus, req, body, r, func() string { return fmt.Sprintf("%s: no resource %q (never set)", v.userName(t), key) })
				return
			}
			seen |= 1 << idx
			got := val.GetStringBytes()
			cs, _ := vu.status[idx].cands(s, r, st.cbuf)
			st.cbuf = cs
			for _, c := range cs {
				if c.val == string(got) {
					return
				}
			}
			st.violation(ruleStatus, req, body, r, func() string {
				return fmt.Sprintf("%s %s: status %s", v.userName(t), resources[idx], describe(cs, false, v))
			})
		})
	}
	for idx := range vu.status {
		if seen&(1<<idx) != 0 || len(vu.status[idx].ws) == 0 {
			continue
		}
		cs, initial := vu.status[idx].cands(s, r, st.cbuf)
		st.cbuf = cs
		if !initial {
			st.violation(ruleStatus, req, body, r, func() string {
				return fmt.Sprintf("%s %s: status %s, not missing", v.userName(t), resources[idx], describe(cs, false, v))
			})
		}
	}
	got := e.GetStringBytes("ext")
	cs, initial := vu.ext.cands(s, r, st.cbuf)
	st.cbuf = cs
	if initial && len(got) == 0 {
		return
	}
	for _, c := range cs {
		if c.val == string(got) {
			return
		}
	}
	st.violation(ruleExt, req, body, r, func() string { return fmt.Sprintf("%s: ext %s", v.userName(t), describe(cs, initial, v)) })
}

// resIndex finds a resource name in resources.
func resIndex(name []byte) int {
	for i := range resources {
		if resources[i] == string(name) {
			return i
		}
	}
	return -1
}

// number reads a JSON integer sent as a number or a decimal string
// (docs/contract.md#d5).
func number(val *fastjson.Value) (int64, bool) {
	if val == nil {
		return 0, false
	}
	switch val.Type() {
	case fastjson.TypeNumber:
		n, err := val.Int64()
		return n, err == nil
	case fastjson.TypeString:
		n, err := strconv.ParseInt(string(val.GetStringBytes()), 10, 64)
		return n, err == nil
	}
	return 0, false
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
