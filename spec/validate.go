package spec

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// maxBytesExt is the schema extension holding a string's limit in bytes:
// JSON Schema's maxLength counts characters, the contract counts bytes.
const maxBytesExt = "x-max-bytes"

// ValidateRequest checks a request against the operation its method and
// path route to: path and query parameters and the JSON body. It does not
// check credentials (that is the server's job, and a 401 is a declared
// answer). The body is read and put back, so the request can still be sent
// or served. The error is a *ValidationError; one for a request beyond the
// work bounds (MaxJSONDepth, MaxRequestBodyBytes, MaxParamBytes) wraps
// ErrTooDeep, ErrBodyTooLarge or ErrParamTooLong, found before any
// decoding, so refusing the worst input costs a scan of its bytes.
func (d *Doc) ValidateRequest(ctx context.Context, req *http.Request) error {
	rt, err := d.Route(req.Method, req.URL.EscapedPath())
	if err != nil {
		return &ValidationError{Direction: Request, Field: "route", Reason: capText(err.Error()), Err: err}
	}
	return d.ValidateRequestFor(ctx, rt, req)
}

// ValidateRequestFor is ValidateRequest for a request already routed, so a
// proxy routes each exchange once.
func (d *Doc) ValidateRequestFor(ctx context.Context, rt *Route, req *http.Request) error {
	if verr := checkParams(rt, req); verr != nil {
		return verr
	}
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		if req.ContentLength > MaxRequestBodyBytes {
			return tooLarge(rt)
		}
		buf, err := io.ReadAll(io.LimitReader(req.Body, MaxRequestBodyBytes+1))
		if err != nil || len(buf) > MaxRequestBodyBytes {
			// Put back what was read, then the rest: the caller may still
			// forward the request as it came.
			req.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(buf), req.Body), req.Body}
			if err != nil {
				return &ValidationError{Operation: rt.Operation, Direction: Request, Field: "body", Reason: "reading the body failed", Err: err}
			}
			return tooLarge(rt)
		}
		_ = req.Body.Close()
		body = buf
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	if err := CheckJSONDepth(body, MaxJSONDepth); err != nil {
		return &ValidationError{Operation: rt.Operation, Direction: Request, Field: "body", Reason: capText(err.Error()), Err: err}
	}
	// fastval hook: the compiled validator (compiled_api.go) judges the
	// request unless it is left to kin-openapi below.
	if done, err := d.validateRequestCompiled(ctx, rt, req, body); done {
		return err
	}
	in := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: rt.Params,
		Route:      d.kinRoute(rt),
		Options: &openapi3filter.Options{
			AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
			SkipSettingDefaults: true, // a proxy must forward the request unchanged
		},
	}
	verr := openapi3filter.ValidateRequest(ctx, in)
	if body != nil {
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	if verr != nil {
		return fromRequestError(rt.Operation, verr)
	}
	if body != nil && rt.r.op.RequestBody != nil && rt.r.op.RequestBody.Value != nil {
		// Decode again only for a schema with a byte limit (set status):
		// kin-openapi has already checked everything else.
		if mt := rt.r.op.RequestBody.Value.Content.Get(req.Header.Get("Content-Type")); mt != nil && mt.Schema != nil && d.hasMaxBytes(mt.Schema.Value) {
			var v any
			// Decoded as kin-openapi decodes requests (UseNumber): with
			// json.Unmarshal a number beyond float64 anywhere in the body
			// skipped the byte limit (TestByteLimitBesideAHugeNumber).
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.UseNumber()
			if dec.Decode(&v) == nil {
				if f, reason := maxBytes(mt.Schema.Value, v, "body"); f != "" {
					return &ValidationError{Operation: rt.Operation, Direction: Request, Field: capText(f), Reason: reason}
				}
			}
		}
	}
	return nil
}

