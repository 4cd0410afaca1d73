// Package spec is presencekit's contract: openapi.yaml loaded and routed,
// requests and responses validated against it, the limits read from its own
// schema constraints, the rule catalogue, and the spec's lint.
package spec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// EmbeddedLocation names the embedded spec in errors and lint findings.
const EmbeddedLocation = "openapi.yaml"

// Doc is a loaded openapi.yaml with its routing table. It is safe for
// concurrent use once loaded: nothing in it changes after Load.
type Doc struct {
	// T is the parsed document, for callers that need more than Doc offers.
	// Treat it as read-only.
	T *openapi3.T
	// Location is where the document came from (a file path, or
	// EmbeddedLocation).
	Location string
	// Raw holds the document's bytes, so lint findings can be given a line.
	Raw []byte

	routes         []*route
	tenant         []string          // see Tenant
	profile        Profile           // x-presencekit-profile, see Profile
	profileProblem string            // why x-presencekit-profile did not decode, for Lint
	ops            map[string]*route // by operationId
	limits         Limits
	limitProblem   []string // constraints Limits could not find, for Lint

	maxBytesSchemas sync.Map // *openapi3.Schema -> bool, see hasMaxBytes

	compiled map[*route]*compiledOp // the compiled validator, see compile.go

	catalogue func() *catalogue // the rules stating limits, see Doc.Rule
}

// Load returns the openapi.yaml embedded in the binary under the default
// profile (DefaultProfile, today's Easemob document); LoadProfile picks
// another.
func Load() (*Doc, error) {
	return LoadProfile(DefaultProfile)
}

// LoadFile reads and loads a spec file, e.g. an API designer's edited copy.
func LoadFile(path string) (*Doc, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read spec: %w", err)
	}
	return LoadData(data, path)
}

// LoadData loads a spec from bytes; location is used in messages only.
// References are resolved inside the document only: a spec that needs the
// network or other files to load is not a self-contained contract.
func LoadData(data []byte, location string) (*Doc, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	t, err := loader.LoadFromData(data)
	if err != nil {
		return nil, &LoadError{Location: location, Err: err}
	}
	if err := isOpenAPI3(t); err != nil {
		return nil, &LoadError{Location: location, Err: err}
	}
	d := &Doc{T: t, Location: location, Raw: data}
	if err := d.buildRoutes(); err != nil {
		return nil, &LoadError{Location: location, Err: err}
	}
	d.tenant = d.readTenant()
	if p, err := d.readProfile(); err != nil {
		d.profileProblem = err.Error()
	} else {
		d.profile = p
	}
	d.limits, d.limitProblem = d.readLimits()
	d.catalogue = sync.OnceValue(func() *catalogue { return newCatalogue(d.limits) })
	d.compileDoc()
	return d, nil
}

// ErrNotOpenAPI3 means the input parsed (JSON or YAML) but is not an
// OpenAPI 3 document: every tool would otherwise read `{}` as a spec with no
// operations and no limits, and report zeros or "no changes" as if that were
// a finding about the API.
var ErrNotOpenAPI3 = errors.New("not an OpenAPI 3 document")

// isOpenAPI3 checks the two fields OpenAPI 3.0 requires of every document
// that the tools cannot do without: the version and the paths.
func isOpenAPI3(t *openapi3.T) error {
	switch {
	case t.OpenAPI == "":
		return fmt.Errorf("%w: it has no \"openapi\" field (want e.g. openapi: 3.0.3)", ErrNotOpenAPI3)
	case !strings.HasPrefix(t.OpenAPI, "3."):
		return fmt.Errorf("%w: its \"openapi\" field is %q (want 3.x)", ErrNotOpenAPI3, t.OpenAPI)
	case t.Paths == nil:
		return fmt.Errorf("%w: it has no \"paths\" object", ErrNotOpenAPI3)
	}
	return nil
}

// Validate runs kin-openapi's own validation of the document, examples
// included. Lint wraps it with presencekit's rules.
func (d *Doc) Validate(ctx context.Context) error {
	return d.T.Validate(ctx, openapi3.EnableExamplesValidation())
}

// OperationIDs lists the operations of the spec, sorted.
func (d *Doc) OperationIDs() []string {
	ids := make([]string, 0, len(d.ops))
	for id := range d.ops {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Operation returns the operation with that operationId, with its method and
// path template.
func (d *Doc) Operation(id string) (op *openapi3.Operation, method, path string, ok bool) {
	r, ok := d.ops[id]
	if !ok {
		return nil, "", "", false
	}
	return r.op, r.method, r.path, true
}

// LoadError says a spec could not be loaded at all (not an OpenAPI 3
// document, bad YAML, a dangling $ref, a path without operations).
type LoadError struct {
	Location string
	Err      error
}

func (e *LoadError) Error() string { return fmt.Sprintf("%s: %v", e.Location, e.Err) }

// Unwrap gives the loader's error.
func (e *LoadError) Unwrap() error { return e.Err }
