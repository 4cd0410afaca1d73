package spec

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// Two walks share the compiled nodes. The fast walk reads the body once,
// in document order, builds nothing and stops at the first doubt; it only
// says "valid" when kin-openapi would. Everything else (a failure, a
// duplicate key, an exceeded x-max-bytes) goes to the exact walk, which
// reproduces kin-openapi's order (object keys sorted, the last of
// duplicate keys kept, required checked after the properties, the first
// failing oneOf alternative's error) so the field it names is the one
// the reference names. Only failures pay for it.

// vstate is one body's walk.
type vstate struct {
	t tok
	// soft: an x-max-bytes limit was exceeded. validate.go checks byte
	// limits only once the schema passed, so it is no failure here.
	soft bool
	// unsure: a duplicate key was met; kin-openapi keeps the last one, the
	// fast walk checked all, so the exact walk decides.
	unsure bool
	// keys are the undeclared keys of the objects being read, as offsets
	// into the body or (decoded) into the scratch buffer: no pointers, so
	// a vstate stays on the stack.
	keys  [maxUndeclaredKeys]keySpan
	nkeys int
}

type keySpan struct {
	scratch bool
	a, b    int
}

// span locates the string just read, a slice of the body or of the
// scratch buffer.
func (v *vstate) span(key []byte) keySpan {
	if !v.t.slow {
		end := v.t.i - 1 // the closing quote
		return keySpan{a: end - len(key), b: end}
	}
	end := len(v.t.scratch)
	return keySpan{scratch: true, a: end - len(key), b: end}
}

func (v *vstate) keyBytes(k keySpan) []byte {
	if k.scratch {
		return v.t.scratch[k.a:k.b]
	}
	return v.t.b[k.a:k.b]
}

// maxUndeclaredKeys bounds the duplicate search among undeclared keys; an
// object with more goes to the exact walk.
const maxUndeclaredKeys = 64

// fast judges the value at t.i against n and consumes it when it passes.
func (v *vstate) fast(n *node, depth int) bool {
	t := &v.t
	c := t.peek()
	if c == 'n' {
		if !t.lit("null") {
			return false
		}
		if n.nullable {
			return true
		}
		if n.empty || (len(n.oneOf) == 0 && len(n.anyOf) == 0) {
			return false
		}
		end := t.i
		t.i -= 4
		ok := v.fastXOf(n, depth)
		t.i = end
		return ok
	}
	if n.empty {
		return t.skip(depth)
	}
	if (len(n.oneOf) > 0 || len(n.anyOf) > 0) && !v.fastXOf(n, depth) {
		return false
	}
	switch {
	case c == '"':
		s, ok := t.str()
		if !ok || n.types&kStr == 0 {
			return false
		}
		if len(n.enum) > 0 && !enumHas(n.enum, kStr, s, 0, false) {
			return false
		}
		if !n.stringOK(s) {
			return false
		}
		if n.maxBytes >= 0 && len(s) > n.maxBytes {
			v.soft = true
		}
		return true
	case c == 't' || c == 'f':
		b := c == 't'
		word := "false"
		if b {
			word = "true"
		}
		if !t.lit(word) || n.types&kBool == 0 {
			return false
		}
		return len(n.enum) == 0 || enumHas(n.enum, kBool, nil, 0, b)
	case c == '-' || isDigit(c):
		text, ok := t.num()
		if !ok {
			return false
		}
		f, ok := parseNum(text)
		if !ok {
			return false // json.Number.Float64 fails: kin-openapi's type error
		}
		if len(n.enum) > 0 && !enumHas(n.enum, kNum, nil, f, false) {
			return false
		}
		return n.numberOK(f)
	case c == '[':
		if n.types&kArr == 0 || len(n.enum) > 0 {
			return false
		}
		if depth+1 > maxTokDepth {
			return t.fail(tokTooDeep)
		}
		t.i++
		var count int64
		if t.peek() == ']' {
			t.i++
		} else {
			for {
				count++
				if n.maxItems >= 0 && count > n.maxItems {
					return false
				}
				if n.items != nil {
					if !v.fast(n.items, depth+1) {
						return false
					}
				} else if !t.skip(depth + 1) {
					return false
				}
				c := t.peek()
				t.i++
				if c == ']' {
					break
				}
				if c != ',' {
					return t.fail(tokSyntax)
				}
			}
		}
		return count >= n.minItems
	case c == '{':
		if n.types&kObj == 0 || len(n.enum) > 0 {
			return false
		}
		return v.fastObject(n, depth)
	}
	return t.fail(tokSyntax)
}

// fastObject and fast's array case read the separators themselves rather
// than through tok's open, key and next (which skip and JSONReader use):
// those are not inlined, and a call per member and element made
// BenchmarkValidateResponse a third slower.
func (v *vstate) fastObject(n *node, depth int) bool {
	t := &v.t
	if depth+1 > maxTokDepth {
		return t.fail(tokTooDeep)
	}
	t.i++
	var seen, reqMask uint64
	for _, p := range n.props {
		reqMask |= p.reqBit
	}
	keys0 := v.nkeys
	defer func() { v.nkeys = keys0 }()
	if t.peek() == '}' {
		t.i++
		return seen&reqMask == reqMask
	}
	for {
		if t.peek() != '"' {
			return t.fail(tokSyntax)
		}
		key, ok := t.str()
		if !ok {
			return false
		}
		ks := v.span(key)
		if t.peek() != ':' {
			return t.fail(tokSyntax)
		}
		t.i++
		var child *node
		declared := false
		if idx, ok := n.propIdx[string(key)]; ok {
			bit := uint64(1) << idx
			if seen&bit != 0 {
				v.unsure = true
			}
			seen |= bit
			if n.props[idx].node != nil {
				child, declared = n.props[idx].node, true
			}
		}
		if !declared {
			if n.addlForbidden {
				return false
			}
			child = n.addl
			if v.nkeys >= maxUndeclaredKeys {
				v.unsure = true
			} else {
				for _, k := range v.keys[keys0:v.nkeys] {
					if string(v.keyBytes(k)) == string(key) {
						v.unsure = true
						break
					}
				}
				v.keys[v.nkeys] = ks
				v.nkeys++
			}
		}
		if child != nil {
			if !v.fast(child, depth+1) {
				return false
			}
		} else if !t.skip(depth + 1) {
			return false
		}
		c := t.peek()
		t.i++
		if c == '}' {
			break
		}
		if c != ',' {
			return t.fail(tokSyntax)
		}
	}
	return seen&reqMask == reqMask
}

