package spec

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

// ErrNoRoute means no operation of the spec has a path that matches.
var ErrNoRoute = errors.New("no operation matches the path")

// ErrMethodNotAllowed means a path matches but not with this method.
var ErrMethodNotAllowed = errors.New("method not allowed for the path")

// ErrAmbiguousPath means servers may route the path differently: it holds
// a NUL, a dot segment or an empty one ("//", a trailing "/"), or it routes to an operation only once decoded
// another common way (an escaped "/" or "\" taken as a separator, empty
// and dot segments dropped, ";params" stripped, literal words compared
// without case) and to none or another one as the presencekit mock routes
// it. A proxy must not guess: it refuses such a path.
var ErrAmbiguousPath = errors.New("path is ambiguous: servers may decode it differently")

// ErrAmbiguousQuery means servers may read the query differently: a
// parameter the operation declares is given twice (some take the first
// value, some the last), under another case, or the query holds a ";"
// (some servers split on it).
var ErrAmbiguousQuery = errors.New("query is ambiguous: servers may read it differently")

// ErrUndecodablePath means a path segment holds a malformed %-escape.
var ErrUndecodablePath = errors.New("path has a malformed escape")

// Route is a request matched to an operation of the spec.
type Route struct {
	// Operation is the operationId.
	Operation string
	// Method and Path are the operation's method and path template.
	Method, Path string
	// Base is what came before the path template (which starts with the
	// tenant prefix, e.g. /{org_name}/{app_name}): the deployment's own
	// prefix, if any.
	Base string
	// Org and App are the tenant parameters the request carried: org_name,
	// and app_name or app_id (Org is empty when the tenant prefix has no
	// org_name, as Shengwang's /app-id/{app_id}).
	Org, App string
	// Params holds the path parameters, unescaped.
	Params map[string]string

	r *route
}

// route is one operation's precomputed template.
type route struct {
	id       string
	method   string
	path     string
	segs     []string // template segments; "{x}" marks a parameter
	literals int      // how many segments are literal, for specificity
	item     *openapi3.PathItem
	op       *openapi3.Operation
}

func (d *Doc) buildRoutes() error {
	d.ops = map[string]*route{}
	for _, path := range d.T.Paths.InMatchingOrder() {
		item := d.T.Paths.Value(path)
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				return fmt.Errorf("%s %s: operationId missing", method, path)
			}
			if _, dup := d.ops[op.OperationID]; dup {
				return fmt.Errorf("operationId %q used twice", op.OperationID)
			}
			r := &route{id: op.OperationID, method: method, path: path, item: item, op: op,
				segs: strings.Split(strings.Trim(path, "/"), "/")}
			for _, s := range r.segs {
				if !isParam(s) {
					r.literals++
				}
			}
			d.routes = append(d.routes, r)
			d.ops[op.OperationID] = r
		}
	}
	// Most literal first, so /users/{u}/presence/sublist beats
	// /users/{u}/presence/{expiry} whatever the method.
	sort.SliceStable(d.routes, func(i, j int) bool {
		if d.routes[i].literals != d.routes[j].literals {
			return d.routes[i].literals > d.routes[j].literals
		}
		return d.routes[i].id < d.routes[j].id
	})
	return nil
}

func isParam(seg string) bool {
	return len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}'
}

// Route matches a request to an operation. The spec's paths start with
// the tenant prefix (/{org_name}/{app_name}, or a profile's own such as
// /app-id/{app_id}) and a deployment may add any prefix before them, so the
// template is matched against the end of the path: routing works for any
// host, port, org and app, not only the servers entry.
//
// escapedPath is URL.EscapedPath(). It is split at its "/" and each
// segment is then unescaped, as the presencekit mock (and most servers)
// route: "%70resence" is the literal "presence", and an escaped "/" inside
// a username stays part of that one segment. A path servers could route
// differently is refused with ErrAmbiguousPath, a malformed escape with
// ErrUndecodablePath.
func (d *Doc) Route(method, escapedPath string) (*Route, error) {
	fail := func(err error) error {
		return fmt.Errorf("%s %s: %w", method, capText(escapedPath), err)
	}
	if !strings.HasPrefix(escapedPath, "/") {
		return nil, fail(ErrNoRoute)
	}
	raw := strings.Split(escapedPath[1:], "/")
	segs := make([]string, len(raw))
	for i, r := range raw {
		seg := r
		if strings.IndexByte(r, '%') >= 0 {
			u, err := url.PathUnescape(r)
			if err != nil {
				return nil, fail(ErrUndecodablePath)
			}
			seg = u
		}
		if seg == "." || seg == ".." || strings.IndexByte(seg, 0) >= 0 || (r == "" && len(raw) > 1) {
			return nil, fail(ErrAmbiguousPath)
		}
		segs[i] = seg
	}
	rt, pathMatched := d.match(method, segs, false)
	if rt != nil {
		rt.Base = "/" + strings.Join(raw[:len(raw)-len(rt.r.segs)], "/")
	}
	if needsLenient(escapedPath) {
		if alt, _ := d.match(method, lenientSegments(escapedPath), true); alt != nil && (rt == nil || alt.Operation != rt.Operation) {
			return nil, fail(ErrAmbiguousPath)
		}
	}
	switch {
	case rt != nil:
		return rt, nil
	case pathMatched:
		return nil, fail(ErrMethodNotAllowed)
	}
	return nil, fail(ErrNoRoute)
}

