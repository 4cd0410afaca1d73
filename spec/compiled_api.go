package spec

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// referenceKey marks a context whose validation must take kin-openapi's
// path (see WithReference).
type referenceKey struct{}

// WithReference returns a context under which ValidateRequestFor and
// ValidateResponseFor use kin-openapi, the reference the compiled
// validator is measured and fuzzed against, instead of the compiled
// validator.
func WithReference(ctx context.Context) context.Context {
	return context.WithValue(ctx, referenceKey{}, true)
}

func isReference(ctx context.Context) bool {
	return ctx != nil && ctx.Value(referenceKey{}) != nil
}

// ValidateRequestReference is ValidateRequestFor on kin-openapi's path.
func (d *Doc) ValidateRequestReference(ctx context.Context, rt *Route, req *http.Request) error {
	return d.ValidateRequestFor(WithReference(ctx), rt, req)
}

// ValidateResponseReference is ValidateResponseFor on kin-openapi's path.
func (d *Doc) ValidateResponseReference(ctx context.Context, rt *Route, status int, header http.Header, body []byte) error {
	return d.ValidateResponseFor(WithReference(ctx), rt, status, header, body)
}

// ValidateResponseBytes checks an answer of the operation opID (an
// operationId) as ValidateResponseFor does, given only its status, its
// Content-Type and its body: a caller that decodes the answer afterwards
// (the proxy's presence checks) validates the bytes once here and decodes
// them once into its own types. The error is a *ValidationError.
func (d *Doc) ValidateResponseBytes(opID string, status int, contentType string, body []byte) error {
	r, ok := d.ops[opID]
	if !ok {
		return &ValidationError{Operation: opID, Direction: Response, Field: "route",
			Reason: fmt.Sprintf("the spec has no operation %q", opID), Err: ErrNoRoute}
	}
	if co := d.compiled[r]; co != nil && co.respFallback == "" {
		return d.responseCompiled(r, co, status, contentType, body)
	}
	rt := &Route{Operation: r.id, Method: r.method, Path: r.path, r: r}
	return d.ValidateResponseFor(context.Background(), rt, status, http.Header{"Content-Type": []string{contentType}}, body)
}

// validateResponseCompiled is ValidateResponseFor's hook: done is false
// when the answer is left to kin-openapi (a reference context, or a schema
// the compiler does not cover).
func (d *Doc) validateResponseCompiled(ctx context.Context, rt *Route, status int, header http.Header, body []byte) (done bool, err error) {
	if isReference(ctx) || rt == nil || rt.r == nil {
		return false, nil
	}
	co := d.compiled[rt.r]
	if co == nil || co.respFallback != "" {
		return false, nil
	}
	return true, d.responseCompiled(rt.r, co, status, header.Get("Content-Type"), body)
}

func (d *Doc) responseCompiled(r *route, co *compiledOp, status int, ct string, body []byte) error {
	fail := func(field, reason string) error {
		return &ValidationError{Operation: r.id, Direction: Response, Field: field, Reason: reason}
	}
	cr := co.byStatus[status]
	if cr == nil {
		ref := r.op.Responses.Status(status)
		if ref == nil {
			ref = r.op.Responses.Default()
		}
		if ref != nil {
			cr = co.byRef[ref.Value]
		}
		if cr == nil {
			return fail("status", "status "+strconv.Itoa(status)+" is not declared for the operation")
		}
	}
	if len(cr.content) == 0 {
		return nil
	}
	mt := cr.content.Get(ct)
	if mt == nil {
		return fail("header.Content-Type", fmt.Sprintf("content type %q is not declared for status %d", ct, status))
	}
	n := cr.nodes[mt]
	if n == nil {
		return nil
	}
	return judgeBody(r.id, Response, n, body, true)
}

