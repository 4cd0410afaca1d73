package spec

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// The compiled validator: each schema of the document is turned once, at
// load, into a node of small typed checks, and bodies are judged by walking
// the bytes with those nodes (compiled_validate.go). kin-openapi stays the
// reference: the nodes reproduce its OpenAPI 3.0 semantics keyword by
// keyword (schema_3point0_validator.go of kin-openapi v0.153), and
// FuzzCompiledVsReference holds the two to the same verdicts and fields.
// A schema using a keyword the compiler does not reproduce is not compiled:
// its operation's direction is validated by kin-openapi, and Lint says so.

// kind is a JSON value's kind, as a bit so a node can permit several.
type kind uint8

const (
	kNull kind = 1 << iota
	kBool
	kNum
	kStr
	kArr
	kObj
	kAll = kNull | kBool | kNum | kStr | kArr | kObj
)

// node is one compiled schema.
type node struct {
	empty    bool // kin-openapi's IsEmpty: every value but null passes
	nullable bool
	types    kind // the kinds the schema's type permits (all when unset)
	intOnly  bool // type integer without number
	// fmtLo/fmtHi bound an integer format (int32, int64) as kin-openapi's
	// range validators do; hasFmt says one applies.
	hasFmt       bool
	fmtLo, fmtHi int64

	enum []enumVal

	oneOf, anyOf []*node

	minLen, maxLen int64 // maxLen < 0: none
	maxBytes       int   // x-max-bytes, < 0: none (checked after the schema, as validate.go does)
	pattern        *regexp.Regexp
	// digitsMin/Max: the pattern is ^[0-9]{min,max}$ (max > 0), matched
	// by a loop.
	digitsMin, digitsMax int

	hasMin, hasMax bool
	min, max       float64

	minItems, maxItems int64 // maxItems < 0: none
	items              *node

	props         []prop // sorted by name: kin-openapi visits keys in order
	propIdx       map[string]int
	required      []string // in the schema's order, for the first missing one
	addl          *node    // additionalProperties schema, if any
	addlForbidden bool     // additionalProperties: false

	// mbDeep says x-max-bytes applies somewhere under this node through
	// properties, items or oneOf, the walk validate.go's maxBytes takes.
	mbDeep bool
}

// prop is a declared or required property.
type prop struct {
	name   string
	node   *node // nil: required but not declared
	reqBit uint64
}

// enumVal is one enum value of a scalar kind.
type enumVal struct {
	k kind
	s string
	f float64
	b bool
}

// compiler turns schemas into nodes, sharing one node per schema (and
// x-max-bytes reach) so recursive schemas compile to cyclic graphs.
type compiler struct {
	nodes map[compileKey]*node
	// same is the chain of schemas applied to one value (through oneOf or
	// anyOf) being compiled: kin-openapi passes a schema met again on it,
	// which the nodes do not reproduce.
	same []*openapi3.Schema
}

type compileKey struct {
	s  *openapi3.Schema
	mb bool
}

// unsupported is a schema the compiler leaves to kin-openapi.
type unsupported struct{ why string }

func (u *unsupported) Error() string { return u.why }

func unsup(format string, args ...any) error {
	return &unsupported{why: fmt.Sprintf(format, args...)}
}

// digitRun recognises the digit-string pattern of the integer-or-digit-
// string schemas (UnixSeconds, Count).
var digitRun = regexp.MustCompile(`^\^\[0-9\]\{([0-9]{1,4}),([0-9]{1,4})\}\$$`)

