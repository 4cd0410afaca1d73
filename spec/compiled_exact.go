package spec

import (
	"sort"
	"strconv"
)

// cerr is a failure found by the exact walk: where (innermost key first)
// and why.
type cerr struct {
	rpath  []string
	reason string
}

func (e *cerr) at(key string) *cerr {
	e.rpath = append(e.rpath, key)
	return e
}

// field renders the location as ValidationError.Field does for
// kin-openapi's errors.
func (e *cerr) field(prefix string) string {
	ptr := make([]string, len(e.rpath))
	for i := range e.rpath {
		ptr[i] = e.rpath[len(e.rpath)-1-i]
	}
	return fieldPath(prefix, ptr)
}

func failAt(reason string) *cerr { return &cerr{reason: reason} }

// member is an object member as encoding/json keeps it: the last of
// duplicate keys.
type member struct {
	key string
	pos int
}

// exact judges the well-formed value at pos as kin-openapi does, in its
// order, and returns its first error.
func (v *vstate) exact(n *node, pos, depth int) *cerr {
	t := &v.t
	t.i = pos
	c := t.peek()
	pos = t.i
	if c == 'n' {
		if n.nullable {
			return nil
		}
		if !n.empty && (len(n.oneOf) > 0 || len(n.anyOf) > 0) {
			// kin-openapi stops after oneOf/anyOf for null.
			return v.exactXOf(n, pos, depth)
		}
		if len(n.enum) > 0 && !n.empty {
			return failAt("value is not one of the allowed values")
		}
		return failAt("Value is not nullable")
	}
	if n.empty {
		return nil
	}
	if len(n.oneOf) > 0 || len(n.anyOf) > 0 {
		if e := v.exactXOf(n, pos, depth); e != nil {
			return e
		}
		t.i = pos
	}
	const notInEnum = "value is not one of the allowed values"
	switch {
	case c == '"':
		s, _ := t.str()
		if len(n.enum) > 0 && !enumHas(n.enum, kStr, s, 0, false) {
			return failAt(notInEnum)
		}
		if n.types&kStr == 0 {
			return failAt(n.typeReason())
		}
		if r := n.stringReason(s); r != "" {
			return failAt(r)
		}
	case c == 't' || c == 'f':
		b := c == 't'
		if len(n.enum) > 0 && !enumHas(n.enum, kBool, nil, 0, b) {
			return failAt(notInEnum)
		}
		if n.types&kBool == 0 {
			return failAt(n.typeReason())
		}
	case c == '-' || isDigit(c):
		text, _ := t.num()
		f, ok := parseNum(text)
		if len(n.enum) > 0 && (!ok || !enumHas(n.enum, kNum, nil, f, false)) {
			return failAt(notInEnum)
		}
		if !ok {
			return failAt("cannot convert json.Number to float64")
		}
		if r := n.numberReason(f); r != "" {
			return failAt(r)
		}
	case c == '[':
		if len(n.enum) > 0 {
			return failAt(notInEnum)
		}
		if n.types&kArr == 0 {
			return failAt(n.typeReason())
		}
		elems := v.elements(depth)
		if l := int64(len(elems)); n.minItems != 0 && l < n.minItems {
			return failAt("minimum number of items is " + strconv.FormatInt(n.minItems, 10))
		} else if n.maxItems >= 0 && l > n.maxItems {
			return failAt("maximum number of items is " + strconv.FormatInt(n.maxItems, 10))
		}
		if n.items != nil {
			for i, p := range elems {
				if e := v.exact(n.items, p, depth+1); e != nil {
					return e.at(strconv.Itoa(i))
				}
			}
		}
	case c == '{':
		if len(n.enum) > 0 {
			return failAt(notInEnum)
		}
		if n.types&kObj == 0 {
			return failAt(n.typeReason())
		}
		return v.exactObject(n, depth)
	}
	return nil
}

