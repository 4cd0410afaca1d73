package presencekit_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/presencekit/presencekit"

// layer places a package of the module in the one-way import order
// cmd → {mock, suites, loadgen, proxy, specdiff, internal/bench*} →
// internal helpers → checks → client → spec → presencekit. A package may
// import only what is below it; within the upper layer, only its own
// parent (loadgen/x → loadgen).
func layer(path string) float64 {
	rel := strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
	top, _, _ := strings.Cut(rel, "/")
	switch {
	case rel == "":
		return 0
	case rel == "spec":
		return 1
	case rel == "client":
		return 1.1
	case rel == "checks":
		return 1.2
	case top == "internal" && strings.Contains(rel, "/cmd/"):
		return 3
	case strings.HasPrefix(rel, "internal/bench"):
		// The bench's own servers stand with the tools they are measured
		// beside, on the same helpers (benchforward on the proxy's httpserve).
		return 2
	case top == "internal":
		return 1.5
	case top == "cmd":
		return 3
	}
	return 2 // mock, suites, loadgen (and its subpackages), proxy, specdiff
}

// TestImportsOneWay reads the module's import graph (non-test imports, as
// go list gives them) and fails on any edge against the order: the
// contract's packages never reach up into a tool, and suites never imports
// mock, so the suite judges a server it does not build.
func TestImportsOneWay(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	cmd := exec.CommandContext(t.Context(), "go", "list", "-json=ImportPath,Imports", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v: %s", err, stderr.String())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	pkgs := 0
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs++
		for _, imp := range p.Imports {
			if imp != module && !strings.HasPrefix(imp, module+"/") {
				continue
			}
			from, to := layer(p.ImportPath), layer(imp)
			parent := from == 2 && strings.HasPrefix(p.ImportPath, imp+"/")
			if to >= from && !parent {
				t.Errorf("%s imports %s: against the one-way order cmd → tools → checks → client → spec → presencekit",
					strings.TrimPrefix(p.ImportPath, module+"/"), strings.TrimPrefix(imp, module+"/"))
			}
		}
	}
	if pkgs < 10 {
		t.Fatalf("go list gave %d packages", pkgs)
	}
}

// TestLayerPlacesTheTools pins the classification the check relies on.
func TestLayerPlacesTheTools(t *testing.T) {
	for _, tool := range []string{"mock", "suites", "loadgen", "proxy", "specdiff"} {
		if layer(module+"/"+tool) != 2 {
			t.Errorf("%s is not a tool", tool)
		}
	}
	if !(layer(module+"/suites") == layer(module+"/mock")) {
		t.Error("suites → mock must be refused as an edge within the tools' layer")
	}
	if !(layer(module+"/cmd/presencekit") > 2 && layer(module+"/checks") < 2 && layer(module+"/spec") < layer(module+"/checks")) {
		t.Error("layers out of order")
	}
}