// ValidateParamsFor checks only the path and query parameters of a routed
// request, never reading its body: a proxy that cannot hold a body still
// judges what the URL asks for (an expiry beyond the limit, a page size).
func (d *Doc) ValidateParamsFor(ctx context.Context, rt *Route, req *http.Request) error {
	if verr := checkParams(rt, req); verr != nil {
		return verr
	}
	// kin-openapi's security check reads the whole body even with
	// ExcludeRequestBody: it gets none, so a huge body stays unread.
	bodiless := *req
	bodiless.Body, bodiless.ContentLength, bodiless.GetBody = http.NoBody, 0, nil
	in := &openapi3filter.RequestValidationInput{
		Request:    &bodiless,
		PathParams: rt.Params,
		Route:      d.kinRoute(rt),
		Options: &openapi3filter.Options{
			AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
			SkipSettingDefaults: true,
			ExcludeRequestBody:  true,
		},
	}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		return fromRequestError(rt.Operation, err)
	}
	return nil
}

func tooLarge(rt *Route) *ValidationError {
	return &ValidationError{Operation: rt.Operation, Direction: Request, Field: "body",
		Reason: fmt.Sprintf("more than %d bytes", MaxRequestBodyBytes), Err: ErrBodyTooLarge}
}

// checkParams refuses a query servers may read differently, and path and
// query values over MaxParamBytes before the validator copies and quotes
// them.
func checkParams(rt *Route, req *http.Request) *ValidationError {
	if err := rt.CheckQuery(req.URL.RawQuery); err != nil {
		return &ValidationError{Operation: rt.Operation, Direction: Request, Field: "query", Reason: err.Error(), Err: err}
	}
	long := func(field string, n int) *ValidationError {
		return &ValidationError{Operation: rt.Operation, Direction: Request, Field: capText(field),
			Reason: fmt.Sprintf("%d bytes, more than the %d accepted", n, MaxParamBytes), Err: ErrParamTooLong}
	}
	for name, v := range rt.Params {
		if len(v) > MaxParamBytes {
			return long("path."+name, len(v))
		}
	}
	if len(req.URL.RawQuery) > MaxParamBytes {
		for name, vs := range req.URL.Query() {
			for _, v := range vs {
				if len(v) > MaxParamBytes || len(name) > MaxParamBytes {
					return long("query."+name, max(len(v), len(name)))
				}
			}
		}
	}
	return nil
}

// ValidateResponse checks an answer against what the spec declares for the
// request's operation and the status: the status must be declared, the
// content type offered, and the body must match the schema. The error is a
// *ValidationError.
func (d *Doc) ValidateResponse(ctx context.Context, req *http.Request, status int, header http.Header, body []byte) error {
	rt, err := d.Route(req.Method, req.URL.EscapedPath())
	if err != nil {
		return &ValidationError{Direction: Response, Field: "route", Reason: capText(err.Error()), Err: err}
	}
	return d.ValidateResponseFor(ctx, rt, status, header, body)
}

