// Package specdiff reviews a change to openapi.yaml the way a client of the
// API experiences it: which edits break existing clients (an operation,
// parameter or response field removed, a limit tightened, a new required
// input, a type changed) and which do not (additions, loosened limits).
// Each change names the JSON pointer of what changed, so a review comment
// can point at it.
package specdiff

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/presencekit/presencekit/spec"
)

// Change is one difference between two versions of the spec.
type Change struct {
	// Breaking says a client written against the old spec can fail against
	// a server of the new one.
	Breaking bool `json:"breaking"`
	// Kind is a stable identifier of the sort of change, e.g.
	// "request-maxItems-lowered", for filtering in CI.
	Kind string `json:"kind"`
	// Operation is the operationId affected ("" for document-wide changes).
	Operation string `json:"operation,omitempty"`
	// Location is the JSON pointer of the changed value, through the
	// operation: /paths/~1users~1{username}~1presence/post/requestBody/…
	// (a pointer into the new document, or the old one for removals; $refs
	// are followed, so a shared component's change shows at every use).
	Location string `json:"location"`
	// Message says what changed, from what to what.
	Message string `json:"message"`
}

// String is the one-line form of presencekit spec diff.
func (c Change) String() string {
	verdict := "non-breaking"
	if c.Breaking {
		verdict = "BREAKING"
	}
	op := ""
	if c.Operation != "" {
		op = c.Operation + ": "
	}
	return fmt.Sprintf("%-12s %s  %s%s", verdict, c.Location, op, c.Message)
}

// Breaking counts the breaking changes.
func Breaking(changes []Change) int {
	n := 0
	for _, c := range changes {
		if c.Breaking {
			n++
		}
	}
	return n
}

// Docs compares two loaded specs.
func Docs(oldDoc, newDoc *spec.Doc) []Change {
	return Diff(oldDoc.T, newDoc.T)
}

// Diff compares two OpenAPI documents, operation by operation, in a stable
// order: paths sorted, methods in HTTP order, then parameters, request
// body and responses.
func Diff(oldT, newT *openapi3.T) []Change {
	d := &differ{}
	paths := map[string]bool{}
	for p := range oldT.Paths.Map() {
		paths[p] = true
	}
	for p := range newT.Paths.Map() {
		paths[p] = true
	}
	sorted := make([]string, 0, len(paths))
	for p := range paths {
		sorted = append(sorted, p)
	}
	slices.Sort(sorted)
	for _, p := range sorted {
		oldItem, newItem := oldT.Paths.Value(p), newT.Paths.Value(p)
		for _, m := range methods() {
			var oldOp, newOp *openapi3.Operation
			if oldItem != nil {
				oldOp = oldItem.GetOperation(m)
			}
			if newItem != nil {
				newOp = newItem.GetOperation(m)
			}
			loc := "/paths/" + escape(p) + "/" + strings.ToLower(m)
			switch {
			case oldOp == nil && newOp == nil:
			case newOp == nil:
				d.op = oldOp.OperationID
				d.add(true, "operation-removed", loc, "%s %s removed", m, p)
			case oldOp == nil:
				d.op = newOp.OperationID
				d.add(false, "operation-added", loc, "%s %s added", m, p)
			default:
				d.op = newOp.OperationID
				if oldOp.OperationID != newOp.OperationID {
					d.add(true, "operation-id-changed", loc+"/operationId", "operationId %q renamed %q (generated clients and rule catalogues use it)", oldOp.OperationID, newOp.OperationID)
				}
				d.operation(loc, "/paths/"+escape(p), oldItem, newItem, oldOp, newOp)
			}
		}
	}
	return d.changes
}

func methods() []string {
	return []string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete,
		http.MethodOptions, http.MethodHead, http.MethodPatch, http.MethodTrace}
}

// differ collects changes for the operation being compared.
type differ struct {
	op      string
	changes []Change
	seen    map[[2]*openapi3.Schema]bool
}

func (d *differ) add(breaking bool, kind, loc, format string, a ...any) {
	d.changes = append(d.changes, Change{Breaking: breaking, Kind: kind, Operation: d.op, Location: loc, Message: fmt.Sprintf(format, a...)})
}

// param is a parameter with the pointer to where it is declared.
type param struct {
	p   *openapi3.Parameter
	loc string
}

