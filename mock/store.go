package mock

import (
	"hash/maphash"
	"math"
	"strings"
	"sync"
	"sync/atomic"
)

// The store keeps one *user per name, sharded by a hash of the name; each
// shard has its own RWMutex, so there is no global lock on the hot path.
// Every user gets a dense uint32 id when first seen, and a subscription is
// 8 bytes: the target's id and its expiry in unix seconds. The id → *user
// directory is a chunked array published with an atomic pointer, so names
// are resolved without any lock.

// user is one account. Its mutable fields are guarded by its shard's lock;
// id and name never change; connected is atomic (the admin API sets it).
type user struct {
	name      string
	id        uint32
	connected atomic.Bool
	lastTime  int64
	ext       string
	status    []resStatus
	subs      subSet
}

// resStatus is one device resource's status.
type resStatus struct {
	res, st string
}

type shard struct {
	mu    sync.RWMutex
	users map[string]*user
	// minExp is a lower bound of the expiries in the shard, so the sweeper
	// skips shards where nothing can have expired.
	minExp uint32
	nsubs  atomic.Int64
	_      [40]byte // keep shards on separate cache lines
}

const chunkBits = 12

type chunk [1 << chunkBits]*user

type store struct {
	// grp holds the groups, whose members are this store's users.
	grp *groups

	seed   maphash.Seed
	shards []shard
	mask   uint64

	growMu sync.Mutex
	dir    atomic.Pointer[[]*chunk]
	nextID atomic.Uint32
}

func newStore(nshards int) *store {
	st := &store{grp: newGroups(), seed: maphash.MakeSeed(), shards: make([]shard, nshards), mask: uint64(nshards - 1)}
	for i := range st.shards {
		st.shards[i].users = make(map[string]*user)
		st.shards[i].minExp = math.MaxUint32
	}
	empty := []*chunk{}
	st.dir.Store(&empty)
	return st
}

func (st *store) shardOf(name []byte) *shard {
	return &st.shards[maphash.Bytes(st.seed, name)&st.mask]
}

func (st *store) shardOfString(name string) *shard {
	return &st.shards[maphash.String(st.seed, name)&st.mask]
}

// lookup finds a user without creating it. The caller holds no lock.
func (st *store) lookup(name []byte) *user {
	sh := st.shardOf(name)
	sh.mu.RLock()
	u := sh.users[string(name)]
	sh.mu.RUnlock()
	return u
}

// lookupString is lookup for a string name.
func (st *store) lookupString(name string) *user {
	sh := st.shardOfString(name)
	sh.mu.RLock()
	u := sh.users[name]
	sh.mu.RUnlock()
	return u
}

// getString is get for a string name; a new user gets its own copy of the
// name so it does not pin the request's memory.
func (st *store) getString(name string) *user {
	sh := st.shardOfString(name)
	sh.mu.RLock()
	u := sh.users[name]
	sh.mu.RUnlock()
	if u != nil {
		return u
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return st.createLocked(sh, strings.Clone(name))
}

// get finds or creates a user. The caller holds no lock.
func (st *store) get(name []byte) *user {
	sh := st.shardOf(name)
	sh.mu.RLock()
	u := sh.users[string(name)]
	sh.mu.RUnlock()
	if u != nil {
		return u
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return st.createLocked(sh, string(name))
}

// createLocked finds or creates name in sh, whose write lock is held.
func (st *store) createLocked(sh *shard, name string) *user {
	if u := sh.users[name]; u != nil {
		return u
	}
	u := &user{name: name, id: st.nextID.Add(1) - 1}
	st.publish(u)
	sh.users[name] = u
	return u
}

// publish stores u in the directory, growing it when needed. The slot is
// written before u's id can reach any other goroutine.
func (st *store) publish(u *user) {
	ci := int(u.id >> chunkBits)
	d := *st.dir.Load()
	if ci >= len(d) {
		st.growMu.Lock()
		d = *st.dir.Load()
		for ci >= len(d) {
			nd := make([]*chunk, len(d)+1, len(d)+1+len(d)/4)
			copy(nd, d)
			nd[len(d)] = new(chunk)
			d = nd
		}
		st.dir.Store(&d)
		st.growMu.Unlock()
	}
	d[ci][u.id&(1<<chunkBits-1)] = u
}

// subscriptions returns the number of stored subscriptions (expired ones
// not yet reclaimed included).
func (st *store) subscriptions() int64 {
	var n int64
	for i := range st.shards {
		n += st.shards[i].nsubs.Load()
	}
	return n
}

// reclaim drops expired subscriptions everywhere; the background sweeper
// calls it. It returns how many it removed.
func (st *store) reclaim(now uint32) int {
	removed := 0
	for i := range st.shards {
		sh := &st.shards[i]
		sh.mu.Lock()
		if sh.minExp <= now {
			minExp := uint32(math.MaxUint32)
			for _, u := range sh.users {
				if u.subs.minExp <= now {
					n := u.subs.compact(now)
					removed += n
					sh.nsubs.Add(int64(-n))
				}
				if len(u.subs.items) > 0 && u.subs.minExp < minExp {
					minExp = u.subs.minExp
				}
			}
			sh.minExp = minExp
		}
		sh.mu.Unlock()
	}
	return removed
}

// noteExp lowers the shard's expiry bound; the write lock is held.
func (sh *shard) noteExp(exp uint32) {
	if exp < sh.minExp {
		sh.minExp = exp
	}
}

// storeRef holds the current store. Reset swaps in an empty one rather than
// emptying the old one in place: the id → *user directory and every
// subscription name users by id, so an in-place reset could not drop the
// directory while a request in flight still holds ids. Each request loads
// the store once and works on it to the end; the old store (users,
// subscriptions, groups) becomes garbage when the last such request ends.
type storeRef struct {
	p      atomic.Pointer[store]
	shards int
	// retired counts the users created by stores that reset dropped.
	retired atomic.Int64
}

func newStoreRef(nshards int) *storeRef {
	r := &storeRef{shards: nshards}
	r.p.Store(newStore(nshards))
	return r
}

// load returns the current store; a request calls it once.
func (r *storeRef) load() *store { return r.p.Load() }

// reset replaces the store with an empty one: every user, status,
// subscription, group and connection is forgotten and its memory freed.
func (r *storeRef) reset() {
	old := r.p.Swap(newStore(r.shards))
	r.retired.Add(int64(old.nextID.Load()))
}

// subscriptions returns how many subscriptions the current store holds.
func (r *storeRef) subscriptions() int64 { return r.load().subscriptions() }

// usersCreated counts the users seen since the server started, across
// resets.
func (r *storeRef) usersCreated() int64 {
	return r.retired.Load() + int64(r.load().nextID.Load())
}

// setStatus records res=st for u; the shard's write lock is held.
// replaceAll drops the other resources (break SET-STATUS-PER-RESOURCE).
func (u *user) setStatus(res, st []byte, replaceAll bool) {
	if replaceAll && !(len(u.status) == 1 && u.status[0].res == string(res)) {
		u.status = u.status[:0]
	}
	for i := range u.status {
		if u.status[i].res == string(res) {
			if u.status[i].st != string(st) {
				u.status[i].st = internStatus(st)
			}
			return
		}
	}
	u.status = append(u.status, resStatus{res: string(res), st: internStatus(st)})
}

// internStatus avoids allocating the two common statuses.
func internStatus(st []byte) string {
	switch string(st) {
	case "0":
		return "0"
	case "1":
		return "1"
	}
	return string(st)
}
