package loadgen

import (
	"encoding/binary"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// The verifier decodes each checked answer once, in place, into a flat
// reusable form (vanswer): the few fields the model checks, as slices of
// the body (or of a scratch buffer when a string holds escapes), every
// other member skipped. No tree, no map, no allocation once the buffers
// have grown. It accepts RFC 8259 JSON only; anything else is reported as
// SCHEMA-RESPONSE. A field of the wrong type reads as absent, as the
// checks expect (a uid that is not a string matches no user).

// maxVerifyDepth bounds the nesting the decoder follows.
const maxVerifyDepth = 64

// ventry is one entry of a batch get or subscribe answer, or of a sublist.
type ventry struct {
	uid, ext []byte
	exp      int64
	expOK    bool
	// status members are pairs[p0:p1].
	p0, p1 int
}

// vpair is one member of an entry's status object.
type vpair struct{ key, val []byte }

// vanswer is one decoded answer.
type vanswer struct {
	entries []ventry
	pairs   []vpair
	// Sublists: totalnum and whether the sublist member is there.
	total   int64
	totalOK bool
	listed  bool
}

// jscan reads one body.
type jscan struct {
	b       []byte
	i       int
	bad     bool
	scratch []byte
}

func (sc *jscan) reset(b []byte) {
	sc.b, sc.i, sc.bad = b, 0, false
	// A decoded string is never longer than its source: scratch never
	// grows past len(b), so the slices handed out stay valid.
	if cap(sc.scratch) < len(b) {
		sc.scratch = make([]byte, 0, len(b))
	}
	sc.scratch = sc.scratch[:0]
}

func (sc *jscan) fail() bool { sc.bad = true; return false }

// peek returns the next byte after whitespace, 0 at the end.
func (sc *jscan) peek() byte {
	if sc.i < len(sc.b) && sc.b[sc.i] > ' ' { // compact JSON: no space
		return sc.b[sc.i]
	}
	for sc.i < len(sc.b) {
		switch c := sc.b[sc.i]; c {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return c
		}
	}
	return 0
}

// open consumes c ('{' or '['); false (nothing consumed) if the next
// value is something else.
func (sc *jscan) open(c byte) bool {
	if sc.peek() != c {
		return false
	}
	sc.i++
	return true
}

// next is the loop condition over an array's elements or an object's
// members after open: it consumes the separator and reports whether one
// more follows. first is the loop's own flag.
func (sc *jscan) next(close byte, first *bool) bool {
	if sc.bad {
		return false
	}
	c := sc.peek()
	if c == close {
		sc.i++
		return false
	}
	if !*first {
		if c != ',' {
			return sc.fail()
		}
		sc.i++
	}
	*first = false
	return true
}

// key reads a member's name and its colon.
func (sc *jscan) key() []byte {
	if sc.peek() != '"' {
		sc.fail()
		return nil
	}
	k := sc.str()
	if sc.peek() != ':' {
		sc.fail()
		return nil
	}
	sc.i++
	return k
}

// str reads a string (the next byte is '"').
func (sc *jscan) str() []byte {
	sc.i++
	start := sc.i
	// Eight bytes at a time while none is a quote, a backslash or a
	// control character.
	for sc.i+8 <= len(sc.b) && !special8(binary.LittleEndian.Uint64(sc.b[sc.i:])) {
		sc.i += 8
	}
	for sc.i < len(sc.b) {
		switch c := sc.b[sc.i]; {
		case c == '"':
			sc.i++
			return sc.b[start : sc.i-1]
		case c == '\\':
			return sc.strEscaped(start)
		case c < 0x20:
			sc.fail()
			return nil
		}
		sc.i++
	}
	sc.fail()
	return nil
}

// special8 says whether any of the eight bytes in x is '"', '\\' or
// below 0x20 (the classic has-zero-byte and has-less-than bit tricks).
func special8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q, b := x^('"'*ones), x^('\\'*ones)
	return ((q-ones)&^q|(b-ones)&^b|(x-0x20*ones)&^x)&highs != 0
}

