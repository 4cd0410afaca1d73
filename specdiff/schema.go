package specdiff

import (
	"fmt"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// direction says who produces the values a schema describes. A change that
// narrows what is valid (tightens) breaks clients when they produce the
// values (requests: what they sent is now refused) and is safe when the
// server does (responses: clients see fewer shapes). Widening is the
// reverse: new answers a client was not written for.
type direction string

const (
	request  direction = "request"
	response direction = "response"
)

// maxBytesExt is the byte-length limit extension openapi.yaml uses.
const maxBytesExt = "x-max-bytes"

// narrowed records a change that tightens (narrow) or widens (!narrow) the
// values the schema accepts, breaking as the direction decides.
func (d *differ) narrowed(dir direction, narrow bool, kind, loc, format string, a ...any) {
	breaking := narrow == (dir == request)
	d.add(breaking, string(dir)+"-"+kind, loc, string(dir)+" "+format, a...)
}

// schema compares two schemas at loc, recursively. Each pair of schema
// objects is compared once per operation, so recursive schemas end.
func (d *differ) schema(loc string, oldRef, newRef *openapi3.SchemaRef, dir direction) {
	if oldRef == nil || newRef == nil || oldRef.Value == nil || newRef.Value == nil {
		if (oldRef == nil) != (newRef == nil) {
			d.narrowed(dir, oldRef == nil, "schema-changed", loc, "schema %s", map[bool]string{true: "added", false: "removed"}[oldRef == nil])
		}
		return
	}
	o, n := oldRef.Value, newRef.Value
	if d.seen == nil {
		d.seen = map[[2]*openapi3.Schema]bool{}
	}
	key := [2]*openapi3.Schema{o, n}
	if d.seen[key] {
		return
	}
	d.seen[key] = true
	defer delete(d.seen, key)

	if ot, nt := typeString(o), typeString(n); ot != nt {
		d.add(true, string(dir)+"-type-changed", loc+"/type", "%s type changed from %s to %s", dir, ot, nt)
	}
	if o.Format != n.Format {
		d.add(true, string(dir)+"-format-changed", loc+"/format", "%s format changed from %q to %q", dir, o.Format, n.Format)
	}
	d.upper(dir, loc+"/maximum", "maximum", o.Max, n.Max)
	d.lower(dir, loc+"/minimum", "minimum", o.Min, n.Min)
	d.upper(dir, loc+"/maxLength", "maxLength", u2f(o.MaxLength), u2f(n.MaxLength))
	d.lower(dir, loc+"/minLength", "minLength", u2fz(o.MinLength), u2fz(n.MinLength))
	d.upper(dir, loc+"/maxItems", "maxItems", u2f(o.MaxItems), u2f(n.MaxItems))
	d.lower(dir, loc+"/minItems", "minItems", u2fz(o.MinItems), u2fz(n.MinItems))
	d.upper(dir, loc+"/"+maxBytesExt, maxBytesExt, extNumber(o, maxBytesExt), extNumber(n, maxBytesExt))
	d.enum(dir, loc+"/enum", o.Enum, n.Enum)
	switch {
	case o.Pattern == n.Pattern:
	case o.Pattern == "":
		d.narrowed(dir, true, "pattern-added", loc+"/pattern", "pattern %q added", n.Pattern)
	case n.Pattern == "":
		d.narrowed(dir, false, "pattern-removed", loc+"/pattern", "pattern %q removed", o.Pattern)
	default:
		// Which of two regular expressions accepts more cannot be decided
		// in general: assume the worst for the direction.
		d.add(true, string(dir)+"-pattern-changed", loc+"/pattern", "%s pattern changed from %q to %q", dir, o.Pattern, n.Pattern)
	}
	if o.Nullable != n.Nullable {
		d.narrowed(dir, o.Nullable, "nullable-changed", loc+"/nullable", "nullable changed from %v to %v", o.Nullable, n.Nullable)
	}
	d.properties(loc, o, n, dir)
	d.schema(loc+"/items", o.Items, n.Items, dir)
	d.alternatives(dir, loc, "oneOf", o.OneOf, n.OneOf)
	d.alternatives(dir, loc, "anyOf", o.AnyOf, n.AnyOf)
	d.alternatives(dir, loc, "allOf", o.AllOf, n.AllOf)
	oa, na := o.AdditionalProperties, n.AdditionalProperties
	if allows(oa) != allows(na) {
		d.narrowed(dir, !allows(na), "additional-properties-changed", loc+"/additionalProperties", "additionalProperties %s", map[bool]string{true: "now allowed", false: "no longer allowed"}[allows(na)])
	}
	if oa.Schema != nil && na.Schema != nil {
		d.schema(loc+"/additionalProperties", oa.Schema, na.Schema, dir)
	}
}

// properties compares object properties and which of them are required.
func (d *differ) properties(loc string, o, n *openapi3.Schema, dir direction) {
	for _, name := range sortedKeys(o.Properties, n.Properties) {
		op, inOld := o.Properties[name]
		np, inNew := n.Properties[name]
		ploc := loc + "/properties/" + escape(name)
		wasReq, isReq := slices.Contains(o.Required, name), slices.Contains(n.Required, name)
		switch {
		case !inNew:
			d.add(true, string(dir)+"-property-removed", ploc, "%s property %q removed", dir, name)
		case !inOld:
			if dir == request && isReq {
				d.add(true, "request-property-added-required", ploc, "new required request property %q", name)
			} else {
				d.add(false, string(dir)+"-property-added", ploc, "new %s property %q", dir, name)
			}
		default:
			switch {
			case !wasReq && isReq:
				d.narrowed(dir, true, "property-became-required", loc+"/required", "property %q is now required", name)
			case wasReq && !isReq:
				d.narrowed(dir, false, "property-became-optional", loc+"/required", "property %q is now optional (%s)", name,
					map[direction]string{request: "clients may leave it out", response: "clients may no longer find it"}[dir])
			}
			d.schema(ploc, op, np, dir)
		}
	}
}

// upper compares an upper bound: lowering it (or adding one) narrows.
func (d *differ) upper(dir direction, loc, what string, o, n *float64) {
	d.bound(dir, loc, what, o, n, true)
}

// lower compares a lower bound: raising it (or adding one) narrows.
func (d *differ) lower(dir direction, loc, what string, o, n *float64) {
	d.bound(dir, loc, what, o, n, false)
}

// bound compares a bound of either kind: adding one narrows, removing one
// widens, and moving it narrows when it moves inwards (down for an upper
// bound, up for a lower one).
func (d *differ) bound(dir direction, loc, what string, o, n *float64, upper bool) {
	switch {
	case o == nil && n == nil:
	case o == nil:
		d.narrowed(dir, true, what+"-added", loc, "%s %s added", what, num(*n))
	case n == nil:
		d.narrowed(dir, false, what+"-removed", loc, "%s %s removed", what, num(*o))
	case *n != *o:
		down := *n < *o
		moved := "raised"
		if down {
			moved = "lowered"
		}
		d.narrowed(dir, down == upper, what+"-"+moved, loc, "%s %s from %s to %s", what, moved, num(*o), num(*n))
	}
}

func (d *differ) enum(dir direction, loc string, o, n []any) {
	switch {
	case len(o) == 0 && len(n) == 0:
		return
	case len(o) == 0:
		d.narrowed(dir, true, "enum-added", loc, "enum %v added", n)
		return
	case len(n) == 0:
		d.narrowed(dir, false, "enum-removed", loc, "enum %v removed", o)
		return
	}
	has := func(list []any, v any) bool {
		return slices.ContainsFunc(list, func(x any) bool { return fmt.Sprint(x) == fmt.Sprint(v) })
	}
	for _, v := range o {
		if !has(n, v) {
			d.narrowed(dir, true, "enum-value-removed", loc, "enum value %v removed", v)
		}
	}
	for _, v := range n {
		if !has(o, v) {
			d.narrowed(dir, false, "enum-value-added", loc, "enum value %v added", v)
		}
	}
}

// alternatives compares oneOf/anyOf/allOf lists by position.
func (d *differ) alternatives(dir direction, loc, kw string, o, n openapi3.SchemaRefs) {
	for i := range min(len(o), len(n)) {
		d.schema(fmt.Sprintf("%s/%s/%d", loc, kw, i), o[i], n[i], dir)
	}
	if len(o) == len(n) {
		return
	}
	// More oneOf/anyOf alternatives accept more; more allOf parts accept less.
	narrow := len(n) < len(o)
	if kw == "allOf" {
		narrow = !narrow
	}
	d.narrowed(dir, narrow, strings.ToLower(kw)+"-changed", loc+"/"+kw, "%s has %d alternatives instead of %d", kw, len(n), len(o))
}

func typeString(s *openapi3.Schema) string {
	if s.Type == nil || len(*s.Type) == 0 {
		return "any"
	}
	t := slices.Clone(s.Type.Slice())
	slices.Sort(t)
	return strings.Join(t, "|")
}

func allows(ap openapi3.AdditionalProperties) bool {
	return ap.Has == nil || *ap.Has || ap.Schema != nil
}

func extNumber(s *openapi3.Schema, name string) *float64 {
	switch v := s.Extensions[name].(type) {
	case float64:
		return &v
	case int:
		f := float64(v)
		return &f
	case int64:
		f := float64(v)
		return &f
	}
	return nil
}

func u2f(u *uint64) *float64 {
	if u == nil {
		return nil
	}
	f := float64(*u)
	return &f
}

// u2fz treats 0 (the default of minLength and minItems) as absent.
func u2fz(u uint64) *float64 {
	if u == 0 {
		return nil
	}
	return u2f(&u)
}

func num(f float64) string { return fmt.Sprintf("%g", f) }
