package spec

import "strings"

// CheckCompile is Lint's check for schemas the compiled validator leaves to
// kin-openapi: such a spec is still validated in full, only at
// kin-openapi's cost, and the designer should know which operations pay it.
const CheckCompile = "compile"

// compileFallbacks reports each operation direction left to kin-openapi.
func (l *linter) compileFallbacks() {
	for _, r := range l.d.routes {
		co := l.d.compiled[r]
		if co == nil {
			continue
		}
		path := []string{"paths", r.path, strings.ToLower(r.method)}
		if co.reqFallback != "" {
			l.add(CheckCompile, path, r.id+" request: validated by kin-openapi, not the compiled validator (slower): "+co.reqFallback)
		}
		if co.respFallback != "" {
			l.add(CheckCompile, path, r.id+" responses: validated by kin-openapi, not the compiled validator (slower): "+co.respFallback)
		}
	}
}
