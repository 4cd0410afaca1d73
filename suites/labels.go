package suites

import (
	g "github.com/onsi/ginkgo/v2"

	"github.com/presencekit/presencekit/spec"
)

// Label prefixes. A spec carries rule:<ID> for every rule its checks can
// fail on, plus level:<LEVEL> and op:<operationId> of its main rule, so
// --label-filter can pick rules, levels or operations.
const (
	LabelRule  = "rule:"
	LabelLevel = "level:"
	LabelOp    = "op:"
	// LabelSlow marks specs that wait on a real clock.
	LabelSlow = "slow"
)

// rules labels a spec whose main rule is the first ID. Every spec also
// checks SCHEMA-RESPONSE, since every answer is validated.
func rules(ids ...string) g.Labels {
	r, _ := spec.RuleByID(ids[0])
	labels := g.Labels{LabelLevel + string(r.Level), LabelOp + r.Operation}
	seen := map[string]bool{}
	for _, id := range append(ids, RuleSchema) {
		if !seen[id] {
			seen[id] = true
			labels = append(labels, LabelRule+id)
		}
	}
	return labels
}

// refusals labels a spec that expects 400 illegal_argument answers: it also
// checks the envelope and the error code.
func refusals(id string, more ...string) g.Labels {
	return rules(append([]string{id, RuleEnvelope, RuleIllegalArgument}, more...)...)
}
