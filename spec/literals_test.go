package spec_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/presencekit/presencekit/spec"
)

// ruleLiteral says whether a string literal names a catalogue rule: it is
// the ID, or holds it the way labels, console lines and tables do
// ("rule:ID", "[ID]", "`ID`"). Prose that mentions a rule in passing
// (help texts) is left alone; a value that names one must be a constant.
func ruleLiteral(v string, ids []spec.RuleID) (spec.RuleID, bool) {
	for _, id := range ids {
		s := string(id)
		if v == s || strings.Contains(v, "rule:"+s) || strings.Contains(v, "["+s+"]") || strings.Contains(v, "`"+s+"`") {
			return id, true
		}
	}
	return "", false
}

// TestNoRuleIDLiterals is the vet-style check of typed rules: outside
// package spec no Go file (tests included) names a rule with a string
// literal. A typo in a literal would be a silent label or a break mode
// that breaks nothing; a misspelt constant does not compile.
func TestNoRuleIDLiterals(t *testing.T) {
	ids := []spec.RuleID{spec.RuleSchemaRequest, spec.RuleProxyUnjudged}
	for _, r := range spec.Rules() {
		ids = append(ids, r.ID)
	}
	root := ".."
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "testdata", "node_modules":
				return filepath.SkipDir
			}
			if filepath.Clean(path) == filepath.Join(root, "spec") {
				return filepath.SkipDir // the catalogue itself
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		files++
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			v, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			if id, found := ruleLiteral(v, ids); found {
				t.Errorf("%s: string literal names rule %s: use its spec.RuleID constant", fset.Position(lit.Pos()), id)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("walked %d Go files: the walk missed the repository", files)
	}
}

// TestRuleLiteralCatchesTheForms keeps the check honest: each form a rule
// was written in before the constants is caught, prose is not.
func TestRuleLiteralCatchesTheForms(t *testing.T) {
	ids := []spec.RuleID{spec.RuleSubCap}
	for _, v := range []string{"SUB-CAP", "rule:SUB-CAP || slow", "[SUB-CAP] want 3000", "| `SUB-CAP` | SHOULD"} {
		if _, ok := ruleLiteral(v, ids); !ok {
			t.Errorf("%q is not caught", v)
		}
	}
	for _, v := range []string{"the SUB-CAP rule evicts", "SUB-CAPS", "NOT-A-RULE"} {
		if _, ok := ruleLiteral(v, ids); ok {
			t.Errorf("%q is caught", v)
		}
	}
}
