package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/spec"
)

// rulesOptions are the flags of "spec rules".
type rulesOptions struct {
	JSON     bool
	Markdown bool
	Level    string // "" for all levels, else must, should or probe
	Profile  string // --profile: marks the rules that do not apply under it
}

// profileRule is a rule with, under a profile, why it does not apply, and
// the mock's break variants of it. The variants are the mock's (what it
// can do wrong on purpose), not the contract's: they live in mock, which
// spec must not import, and the command joins the two.
type profileRule struct {
	spec.Rule
	NotApplicable string `json:"not_applicable,omitempty"`
	// BreakVariants counts the mock's --break variants of the rule (0 for
	// PROBE rules); BreakVariantNames names them, the default first.
	BreakVariants     int      `json:"break_variants"`
	BreakVariantNames []string `json:"break_variant_names,omitempty"`
}

func newSpecRulesCmd() *cobra.Command {
	var o rulesOptions
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the rule catalogue: ID, level, operation, statement",
		Long: `Rules lists the contract in prose: every checkable rule with its ID, its level
and the operation it applies to ("*" in JSON, "all" in tables: every presence
operation). Levels: MUST rules are stated in the vendor's documents and fail
the conformance gate; SHOULD rules come from its newer pages or are implied
beyond doubt and fail the gate unless it runs at level must; PROBE rules
record undocumented behaviour and never fail it.

Statements state the limits of the document they are checked against: the
embedded openapi.yaml's, or with --profile (or PRESENCE_PROFILE) the
profile's (Agora Chat's 64-byte ext, say). The rules that do not apply under
that vendor profile are marked "not applicable" with the reason (JSON: the
not_applicable field).

--markdown prints a Markdown table with each rule's source (the vendor page
and section, or the contract decision in docs/contract.md), ready to paste
into documentation.

Exit codes:
  0    rules listed
  2    bad usage (an unknown --level, --json with --markdown, an argument)`,
		Example: `  presencekit spec rules
  presencekit spec rules --level must
  presencekit spec rules --markdown > rules.md
  presencekit spec rules --profile easemob-2022   # marks the rules that do not apply`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return failed(listRules(o, cmd.OutOrStdout()))
		},
	}
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print the rules as a JSON array")
	cmd.Flags().BoolVar(&o.Markdown, "markdown", false, "print the rules as a Markdown table with a Source column")
	cmd.Flags().StringVar(&o.Level, "level", "", "show only rules of this level: must, should or probe")
	addProfileFlag(cmd, &o.Profile)
	cmd.MarkFlagsMutuallyExclusive("json", "markdown")
	return cmd
}

// listRules prints the catalogue, filtered by level, to w.
func listRules(o rulesOptions, w io.Writer) error {
	var level spec.Level
	if o.Level != "" {
		level = spec.Level(strings.ToUpper(o.Level))
		if level != spec.Must && level != spec.Should && level != spec.Probe {
			return usageError("--level %q: want must, should or probe", o.Level)
		}
	}
	// A profile's statements state its limits (Agora Chat's 64-byte ext,
	// not the embedded 1,024); the embedded document is then not loaded.
	var doc *spec.Doc
	var rules []spec.Rule
	if profileName(o.Profile) != "" {
		var err error
		if doc, err = loadProfileDoc(o.Profile, ""); err != nil {
			return err
		}
		rules = doc.Rules()
	} else {
		rules = spec.Rules()
	}
	if level != "" {
		kept := rules[:0]
		for _, r := range rules {
			if r.Level == level {
				kept = append(kept, r)
			}
		}
		rules = kept
	}
	variants := map[spec.RuleID][]string{}
	for _, m := range mock.BreakModes() {
		variants[m.Rule] = append(variants[m.Rule], m.Variant)
	}
	out := make([]profileRule, len(rules))
	for i, r := range rules {
		out[i].Rule = r
		out[i].BreakVariants, out[i].BreakVariantNames = len(variants[r.ID]), variants[r.ID]
		if doc == nil {
			continue
		}
		if why, ok := doc.NotApplicable(r.ID); ok {
			out[i].NotApplicable = why
			rules[i].Statement = "[not applicable: " + why + "] " + r.Statement
		}
	}
	switch {
	case o.JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case o.Markdown:
		return writeRulesMarkdown(w, rules)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLEVEL\tOPERATION\tSTATEMENT")
	for _, r := range rules {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Level, operationName(r.Operation), r.Statement)
	}
	return tw.Flush()
}

func writeRulesMarkdown(w io.Writer, rules []spec.Rule) error {
	var b strings.Builder
	b.WriteString("| ID | Level | Operation | Statement | Source |\n")
	b.WriteString("| --- | --- | --- | --- | --- |\n")
	for _, r := range rules {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", r.ID, r.Level, mdOperation(r.Operation),
			mdCell(r.Statement), mdCell(r.Source))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// operationName shows AllOperations as "all".
func operationName(op string) string {
	if op == spec.AllOperations {
		return "all"
	}
	return op
}

func mdOperation(op string) string {
	if op == spec.AllOperations {
		return "all"
	}
	return "`" + op + "`"
}

// mdCell keeps a value inside its Markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}
