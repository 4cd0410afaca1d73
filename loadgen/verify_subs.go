package loadgen

// A subscriber's subscription keys (vbody.subs) and how they are found:
// by target through subTable, by position in bitsets.

// vsub is one subscription key: the subscriber's subscription to t.
type vsub struct {
	t int32
	k vkey
}

// sub returns the subscription key of target t, nil if never named.
func (vu *vuser) sub(t int32) *vkey {
	i, ok := vu.subIdx.get(t)
	if !ok {
		return nil
	}
	return &vu.subs[i].k
}

// subsCap is the room a subscriber's subs start with: most name a few
// dozen targets in a run, so the first growths are skipped.
const subsCap = 16

// subOf returns the index in subs of target t's subscription key, adding
// the key if t was never named; the user's lock is held.
func (vu *vuser) subOf(t int32, sub bool) int32 {
	if i, ok := vu.subIdx.get(t); ok {
		return i
	}
	if vu.subs == nil {
		vu.subs = make([]vsub, 0, subsCap)
	}
	i := int32(len(vu.subs))
	vu.subIdx.put(t, i)
	vu.subs = append(vu.subs, vsub{t: t})
	if sub {
		vu.everSubs++
	}
	return i
}

// subTable maps a target to its position in a vuser's subs: an
// open-addressing hash table of target<<32 | position+1 (0 empty), at
// most half full, so that a lookup is one multiplication and, mostly, one
// probe in one cache line, where a Go map costs a hash call and two.
type subTable []uint64

// slot is t's first slot in a table of len(tab) (a power of two).
func (tab subTable) slot(t int32) int {
	return int(uint64(uint32(t))*0x9e3779b97f4a7c15>>32) & (len(tab) - 1)
}

func (tab subTable) get(t int32) (int32, bool) {
	if len(tab) == 0 {
		return 0, false
	}
	for i := tab.slot(t); ; i = (i + 1) & (len(tab) - 1) {
		e := tab[i]
		if e == 0 {
			return 0, false
		}
		if int32(e>>32) == t {
			return int32(uint32(e)) - 1, true
		}
	}
}

// put adds t at position pos; t is not in the table, and the table holds
// pos entries.
func (tab *subTable) put(t, pos int32) {
	if 2*(int(pos)+1) > len(*tab) { // grow to keep it at most half full
		old := *tab
		*tab = make(subTable, max(2*len(old), 2*subsCap))
		for _, e := range old {
			if e != 0 {
				tab.insert(e)
			}
		}
	}
	tab.insert(uint64(uint32(t))<<32 | uint64(pos+1))
}

func (tab subTable) insert(e uint64) {
	i := tab.slot(int32(e >> 32))
	for tab[i] != 0 {
		i = (i + 1) & (len(tab) - 1)
	}
	tab[i] = e
}

// bitset is a set of positions in a vuser's subs.
type bitset []uint64

func (b bitset) has(i int) bool { return i>>6 < len(b) && b[i>>6]&(1<<(i&63)) != 0 }

func (b *bitset) add(i int) {
	for i>>6 >= len(*b) {
		*b = append(*b, 0)
	}
	(*b)[i>>6] |= 1 << (i & 63)
}
