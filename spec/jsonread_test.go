package spec_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/presencekit/presencekit/spec"
)

// TestWellFormedAsUnmarshal: WellFormed's two answers are json.Unmarshal's
// into any: whether it fails, and whether it fails before decoding
// anything (a syntax error, found even after a number beyond float64).
func TestWellFormedAsUnmarshal(t *testing.T) {
	for _, c := range []struct {
		body         string
		ok, syntaxOK bool
	}{
		{`{"a":[1,2]}`, true, true},
		{`[1e999]`, false, true},
		{`[1e999, }`, false, false},
		{`{"a":1} x`, false, false},
		{`{"a":`, false, false},
	} {
		ok, syntaxOK := spec.WellFormed([]byte(c.body))
		var v any
		err := json.Unmarshal([]byte(c.body), &v)
		var se *json.SyntaxError
		if ok != c.ok || syntaxOK != c.syntaxOK || ok != (err == nil) || syntaxOK == errors.As(err, &se) {
			t.Errorf("%q: WellFormed %v %v, want %v %v (json.Unmarshal: %v)", c.body, ok, syntaxOK, c.ok, c.syntaxOK, err)
		}
	}
}

// TestJSONReaderDepth: the reader stops at MaxJSONDepth like the
// validator, so a deep body costs one bounded scan.
func TestJSONReaderDepth(t *testing.T) {
	deep := make([]byte, 0, 2*(spec.MaxJSONDepth+1))
	for range spec.MaxJSONDepth + 1 {
		deep = append(deep, '[')
	}
	for range spec.MaxJSONDepth + 1 {
		deep = append(deep, ']')
	}
	var r spec.JSONReader
	r.Reset(deep)
	var walk func() bool
	walk = func() bool {
		if r.Kind() == '[' {
			return r.Array(walk)
		}
		return r.Skip()
	}
	if walk() || r.Err() == "" {
		t.Fatalf("read %d levels, want a refusal past %d", spec.MaxJSONDepth+1, spec.MaxJSONDepth)
	}
	r.Reset(deep[1 : len(deep)-1])
	if !walk() || !r.End() {
		t.Fatalf("refused %d levels: %s", spec.MaxJSONDepth, r.Err())
	}
}