// compile compiles s; mb says whether x-max-bytes counts at this place.
func (c *compiler) compile(s *openapi3.Schema, mb bool) (*node, error) {
	if s == nil {
		return nil, unsup("unresolved schema reference")
	}
	key := compileKey{s, mb}
	if n, ok := c.nodes[key]; ok {
		for _, x := range c.same {
			if x == s {
				return nil, unsup("a schema applies to its own value again through oneOf/anyOf")
			}
		}
		return n, nil
	}
	if err := checkKeywords(s); err != nil {
		return nil, err
	}
	n := &node{maxLen: -1, maxBytes: -1, maxItems: -1}
	c.nodes[key] = n
	n.empty = s.IsEmpty()
	n.nullable = s.Nullable
	if s.Type == nil {
		n.types = kAll
	} else {
		for _, t := range *s.Type {
			switch t {
			case openapi3.TypeNull:
				n.types |= kNull
				n.nullable = true
			case openapi3.TypeBoolean:
				n.types |= kBool
			case openapi3.TypeInteger, openapi3.TypeNumber:
				n.types |= kNum
			case openapi3.TypeString:
				n.types |= kStr
			case openapi3.TypeArray:
				n.types |= kArr
			case openapi3.TypeObject:
				n.types |= kObj
			default:
				return nil, unsup("type %q", t)
			}
		}
		n.intOnly = s.Type.Permits(openapi3.TypeInteger) && !s.Type.Permits(openapi3.TypeNumber)
	}
	if err := n.compileFormat(s); err != nil {
		return nil, err
	}
	for _, e := range s.Enum {
		switch v := e.(type) {
		case string:
			n.enum = append(n.enum, enumVal{k: kStr, s: v})
		case bool:
			n.enum = append(n.enum, enumVal{k: kBool, b: v})
		default:
			f, ok := enumNumber(v)
			if !ok {
				return nil, unsup("enum value %v of type %T", e, e)
			}
			n.enum = append(n.enum, enumVal{k: kNum, f: f})
		}
	}
	n.minLen = int64(s.MinLength)
	if s.MaxLength != nil {
		n.maxLen = int64(*s.MaxLength)
	}
	if mb {
		if lim, ok := extInt(s, maxBytesExt); ok {
			n.maxBytes = lim
			n.mbDeep = true
		}
	}
	if s.Pattern != "" {
		if strings.Contains(s.Pattern, `\u`) || strings.Contains(s.Pattern, `\U`) {
			return nil, unsup("pattern %q uses a code-point escape kin-openapi rewrites", s.Pattern)
		}
		re, err := regexp.Compile(s.Pattern)
		if err != nil {
			return nil, unsup("pattern %q does not compile: %v", s.Pattern, err)
		}
		n.pattern = re
		if m := digitRun.FindStringSubmatch(s.Pattern); m != nil {
			lo, _ := strconv.Atoi(m[1])
			hi, err := strconv.Atoi(m[2])
			if err == nil && hi > 0 && lo <= hi {
				n.digitsMin, n.digitsMax = lo, hi
			}
		}
	}
	if s.Min != nil {
		n.hasMin, n.min = true, *s.Min
	}
	if s.Max != nil {
		n.hasMax, n.max = true, *s.Max
	}
	n.minItems = int64(s.MinItems)
	if s.MaxItems != nil {
		n.maxItems = int64(*s.MaxItems)
	}
	// Items and properties are other values: the chain starts afresh.
	outer := c.same
	defer func() { c.same = outer }()
	c.same = nil
	var err error
	if s.Items != nil {
		if n.items, err = c.compile(s.Items.Value, mb); err != nil {
			return nil, err
		}
		n.mbDeep = n.mbDeep || n.items.mbDeep
	}
	if err := c.compileObject(n, s, mb); err != nil {
		return nil, err
	}
	c.same = append(append([]*openapi3.Schema(nil), outer...), s)
	for _, a := range s.OneOf {
		if a == nil {
			return nil, unsup("unresolved oneOf reference")
		}
		an, err := c.compile(a.Value, mb)
		if err != nil {
			return nil, err
		}
		n.oneOf = append(n.oneOf, an)
		n.mbDeep = n.mbDeep || an.mbDeep
	}
	for _, a := range s.AnyOf {
		if a == nil {
			return nil, unsup("unresolved anyOf reference")
		}
		// validate.go's byte-limit walk does not enter anyOf.
		an, err := c.compile(a.Value, false)
		if err != nil {
			return nil, err
		}
		n.anyOf = append(n.anyOf, an)
	}
	return n, nil
}

