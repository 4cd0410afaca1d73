package mock

import (
	"fmt"
	"slices"
	"strings"

	"github.com/presencekit/presencekit/spec"
)

// Break names one break mode in Config.Breaks (and `mock --break`):
// "RULE:variant" for a variant of a catalogue rule, a bare "RULE" for the
// rule's first (default) variant, or the name of a RACE-… concurrency mode
// (RaceModes). It is its own type, not a spec.RuleID: a variant or a
// concurrency mode is no rule of the catalogue.
type Break string

// BreakMode is a deliberate violation of one catalogue rule, so the
// conformance suite can prove it catches that rule. A rule has several:
// each variant is a different plausible wrong implementation of it.
type BreakMode struct {
	// Mode is the --break name of a concurrency mode (RaceModes); empty
	// for a catalogue mode, whose --break name is Rule:Variant.
	Mode string `json:"mode,omitempty"`
	// Rule is the catalogue rule ID the mode violates.
	Rule spec.RuleID `json:"rule"`
	// Variant names the wrong implementation among the rule's; empty for a
	// concurrency mode. The rule's first variant is its default.
	Variant string `json:"variant,omitempty"`
	// Description says what the mock does wrong in this mode.
	Description string `json:"description"`
}

// Name is the --break value that turns the mode on.
func (m BreakMode) Name() Break {
	if m.Mode != "" {
		return Break(m.Mode)
	}
	return Break(string(m.Rule) + ":" + m.Variant)
}

// breakDef binds a rule's variant to its description and its flag.
type breakDef struct {
	rule    spec.RuleID
	variant string
	desc    string
	flag    func(*breakSet) *bool
}

// BreakModes lists every catalogue break mode: by rule ID, and within a
// rule its default variant first.
func BreakModes() []BreakMode {
	defs := breakDefs()
	out := make([]BreakMode, len(defs))
	for i, d := range defs {
		out[i] = BreakMode{Rule: d.rule, Variant: d.variant, Description: d.desc}
	}
	slices.SortStableFunc(out, func(a, b BreakMode) int { return strings.Compare(string(a.Rule), string(b.Rule)) })
	return out
}

// UnknownBreakError says a --break value names no break mode.
type UnknownBreakError struct {
	Break Break
}

func (e *UnknownBreakError) Error() string {
	rule, variant, hasVariant := strings.Cut(string(e.Break), ":")
	if _, ok := spec.RuleByID(spec.RuleID(rule)); ok {
		var names []string
		for _, d := range breakDefs() {
			if string(d.rule) == rule {
				names = append(names, d.variant)
			}
		}
		switch {
		case len(names) == 0:
			return fmt.Sprintf("mock: rule %s has no break mode (PROBE rules have none)", rule)
		case hasVariant:
			return fmt.Sprintf("mock: rule %s has no break variant %q (it has %s)", rule, variant, strings.Join(names, ", "))
		}
	}
	return fmt.Sprintf("mock: unknown rule %q for --break (see --break list)", e.Break)
}

// Unwrap ties the error to ErrConfig.
func (e *UnknownBreakError) Unwrap() error { return ErrConfig }

// parseBreaks turns Config.Breaks into flags: RULE:variant, RULE (its
// first variant) or a concurrency mode's name.
func parseBreaks(names []Break) (breakSet, error) {
	var b breakSet
	defs := breakDefs()
	for _, name := range names {
		rule, variant, hasVariant := strings.Cut(string(name), ":")
		found := false
		for _, d := range defs {
			if string(d.rule) == rule && (!hasVariant || d.variant == variant) {
				*d.flag(&b) = true
				found = true
				break
			}
		}
		for _, d := range raceDefs() {
			if !found && string(name) == d.name {
				*d.flag(&b) = true
				found = true
			}
		}
		if !found {
			return b, &UnknownBreakError{Break: name}
		}
	}
	return b, nil
}