func (v *vstate) exactObject(n *node, depth int) *cerr {
	members := v.members(depth)
	for _, m := range members {
		if idx, ok := n.propIdx[m.key]; ok && n.props[idx].node != nil {
			if e := v.exact(n.props[idx].node, m.pos, depth+1); e != nil {
				return e.at(m.key)
			}
			continue
		}
		if n.addlForbidden {
			return failAt(`property "` + m.key + `" is unsupported`)
		}
		if n.addl != nil {
			if e := v.exact(n.addl, m.pos, depth+1); e != nil {
				return e.at(m.key)
			}
		}
	}
	for _, r := range n.required {
		i := sort.Search(len(members), func(i int) bool { return members[i].key >= r })
		if i == len(members) || members[i].key != r {
			return failAt(`property "` + r + `" is missing`).at(r)
		}
	}
	return nil
}

// exactXOf applies oneOf, then anyOf, to the value at pos.
func (v *vstate) exactXOf(n *node, pos, depth int) *cerr {
	if len(n.oneOf) > 0 {
		matched := 0
		var first *cerr
		for _, alt := range n.oneOf {
			if e := v.exact(alt, pos, depth); e != nil {
				if first == nil {
					first = e
				}
				continue
			}
			matched++
		}
		switch {
		case matched == 0:
			// kin-openapi's error wraps the alternatives' errors and the
			// field is read from the first one.
			return first
		case matched > 1:
			return failAt(`value matches more than one schema from "oneOf"`)
		}
	}
	if len(n.anyOf) > 0 {
		for _, alt := range n.anyOf {
			if v.exact(alt, pos, depth) == nil {
				return nil
			}
		}
		return failAt(`doesn't match any schema from "anyOf"`)
	}
	return nil
}

// elements returns where each element of the array at t.i starts.
func (v *vstate) elements(depth int) []int {
	t := &v.t
	var out []int
	if t.open(depth, ']') {
		for {
			t.peek()
			out = append(out, t.i)
			if !t.skip(depth+1) || !t.next(']') {
				break
			}
		}
	}
	return out
}

// members returns the object at t.i's members, the last of duplicates,
// sorted by key as kin-openapi visits them.
func (v *vstate) members(depth int) []member {
	t := &v.t
	var out []member
	at := map[string]int{}
	if t.open(depth, '}') {
		for {
			k, ok := t.key()
			if !ok {
				break
			}
			key := string(k)
			t.peek()
			if i, dup := at[key]; dup {
				out[i].pos = t.i
			} else {
				at[key] = len(out)
				out = append(out, member{key: key, pos: t.i})
			}
			if !t.skip(depth+1) || !t.next('}') {
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// exactBytes walks the value as validate.go's maxBytes does once the
// schema passed: declared properties, items, and the first oneOf
// alternative that matches.
func (v *vstate) exactBytes(n *node, pos, depth int) *cerr {
	t := &v.t
	t.i = pos
	switch t.peek() {
	case '"':
		s, _ := t.str()
		if n.maxBytes >= 0 && len(s) > n.maxBytes {
			return failAt(strconv.Itoa(len(s)) + " bytes, more than the " + strconv.Itoa(n.maxBytes) + " allowed")
		}
	case '{':
		for _, m := range v.members(depth) {
			if idx, ok := n.propIdx[m.key]; ok && n.props[idx].node != nil {
				if e := v.exactBytes(n.props[idx].node, m.pos, depth+1); e != nil {
					return e.at(m.key)
				}
			}
		}
	case '[':
		if n.items != nil {
			for i, p := range v.elements(depth) {
				if e := v.exactBytes(n.items, p, depth+1); e != nil {
					return e.at(strconv.Itoa(i))
				}
			}
		}
	}
	for _, alt := range n.oneOf {
		if v.exact(alt, pos, depth) == nil {
			return v.exactBytes(alt, pos, depth)
		}
	}
	return nil
}