// fastXOf applies oneOf and anyOf to the value at t.i, leaving t.i there.
func (v *vstate) fastXOf(n *node, depth int) bool {
	t := &v.t
	start := t.i
	defer func() { t.i = start }()
	if len(n.oneOf) > 0 {
		matched := 0
		soft := v.soft
		for _, alt := range n.oneOf {
			t.i = start
			before := v.soft
			if v.fast(alt, depth) {
				matched++
				soft = v.soft
			} else if t.err != tokOK {
				return false
			}
			v.soft = before
		}
		if matched != 1 {
			return false
		}
		v.soft = soft
	}
	if len(n.anyOf) > 0 {
		for i, alt := range n.anyOf {
			t.i = start
			if v.fast(alt, depth) {
				break
			}
			if t.err != tokOK || i == len(n.anyOf)-1 {
				return false
			}
		}
	}
	return true
}

// stringOK is stringReason without the reason, for the fast walk.
func (n *node) stringOK(s []byte) bool {
	if n.minLen != 0 || n.maxLen >= 0 {
		l := int64(utf8.RuneCount(s))
		if (n.minLen != 0 && l < n.minLen) || (n.maxLen >= 0 && l > n.maxLen) {
			return false
		}
	}
	return n.matches(s)
}

// matches applies the pattern; a digit-run pattern (`^[0-9]{1,19}$`, the
// integer-or-digit-string form) is checked without the regexp engine.
func (n *node) matches(s []byte) bool {
	if n.digitsMax > 0 {
		if len(s) < n.digitsMin || len(s) > n.digitsMax {
			return false
		}
		for _, c := range s {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	return n.pattern == nil || n.pattern.Match(s)
}

// numberOK is numberReason without the reason, for the fast walk.
func (n *node) numberOK(f float64) bool {
	if n.types&kNum == 0 || (n.intOnly && f != math.Trunc(f)) ||
		(n.hasMin && !(n.min <= f)) || (n.hasMax && !(n.max >= f)) {
		return false
	}
	return !n.hasFmt || n.numberReason(f) == ""
}

func (n *node) stringReason(s []byte) string {
	if n.minLen != 0 || n.maxLen >= 0 {
		// kin-openapi counts the runes of the decoded string (its UTF-16
		// adjustment never applies to a decoded Go string).
		l := int64(utf8.RuneCount(s))
		if n.minLen != 0 && l < n.minLen {
			return "minimum string length is " + strconv.FormatInt(n.minLen, 10)
		}
		if n.maxLen >= 0 && l > n.maxLen {
			return "maximum string length is " + strconv.FormatInt(n.maxLen, 10)
		}
	}
	if !n.matches(s) {
		return `string doesn't match the regular expression "` + n.pattern.String() + `"`
	}
	return ""
}

// numberReason checks a number as kin-openapi's visitJSONNumber does.
func (n *node) numberReason(f float64) string {
	if n.types&kNum == 0 {
		return n.typeReason()
	}
	if n.intOnly && f != math.Trunc(f) {
		return "value must be an integer"
	}
	if n.hasFmt {
		// As kin-openapi's validateIntegerFormat: MaxInt64 has no float64,
		// it rounds up to 2^63.
		var iv int64
		switch {
		case f == float64(math.MaxInt64):
			iv = math.MaxInt64
		case f >= float64(math.MinInt64) && f < float64(math.MaxInt64):
			iv = int64(f)
		default:
			return "value is out of the format's range"
		}
		if iv < n.fmtLo || iv > n.fmtHi {
			return "value is out of the format's range"
		}
	}
	if n.hasMin && !(n.min <= f) {
		return "number must be at least " + strconv.FormatFloat(n.min, 'g', -1, 64)
	}
	if n.hasMax && !(n.max >= f) {
		return "number must be at most " + strconv.FormatFloat(n.max, 'g', -1, 64)
	}
	return ""
}

func (n *node) typeReason() string {
	var names []string
	for _, k := range []struct {
		k    kind
		name string
	}{{kBool, "boolean"}, {kNum, "number"}, {kStr, "string"}, {kArr, "array"}, {kObj, "object"}} {
		if n.types&k.k != 0 {
			if k.k == kNum && n.intOnly {
				names = append(names, "integer")
				continue
			}
			names = append(names, k.name)
		}
	}
	if len(names) == 1 {
		return "value must be a " + names[0]
	}
	s := "value must be one of"
	for i, x := range names {
		if i > 0 {
			s += ","
		}
		s += " " + x
	}
	return s
}

func enumHas(enum []enumVal, k kind, s []byte, f float64, b bool) bool {
	for _, e := range enum {
		if e.k != k {
			continue
		}
		switch k {
		case kStr:
			if e.s == string(s) {
				return true
			}
		case kNum:
			if e.f == f {
				return true
			}
		case kBool:
			if e.b == b {
				return true
			}
		}
	}
	return false
}
