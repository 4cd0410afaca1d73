package spec

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// Finding is one problem Lint found in a spec. Pointer is a JSON pointer
// into the document; Line and Column locate it in the file (0 when unknown).
type Finding struct {
	Check   string `json:"check"`
	Pointer string `json:"pointer"`
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

// String formats a finding the way compilers do, so editors can jump to it:
// file:line:col: [check] message.
func (f Finding) String() string {
	loc := f.File
	if f.Line > 0 {
		loc += ":" + strconv.Itoa(f.Line) + ":" + strconv.Itoa(f.Column)
	}
	if f.Pointer != "" {
		return fmt.Sprintf("%s: [%s] %s (at %s)", loc, f.Check, f.Message, f.Pointer)
	}
	return fmt.Sprintf("%s: [%s] %s", loc, f.Check, f.Message)
}

// Lint checks names of Lint's checks, as they appear in findings.
const (
	CheckLoad       = "load"           // the spec does not load (YAML, dangling $ref)
	CheckOpenAPI    = "openapi"        // kin-openapi's validation of the document
	CheckExample    = "example"        // an example does not match its schema
	CheckResponses  = "responses"      // an operation lacks a 200, 400 or (with auth) 401
	CheckOperation  = "operation"      // operationId, summary or description missing; a catalogue operation absent
	CheckLimits     = "limits"         // a limit is not in the spec or not backed by a rule
	CheckRules      = "rules"          // a rule names an operation the spec does not have
	CheckDocFinding = "x-doc-findings" // a documentation finding lacks a field
	CheckTenant     = "tenant"         // the paths share no tenant prefix, or a server URL carries a path
	CheckProfile    = "profile"        // x-presencekit-profile does not decode, or a fact cites no page
)

// LintData loads a spec and lints it; a spec that does not load yields one
// finding saying where.
func LintData(ctx context.Context, data []byte, location string) []Finding {
	d, err := LoadData(data, location)
	if err != nil {
		f := Finding{Check: CheckLoad, File: location, Message: err.Error()}
		if le, ok := err.(*LoadError); ok {
			f.Message = le.Err.Error()
		}
		f.Line, f.Column, f.Pointer = locateRef(data, f.Message)
		// The loader quotes the input, which may be any bytes: a finding
		// is printed and JSON-encoded, so it must be text.
		f.Message = strings.ToValidUTF8(f.Message, "\uFFFD")
		return []Finding{f}
	}
	return Lint(ctx, d)
}

// Lint runs kin-openapi's validation (examples included) and presencekit's
// own checks. No findings means the spec is fit to drive the suite, the
// mock and the load generator.
func Lint(ctx context.Context, d *Doc) []Finding {
	l := &linter{d: d, root: parseNode(d.Raw)}
	l.examples()
	if err := d.T.Validate(ctx, openapi3.DisableExamplesValidation()); err != nil {
		l.add(CheckOpenAPI, nil, err.Error())
	} else if err := d.Validate(ctx); err != nil && !l.has(CheckExample) {
		// Our walk missed an example kin-openapi caught: report it as is.
		l.add(CheckExample, nil, err.Error())
	}
	l.operations()
	l.limits()
	l.rules()
	l.docFindings()
	l.compileFallbacks()
	l.tenant()
	l.profileFacts()
	sort.SliceStable(l.out, func(i, j int) bool { return l.out[i].Line < l.out[j].Line })
	return l.out
}

type linter struct {
	d    *Doc
	root *yaml.Node
	out  []Finding
}

func (l *linter) add(check string, path []string, msg string) {
	f := Finding{Check: check, File: l.d.Location, Message: strings.ToValidUTF8(msg, "\uFFFD")}
	if path != nil {
		f.Pointer = pointer(path)
		f.Line, f.Column = locate(l.root, path)
	}
	l.out = append(l.out, f)
}

func (l *linter) has(check string) bool {
	for _, f := range l.out {
		if f.Check == check {
			return true
		}
	}
	return false
}

// examples validates every request, response and parameter example of the
// operations against its schema, with the example's own location.
func (l *linter) examples() {
	for _, r := range l.d.routes {
		base := []string{"paths", r.path, strings.ToLower(r.method)}
		for i, p := range r.op.Parameters {
			if p.Value == nil || p.Value.Schema == nil || p.Value.Example == nil || p.Ref != "" {
				continue
			}
			l.example(append(base, "parameters", strconv.Itoa(i), "example"), p.Value.Schema.Value, p.Value.Example, false)
		}
		if rb := r.op.RequestBody; rb != nil && rb.Value != nil {
			l.content(append(base, "requestBody", "content"), rb.Value.Content, false)
		}
		for code, resp := range r.op.Responses.Map() {
			if resp.Value == nil || resp.Ref != "" {
				continue
			}
			l.content(append(base, "responses", code, "content"), resp.Value.Content, true)
		}
	}
	if l.d.T.Components == nil {
		return // a document without components has no shared responses
	}
	responses := l.d.T.Components.Responses
	names := make([]string, 0, len(responses))
	for name := range responses {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if resp := responses[name]; resp != nil && resp.Value != nil {
			l.content([]string{"components", "responses", name, "content"}, resp.Value.Content, true)
		}
	}
}

func (l *linter) content(path []string, c openapi3.Content, response bool) {
	for mime, mt := range c {
		if mt == nil || mt.Schema == nil {
			continue
		}
		p := append(append([]string(nil), path...), mime)
		if mt.Example != nil {
			l.example(append(p, "example"), mt.Schema.Value, mt.Example, response)
		}
		for name, ex := range mt.Examples {
			if ex != nil && ex.Value != nil && ex.Value.Value != nil {
				l.example(append(p, "examples", name, "value"), mt.Schema.Value, ex.Value.Value, response)
			}
		}
	}
}

func (l *linter) example(path []string, s *openapi3.Schema, v any, response bool) {
	if s == nil {
		return
	}
	opts := []openapi3.SchemaValidationOption{openapi3.MultiErrors()}
	if response {
		opts = append(opts, openapi3.VisitAsResponse())
	} else {
		opts = append(opts, openapi3.VisitAsRequest())
	}
	err := s.VisitJSON(v, opts...)
	if err == nil {
		if f, reason := maxBytes(s, v, "example"); f != "" {
			l.add(CheckExample, path, f+": "+reason)
		}
		return
	}
	field, reason, ok := fromSchemaError("example", err)
	if !ok {
		field, reason = "example", err.Error()
	}
	l.add(CheckExample, path, "example does not match its schema: "+field+": "+reason)
}

// operations checks what every operation must declare.
func (l *linter) operations() {
	for _, r := range l.d.routes {
		path := []string{"paths", r.path, strings.ToLower(r.method)}
		name := r.id + " (" + r.method + " " + r.path + ")"
		if strings.TrimSpace(r.op.Summary) == "" {
			l.add(CheckOperation, path, name+" has no summary")
		}
		if strings.TrimSpace(r.op.Description) == "" {
			l.add(CheckOperation, path, name+" has no description")
		}
		need := []string{"200", "400"}
		if l.needsAuth(r.op) {
			need = append(need, "401")
		}
		for _, code := range need {
			if r.op.Responses.Value(code) == nil {
				l.add(CheckResponses, append(path, "responses"), name+" does not declare a "+code+" response")
			}
		}
	}
	for _, id := range []string{OpToken, OpSetStatus, OpSubscribe, OpGetStatus, OpGroupOnline, OpUnsubscribe, OpSublist} {
		if _, ok := l.d.ops[id]; !ok && !l.d.offersNot(id) {
			l.add(CheckOperation, []string{"paths"}, "operation "+id+" of the rule catalogue is missing")
		}
	}
}

func (l *linter) needsAuth(op *openapi3.Operation) bool {
	sec := l.d.T.Security
	if op.Security != nil {
		sec = *op.Security
	}
	for _, req := range sec {
		if len(req) > 0 {
			return true
		}
	}
	return false
}

// limits checks that every limit was found and that a rule of the catalogue
// checks it: a limit nobody tests is a limit nobody keeps.
func (l *linter) limits() {
	for _, p := range l.d.limitProblem {
		l.add(CheckLimits, []string{"paths"}, p)
	}
	backed := map[string]bool{}
	for _, r := range Rules() {
		for _, name := range r.Limits {
			backed[name] = true
		}
	}
	t := reflect.TypeOf(Limits{})
	for i := 0; i < t.NumField(); i++ {
		if name := t.Field(i).Name; !backed[name] {
			l.add(CheckLimits, nil, "limit "+name+" is backed by no rule of the catalogue")
		}
	}
}

// rules checks that every rule names an operation the spec has.
func (l *linter) rules() {
	seen := map[RuleID]bool{}
	for _, r := range Rules() {
		if seen[r.ID] {
			l.add(CheckRules, nil, "rule "+string(r.ID)+" is listed twice")
		}
		seen[r.ID] = true
		if r.Operation == AllOperations {
			continue
		}
		if _, ok := l.d.ops[r.Operation]; !ok && !l.d.offersNot(r.Operation) {
			l.add(CheckRules, nil, "rule "+string(r.ID)+" names operation "+r.Operation+", which the spec does not have")
		}
	}
}

// docFindings checks the x-doc-findings list API designers read.
func (l *linter) docFindings() {
	raw, ok := l.d.T.Extensions["x-doc-findings"]
	if !ok {
		l.add(CheckDocFinding, nil, "x-doc-findings is missing: corrections of the documents must be listed")
		return
	}
	list, _ := raw.([]any)
	for i, item := range list {
		m, _ := item.(map[string]any)
		for _, key := range []string{"id", "document", "section", "says", "spec", "why"} {
			if s, _ := m[key].(string); strings.TrimSpace(s) == "" {
				l.add(CheckDocFinding, []string{"x-doc-findings", strconv.Itoa(i)}, "finding has no "+key)
			}
		}
	}
}

// pointer renders a path as a JSON pointer (RFC 6901).
func pointer(path []string) string {
	var b strings.Builder
	b.WriteString("#")
	for _, p := range path {
		b.WriteString("/" + strings.ReplaceAll(strings.ReplaceAll(p, "~", "~0"), "/", "~1"))
	}
	return b.String()
}

func parseNode(data []byte) *yaml.Node {
	var n yaml.Node
	if yaml.Unmarshal(data, &n) != nil {
		return nil
	}
	return &n
}

// locate walks the YAML tree along path and returns the deepest node's
// position: a removed key is reported at its parent, which is where the
// designer has to add it back.
func locate(root *yaml.Node, path []string) (line, col int) {
	n := root
	if n == nil {
		return 0, 0
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line, col = n.Line, n.Column
	for _, key := range path {
		next := child(n, key)
		if next == nil {
			return line, col
		}
		n = next
		line, col = n.Line, n.Column
	}
	return line, col
}

func child(n *yaml.Node, key string) *yaml.Node {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(key); err == nil && i >= 0 && i < len(n.Content) {
			return n.Content[i]
		}
	}
	return nil
}

var refInMessage = regexp.MustCompile(`#/[A-Za-z0-9_./~{}-]+`)

// locateRef finds the line of the first $ref a loader error names, so a
// dangling reference is reported where it is written.
func locateRef(data []byte, msg string) (line, col int, ptr string) {
	ref := refInMessage.FindString(msg)
	if ref == "" {
		return 0, 0, ""
	}
	for i, text := range strings.Split(string(data), "\n") {
		if c := strings.Index(text, ref); c >= 0 && strings.Contains(text, "$ref") {
			return i + 1, c + 1, ref
		}
	}
	return 0, 0, ref
}