func (c *compiler) compileObject(n *node, s *openapi3.Schema, mb bool) error {
	names := make([]string, 0, len(s.Properties)+len(s.Required))
	for name := range s.Properties {
		names = append(names, name)
	}
	for _, r := range s.Required {
		if s.Properties[r] == nil && !containsStr(names, r) {
			names = append(names, r)
		}
	}
	sort.Strings(names)
	if len(names) > 64 {
		return unsup("more than 64 declared or required properties")
	}
	if len(names) > 0 {
		n.propIdx = make(map[string]int, len(names))
	}
	for i, name := range names {
		p := prop{name: name}
		if ref := s.Properties[name]; ref != nil {
			pn, err := c.compile(ref.Value, mb)
			if err != nil {
				return err
			}
			p.node = pn
			n.mbDeep = n.mbDeep || pn.mbDeep
		}
		n.props = append(n.props, p)
		n.propIdx[name] = i
	}
	seen := map[string]bool{}
	for _, r := range s.Required {
		if seen[r] {
			continue
		}
		seen[r] = true
		// The fast walk marks each property met by the bit of its index.
		n.props[n.propIdx[r]].reqBit = 1 << n.propIdx[r]
		n.required = append(n.required, r)
	}
	if has := s.AdditionalProperties.Has; has != nil && !*has {
		n.addlForbidden = true
	}
	if ref := s.AdditionalProperties.Schema; ref != nil && !n.addlForbidden {
		an, err := c.compile(ref.Value, false) // maxBytes does not enter additionalProperties
		if err != nil {
			return err
		}
		n.addl = an
	}
	return nil
}

func containsStr(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}

// checkKeywords refuses the keywords the nodes do not reproduce.
func checkKeywords(s *openapi3.Schema) error {
	switch {
	case s.Not != nil:
		return unsup("not")
	case len(s.AllOf) > 0:
		return unsup("allOf")
	case s.Discriminator != nil:
		return unsup("discriminator")
	case s.Always != nil:
		return unsup("boolean schema")
	case s.ExclusiveMin.IsSet() || s.ExclusiveMax.IsSet():
		return unsup("exclusiveMinimum/exclusiveMaximum")
	case s.MultipleOf != nil:
		return unsup("multipleOf")
	case s.UniqueItems:
		return unsup("uniqueItems")
	case s.MinProps != 0 || s.MaxProps != nil:
		return unsup("minProperties/maxProperties")
	case s.ReadOnly || s.WriteOnly:
		return unsup("readOnly/writeOnly")
	case s.Const != nil:
		return unsup("const")
	case len(s.PrefixItems) > 0 || s.Contains != nil || s.MinContains != nil || s.MaxContains != nil ||
		len(s.PatternProperties) > 0 || len(s.DependentSchemas) > 0 || s.PropertyNames != nil ||
		s.UnevaluatedItems.Schema != nil || s.UnevaluatedItems.Has != nil ||
		s.UnevaluatedProperties.Schema != nil || s.UnevaluatedProperties.Has != nil ||
		s.If != nil || s.Then != nil || s.Else != nil || len(s.DependentRequired) > 0:
		return unsup("an OpenAPI 3.1 keyword")
	}
	return nil
}

// compileFormat accepts the formats whose check the node reproduces: the
// integer ranges. kin-openapi checks a few string formats (date, byte,
// ipv4...), which are left to it.
func (n *node) compileFormat(s *openapi3.Schema) error {
	if s.Format == "" {
		return nil
	}
	if n.intOnly {
		switch s.Format {
		case "int64":
			n.hasFmt, n.fmtLo, n.fmtHi = true, math.MinInt64, math.MaxInt64
			return nil
		case "int32":
			n.hasFmt, n.fmtLo, n.fmtHi = true, math.MinInt32, math.MaxInt32
			return nil
		}
		if _, known := openapi3.SchemaIntegerFormats[s.Format]; !known {
			return nil // an unknown format is not checked
		}
		return unsup("integer format %q", s.Format)
	}
	if n.types&kNum != 0 {
		if _, known := openapi3.SchemaNumberFormats[s.Format]; known {
			return unsup("number format %q", s.Format)
		}
	}
	if n.types&kStr != 0 {
		if _, known := openapi3.SchemaStringFormats[s.Format]; known {
			return unsup("string format %q", s.Format)
		}
	}
	return nil
}

func enumNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return 0, false
}
