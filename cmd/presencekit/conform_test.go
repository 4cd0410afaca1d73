package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/presencekit/presencekit/spec"
)

// TestConformEmbeddedMock is the newcomer's run: no flags, the embedded
// mock, every rule passing. Ginkgo runs one suite per process, so this is
// the package's only test that runs the suite.
func TestConformEmbeddedMock(t *testing.T) {
	dir := t.TempDir()
	r := execute(t, "", "conform", "--report-dir", dir)
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	// 0 skipped: the group specs ran, so the suite drove the embedded
	// mock's admin API with the run's own random token (mock.Start).
	if !regexp.MustCompile(`rules: \d+ passed, 0 failed, 0 skipped`).MatchString(r.stdout) {
		t.Errorf("no closing rule count with nothing failed or skipped in the output:\n%s", r.stdout)
	}
	for _, f := range []string{"junit.xml", "report.json", "report.html"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("report %s: %v", f, err)
		}
	}
}

func TestConformBadConfigurationExits2(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"conform", "--level", "may"}, "--level"},
		{[]string{"conform", "--target", "http://127.0.0.1:1", "--token", "t"}, "unreachable"},
		{[]string{"conform", "--target", "http://127.0.0.1:1"}, "--token"},
		{[]string{"conform", "extra-argument"}, "unknown command"},
	}
	for _, c := range cases {
		r := execute(t, "", c.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, want 2 with %q\n%s", c.args, r.code, c.want, r)
		}
	}
}

func TestConformTokenNeverPrinted(t *testing.T) {
	r := execute(t, "", "conform", "--target", "http://127.0.0.1:1", "--token", "sekret-token-value")
	if strings.Contains(r.stdout+r.stderr, "sekret-token-value") {
		t.Errorf("the token was printed:\n%s", r)
	}
}

// TestConformanceDocsAreTrue keeps docs/conformance.md in step with the
// code: every flag of conform and every rule of the catalogue is in it.
func TestConformanceDocsAreTrue(t *testing.T) {
	data, err := os.ReadFile("../../docs/conformance.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	newConformCmd().Flags().VisitAll(func(f *pflag.Flag) {
		if !strings.Contains(doc, "--"+f.Name) {
			t.Errorf("docs/conformance.md does not document --%s", f.Name)
		}
	})
	// The rules table is generated: it must be what spec rules --markdown
	// prints, byte for byte.
	var want strings.Builder
	if err := writeRulesMarkdown(&want, spec.Rules()); err != nil {
		t.Fatal(err)
	}
	if got := rulesTable(doc); got != want.String() {
		t.Errorf("the rules table of docs/conformance.md is not the output of `presencekit spec rules --markdown`; regenerate it:\n got %q\nwant %q", got, want.String())
	}
}

// rulesTable is the Markdown table under "## The rules" in doc.
func rulesTable(doc string) string {
	_, after, _ := strings.Cut(doc, "\n## The rules\n")
	var b strings.Builder
	inTable := false
	for _, line := range strings.SplitAfter(after, "\n") {
		if strings.HasPrefix(line, "|") {
			inTable = true
			b.WriteString(line)
		} else if inTable {
			break
		}
	}
	return b.String()
}
