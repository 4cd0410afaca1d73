package loadgen

import (
	"hash/maphash"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/presencekit/presencekit/spec"
)

// Verification under load (--verify): a model of what every user this
// generator owns was told and acknowledged, against which every answer is
// checked. Shards own disjoint users (Shard.User) and a request only writes
// for its actor, so the model is exact across --shard i/n; a read about a
// user another shard owns is not checked.
//
// Concurrency. Each key of the model (a user's status for one resource,
// its ext, one subscription) keeps the writes it was sent: the value, the
// instant before the send and the instant after the answer (the ack). A
// read sent at s and answered at r may show the value of write W unless W
// began after r, or W is definitely overwritten before s − staleness: some
// W' began after W's ack and was acknowledged before s − staleness (a
// linearizable server applied W' after W, and both before the read). The
// initial state ("never set") may be shown until the first ack before
// s − staleness. A write that failed in transport (or with 5xx) may still
// be applied at any time: it stays a candidate for good. A 4xx answer was
// not applied: its write is dropped.

// Defaults of the verifier's settings.
const (
	// DefaultVerifySkew is the tolerance between the target's clock and
	// ours when an absolute expiry is checked.
	DefaultVerifySkew = 2 * time.Second
	// verifyExamples is how many violations are kept with their details.
	verifyExamples = 20
	// maxWalkPages bounds one sublist walk.
	maxWalkPages = 400
)

// The catalogue rules the verifier reports (spec/rules.go).
const (
	ruleStatus    = string(spec.RuleSetStatusPerResource)
	ruleExt       = string(spec.RuleSetExtVisible)
	ruleGetEntry  = string(spec.RuleGetEntryPerUser)
	ruleSubEntry  = string(spec.RuleSubEntryPerUser)
	ruleSubExpiry = string(spec.RuleSubExpiryAbsolute)
	ruleListed    = string(spec.RuleSubListed)
	ruleExpires   = string(spec.RuleSubExpires)
	ruleCap       = string(spec.RuleSubCap)
	ruleUnsub     = string(spec.RuleUnsubRemoves)
	ruleTotal     = string(spec.RuleSublistTotalnum)
	rulePages     = string(spec.RuleSublistPages)
	ruleSchema    = string(spec.RuleSchemaResponse)
)

// verifyRules lists them; counters are indexed by position.
var verifyRules = [...]string{ruleStatus, ruleExt, ruleGetEntry, ruleSubEntry, ruleSubExpiry, ruleListed,
	ruleExpires, ruleCap, ruleUnsub, ruleTotal, rulePages, ruleSchema}

func ruleIndex(rule string) int {
	for i, r := range verifyRules {
		if r == rule {
			return i
		}
	}
	panic("loadgen: verifier rule " + rule + " is not in verifyRules") // a programming error
}

// open is the ack time of a write not (or never) acknowledged.
const open = math.MaxInt64

// vwrite is one write sent to a key.
type vwrite struct {
	id        uint64
	send, ack int64  // nanoseconds since the verifier's start
	val       string // status or ext
	present   bool   // subscriptions: subscribe (true) or unsubscribe
	exp       int64  // subscriptions: the answered absolute expiry, 0 unknown
	lo, hi    int64  // subscriptions: bounds of the expiry the server may set
}

// vkey is one key's writes still able to show, and what they settle to.
type vkey struct {
	ws []vwrite
	// settled says every write in ws is acknowledged, last is the latest
	// ack and ws[solo] the one write a read sent after last may show (the
	// write whose ack is at or after every send): the common case, a
	// key quiet since before the read, is then one comparison. refresh
	// keeps them true after each change to ws.
	settled bool
	solo    int32
	last    int64
	val     string // ws[solo].val when settled
	// Subscriptions, when settled: ws[solo]'s present, exp, lo and hi,
	// so that a sublist check reads the key alone.
	present     bool
	exp, lo, hi int64
}

// until is when a settled subscription certainly holds to: its answered
// expiry, else the earliest the server may have set.
func (k *vkey) until() int64 {
	if k.exp != 0 {
		return k.exp
	}
	return k.lo
}

