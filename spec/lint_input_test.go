package spec_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/presencekit/presencekit"
	"github.com/presencekit/presencekit/spec"
)

// notSpecs are inputs that parse as JSON or YAML but are no OpenAPI 3
// document; each once panicked spec lint or let limits and diff answer with
// zeros and exit 0.
var notSpecs = []struct{ name, data, inMsg string }{
	{"empty object", `{}`, `no "openapi" field`},
	{"unrelated object", `{"a":1}`, `no "openapi" field`},
	{"empty file", ``, `no "openapi" field`},
	{"swagger 2", "swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths: {}\n", `no "openapi" field`},
	{"openapi 2", "openapi: '2.0'\ninfo: {title: x, version: '1'}\npaths: {}\n", `is "2.0"`},
	{"no paths", "openapi: 3.0.3\ninfo: {title: x, version: '1'}\n", `no "paths" object`},
}

func TestLoadRefusesWhatIsNotOpenAPI3(t *testing.T) {
	for _, tc := range notSpecs {
		t.Run(tc.name, func(t *testing.T) {
			_, err := spec.LoadData([]byte(tc.data), "in.yaml")
			var le *spec.LoadError
			if !errors.Is(err, spec.ErrNotOpenAPI3) || !errors.As(err, &le) || !strings.Contains(err.Error(), tc.inMsg) {
				t.Errorf("LoadData(%q) = %v, want a LoadError wrapping ErrNotOpenAPI3 that says %q", tc.data, err, tc.inMsg)
			}
		})
	}
}

// TestLintNeverPanicsOnNonSpecs pins that every input gives findings: a load
// finding for what is not OpenAPI 3, ordinary findings for a bare document.
func TestLintNeverPanicsOnNonSpecs(t *testing.T) {
	for _, tc := range notSpecs {
		t.Run(tc.name, func(t *testing.T) {
			fs := spec.LintData(context.Background(), []byte(tc.data), "in.yaml")
			if len(fs) != 1 || fs[0].Check != spec.CheckLoad || !strings.Contains(fs[0].Message, tc.inMsg) {
				t.Errorf("findings = %v, want one load finding saying %q", fs, tc.inMsg)
			}
		})
	}
	// An OpenAPI 3 document with no operations and no components loads;
	// lint then names every operation of the catalogue that is missing.
	bare := "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths: {}\n"
	fs := spec.LintData(context.Background(), []byte(bare), "bare.yaml")
	missing := 0
	for _, f := range fs {
		if f.Check == spec.CheckOperation && strings.Contains(f.Message, "of the rule catalogue is missing") {
			missing++
		}
	}
	if missing != 7 {
		t.Errorf("bare document: %d missing-operation findings, want 7; findings: %v", missing, fs)
	}
}

// FuzzLint feeds arbitrary files to lint, as "presencekit spec lint F" does:
// it must never panic, and it must give at least one finding unless the
// input is a spec fit to drive the suite; every finding names its check,
// file and problem.
func FuzzLint(f *testing.F) {
	for _, tc := range notSpecs {
		f.Add([]byte(tc.data))
	}
	f.Add([]byte("openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths: {}\n"))
	f.Add([]byte("openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /x:\n    get:\n      operationId: a\n      responses: {}\n"))
	f.Add([]byte("openapi: 3.0.3\npaths: {}\ncomponents: {responses: {R: {description: r, content: {application/json: {schema: {type: string}, example: 1}}}}}\n"))
	f.Add([]byte(`[1, 2]`))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add(presencekit.OpenAPI)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			t.Skip("larger than any spec worth linting")
		}
		fs := spec.LintData(context.Background(), data, "in.yaml")
		for _, x := range fs {
			if x.Check == "" || x.File != "in.yaml" || strings.TrimSpace(x.Message) == "" {
				t.Errorf("incomplete finding %+v", x)
			}
			if !utf8.ValidString(x.Message) {
				t.Errorf("finding message is not UTF-8: %q", x.Message)
			}
		}
		if _, err := spec.LoadData(data, "in.yaml"); err != nil && (len(fs) != 1 || fs[0].Check != spec.CheckLoad) {
			t.Errorf("load error %v, but findings %v (want one load finding)", err, fs)
		}
	})
}
