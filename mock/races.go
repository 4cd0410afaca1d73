package mock

import (
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/presencekit/presencekit/spec"
)

// Concurrency break modes: faults that a single request at a time never
// shows, so the serial conformance suite (and its self-check) cannot see
// them; `presencekit load --verify` must. Each is off by default, named
// apart from the catalogue's rule IDs (RACE-…), and gated by one flag of
// breakSet, so the correct code paths stay untouched.

// raceWindow widens the window in which two requests race: long enough
// that overlapping requests hit it under load, short enough that a
// lone request is not slowed noticeably.
const raceWindow = 200 * time.Microsecond

// staleFor is how long a batch get keeps answering the status a user had
// before its last set (RACE-GET-STALE).
const staleFor = 50 * time.Millisecond

// raceDef binds a concurrency mode to the rule it makes a busy server
// break.
type raceDef struct {
	name, desc string
	rule       spec.RuleID
	flag       func(*breakSet) *bool
}

func raceDefs() []raceDef {
	return []raceDef{
		{name: "RACE-SUB-LOST-UPDATE", rule: spec.RuleSubListed, desc: "subscribe copies the subscriber's set, releases the lock, then writes the copy back: of two overlapping subscribe (or unsubscribe) calls for one subscriber, one is lost",
			flag: func(b *breakSet) *bool { return &b.raceSubLost }},
		{name: "RACE-GET-STALE", rule: spec.RuleSetStatusPerResource, desc: "batch get answers the status and ext a user had before its last set for 50 ms after that set (a stale read window)",
			flag: func(b *breakSet) *bool { return &b.raceGetStale }},
		{name: "RACE-SUBLIST-TOTALNUM", rule: spec.RuleSublistTotalnum, desc: "totalnum comes from a per-subscriber counter updated read-modify-write without a lock held across: overlapping subscribe/unsubscribe calls lose counts",
			flag: func(b *breakSet) *bool { return &b.raceTotalnum }},
	}
}

// RaceModes lists the concurrency break modes, sorted by name. They are
// not catalogue break modes (BreakModes): Mode is their --break name, Rule
// the catalogue rule `load --verify` reports when it catches them.
func RaceModes() []BreakMode {
	defs := raceDefs()
	out := make([]BreakMode, len(defs))
	for i, d := range defs {
		out[i] = BreakMode{Mode: d.name, Rule: d.rule, Description: d.desc}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Mode < out[j].Mode })
	return out
}

// races is the state the concurrency modes keep beside the store. It is
// allocated only when a mode is on.
type races struct {
	mu    sync.Mutex
	stale map[*user]staleSnap
	count map[*user]int64
}

// staleSnap is what a user looked like before its last set.
type staleSnap struct {
	until  time.Time
	ext    string
	status []resStatus
}

func newRaces() *races {
	return &races{stale: map[*user]staleSnap{}, count: map[*user]int64{}}
}

// noteSet keeps u's state before a set; the shard's write lock is held.
func (r *races) noteSet(u *user, now time.Time) {
	snap := staleSnap{until: now.Add(staleFor), ext: u.ext, status: append([]resStatus(nil), u.status...)}
	r.mu.Lock()
	if len(r.stale) > 1<<16 { // bounded: forget the lot rather than grow
		clear(r.stale)
	}
	r.stale[u] = snap
	r.mu.Unlock()
}

// staleOf returns u's state before its last set while that set is recent.
func (r *races) staleOf(u *user, now time.Time) (staleSnap, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	snap, ok := r.stale[u]
	if ok && !now.Before(snap.until) {
		delete(r.stale, u)
		ok = false
	}
	return snap, ok
}

// addCount changes u's subscription counter read-modify-write with the
// lock released in between: overlapping calls lose updates.
func (r *races) addCount(u *user, delta int64) {
	r.mu.Lock()
	v := r.count[u]
	r.mu.Unlock()
	runtime.Gosched()
	time.Sleep(raceWindow)
	r.mu.Lock()
	r.count[u] = v + delta
	r.mu.Unlock()
}

// countOf is u's counter.
func (r *races) countOf(u *user) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count[u]
}

// addSubsLossy is addSubs of RACE-SUB-LOST-UPDATE: it works on a copy of
// the set made under the lock and writes the copy back under the lock
// after a window, losing whatever changed the set in between.
func (s *Server) addSubsLossy(st *store, username string, targets []*user, abs uint32, now int64) {
	subr := st.getString(username)
	sh := st.shardOfString(username)
	sh.mu.Lock()
	work := subSet{items: append([]sub(nil), subr.subs.items...), minExp: subr.subs.minExp}
	sh.mu.Unlock()
	runtime.Gosched()
	time.Sleep(raceWindow)
	dir := *st.dir.Load() // every id of the copy and the targets is published
	work.compact(clampU32(now))
	for _, t := range targets {
		if t != subr {
			work.upsert(dir, t, abs, s.cfg.MaxSubscriptions, upsertPolicy{})
		}
	}
	sh.mu.Lock()
	sh.nsubs.Add(int64(len(work.items) - len(subr.subs.items)))
	subr.subs = work
	sh.noteExp(abs)
	sh.mu.Unlock()
}