// match finds the operation whose template ends segs (unescaped); every
// parameter, the tenant's included, must be non-empty; fold compares
// literal words without case. pathMatched says a template matched with
// another method.
func (d *Doc) match(method string, segs []string, fold bool) (rt *Route, pathMatched bool) {
	for _, r := range d.routes {
		n := len(r.segs)
		if len(segs) < n {
			continue
		}
		params, ok := r.match(segs[len(segs)-n:], fold)
		if !ok {
			continue
		}
		if !strings.EqualFold(r.method, method) {
			pathMatched = true
			continue
		}
		org, app := params["org_name"], params["app_name"]
		if app == "" {
			app = params["app_id"]
		}
		return &Route{Operation: r.id, Method: r.method, Path: r.path,
			Org: org, App: app, Params: params, r: r}, false
	}
	return nil, pathMatched
}

func (r *route) match(segs []string, fold bool) (map[string]string, bool) {
	var params map[string]string
	for i, t := range r.segs {
		s := segs[i]
		if isParam(t) {
			if s == "" {
				return nil, false
			}
			if params == nil {
				params = make(map[string]string, 4)
			}
			params[t[1:len(t)-1]] = s
			continue
		}
		if s != t && (!fold || !strings.EqualFold(s, t)) {
			return nil, false
		}
	}
	return params, true
}

// needsLenient says whether a path could decode differently elsewhere:
// it has an escape, a ";", a "\", an empty or dot segment, or an upper-case
// letter. Plain paths, the common case, skip the second routing.
func needsLenient(p string) bool {
	if strings.Contains(p, "//") || strings.HasSuffix(p, "/") || strings.Contains(p, "/.") {
		return true
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '%' || c == ';' || c == '\\' || ('A' <= c && c <= 'Z'):
			return true
		}
	}
	return false
}

// lenientSegments is the path as the most liberal servers read it: fully
// unescaped before splitting, "\\" as "/", ";params" stripped, empty and
// "." segments dropped and ".." resolved.
func lenientSegments(p string) []string {
	if u, err := url.PathUnescape(p); err == nil {
		p = u
	}
	p = strings.ReplaceAll(p, "\\", "/")
	var out []string
	for _, s := range strings.Split(p, "/") {
		if i := strings.IndexByte(s, ';'); i >= 0 {
			s = s[:i]
		}
		switch s {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, s)
		}
	}
	return out
}

// CheckQuery reports ErrAmbiguousQuery for a raw query servers may read
// differently (see ErrAmbiguousQuery); parameters the operation does not
// declare are not its concern.
func (rt *Route) CheckQuery(rawQuery string) error {
	if rawQuery == "" {
		return nil
	}
	fail := func(why string) error { return fmt.Errorf("%w: %s", ErrAmbiguousQuery, capText(why)) }
	if strings.IndexByte(rawQuery, ';') >= 0 {
		return fail(`";" in the query`)
	}
	var seen map[string]bool
	for kv := range strings.SplitSeq(rawQuery, "&") {
		k, _, _ := strings.Cut(kv, "=")
		if u, err := url.QueryUnescape(k); err == nil {
			k = u
		}
		name, exact := rt.r.queryParam(k)
		switch {
		case name == "":
			continue
		case !exact:
			return fail(fmt.Sprintf("%q differs from the parameter %q only in case", k, name))
		case seen[name]:
			return fail(fmt.Sprintf("%q given more than once", name))
		}
		if seen == nil {
			seen = map[string]bool{}
		}
		seen[name] = true
	}
	return nil
}

// queryParam finds the declared query parameter k names, exactly or
// without case.
func (r *route) queryParam(k string) (name string, exact bool) {
	for _, params := range []openapi3.Parameters{r.op.Parameters, r.item.Parameters} {
		for _, ref := range params {
			if ref == nil || ref.Value == nil || ref.Value.In != openapi3.ParameterInQuery {
				continue
			}
			if n := ref.Value.Name; n == k {
				return n, true
			} else if strings.EqualFold(n, k) {
				name = n
			}
		}
	}
	return name, false
}

// kinRoute is the route in the form openapi3filter wants.
func (d *Doc) kinRoute(rt *Route) *routers.Route {
	var server *openapi3.Server
	if len(d.T.Servers) > 0 {
		server = d.T.Servers[0]
	}
	return &routers.Route{Spec: d.T, Server: server, Path: rt.r.path, PathItem: rt.r.item,
		Method: rt.r.method, Operation: rt.r.op}
}