// params merges the path item's and the operation's parameters, the
// operation's overriding (OpenAPI's rule), keyed by in and name.
func params(itemLoc, opLoc string, item *openapi3.PathItem, op *openapi3.Operation) map[string]param {
	out := map[string]param{}
	put := func(list openapi3.Parameters, loc string) {
		for i, ref := range list {
			if ref != nil && ref.Value != nil {
				out[ref.Value.In+" "+ref.Value.Name] = param{ref.Value, fmt.Sprintf("%s/parameters/%d", loc, i)}
			}
		}
	}
	put(item.Parameters, itemLoc)
	put(op.Parameters, opLoc)
	return out
}

func (d *differ) operation(loc, itemLoc string, oldItem, newItem *openapi3.PathItem, oldOp, newOp *openapi3.Operation) {
	oldPs, newPs := params(itemLoc, loc, oldItem, oldOp), params(itemLoc, loc, newItem, newOp)
	for _, k := range sortedKeys(oldPs, newPs) {
		o, inOld := oldPs[k]
		n, inNew := newPs[k]
		switch {
		case !inNew:
			d.add(true, "parameter-removed", o.loc, "%s parameter %q removed", o.p.In, o.p.Name)
		case !inOld:
			if n.p.Required {
				d.add(true, "parameter-added-required", n.loc, "new required %s parameter %q", n.p.In, n.p.Name)
			} else {
				d.add(false, "parameter-added", n.loc, "new optional %s parameter %q", n.p.In, n.p.Name)
			}
		default:
			if !o.p.Required && n.p.Required {
				d.add(true, "parameter-became-required", n.loc+"/required", "%s parameter %q is now required", n.p.In, n.p.Name)
			}
			if o.p.Required && !n.p.Required {
				d.add(false, "parameter-became-optional", n.loc+"/required", "%s parameter %q is now optional", n.p.In, n.p.Name)
			}
			d.schema(n.loc+"/schema", o.p.Schema, n.p.Schema, request)
		}
	}
	d.requestBody(loc+"/requestBody", oldOp.RequestBody, newOp.RequestBody)
	d.responses(loc+"/responses", oldOp.Responses, newOp.Responses)
}

func (d *differ) requestBody(loc string, oldRef, newRef *openapi3.RequestBodyRef) {
	var o, n *openapi3.RequestBody
	if oldRef != nil {
		o = oldRef.Value
	}
	if newRef != nil {
		n = newRef.Value
	}
	switch {
	case o == nil && n == nil:
		return
	case n == nil:
		d.add(true, "request-body-removed", loc, "request body removed")
		return
	case o == nil:
		d.add(n.Required, "request-body-added", loc, "request body added (required: %v)", n.Required)
		return
	}
	if !o.Required && n.Required {
		d.add(true, "request-body-became-required", loc+"/required", "request body is now required")
	}
	d.content(loc+"/content", o.Content, n.Content, request)
}

func (d *differ) responses(loc string, o, n *openapi3.Responses) {
	om, nm := map[string]*openapi3.ResponseRef{}, map[string]*openapi3.ResponseRef{}
	if o != nil {
		om = o.Map()
	}
	if n != nil {
		nm = n.Map()
	}
	for _, code := range sortedKeys(om, nm) {
		or, inOld := om[code]
		nr, inNew := nm[code]
		rloc := loc + "/" + escape(code)
		switch {
		case !inNew:
			success := strings.HasPrefix(code, "2")
			d.add(success, "response-removed", rloc, "response %s removed", code)
		case !inOld:
			d.add(false, "response-added", rloc, "response %s added", code)
		case or.Value != nil && nr.Value != nil:
			d.content(rloc+"/content", or.Value.Content, nr.Value.Content, response)
		}
	}
}

func (d *differ) content(loc string, o, n openapi3.Content, dir direction) {
	for _, mt := range sortedKeys(o, n) {
		om, inOld := o[mt]
		nm, inNew := n[mt]
		mloc := loc + "/" + escape(mt)
		switch {
		case !inNew:
			d.add(true, string(dir)+"-media-type-removed", mloc, "%s media type %s removed", dir, mt)
		case !inOld:
			d.add(dir == response, string(dir)+"-media-type-added", mloc, "%s media type %s added", dir, mt)
		default:
			d.schema(mloc+"/schema", om.Schema, nm.Schema, dir)
		}
	}
}

// sortedKeys returns the union of two maps' keys, sorted.
func sortedKeys[V any](a, b map[string]V) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// escape makes s one JSON-pointer token (RFC 6901).
func escape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
