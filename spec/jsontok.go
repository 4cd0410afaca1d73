package spec

import (
	"encoding/binary"
	"math/bits"
	"strconv"
	"unicode/utf8"
)

// The compiled validator reads bodies with this scanner: one pass over the
// bytes, no values built, strings handed back as slices of the body (or of
// a scratch buffer when they hold escapes or bytes beyond ASCII). It
// accepts exactly RFC 8259 JSON and decodes strings the way encoding/json
// does (invalid UTF-8 and lone surrogates become U+FFFD), because
// kin-openapi judges the values encoding/json decodes; FuzzTokVsEncodingJSON
// holds the two to the same answers. It was adapted from the mock's
// hand-written request scanner (mock/jsonscan.go), which spec cannot import.

// maxTokDepth is the deepest nesting of arrays and objects the scanner
// reads: the bound the proxy and the mock enforce on bodies, so a deep body
// costs one bounded scan and is refused alike everywhere.
const maxTokDepth = MaxJSONDepth

// tokErr says why the scanner stopped.
type tokErr uint8

const (
	tokOK       tokErr = iota
	tokSyntax          // not JSON
	tokTooDeep         // nested deeper than maxTokDepth
	tokTrailing        // a value followed by more than whitespace
	tokRange           // a number beyond float64 (encoding/json refuses it into any)
)

func (e tokErr) String() string {
	switch e {
	case tokSyntax:
		return "not valid JSON"
	case tokTooDeep:
		return "not valid JSON: nested deeper than " + strconv.Itoa(maxTokDepth) + " levels"
	case tokTrailing:
		return "not valid JSON: data after the value"
	case tokRange:
		return "not valid JSON: a number out of the float64 range"
	}
	return "ok"
}

type tok struct {
	b       []byte
	i       int
	scratch []byte // decoded strings; reset by the caller per body
	err     tokErr
	// floats makes every number parse as float64, as json.Unmarshal into
	// any does (responses); requests are decoded with UseNumber and only
	// the numbers a schema looks at are converted.
	floats bool
	// slow says the last string read was decoded into scratch.
	slow bool
}

func (t *tok) fail(e tokErr) bool {
	if t.err == tokOK {
		t.err = e
	}
	return false
}

func (t *tok) ws() {
	for t.i < len(t.b) {
		switch t.b[t.i] {
		case ' ', '\t', '\n', '\r':
			t.i++
		default:
			return
		}
	}
}

// more says whether anything but whitespace is left.
func (t *tok) more() bool {
	t.ws()
	return t.i < len(t.b)
}

// peek returns the next non-space byte, or 0 at the end (a NUL byte in
// the body is no JSON either, but see more).
func (t *tok) peek() byte {
	if t.i < len(t.b) && t.b[t.i] > ' ' { // compact JSON: no space to skip
		return t.b[t.i]
	}
	t.ws()
	if t.i >= len(t.b) {
		return 0
	}
	return t.b[t.i]
}

// str reads a string; t.b[t.i] must be '"'. The result is only valid until
// the next call that decodes into scratch.
func (t *tok) str() ([]byte, bool) {
	t.slow = false
	b := t.b // locals: the loop keeps them in registers
	start := t.i + 1
	i := start
	for i+8 <= len(b) { // eight bytes at a time to the first special one
		if m := special8(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			i += bits.TrailingZeros64(m) >> 3
			goto special
		}
		i += 8
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			goto special
		}
	}
	t.i = i
	return nil, t.fail(tokSyntax)
special:
	t.i = i
	if b[i] == '"' {
		t.i++
		return b[start:i], true
	}
	return t.strSlow(start)
}

// special8 marks the bytes of x (little endian) that are '"', '\\', below
// 0x20 or beyond ASCII with their high bit: the classic has-zero-byte and
// has-less-than tricks, whose borrows only ever mark bytes above a marked
// one, so the lowest mark is exact; 0 means eight plain bytes.
func special8(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q, b := x^('"'*ones), x^('\\'*ones)
	return ((q-ones)&^q | (b-ones)&^b | (x - 0x20*ones) | x) & highs
}

func (t *tok) strSlow(start int) ([]byte, bool) {
	t.slow = true
	a0 := len(t.scratch)
	t.scratch = append(t.scratch, t.b[start:t.i]...)
	for t.i < len(t.b) {
		c := t.b[t.i]
		switch {
		case c == '"':
			t.i++
			return t.scratch[a0:len(t.scratch):len(t.scratch)], true
		case c < 0x20:
			return nil, t.fail(tokSyntax)
		case c == '\\':
			if t.i+1 >= len(t.b) {
				return nil, t.fail(tokSyntax)
			}
			e := t.b[t.i+1]
			t.i += 2
			switch e {
			case '"', '\\', '/':
				t.scratch = append(t.scratch, e)
			case 'b':
				t.scratch = append(t.scratch, '\b')
			case 'f':
				t.scratch = append(t.scratch, '\f')
			case 'n':
				t.scratch = append(t.scratch, '\n')
			case 'r':
				t.scratch = append(t.scratch, '\r')
			case 't':
				t.scratch = append(t.scratch, '\t')
			case 'u':
				r, ok := t.hex4()
				if !ok {
					return nil, t.fail(tokSyntax)
				}
				if r >= 0xD800 && r < 0xDC00 {
					if t.i+1 < len(t.b) && t.b[t.i] == '\\' && t.b[t.i+1] == 'u' {
						save := t.i
						t.i += 2
						r2, ok := t.hex4()
						if !ok {
							return nil, t.fail(tokSyntax)
						}
						if r2 >= 0xDC00 && r2 < 0xE000 {
							r = (r-0xD800)<<10 + (r2 - 0xDC00) + 0x10000
						} else {
							r = utf8.RuneError
							t.i = save
						}
					} else {
						r = utf8.RuneError
					}
				} else if r >= 0xDC00 && r < 0xE000 {
					r = utf8.RuneError
				}
				t.scratch = utf8.AppendRune(t.scratch, r)
			default:
				return nil, t.fail(tokSyntax)
			}
		case c < utf8.RuneSelf:
			t.scratch = append(t.scratch, c)
			t.i++
		default:
			r, n := utf8.DecodeRune(t.b[t.i:])
			if r == utf8.RuneError && n == 1 {
				t.scratch = utf8.AppendRune(t.scratch, utf8.RuneError)
			} else {
				t.scratch = append(t.scratch, t.b[t.i:t.i+n]...)
			}
			t.i += n
		}
	}
	return nil, t.fail(tokSyntax)
}