// strEscaped decodes a string with escapes into scratch.
func (sc *jscan) strEscaped(start int) []byte {
	a := len(sc.scratch)
	out := append(sc.scratch, sc.b[start:sc.i]...)
	for sc.i < len(sc.b) {
		c := sc.b[sc.i]
		switch {
		case c == '"':
			sc.i++
			sc.scratch = out
			return out[a:]
		case c < 0x20:
			sc.fail()
			return nil
		case c != '\\':
			out = append(out, c)
			sc.i++
			continue
		}
		if sc.i+1 >= len(sc.b) {
			break
		}
		e := sc.b[sc.i+1]
		sc.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := sc.hex4()
			if !ok {
				sc.fail()
				return nil
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if sc.i+1 < len(sc.b) && sc.b[sc.i] == '\\' && sc.b[sc.i+1] == 'u' {
					save := sc.i
					sc.i += 2
					if r2, ok = sc.hex4(); !ok {
						sc.fail()
						return nil
					}
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						r = d
					} else {
						sc.i, r = save, utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			sc.fail()
			return nil
		}
	}
	sc.fail()
	return nil
}

func (sc *jscan) hex4() (rune, bool) {
	if sc.i+4 > len(sc.b) {
		return 0, false
	}
	var r rune
	for _, c := range sc.b[sc.i : sc.i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	sc.i += 4
	return r, true
}

// num reads a number token and returns its text.
func (sc *jscan) num() []byte {
	start := sc.i
	if sc.i < len(sc.b) && sc.b[sc.i] == '-' {
		sc.i++
	}
	digits := func() int {
		n := 0
		for sc.i < len(sc.b) && sc.b[sc.i] >= '0' && sc.b[sc.i] <= '9' {
			sc.i++
			n++
		}
		return n
	}
	d0 := sc.i
	if digits() == 0 || sc.b[d0] == '0' && sc.i-d0 > 1 {
		sc.fail()
		return nil
	}
	if sc.i < len(sc.b) && sc.b[sc.i] == '.' {
		sc.i++
		if digits() == 0 {
			sc.fail()
			return nil
		}
	}
	if sc.i < len(sc.b) && (sc.b[sc.i] == 'e' || sc.b[sc.i] == 'E') {
		sc.i++
		if sc.i < len(sc.b) && (sc.b[sc.i] == '+' || sc.b[sc.i] == '-') {
			sc.i++
		}
		if digits() == 0 {
			sc.fail()
			return nil
		}
	}
	return sc.b[start:sc.i]
}

// skip reads one value of any kind.
func (sc *jscan) skip(depth int) {
	if depth > maxVerifyDepth {
		sc.fail()
		return
	}
	switch c := sc.peek(); {
	case c == '"':
		sc.str()
	case c == '{':
		sc.i++
		for first := true; sc.next('}', &first); {
			sc.key()
			sc.skip(depth + 1)
		}
	case c == '[':
		sc.i++
		for first := true; sc.next(']', &first); {
			sc.skip(depth + 1)
		}
	case c == '-' || c >= '0' && c <= '9':
		sc.num()
	case c == 't':
		sc.lit("true")
	case c == 'f':
		sc.lit("false")
	case c == 'n':
		sc.lit("null")
	default:
		sc.fail()
	}
}

func (sc *jscan) lit(word string) {
	if len(sc.b)-sc.i < len(word) || string(sc.b[sc.i:sc.i+len(word)]) != word {
		sc.fail()
		return
	}
	sc.i += len(word)
}

// strOrSkip reads a string value; any other value is skipped and reads
// as absent (nil).
func (sc *jscan) strOrSkip(depth int) []byte {
	if sc.peek() == '"' {
		return sc.str()
	}
	sc.skip(depth)
	return nil
}

// int64OrSkip reads an integer sent as a number or a decimal string
// (docs/contract.md#d5); ok is false for anything else.
func (sc *jscan) int64OrSkip(depth int) (n int64, ok bool) {
	var text []byte
	switch c := sc.peek(); {
	case c == '"':
		text = sc.str()
	case c == '-' || c >= '0' && c <= '9':
		text = sc.num()
	default:
		sc.skip(depth)
		return 0, false
	}
	return atoi64(text)
}

// atoi64 parses a decimal integer without allocating.
func atoi64(b []byte) (int64, bool) {
	d := b
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 18 {
		if len(d) == 0 || d[0] < '0' || d[0] > '9' {
			return 0, false // no sign but one leading '-', as client.Int64
		}
		n, err := strconv.ParseInt(string(b), 10, 64) // rare: strconv judges the range
		return n, err == nil
	}
	var n int64
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if len(d) < len(b) {
		n = -n
	}
	return n, true
}

// end checks that only whitespace follows the value.
func (sc *jscan) end() {
	if sc.peek() != 0 || sc.i < len(sc.b) {
		sc.fail()
	}
}

// decodeEntries decodes {"result":[entry…]} (batch get, subscribe); other
// members are skipped. It reports false when the body is not JSON.
func (a *vanswer) decodeEntries(sc *jscan, body []byte) bool {
	sc.reset(body)
	a.entries, a.pairs = a.entries[:0], a.pairs[:0]
	if !sc.open('{') {
		sc.skip(0)
		sc.end()
		return !sc.bad
	}
	for first := true; sc.next('}', &first); {
		if string(sc.key()) != "result" || !sc.open('[') {
			sc.skip(1)
			continue
		}
		for f := true; sc.next(']', &f); {
			a.entry(sc, 2)
		}
	}
	sc.end()
	return !sc.bad
}

// entry decodes one entry object (anything else is an entry with no
// fields).
func (a *vanswer) entry(sc *jscan, depth int) {
	e := ventry{p0: len(a.pairs), p1: len(a.pairs)}
	if !sc.open('{') {
		sc.skip(depth)
		a.entries = append(a.entries, e)
		return
	}
	for first := true; sc.next('}', &first); {
		switch string(sc.key()) {
		case "uid":
			e.uid = sc.strOrSkip(depth + 1)
		case "ext":
			e.ext = sc.strOrSkip(depth + 1)
		case "expiry":
			e.exp, e.expOK = sc.int64OrSkip(depth + 1)
		case "status":
			if !sc.open('{') {
				sc.skip(depth + 1)
				continue
			}
			e.p0 = len(a.pairs)
			for f := true; sc.next('}', &f); {
				k := sc.key()
				a.pairs = append(a.pairs, vpair{key: k, val: sc.strOrSkip(depth + 2)})
			}
			e.p1 = len(a.pairs)
		default:
			sc.skip(depth + 1)
		}
	}
	a.entries = append(a.entries, e)
}

// decodeSublist decodes {"result":{"totalnum":N,"sublist":[entry…]}}.
func (a *vanswer) decodeSublist(sc *jscan, body []byte) bool {
	sc.reset(body)
	a.entries, a.pairs = a.entries[:0], a.pairs[:0]
	a.total, a.totalOK, a.listed = 0, false, false
	if !sc.open('{') {
		sc.skip(0)
		sc.end()
		return !sc.bad
	}
	for first := true; sc.next('}', &first); {
		if string(sc.key()) != "result" || !sc.open('{') {
			sc.skip(1)
			continue
		}
		for f := true; sc.next('}', &f); {
			switch string(sc.key()) {
			case "totalnum":
				a.total, a.totalOK = sc.int64OrSkip(2)
			case "sublist":
				a.listed = true
				if !sc.open('[') {
					sc.skip(2)
					continue
				}
				for g := true; sc.next(']', &g); {
					a.entry(sc, 3)
				}
			default:
				sc.skip(2)
			}
		}
	}
	sc.end()
	return !sc.bad
}
