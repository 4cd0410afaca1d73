package spec

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// TestSpecial8: the eight-byte test of tok.str agrees with a byte-by-byte
// one (a quote, a backslash, a control byte or one beyond ASCII), and its
// lowest mark is the first such byte.
func TestSpecial8(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	picks := []byte{'"', '\\', 0, 0x1f, 0x20, 0x21, 0x5b, 0x5d, 0x7f, 0x80, 0xa2, 0xdc, 0xff, 'a', '0', 'z', ' ', '~'}
	var b [8]byte
	for range 200000 {
		first := 8
		for i := range b {
			b[i] = picks[rng.IntN(len(picks))]
			if rng.IntN(2) == 0 {
				b[i] = byte(rng.IntN(256))
			}
			if special := b[i] == '"' || b[i] == '\\' || b[i] < 0x20 || b[i] >= 0x80; special && first == 8 {
				first = i
			}
		}
		m := special8(binary.LittleEndian.Uint64(b[:]))
		if got := bits.TrailingZeros64(m) >> 3; got != first || (m == 0) != (first == 8) {
			t.Fatalf("special8(%q) = %#x: first special byte %d, want %d", b, m, got, first)
		}
	}
}
