package suites

import (
	"errors"
	"fmt"
	"strings"

	g "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"

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
func rules(ids ...spec.RuleID) g.Labels {
	r, _ := spec.RuleByID(ids[0])
	labels := g.Labels{LabelLevel + string(r.Level), LabelOp + r.Operation}
	seen := map[spec.RuleID]bool{}
	for _, id := range append(ids, spec.RuleSchemaResponse) {
		if !seen[id] {
			seen[id] = true
			labels = append(labels, RuleLabel(id))
		}
	}
	return labels
}

// RuleLabel is the label of the specs that check rule id.
func RuleLabel(id spec.RuleID) string { return LabelRule + string(id) }

// refusals labels a spec that expects 400 illegal_argument answers: it also
// checks the envelope and the error code.
func refusals(id spec.RuleID, more ...spec.RuleID) g.Labels {
	return rules(append([]spec.RuleID{id, spec.RuleErrEnvelope, spec.RuleErrIllegalArgument}, more...)...)
}

// CheckLabelFilter refuses a --label-filter Ginkgo cannot parse, before
// anything runs, with a plain-text message (Ginkgo's own is styled for a
// terminal).
func CheckLabelFilter(filter string) error {
	if _, err := types.ParseLabelFilter(filter); err != nil {
		var ge types.GinkgoError
		if !errors.As(err, &ge) {
			return fmt.Errorf("%w: --label-filter %q: %s", ErrConfig, filter, plain(err.Error()))
		}
		lines := strings.Split(strings.TrimSpace(plain(ge.Message)), "\n")
		where := ""
		if at := strings.Index(ge.Message, "{{red}}"); at >= 0 {
			where = fmt.Sprintf(" (at character %d)", at+1)
		}
		return fmt.Errorf("%w: --label-filter %q: %s%s", ErrConfig, filter, strings.TrimSpace(lines[len(lines)-1]), where)
	}
	return nil
}

// plain removes Ginkgo's {{style}} markup from a message.
func plain(s string) string { return formatter.New(formatter.ColorModeNone).F(s) }

// selectsNothing is the error of a label filter that matched no spec: a
// typo in a rule ID must not read as a passed gate.
func selectsNothing(filter string) error {
	return fmt.Errorf("%w: --label-filter %q selects no spec (labels are rule:<ID>, level:<LEVEL>, op:<operationId>; see presencekit spec rules)", ErrConfig, filter)
}

// clockStopped is the skip reason of a spec that must wait for time to pass
// on a target whose clock is virtual but cannot be moved.
const clockStopped = "the target's clock is a presencekit mock's virtual clock, which moves only through its admin API: give --admin-token"
