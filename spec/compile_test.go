package spec_test

import (
	"testing"
)

// TestEmbeddedSpecCompilesFully: every operation of openapi.yaml is judged
// by the compiled validator, none is left to kin-openapi.
func TestEmbeddedSpecCompilesFully(t *testing.T) {
	d := mustLoad(t)
	if fb := d.CompileFallbacks(); len(fb) != 0 {
		t.Errorf("left to kin-openapi: %q", fb)
	}
}
