package spec

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// compiledOp is an operation's compiled request and responses. A nil part
// with a reason in reqFallback/respFallback is validated by kin-openapi.
type compiledOp struct {
	params      []cparam
	body        *cbody
	reqFallback string

	byStatus     map[int]*cresp
	byRef        map[*openapi3.Response]*cresp
	respFallback string
}

// cparam is a path or query parameter of a primitive type.
type cparam struct {
	in, name string
	field    string // "path.expiry"
	required bool
	typ      string // integer, number, boolean or string
	int32    bool
	node     *node
}

// cbody is a request body: its media types' nodes.
type cbody struct {
	required bool
	content  openapi3.Content
	nodes    map[*openapi3.MediaType]*node
}

// cresp is one declared response.
type cresp struct {
	content openapi3.Content
	nodes   map[*openapi3.MediaType]*node
}

// compileDoc compiles every operation; it never fails, it records what it
// left to kin-openapi.
func (d *Doc) compileDoc() {
	c := &compiler{nodes: map[compileKey]*node{}}
	d.compiled = make(map[*route]*compiledOp, len(d.routes))
	for _, r := range d.routes {
		co := &compiledOp{}
		if err := c.compileRequest(co, r); err != nil {
			co.params, co.body = nil, nil
			co.reqFallback = err.Error()
		}
		if err := c.compileResponses(co, r); err != nil {
			co.byStatus, co.byRef = nil, nil
			co.respFallback = err.Error()
		}
		d.compiled[r] = co
	}
}

func (c *compiler) compileRequest(co *compiledOp, r *route) error {
	var params []*openapi3.Parameter
	for _, ref := range r.item.Parameters {
		if ref == nil || ref.Value == nil {
			return unsup("unresolved parameter")
		}
		if r.op.Parameters.GetByInAndName(ref.Value.In, ref.Value.Name) == nil {
			params = append(params, ref.Value)
		}
	}
	for _, ref := range r.op.Parameters {
		if ref == nil || ref.Value == nil {
			return unsup("unresolved parameter")
		}
		params = append(params, ref.Value)
	}
	for _, p := range params {
		cp, err := c.compileParam(p)
		if err != nil {
			return fmt.Errorf("parameter %s.%s: %w", p.In, p.Name, err)
		}
		if cp != nil {
			co.params = append(co.params, *cp)
		}
	}
	if r.op.RequestBody == nil {
		return nil
	}
	rb := r.op.RequestBody.Value
	if rb == nil {
		return unsup("unresolved request body")
	}
	b := &cbody{required: rb.Required, content: rb.Content, nodes: map[*openapi3.MediaType]*node{}}
	for ct, mt := range rb.Content {
		if mt == nil || mt.Schema == nil {
			continue
		}
		if !isJSONMedia(ct) {
			return unsup("request body of media type %q", ct)
		}
		if s := mt.Schema.Value; s != nil && s.Type.Is(openapi3.TypeString) && s.Format == "binary" {
			return unsup("binary request body")
		}
		if len(mt.Encoding) > 0 {
			return unsup("request body encoding")
		}
		n, err := c.compile(mt.Schema.Value, true)
		if err != nil {
			return fmt.Errorf("request body: %w", err)
		}
		b.nodes[mt] = n
	}
	co.body = b
	return nil
}

func isJSONMedia(ct string) bool { return strings.EqualFold(ct, "application/json") }

func (c *compiler) compileParam(p *openapi3.Parameter) (*cparam, error) {
	if p.Schema == nil && p.Content == nil {
		return nil, nil // kin-openapi does not check it either
	}
	switch {
	case p.Content != nil:
		return nil, unsup("content parameter")
	case p.In != openapi3.ParameterInPath && p.In != openapi3.ParameterInQuery:
		return nil, unsup("%s parameter", p.In)
	case p.Style != "" || p.Explode != nil || p.AllowEmptyValue || p.AllowReserved:
		return nil, unsup("style, explode, allowEmptyValue or allowReserved")
	}
	s := p.Schema.Value
	if s == nil || s.Type == nil || len(*s.Type) != 1 || len(s.AllOf) > 0 || len(s.OneOf) > 0 || len(s.AnyOf) > 0 {
		return nil, unsup("a schema other than one primitive type")
	}
	typ := (*s.Type)[0]
	switch typ {
	case openapi3.TypeInteger, openapi3.TypeNumber, openapi3.TypeBoolean, openapi3.TypeString:
	default:
		return nil, unsup("type %s", typ)
	}
	if s.Nullable {
		return nil, unsup("nullable parameter")
	}
	n, err := c.compile(s, false)
	if err != nil {
		return nil, err
	}
	return &cparam{in: p.In, name: p.Name, field: p.In + "." + p.Name, required: p.Required,
		typ: typ, int32: typ == openapi3.TypeInteger && s.Format == "int32", node: n}, nil
}

func (c *compiler) compileResponses(co *compiledOp, r *route) error {
	if r.op.Responses == nil {
		return nil
	}
	co.byStatus = map[int]*cresp{}
	co.byRef = map[*openapi3.Response]*cresp{}
	for code, ref := range r.op.Responses.Map() {
		if ref == nil || ref.Value == nil {
			return unsup("response %s: unresolved reference", code)
		}
		cr, ok := co.byRef[ref.Value]
		if !ok {
			cr = &cresp{content: ref.Value.Content, nodes: map[*openapi3.MediaType]*node{}}
			for ct, mt := range ref.Value.Content {
				if mt == nil || mt.Schema == nil {
					continue
				}
				if !isJSONMedia(ct) {
					return unsup("response %s of media type %q", code, ct)
				}
				n, err := c.compile(mt.Schema.Value, true)
				if err != nil {
					return fmt.Errorf("response %s: %w", code, err)
				}
				cr.nodes[mt] = n
			}
			co.byRef[ref.Value] = cr
		}
		if st, err := strconv.Atoi(code); err == nil {
			co.byStatus[st] = cr
		}
	}
	return nil
}

// CompileFallbacks lists the operations whose request or responses the
// compiled validator leaves to kin-openapi, and why: such a spec is still
// validated in full, only more slowly. Lint reports each one.
func (d *Doc) CompileFallbacks() []string {
	var out []string
	for _, r := range d.routes {
		co := d.compiled[r]
		if co == nil {
			continue
		}
		if co.reqFallback != "" {
			out = append(out, fmt.Sprintf("%s request: %s", r.id, co.reqFallback))
		}
		if co.respFallback != "" {
			out = append(out, fmt.Sprintf("%s responses: %s", r.id, co.respFallback))
		}
	}
	sort.Strings(out)
	return out
}