func (t *tok) hex4() (rune, bool) {
	if t.i+4 > len(t.b) {
		return 0, false
	}
	var r rune
	for _, c := range t.b[t.i : t.i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	t.i += 4
	return r, true
}

func (t *tok) lit(word string) bool {
	if len(t.b)-t.i < len(word) || string(t.b[t.i:t.i+len(word)]) != word {
		return t.fail(tokSyntax)
	}
	t.i += len(word)
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// num reads a number and returns its text. In floats mode a number beyond
// float64 is an error, as it is to json.Unmarshal into any.
func (t *tok) num() ([]byte, bool) {
	start := t.i
	if t.i < len(t.b) && t.b[t.i] == '-' {
		t.i++
	}
	switch {
	case t.i < len(t.b) && t.b[t.i] == '0':
		t.i++
	case t.i < len(t.b) && t.b[t.i] >= '1' && t.b[t.i] <= '9':
		for t.i < len(t.b) && isDigit(t.b[t.i]) {
			t.i++
		}
	default:
		return nil, t.fail(tokSyntax)
	}
	simple := true
	if t.i < len(t.b) && t.b[t.i] == '.' {
		simple = false
		t.i++
		if t.i >= len(t.b) || !isDigit(t.b[t.i]) {
			return nil, t.fail(tokSyntax)
		}
		for t.i < len(t.b) && isDigit(t.b[t.i]) {
			t.i++
		}
	}
	if t.i < len(t.b) && (t.b[t.i] == 'e' || t.b[t.i] == 'E') {
		simple = false
		t.i++
		if t.i < len(t.b) && (t.b[t.i] == '+' || t.b[t.i] == '-') {
			t.i++
		}
		if t.i >= len(t.b) || !isDigit(t.b[t.i]) {
			return nil, t.fail(tokSyntax)
		}
		for t.i < len(t.b) && isDigit(t.b[t.i]) {
			t.i++
		}
	}
	text := t.b[start:t.i]
	// Fewer than 300 digits without fraction or exponent always fit.
	if t.floats && !(simple && len(text) < 300) {
		if _, err := strconv.ParseFloat(string(text), 64); err != nil {
			return nil, t.fail(tokRange)
		}
	}
	return text, true
}

// parseNum converts a number's text as json.Number.Float64 (and
// json.Unmarshal) do.
func parseNum(text []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(text), 64)
	return f, err == nil
}

// open consumes the '{' or '[' at t.i that starts a container at depth
// (its members or elements sit at depth+1), failing past maxTokDepth, and
// reports whether a first member or element follows: false for an empty
// container, whose close it consumes, and on failure (err set).
func (t *tok) open(depth int, close byte) bool {
	if depth+1 > maxTokDepth {
		return t.fail(tokTooDeep)
	}
	t.i++
	if t.peek() == close {
		t.i++
		return false
	}
	return true
}

// key reads a member's name and the colon after it.
func (t *tok) key() ([]byte, bool) {
	if t.peek() != '"' {
		return nil, t.fail(tokSyntax)
	}
	k, ok := t.str()
	if !ok {
		return nil, false
	}
	if t.peek() != ':' {
		return nil, t.fail(tokSyntax)
	}
	t.i++
	return k, true
}

// next reads what follows a member or element of a container that ends
// with close: true at a comma (another follows), false at close (consumed)
// and at any other byte (err set), so a loop on next ends at the close and
// its caller tells the two apart by err.
func (t *tok) next(close byte) bool {
	switch t.peek() {
	case ',':
		t.i++
		return true
	case close:
		t.i++
		return false
	}
	return t.fail(tokSyntax)
}

// skip reads and discards any value; depth is the nesting of the value's
// container (0 at the top).
func (t *tok) skip(depth int) bool {
	switch c := t.peek(); {
	case c == '"':
		_, ok := t.str()
		return ok
	case c == '{':
		if t.open(depth, '}') {
			for {
				if _, ok := t.key(); !ok || !t.skip(depth+1) {
					return false
				}
				if !t.next('}') {
					break
				}
			}
		}
		return t.err == tokOK
	case c == '[':
		if t.open(depth, ']') {
			for t.skip(depth+1) && t.next(']') {
			}
		}
		return t.err == tokOK
	case c == 't':
		return t.lit("true")
	case c == 'f':
		return t.lit("false")
	case c == 'n':
		return t.lit("null")
	case c == '-' || isDigit(c):
		_, ok := t.num()
		return ok
	}
	return t.fail(tokSyntax)
}

// wellFormed checks a whole body: one value, nothing after it but spaces.
func wellFormed(b []byte, floats bool, scratch []byte) (tokErr, []byte) {
	t := tok{b: b, floats: floats, scratch: scratch[:0]}
	if !t.skip(0) {
		return t.err, t.scratch
	}
	if t.more() {
		return tokTrailing, t.scratch
	}
	return tokOK, t.scratch
}
