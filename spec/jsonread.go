package spec

// JSONReader reads a JSON body value by value with the compiled
// validator's scanner (jsontok.go), building no values: a caller that has
// validated a body with the compiled validator picks out the few values it
// needs in one more pass, with no reflection and no allocation (the
// proxy's presence checks). Strings are decoded as encoding/json decodes
// them. The zero JSONReader reads an empty body; Reset starts another.
//
// Every method reads the next value and reports false, leaving Err set,
// at the first byte that is not JSON or past MaxJSONDepth. Numbers are
// only scanned: JSONNumber converts one the way json.Unmarshal into any does.
type JSONReader struct {
	t     tok
	depth int
	// first says the container Enter opened last has had no member or
	// element yet (More then wants no comma before the next one).
	first bool
}

// Reset makes r read b from its start, keeping r's scratch buffer.
func (r *JSONReader) Reset(b []byte) {
	r.t = tok{b: b, scratch: r.t.scratch[:0]}
	r.depth, r.first = 0, false
}

// Err says why the reader stopped ("" while it has not).
func (r *JSONReader) Err() string {
	if r.t.err == tokOK {
		return ""
	}
	return r.t.err.String()
}

// Kind is the first byte of the next value: '"', '{', '[', 't', 'f', 'n',
// '0' for any number, or 0 at the end of the body or at a byte that starts
// no value.
func (r *JSONReader) Kind() byte {
	switch c := r.t.peek(); {
	case c == '"', c == '{', c == '[', c == 't', c == 'f', c == 'n':
		return c
	case c == '-' || isDigit(c):
		return '0'
	}
	return 0
}

// Str reads a string and returns it decoded. The bytes stay valid until
// the next Reset.
func (r *JSONReader) Str() ([]byte, bool) {
	if r.t.peek() != '"' {
		return nil, r.t.fail(tokSyntax)
	}
	return r.t.str()
}

// Num reads a number and returns its text as written.
func (r *JSONReader) Num() ([]byte, bool) {
	r.t.peek()
	return r.t.num()
}

// Skip reads and discards the next value, whatever it is.
func (r *JSONReader) Skip() bool { return r.t.skip(r.depth) }

// Object reads an object, calling member with each key (decoded, valid
// until the next Reset). member must read the member's value (or Skip it)
// and returns false to stop, which makes Object return false.
func (r *JSONReader) Object(member func(key []byte) bool) bool {
	return r.container('{', '}', func() bool {
		key, ok := r.Key()
		return ok && member(key)
	})
}

// Array reads an array, calling elem for each element; elem must read the
// element (or Skip it) and returns false to stop, which makes Array return
// false.
func (r *JSONReader) Array(elem func() bool) bool { return r.container('[', ']', elem) }

// container is Object and Array: Enter and a loop on More, calling item
// for each member or element. A stop inside leaves the depth as it was
// before Enter, where the container's own close would have left it.
func (r *JSONReader) container(open, close byte, item func() bool) bool {
	if !r.Enter(open) {
		return false
	}
	depth := r.depth
	for r.More(close) {
		if !item() {
			r.depth = depth - 1
			return false
		}
	}
	return r.t.err == tokOK
}

// Enter reads the '{' or '[' (open) that starts an object or an array,
// whose members or elements the caller then reads in a loop on More: the
// form of Object and Array without a closure, for a caller that decodes
// every answer of a load test (the verifier of presencekit load).
//
//	if r.Enter('{') {
//		for r.More('}') {
//			key, _ := r.Key()
//			... read or Skip the member's value ...
//		}
//	}
//	ok := r.Err() == ""
func (r *JSONReader) Enter(open byte) bool {
	t := &r.t
	if c := t.peek(); c != open || c != '{' && c != '[' {
		return t.fail(tokSyntax)
	}
	if r.depth+1 > maxTokDepth {
		return t.fail(tokTooDeep)
	}
	t.i++
	r.depth++
	r.first = true
	return true
}

// More reports whether the innermost container Enter opened, which ends
// with close ('}' or ']'), holds one more member or element, consuming the
// comma before it; at the container's end it consumes close and reports
// false, as it does at the first byte that is not JSON (Err then says
// why). After true the caller reads the member (Key, then its value) or
// the element, and nothing else, before calling More again.
func (r *JSONReader) More(close byte) bool {
	t := &r.t
	if t.err != tokOK {
		return false
	}
	c := t.peek()
	if c == close {
		t.i++
		r.depth--
		r.first = false // the enclosing container has had this one
		return false
	}
	if !r.first {
		if c != ',' {
			return t.fail(tokSyntax)
		}
		t.i++
	}
	r.first = false
	return true
}

// Key reads a member's name and the colon after it (in a loop on More
// over an object). The name is decoded and stays valid until the next
// Reset.
func (r *JSONReader) Key() ([]byte, bool) { return r.t.key() }

// Member is More('}') and Key in one call, for the same hot paths (the
// object Enter opened last): false at the object's end (consumed) and at
// the first byte that is not JSON (Err then says why).
func (r *JSONReader) Member() ([]byte, bool) {
	if !r.More('}') {
		return nil, false
	}
	return r.Key()
}

// StrOrSkip reads the next value: a string is returned decoded (valid
// until the next Reset), any other value is skipped and returns nil, as
// a string member of the wrong type reads as absent.
func (r *JSONReader) StrOrSkip() []byte {
	t := &r.t
	if t.peek() == '"' {
		s, _ := t.str()
		return s
	}
	t.skip(r.depth)
	return nil
}

// Offset is how many bytes of the body have been read: where the body
// stopped being JSON once Err is set.
func (r *JSONReader) Offset() int { return r.t.i }

// End reports whether only whitespace is left.
func (r *JSONReader) End() bool { return !r.t.more() }

// JSONNumber converts a number's text (from Num) as json.Unmarshal into any
// does; false for a number beyond float64, which json.Unmarshal refuses.
func JSONNumber(text []byte) (float64, bool) { return parseNum(text) }

// WellFormed says whether b is one JSON value with nothing after it but
// whitespace and every number within float64: exactly what json.Unmarshal
// into any accepts. syntaxOK is false only for b that is not JSON at all
// (json.Unmarshal then decodes nothing); a number beyond float64 makes
// json.Unmarshal fail too, but after decoding the rest.
func WellFormed(b []byte) (ok, syntaxOK bool) {
	e, scratch := wellFormed(b, true, nil)
	if e == tokRange { // the scan stopped there: is the rest JSON?
		e, _ = wellFormed(b, false, scratch)
		return false, e == tokOK
	}
	return e == tokOK, e == tokOK
}
