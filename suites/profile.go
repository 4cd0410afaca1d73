package suites

import (
	"slices"
	"strings"

	"github.com/presencekit/presencekit/spec"
)

// StateNotApplicable is a rule the profile says does not apply (the vendor
// does not offer its operation, or the profile lists it): its specs do not
// run and it never fails the gate, but the matrix says so rather than
// leaving the rule silently unchecked.
const StateNotApplicable = "not applicable"

// notApplicableFilter narrows a label filter so that the specs of rules not
// applicable under doc's profile are left out.
func notApplicableFilter(doc *spec.Doc, filter string) string {
	if doc == nil {
		return filter
	}
	notOffered := doc.Profile().OperationsNotOffered
	var parts []string
	for _, op := range notOffered {
		parts = append(parts, "!"+LabelOp+op)
	}
	for _, r := range spec.Rules() {
		if _, ok := doc.NotApplicable(r.ID); ok && !slices.Contains(notOffered, r.Operation) {
			parts = append(parts, "!"+RuleLabel(r.ID))
		}
	}
	if len(parts) == 0 {
		return filter
	}
	out := strings.Join(parts, " && ")
	if filter != "" {
		out = "(" + filter + ") && " + out
	}
	return out
}

// MarkNotApplicable sets the state of the rules not applicable under doc,
// for a Result built from a report (NewResult does not know the profile).
func (r *Result) MarkNotApplicable(doc *spec.Doc) {
	if doc == nil {
		return
	}
	for i := range r.Rules {
		if why, ok := doc.NotApplicable(r.Rules[i].ID); ok && r.Rules[i].State != StateFailed {
			r.Rules[i].State = StateNotApplicable
			r.Rules[i].SkipReasons = []string{why}
		}
	}
}