// refresh recomputes settled, solo and last from ws.
func (k *vkey) refresh() {
	k.settled = false
	if len(k.ws) == 0 {
		return
	}
	last, m := int64(math.MinInt64), int64(math.MinInt64)
	for i := range k.ws {
		last, m = max(last, k.ws[i].ack), max(m, k.ws[i].send)
	}
	if last == open {
		return
	}
	solo := -1
	for i := range k.ws {
		if k.ws[i].ack >= m {
			if solo >= 0 {
				return // concurrent writes: either may show
			}
			solo = i
		}
	}
	w := &k.ws[solo]
	k.settled, k.solo, k.last, k.val = true, int32(solo), last, w.val
	k.present, k.exp, k.lo, k.hi = w.present, w.exp, w.lo, w.hi
}

// settledAt returns the only write a read sent at s (staleness applied)
// may show when the key settled before s; nil means ask cands.
func (k *vkey) settledAt(s int64) *vwrite {
	if k.settled && k.last < s {
		return &k.ws[k.solo]
	}
	return nil
}

// cands appends to buf the writes a read sent at s and answered at r may
// show (s already lowered by the staleness bound); initial says the
// never-written state may show too.
//
// A write W is overwritten before s when some W' began after W's ack and
// was acknowledged before s; with M the latest send of the writes
// acknowledged before s, that is exactly W.ack < M, so one pass finds M
// and a second picks the candidates: O(n), not O(n²).
func (k *vkey) cands(s, r int64, buf []*vwrite) (out []*vwrite, initial bool) {
	out = buf[:0]
	if w := k.settledAt(s); w != nil { // every write acknowledged before s
		return append(out, w), false
	}
	if len(k.ws) == 1 { // the steady state once pruned
		w := &k.ws[0]
		if w.send < r {
			out = append(out, w)
		}
		return out, w.ack >= s
	}
	m := supersededBefore(k.ws, s)
	initial = m == math.MinInt64
	for i := range k.ws {
		if w := &k.ws[i]; w.send < r && w.ack >= m {
			out = append(out, w)
		}
	}
	return out, initial
}

// supersededBefore returns the latest send of the writes acknowledged
// before t (math.MinInt64 if none): a write acknowledged before that send
// is overwritten before t.
func supersededBefore(ws []vwrite, t int64) int64 {
	m := int64(math.MinInt64)
	for i := range ws {
		if ws[i].ack < t && ws[i].send > m {
			m = ws[i].send
		}
	}
	return m
}

// prune drops the writes no read still to be checked can show: those
// overwritten before horizon (the earliest send of a read in progress,
// minus the staleness bound).
func (k *vkey) prune(horizon int64) {
	m := supersededBefore(k.ws, horizon)
	keep := k.ws[:0]
	for _, w := range k.ws {
		if w.ack >= m {
			keep = append(keep, w)
		}
	}
	clear(k.ws[len(keep):])
	k.ws = keep
	k.refresh()
}

// ack records the answer to the write with id: acknowledged at r, with
// the subscription's expiry bounds (hi; exp when the answer gave it, 0
// unknown) for subscription keys.
func (k *vkey) ack(id uint64, r, hi, exp int64) {
	for i := range k.ws {
		if w := &k.ws[i]; w.id == id {
			w.ack, w.hi = r, hi
			if exp != 0 {
				w.exp = exp
			}
			k.refresh()
			return
		}
	}
}

// drop removes the write with id (its request was refused: not applied).
func (k *vkey) drop(id uint64) {
	for i := range k.ws {
		if k.ws[i].id == id {
			k.ws = append(k.ws[:i], k.ws[i+1:]...)
			k.refresh()
			return
		}
	}
}

// vuser is the model of one owned user. Its head (vhead, one 64-byte
// line) answers the read of a quiet user; vuser's size is a multiple of 64 so
// that in verifier.users, a large and so page-aligned array, each head
// is one cache line.
type vuser struct {
	vhead
	vbody
	_ [(64 - (unsafe.Sizeof(vhead{})+unsafe.Sizeof(vbody{}))%64) % 64]byte
}