// ValidateResponseFor is ValidateResponse for a request already routed, so
// hot paths (the load generator, the proxy) route once.
func (d *Doc) ValidateResponseFor(ctx context.Context, rt *Route, status int, header http.Header, body []byte) error {
	// fastval hook: the compiled validator (compiled_api.go) judges the
	// answer unless it is left to kin-openapi below.
	if done, err := d.validateResponseCompiled(ctx, rt, status, header, body); done {
		return err
	}
	fail := func(field, reason string, err error) error {
		return &ValidationError{Operation: rt.Operation, Direction: Response, Field: field, Reason: reason, Err: err}
	}
	ref := rt.r.op.Responses.Status(status)
	if ref == nil {
		ref = rt.r.op.Responses.Default()
	}
	if ref == nil || ref.Value == nil {
		return fail("status", "status "+strconv.Itoa(status)+" is not declared for the operation", nil)
	}
	if len(ref.Value.Content) == 0 {
		return nil
	}
	ct := header.Get("Content-Type")
	mt := ref.Value.Content.Get(ct)
	if mt == nil {
		return fail("header.Content-Type", fmt.Sprintf("content type %q is not declared for status %d", ct, status), nil)
	}
	if mt.Schema == nil || mt.Schema.Value == nil {
		return nil
	}
	schema := mt.Schema.Value
	hasMaxBytes := d.hasMaxBytes(schema)
	if err := CheckJSONDepth(body, MaxJSONDepth); err != nil {
		return fail("body", capText(err.Error()), err)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fail("body", capText("not valid JSON: "+err.Error()), err)
	}
	// Most answers are valid: check fail-fast first, which builds no error
	// details, and pay for a detailed run only to explain a failure.
	if schema.VisitJSON(v, openapi3.VisitAsResponse(), openapi3.FailFast()) != nil {
		err := schema.VisitJSON(v, openapi3.VisitAsResponse())
		if err == nil {
			return nil
		}
		if f, reason, ok := fromSchemaError("body", err); ok {
			return fail(f, reason, err)
		}
		return fail("body", "does not match the schema", err)
	}
	if hasMaxBytes {
		if f, reason := maxBytes(schema, v, "body"); f != "" {
			return fail(f, reason, nil)
		}
	}
	return nil
}

// hasMaxBytes says whether x-max-bytes appears anywhere under s, so the
// byte-length walk is skipped for the (response) schemas that have none.
// The answer is computed once per schema and kept.
func (d *Doc) hasMaxBytes(s *openapi3.Schema) bool {
	if v, ok := d.maxBytesSchemas.Load(s); ok {
		return v.(bool)
	}
	has := schemaHasExt(s, maxBytesExt, map[*openapi3.Schema]bool{})
	d.maxBytesSchemas.Store(s, has)
	return has
}

func schemaHasExt(s *openapi3.Schema, name string, seen map[*openapi3.Schema]bool) bool {
	if s == nil || seen[s] {
		return false
	}
	seen[s] = true
	if _, ok := s.Extensions[name]; ok {
		return true
	}
	subs := make([]*openapi3.SchemaRef, 0, len(s.Properties)+len(s.OneOf)+1)
	for _, p := range s.Properties {
		subs = append(subs, p)
	}
	subs = append(subs, s.OneOf...)
	subs = append(subs, s.Items)
	for _, sub := range subs {
		if sub != nil && schemaHasExt(sub.Value, name, seen) {
			return true
		}
	}
	return false
}

// maxBytes enforces x-max-bytes on a value that already matched schema; it
// returns the offending field, or "" when all is well.
func maxBytes(s *openapi3.Schema, v any, path string) (field, reason string) {
	if s == nil {
		return "", ""
	}
	switch val := v.(type) {
	case string:
		if lim, ok := extInt(s, maxBytesExt); ok && len(val) > lim {
			return path, fmt.Sprintf("%d bytes, more than the %d allowed", len(val), lim)
		}
	case map[string]any:
		for name, p := range s.Properties {
			if pv, ok := val[name]; ok && p != nil {
				if f, r := maxBytes(p.Value, pv, path+"."+name); f != "" {
					return f, r
				}
			}
		}
	case []any:
		if s.Items != nil {
			for i, item := range val {
				if f, r := maxBytes(s.Items.Value, item, path+"["+strconv.Itoa(i)+"]"); f != "" {
					return f, r
				}
			}
		}
	}
	for _, alt := range s.OneOf {
		if alt != nil && alt.Value != nil && alt.Value.VisitJSON(v) == nil {
			return maxBytes(alt.Value, v, path)
		}
	}
	return "", ""
}

// extInt reads an integer schema extension such as x-max-bytes.
func extInt(s *openapi3.Schema, name string) (int, bool) {
	raw, ok := s.Extensions[name]
	if !ok {
		return 0, false
	}
	switch n := raw.(type) {
	case float64:
		return int(n), true
	case int:
		return n, true
	case int64:
		return int(n), true
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	}
	return 0, false
}
