package loadgen

import (
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// bruteCands is the definition cands implements: W may show unless it
// began after r or some W' began after W's ack and was acknowledged
// before s; "never set" may show until an ack before s.
func bruteCands(ws []vwrite, s, r int64) ([]uint64, bool) {
	var out []uint64
	initial := true
	for _, w := range ws {
		if w.ack < s {
			initial = false
		}
	}
	for _, w := range ws {
		over := false
		for _, o := range ws {
			if w.ack != open && o.send > w.ack && o.ack < s {
				over = true
			}
		}
		if w.send < r && !over {
			out = append(out, w.id)
		}
	}
	return out, initial
}

func TestCandsMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var k vkey
		for i := range rng.IntN(8) {
			send := rng.Int64N(100)
			ack := send + 1 + rng.Int64N(30)
			if rng.IntN(6) == 0 {
				ack = open
			}
			k.ws = append(k.ws, vwrite{id: uint64(i), send: send, ack: ack})
		}
		s := rng.Int64N(140)
		r := s + rng.Int64N(30)
		got, gi := k.cands(s, r, nil)
		want, wi := bruteCands(k.ws, s, r)
		var ids []uint64
		for _, w := range got {
			ids = append(ids, w.id)
		}
		if !slices.Equal(ids, want) || gi != wi {
			t.Fatalf("writes %+v, read [%d, %d]: cands %v initial %v, want %v %v", k.ws, s, r, ids, gi, want, wi)
		}
		// The settled shortcut (refresh, settledAt) gives the same.
		k.refresh()
		if w := k.settledAt(s); w != nil && (len(want) != 1 || w.id != want[0] || wi) {
			t.Fatalf("writes %+v, read [%d, %d]: settled on %d, want %v %v", k.ws, s, r, w.id, want, wi)
		}
		// Pruning at a horizon h <= s never changes what a read sent at s
		// may show.
		h := s - rng.Int64N(20)
		k.prune(h)
		got, gi = k.cands(s, r, nil)
		ids = ids[:0]
		for _, w := range got {
			ids = append(ids, w.id)
		}
		if !slices.Equal(ids, want) || gi != wi {
			t.Fatalf("after prune at %d: cands %v initial %v, want %v %v", h, ids, gi, want, wi)
		}
	}
}

// TestVuserLayout: a quiet read touches one cache line of the user.
func TestVuserLayout(t *testing.T) {
	if h, u := unsafe.Sizeof(vhead{}), unsafe.Sizeof(vuser{}); h > 64 || u%64 != 0 {
		t.Errorf("vhead is %d bytes (want <= 64), vuser %d (want a multiple of 64)", h, u)
	}
}

// TestSubTable: the subscription index finds every target added, at its
// position, and no other, as a map would, through its growths.
func TestSubTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 15, 16, 17, 100, 3000} {
		var tab subTable
		want := map[int32]int32{}
		for len(want) < n {
			tg := rng.Int32N(1 << 30)
			if _, ok := want[tg]; ok {
				continue
			}
			want[tg] = int32(len(want))
			tab.put(tg, want[tg])
		}
		for tg, pos := range want {
			if got, ok := tab.get(tg); !ok || got != pos {
				t.Fatalf("%d targets: get(%d) = %d %v, want %d", n, tg, got, ok, pos)
			}
		}
		for range 1000 {
			tg := rng.Int32N(1 << 30)
			if _, in := want[tg]; !in {
				if got, ok := tab.get(tg); ok {
					t.Fatalf("%d targets: get(%d) = %d, never added", n, tg, got)
				}
			}
		}
		if n > 0 && 2*n > len(tab) {
			t.Errorf("%d targets in %d slots: more than half full", n, len(tab))
		}
	}
}

// TestNeverWrittenUserIsQuiet: a user no request has written yet is read
// from its snap (no status, ext ""), without the lock and the full check,
// and an answer showing anything else for it is not quiet.
func TestNeverWrittenUserIsQuiet(t *testing.T) {
	lc := DefaultConfig("http://x", testDoc(t).Limits())
	lc.Workload.Users = 10
	lc.Verify = true
	if err := lc.Workload.Validate(); err != nil {
		t.Fatal(err)
	}
	v := newVerifier(&lc, 1)
	st := v.newState()
	st.s = v.now()
	vu := v.user(3)
	st.ans.pairs = []vpair{{key: []byte("ios_1"), val: []byte("1")}}
	for _, c := range []struct {
		e     ventry
		quiet bool
	}{
		{ventry{}, true},
		{ventry{ext: []byte("x")}, false},
		{ventry{p0: 0, p1: 1}, false},
	} {
		if got := st.quiet(vu, &c.e, st.s); got != c.quiet {
			t.Errorf("entry ext %q, %d status: quiet %v, want %v", c.e.ext, c.e.p1-c.e.p0, got, c.quiet)
		}
	}
}