// vhead is what a read of a quiet user needs: the snap and its seqlock,
// alone on their cache line, so that locking the user to change anything
// else (vbody.mu) leaves the line quiet readers share untouched.
type vhead struct {
	// seq is the snap's seqlock: the snap is read without the user's
	// lock (vstate.quiet), and a writer holding the lock makes seq odd
	// while it changes more than one of snapCodes, snapAt and snapExt, so
	// a reader that sees the same even seq before and after read one
	// consistent snap, and a quiet read of a busy user writes no shared
	// memory.
	seq atomic.Uint64
	// The snap is every resource's status, and ext, as a read sent after
	// snapAt sees them, when snapCodes has snapOK (each status key and the
	// ext key settled or never written): resource i's status as a code in
	// bits 4i..4i+3, 0 never set, else verifier.codes index + 1, and bit
	// snapSetBit+i set when it is not 0; the ext as a 64-bit hash of its
	// bytes (snapExt, of "" when never set), so that the check reads no
	// string elsewhere in memory: an answer whose ext hashes the same is
	// taken to match (a stale ext slips through with odds of 2⁻⁶⁴), any
	// other goes to the exact check.
	snapCodes atomic.Uint64
	snapAt    atomic.Int64
	snapExt   atomic.Uint64
	_         [64 - 4*8]byte // the rest of the line: vbody starts on the next
}

// Bits of vhead.snapCodes besides the codes.
const (
	snapSetBit = 4 * len(resources) // first of the "status set" bits
	snapOK     = uint64(1) << 63
	maxCode    = 15 // a code is 4 bits
)

// snapCode is resource idx's status code in a snapCodes word.
func snapCode(w uint64, idx int) int { return int(w>>(4*idx)) & maxCode }

// vbody is the rest of the user's model.
type vbody struct {
	// mu guards the user's model; checks only read, so they share it.
	mu     sync.RWMutex
	status [len(resources)]vkey
	ext    vkey
	// subs are the subscriber's subscriptions, one key per target ever
	// named, contiguous so a sublist check walks them in order; subIdx
	// finds a target's.
	subs   []vsub
	subIdx subTable
	// subOpen counts subscribe/unsubscribe requests of this subscriber
	// not answered (failed ones stay counted: they may still apply);
	// subLastAck is the latest answer to one. A walk is quiet — the set
	// did not change while it ran — when none was open and none answered
	// after it began.
	subOpen    int
	subLastAck int64
	// everSubs counts the distinct targets ever subscribed; above the cap
	// evictions make presence unknowable and completeness is not checked.
	everSubs int
}

// resnap recomputes the user's snap after a change to a status or the
// ext key; the user's lock is held.
func (vu *vuser) resnap(codes []string, seed maphash.Seed) {
	at := int64(math.MinInt64)
	var ext uint64
	if x := &vu.ext; len(x.ws) > 0 {
		if !x.settled {
			vu.snapCodes.Store(0)
			return
		}
		ext, at = maphash.String(seed, x.val), x.last
	} else {
		ext = maphash.String(seed, "")
	}
	w := snapOK
	for i := range vu.status {
		k := &vu.status[i]
		if len(k.ws) == 0 {
			continue
		}
		c := slices.Index(codes, k.val) + 1
		if !k.settled || c == 0 || c > maxCode {
			vu.snapCodes.Store(0)
			return
		}
		w |= uint64(c)<<(4*i) | 1<<(snapSetBit+i)
		at = max(at, k.last)
	}
	vu.seq.Add(1)
	vu.snapCodes.Store(w)
	vu.snapAt.Store(at)
	vu.snapExt.Store(ext)
	vu.seq.Add(1)
}

// statusCodes lists the status values the workload sets (status), the
// codes of vuser.snap.
func statusCodes() []string {
	var codes []string
	for p := range 100 {
		if v := status(p); !slices.Contains(codes, v) {
			codes = append(codes, v)
		}
	}
	return codes
}

// verifier is the model and the tallies of one run.
type verifier struct {
	w         *Workload
	shard     Shard
	base      time.Time
	baseWall  int64 // unix ns at base
	staleness int64
	sample    float64 // share of read answers checked
	skew      int64   // seconds
	cap       int
	users     []vuser // by shard-local index
	codes     []string
	seed      maphash.Seed // of vhead.snapExt
	slots     []atomic.Int64
	nextSlot  atomic.Int32

	total  atomic.Uint64
	counts [len(verifyRules)][NumOps]atomic.Uint64
	// states are the workers' sides, whose checked counts result sums
	// once the workers are done.
	stMu   sync.Mutex
	states []*vstate

	exMu     sync.Mutex
	examples []VerifyExample
}

