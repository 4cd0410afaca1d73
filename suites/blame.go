package suites

import (
	"errors"
	"strings"

	g "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"

	"github.com/presencekit/presencekit/spec"
)

// A failing check records the rule it blames as data: a report entry named
// entryRule holding the spec.RuleID, added by the fail handler of about()
// just before the spec fails. newResult reads it back (blameOf), so no
// report has to find a rule in the text of a message.
const entryRule = "rule"

// about returns a Gomega whose failures are blamed on rule: they record
// the rule, then fail (or skip a throttled spec) like the suite's handler.
func (e *Env) about(rule spec.RuleID) Gomega {
	return NewGomega(func(message string, callerSkip ...int) {
		skip := 1
		if len(callerSkip) > 0 {
			skip += callerSkip[0]
		}
		g.AddReportEntry(entryRule, rule, types.ReportEntryVisibilityNever)
		e.failOrSkip(message, skip)
	})
}

// must fails the spec when err is not nil, blaming the rule err's Failure
// names, or the spec's main rule for an error of the suite's housekeeping.
func (e *Env) must(err error) {
	g.GinkgoHelper()
	var f *Failure
	if errors.As(err, &f) && f.Rule != "" {
		e.about(f.Rule).Expect(err).To(Succeed())
		return
	}
	Expect(err).To(Succeed())
}

// blameOf is the rule a failed spec's report blames: the first rule a
// failing check recorded, else the spec's main rule (its first rule:
// label), for a failure no check names (a timeout, a panic).
func blameOf(entries types.ReportEntries, labels []string) spec.RuleID {
	for _, en := range entries {
		if en.Name != entryRule {
			continue
		}
		id := spec.RuleID(en.StringRepresentation())
		if _, ok := spec.RuleByID(id); ok {
			return id
		}
	}
	for _, l := range labels {
		if id, ok := cutRuleLabel(l); ok {
			return id
		}
	}
	return ""
}

// cutRuleLabel reads the rule of a rule:<ID> label.
func cutRuleLabel(label string) (spec.RuleID, bool) {
	id, ok := strings.CutPrefix(label, LabelRule)
	return spec.RuleID(id), ok && id != ""
}
