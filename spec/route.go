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

// Route is a request matched to an operation of the spec.
type Route struct {
	// Operation is the operationId.
	Operation string
	// Method and Path are the operation's method and path template.
	Method, Path string
	// Base is what came before the {org_name}/{app_name} pair: the
	// deployment's own prefix, if any.
	Base string
	// Org and App are the server variables the request carried.
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

// Route matches a request to an operation. The spec's paths are relative
// to the server URL {baseUrl}/{org_name}/{app_name}, and a deployment may
// add any prefix before it, so the template is matched against the end of
// the path and the two segments before it are taken as org and app: routing
// works for any host, port, org and app, not only the servers entry.
// escapedPath is URL.EscapedPath(), so an escaped "/" inside a username
// stays one segment.
func (d *Doc) Route(method, escapedPath string) (*Route, error) {
	segs := strings.Split(strings.Trim(escapedPath, "/"), "/")
	pathMatched := false
	for _, r := range d.routes {
		n := len(r.segs)
		if len(segs) < n+2 {
			continue
		}
		tail := segs[len(segs)-n:]
		params, ok := r.match(tail)
		if !ok {
			continue
		}
		if !strings.EqualFold(r.method, method) {
			pathMatched = true
			continue
		}
		head := segs[:len(segs)-n]
		org, errOrg := url.PathUnescape(head[len(head)-2])
		app, errApp := url.PathUnescape(head[len(head)-1])
		if errOrg != nil || errApp != nil || org == "" || app == "" {
			continue
		}
		return &Route{Operation: r.id, Method: r.method, Path: r.path,
			Base: "/" + strings.Join(head[:len(head)-2], "/"),
			Org:  org, App: app, Params: params, r: r}, nil
	}
	if pathMatched {
		return nil, fmt.Errorf("%s %s: %w", method, escapedPath, ErrMethodNotAllowed)
	}
	return nil, fmt.Errorf("%s %s: %w", method, escapedPath, ErrNoRoute)
}

func (r *route) match(segs []string) (map[string]string, bool) {
	var params map[string]string
	for i, t := range r.segs {
		s := segs[i]
		if isParam(t) {
			v, err := url.PathUnescape(s)
			if err != nil || v == "" {
				return nil, false
			}
			if params == nil {
				params = make(map[string]string, 4)
			}
			params[t[1:len(t)-1]] = v
			continue
		}
		if s != t {
			return nil, false
		}
	}
	return params, true
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