func newVerifier(cfg *Config, workers int) *verifier {
	now := time.Now()
	s := cfg.Workload.Shard.norm()
	v := &verifier{w: &cfg.Workload, shard: s, base: now, baseWall: now.UnixNano(),
		staleness: int64(cfg.VerifyStaleness), skew: int64(max(cfg.VerifySkew, 0) / time.Second),
		cap: cfg.VerifyCap, sample: cfg.VerifySample, codes: statusCodes(), seed: maphash.MakeSeed(), users: make([]vuser, s.Size(cfg.Workload.Users)), slots: make([]atomic.Int64, workers)}
	if v.sample <= 0 {
		v.sample = 1
	}
	// A user never written has a snap from the start: no status, ext "",
	// as a read sent at any time sees it, so that reads of users a run
	// has not yet set are quiet too.
	never := maphash.String(v.seed, "")
	for i := range v.users {
		vu := &v.users[i]
		vu.snapCodes.Store(snapOK)
		vu.snapAt.Store(math.MinInt64)
		vu.snapExt.Store(never)
	}
	if v.cap <= 0 {
		v.cap = math.MaxInt // no cap known: SUB-CAP is not checked
	}
	return v
}

// now is nanoseconds since the verifier's start, on the monotonic clock.
func (v *verifier) now() int64 { return int64(time.Since(v.base)) }

// wallSec is the unix second of a verifier instant.
func (v *verifier) wallSec(t int64) int64 { return (v.baseWall + t) / int64(time.Second) }

// user returns the model of population index u, nil if another shard
// owns it.
func (v *verifier) user(u int32) *vuser {
	if u < 0 || int(u)%v.shard.Count != v.shard.Index {
		return nil
	}
	k := int(u) / v.shard.Count
	if k >= len(v.users) {
		return nil
	}
	return &v.users[k]
}

// horizon is the earliest instant a read still to be checked was sent at,
// lowered by the staleness bound. Each worker publishes its slot before it
// takes the read's send time, and the horizon reads the clock before the
// slots, so a read it misses was sent after the horizon.
func (v *verifier) horizon() int64 {
	h := v.now()
	for i := range v.slots {
		if t := v.slots[i].Load(); t != 0 && t-1 < h {
			h = t - 1
		}
	}
	return h - v.staleness
}

// violation counts one violation of rule by op and keeps its details
// while fewer than verifyExamples are kept.
func (v *verifier) violation(rule string, op Op, detail func() VerifyExample) {
	v.counts[ruleIndex(rule)][op].Add(1)
	n := v.total.Add(1)
	if n > verifyExamples {
		return
	}
	ex := detail()
	ex.Rule, ex.Op = rule, op.ID()
	v.exMu.Lock()
	if len(v.examples) < verifyExamples {
		v.examples = append(v.examples, ex)
	}
	v.exMu.Unlock()
}

// result is the run's Verification.
func (v *verifier) result() *Verification {
	out := &Verification{Checked: map[string]uint64{}, Violations: map[string]map[string]uint64{}}
	for o := Op(0); o < NumOps; o++ {
		var n uint64
		v.stMu.Lock()
		for _, st := range v.states {
			n += st.checked[o]
		}
		v.stMu.Unlock()
		if n > 0 {
			out.Checked[o.ID()] = n
		}
	}
	for i, rule := range verifyRules {
		for o := Op(0); o < NumOps; o++ {
			if n := v.counts[i][o].Load(); n > 0 {
				if out.Violations[rule] == nil {
					out.Violations[rule] = map[string]uint64{}
				}
				out.Violations[rule][o.ID()] = n
			}
		}
	}
	v.exMu.Lock()
	out.Examples = append([]VerifyExample(nil), v.examples...)
	v.exMu.Unlock()
	return out
}

// userName renders population index u as the target knows it.
func (v *verifier) userName(u int32) string { return v.w.UserPrefix + strconv.Itoa(int(u)) }

// userIndex parses a user name of this run's population; -1 if it is not.
func (v *verifier) userIndex(name []byte) int32 {
	p := v.w.UserPrefix
	if len(name) <= len(p) || string(name[:len(p)]) != p {
		return -1
	}
	digits := name[len(p):]
	if len(digits) > 9 || len(digits) > 1 && digits[0] == '0' {
		return -1
	}
	n := 0
	for _, c := range digits {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	if n >= v.w.Users {
		return -1
	}
	return int32(n)
}
