package spec_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"

	"github.com/presencekit/presencekit/spec"
)

// ruleConstants reads the RuleID constants rules.go declares, by name.
func ruleConstants(t *testing.T) map[string]spec.RuleID {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "rules.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]spec.RuleID{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "RuleID" {
				continue
			}
			for i, n := range vs.Names {
				v, err := strconv.Unquote(vs.Values[i].(*ast.BasicLit).Value)
				if err != nil {
					t.Fatal(err)
				}
				out[n.Name] = spec.RuleID(v)
			}
		}
	}
	return out
}

// TestEveryRuleHasItsConstant: each catalogue rule has exactly one RuleID
// constant and each constant one rule, so code can name every rule and a
// constant cannot outlive its rule. The two proxy-only IDs are the
// documented exceptions.
func TestEveryRuleHasItsConstant(t *testing.T) {
	consts := ruleConstants(t)
	byID := map[spec.RuleID]string{}
	for name, id := range consts {
		if other, dup := byID[id]; dup {
			t.Errorf("%s and %s both name %s", name, other, id)
		}
		byID[id] = name
	}
	extra := map[spec.RuleID]bool{spec.RuleSchemaRequest: true, spec.RuleProxyUnjudged: true}
	for _, r := range spec.Rules() {
		if byID[r.ID] == "" {
			t.Errorf("rule %s has no RuleID constant in rules.go", r.ID)
		}
		if extra[r.ID] {
			t.Errorf("%s is in the catalogue but documented as proxy-only", r.ID)
		}
		delete(byID, r.ID)
	}
	for id, name := range byID {
		if !extra[id] {
			t.Errorf("constant %s (%s) names no catalogue rule", name, id)
		}
	}
	if len(consts) < 40 {
		t.Fatalf("read %d constants from rules.go: the parser found too few", len(consts))
	}
}

// TestStatementsStateTheSpecsLimits: a statement with a number takes it
// from the limits, so editing openapi.yaml moves the catalogue's text.
func TestStatementsStateTheSpecsLimits(t *testing.T) {
	d, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	l := d.Limits()
	if l.MaxSubscriptions != 3000 {
		t.Errorf("MaxSubscriptions = %d, want the embedded spec's x-max-subscriptions 3000", l.MaxSubscriptions)
	}
	l.MaxSubscriptions, l.ExpiryMax, l.PageSizeMax, l.SubscribeMaxUsers, l.QueryTypes = 4321, 604800, 200, 77, []int64{0, 1, 2}
	want := map[spec.RuleID]string{
		spec.RuleSubCap:               "4,321 subscriptions",
		spec.RuleSubExpiryMax:         "604,800 s (7 days)",
		spec.RuleSublistPagesizeRange: "and 200 are accepted",
		spec.RuleSubLimitUsers:        "(77)",
		spec.RuleGroupQueryType:       "other than 0, 1 or 2",
	}
	for _, r := range spec.RulesFor(l) {
		if w, ok := want[r.ID]; ok && !strings.Contains(r.Statement, w) {
			t.Errorf("%s: %q does not say %q", r.ID, r.Statement, w)
		}
	}
	for _, r := range spec.Rules() {
		if r.ID == spec.RuleSubCap && !strings.Contains(r.Statement, "3,000") {
			t.Errorf("Rules() states %q, want the embedded cap 3,000", r.Statement)
		}
	}
}

// TestRuleLookups: RuleByID states the embedded document's limits and
// Doc.Rule the document's own; both know every catalogue rule and no other,
// and a rule handed out can be changed without changing the next one.
func TestRuleLookups(t *testing.T) {
	agora, err := spec.LoadProfile("agora-chat")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range spec.Rules() {
		got, ok := spec.RuleByID(want.ID)
		if !ok || got.Statement != want.Statement || got.Level != want.Level || got.Operation != want.Operation {
			t.Errorf("RuleByID(%s) = %+v, %v; want %+v", want.ID, got, ok, want)
		}
	}
	for _, want := range agora.Rules() {
		if got, ok := agora.Rule(want.ID); !ok || got.Statement != want.Statement {
			t.Errorf("agora-chat Rule(%s) = %q, %v; want %q", want.ID, got.Statement, ok, want.Statement)
		}
	}
	if r, _ := agora.Rule(spec.RuleSetExtMax); !strings.Contains(r.Statement, "(64 bytes)") {
		t.Errorf("agora-chat SET-EXT-MAX states %q, want its 64-byte limit", r.Statement)
	}
	if r, _ := spec.RuleByID(spec.RuleSetExtMax); strings.Contains(r.Statement, "(64 bytes)") {
		t.Errorf("the embedded SET-EXT-MAX states %q, agora-chat's limit", r.Statement)
	}
	if _, ok := spec.RuleByID("NO-SUCH-RULE"); ok {
		t.Error("RuleByID found NO-SUCH-RULE")
	}
	if _, ok := agora.Rule("NO-SUCH-RULE"); ok {
		t.Error("Doc.Rule found NO-SUCH-RULE")
	}
	r, _ := spec.RuleByID(spec.RuleSetExtMax)
	if len(r.Limits) == 0 {
		t.Fatal("SET-EXT-MAX pins no limit: the aliasing check below could not fail")
	}
	r.Limits[0], r.Statement = "changed", "changed"
	if again, _ := spec.RuleByID(spec.RuleSetExtMax); again.Limits[0] == "changed" || again.Statement == "changed" {
		t.Errorf("a caller's change reached the catalogue: %+v", again)
	}
}
