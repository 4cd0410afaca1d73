package mock

import "math"

// sub is one subscription: 8 bytes.
type sub struct {
	id  uint32 // the target's user id
	exp uint32 // absolute expiry, unix seconds; expired when exp <= now
}

// subSet is a subscriber's subscriptions ordered by the target's name
// (docs/contract.md#d8). It is a sorted slice: search is O(log n), a page is
// O(pageSize) by index, and an insert or delete moves at most cap×8 bytes
// (24 KB at the 3,000 cap), cheaper in practice than a tree's pointers
// and far smaller (8 bytes per subscription plus slice slack).
type subSet struct {
	items []sub
	// minExp is a lower bound of the items' expiries (0 when unknown), so
	// "has anything expired?" is O(1).
	minExp uint32
}

// needsCompact says whether an item may have expired at now.
func (s *subSet) needsCompact(now uint32) bool {
	return len(s.items) > 0 && s.minExp <= now
}

// lowerBound returns the first index whose target name is ≥ name.
func (s *subSet) lowerBound(dir []*chunk, name string) int {
	lo, hi := 0, len(s.items)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		id := s.items[m].id
		if dir[id>>chunkBits][id&(1<<chunkBits-1)].name < name {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// upsertPolicy is how upsert departs from the contract, for break
// variants of SUB-RESUBSCRIBE and SUB-CAP; the zero value is correct.
type upsertPolicy struct {
	dup, keepFirst, keepLonger bool // SUB-RESUBSCRIBE
	evictNewest, evictFirst    bool // SUB-CAP
	evictLast                  bool // SUB-CAP
	// made, when set, is when the subscription to a user id was first
	// made (SUB-CAP:evict-oldest evicts the smallest).
	made func(id uint32) uint64
}

// upsert adds or refreshes the subscription to u. With maxN > 0 and the set
// full, the subscription with least time left — possibly the new one — is
// evicted. pol bends that for break variants. It returns the change in
// size.
func (s *subSet) upsert(dir []*chunk, u *user, exp uint32, maxN int, pol upsertPolicy) int {
	i := s.lowerBound(dir, u.name)
	if !pol.dup && i < len(s.items) && s.items[i].id == u.id {
		switch {
		case pol.keepFirst:
		case pol.keepLonger:
			s.items[i].exp = max(s.items[i].exp, exp)
		default:
			s.items[i].exp = exp
		}
		if exp < s.minExp {
			s.minExp = exp
		}
		return 0
	}
	delta := 1
	if maxN > 0 && len(s.items) >= maxN {
		m := 0
		byName := pol.evictFirst || pol.evictLast || pol.made != nil
		for j := 1; j < len(s.items) && !byName; j++ {
			if s.items[j].exp < s.items[m].exp {
				m = j
			}
		}
		for j := 1; j < len(s.items) && pol.made != nil; j++ {
			if pol.made(s.items[j].id) < pol.made(s.items[m].id) {
				m = j
			}
		}
		if pol.evictLast {
			m = len(s.items) - 1
		}
		if pol.evictNewest || (exp < s.items[m].exp && !byName) {
			return 0 // the new subscription has least time left
		}
		copy(s.items[m:], s.items[m+1:])
		s.items = s.items[:len(s.items)-1]
		if m < i {
			i--
		}
		delta = 0
	}
	s.items = append(s.items, sub{})
	copy(s.items[i+1:], s.items[i:])
	s.items[i] = sub{id: u.id, exp: exp}
	if exp < s.minExp || len(s.items) == 1 {
		s.minExp = exp
	}
	return delta
}

// remove drops every subscription to name and returns how many.
func (s *subSet) remove(dir []*chunk, name string) int {
	i := s.lowerBound(dir, name)
	j := i
	for j < len(s.items) {
		id := s.items[j].id
		if dir[id>>chunkBits][id&(1<<chunkBits-1)].name != name {
			break
		}
		j++
	}
	if j == i {
		return 0
	}
	s.items = append(s.items[:i], s.items[j:]...)
	return j - i
}

// compact drops expired items, recomputes minExp exactly and returns how
// many it dropped. A set left mostly empty gives its memory back.
func (s *subSet) compact(now uint32) int {
	k := 0
	minExp := uint32(math.MaxUint32)
	for _, it := range s.items {
		if it.exp > now {
			s.items[k] = it
			k++
			if it.exp < minExp {
				minExp = it.exp
			}
		}
	}
	n := len(s.items) - k
	s.items = s.items[:k]
	s.minExp = minExp
	if cap(s.items) > 64 && k < cap(s.items)/4 {
		s.items = append([]sub(nil), s.items...)
	}
	if k == 0 {
		s.items = nil
	}
	return n
}