// judgeBody validates a JSON body against n: the fast walk, then, only if
// it has any doubt, the exact walk for kin-openapi's verdict and field.
// floats says numbers decode as float64 (responses, json.Unmarshal) rather
// than as json.Number (requests).
func judgeBody(op string, dir Direction, n *node, body []byte, floats bool) error {
	v := vstate{t: tok{b: body, floats: floats}}
	ok := v.fast(n, 0)
	if ok && !v.soft && !v.unsure && !v.t.more() {
		return nil
	}
	fail := func(field, reason string) error {
		return &ValidationError{Operation: op, Direction: dir, Field: capText(field), Reason: capText(reason)}
	}
	// A body beyond the depth bound wraps ErrTooDeep, as the checks in
	// validate.go do, so callers answer it alike.
	failTok := func(e tokErr) error {
		ve := &ValidationError{Operation: op, Direction: dir, Field: "body", Reason: e.String()}
		if e == tokTooDeep {
			ve.Err = ErrTooDeep
		}
		return ve
	}
	// json.Unmarshal (responses) refuses any malformed body before the
	// schema is applied; kin-openapi decodes requests with a json.Decoder,
	// which reads the first value only, so there the schema judges that
	// value first and data after it is refused last (kin-openapi accepts
	// it: see FuzzCompiledVsReference).
	trailing := false
	if floats {
		if e, _ := wellFormed(body, true, v.t.scratch); e != tokOK {
			return failTok(e)
		}
	} else {
		t := tok{b: body, scratch: v.t.scratch[:0]}
		if !t.skip(0) {
			return failTok(t.err)
		}
		trailing = t.more()
	}
	x := vstate{t: tok{b: body, floats: floats, scratch: v.t.scratch[:0]}}
	if ce := x.exact(n, 0, 0); ce != nil {
		return fail(ce.field("body"), ce.reason)
	}
	if ce := x.exactBytes(n, 0, 0); ce != nil {
		return fail(ce.field("body"), ce.reason)
	}
	if trailing {
		return fail("body", tokTrailing.String())
	}
	return nil
}

// validateRequestCompiled is ValidateRequestFor's hook, called with the
// body already read: done is false when the request is left to
// kin-openapi.
func (d *Doc) validateRequestCompiled(ctx context.Context, rt *Route, req *http.Request, body []byte) (done bool, err error) {
	if isReference(ctx) || rt == nil || rt.r == nil {
		return false, nil
	}
	co := d.compiled[rt.r]
	if co == nil || co.reqFallback != "" {
		return false, nil
	}
	fail := func(field, reason string) error {
		return &ValidationError{Operation: rt.Operation, Direction: Request, Field: field, Reason: reason}
	}
	var query url.Values
	for i := range co.params {
		p := &co.params[i]
		var raw string
		found := false
		if p.in == "path" {
			raw, found = rt.Params[p.name]
			found = found && raw != ""
		} else {
			if query == nil {
				query = req.URL.Query()
			}
			if vals := query[p.name]; len(vals) > 0 {
				found, raw = true, firstNonEmpty(vals)
			}
		}
		if !found {
			if p.required {
				return true, fail(p.field, "value is required but missing")
			}
			continue
		}
		if reason := p.check(raw); reason != "" {
			return true, fail(p.field, reason)
		}
	}
	b := co.body
	if b == nil {
		return true, nil
	}
	if len(body) == 0 {
		if b.required {
			return true, fail("body", "value is required but missing")
		}
		return true, nil
	}
	if len(b.content) == 0 {
		return true, nil
	}
	ct := req.Header.Get("Content-Type")
	mt := b.content.Get(ct)
	if mt == nil {
		return true, fail("body", fmt.Sprintf("header Content-Type has unexpected value %q", ct))
	}
	if mt.Schema == nil {
		return true, nil
	}
	n := b.nodes[mt]
	media, _, _ := strings.Cut(ct, ";")
	if n == nil || !strings.EqualFold(strings.TrimSpace(media), "application/json") {
		return false, nil // a decoder other than JSON's: kin-openapi's
	}
	return true, judgeBody(rt.Operation, Request, n, body, false)
}

// firstNonEmpty is the value kin-openapi takes of a repeated query key.
func firstNonEmpty(vals []string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return vals[0]
}

// check parses a parameter as kin-openapi does (strconv, by the schema's
// type) and judges the value; it returns the reason it fails, or "".
func (p *cparam) check(raw string) string {
	n := p.node
	if raw == "" && p.typ != "string" {
		return "empty value is not allowed"
	}
	const notInEnum = "value is not one of the allowed values"
	switch p.typ {
	case "integer", "number":
		var f float64
		if p.typ == "integer" {
			bits := 64
			if p.int32 {
				bits = 32
			}
			iv, err := strconv.ParseInt(raw, 10, bits)
			if err != nil {
				return "an invalid integer"
			}
			f = float64(iv)
		} else {
			if strings.ContainsFunc(raw, func(r rune) bool { return !strings.ContainsRune("+-.0123456789eE", r) }) {
				return "an invalid number"
			}
			var err error
			if f, err = strconv.ParseFloat(raw, 64); err != nil {
				return "an invalid number"
			}
		}
		if len(n.enum) > 0 && !enumHas(n.enum, kNum, nil, f, false) {
			return notInEnum
		}
		return n.numberReason(f)
	case "boolean":
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return "an invalid boolean"
		}
		if len(n.enum) > 0 && !enumHas(n.enum, kBool, nil, 0, b) {
			return notInEnum
		}
		return ""
	}
	if len(n.enum) > 0 && !enumHas(n.enum, kStr, []byte(raw), 0, false) {
		return notInEnum
	}
	return n.stringReason([]byte(raw))
}
