package spec_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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

// walkEnter reads any value with Enter, More and Key (the closure-free
// form), building nothing: what the verifier of presencekit load does.
func walkEnter(r *spec.JSONReader) {
	switch r.Kind() {
	case '{':
		r.Enter('{')
		for r.More('}') {
			if _, ok := r.Key(); !ok {
				return
			}
			walkEnter(r)
		}
	case '[':
		r.Enter('[')
		for r.More(']') {
			walkEnter(r)
		}
	default:
		r.Skip()
	}
}

// walkMember reads any value as walkEnter does, with Member for each
// object member and StrOrSkip for each value that is not a container.
func walkMember(r *spec.JSONReader) {
	switch r.Kind() {
	case '{':
		r.Enter('{')
		for {
			if _, ok := r.Member(); !ok {
				return
			}
			walkMember(r)
		}
	case '[':
		r.Enter('[')
		for r.More(']') {
			walkMember(r)
		}
	default:
		r.StrOrSkip()
	}
}

// walkClosure reads any value with Object and Array, the closure form.
func walkClosure(r *spec.JSONReader) bool {
	switch r.Kind() {
	case '{':
		return r.Object(func([]byte) bool { return walkClosure(r) })
	case '[':
		return r.Array(func() bool { return walkClosure(r) })
	}
	return r.Skip()
}

// enterVerdict is walkEnter's verdict on a whole body: "" when it is
// one JSON value and nothing more. It also reads the body with
// walkMember and with walkClosure and panics if they disagree.
func enterVerdict(r *spec.JSONReader, b []byte) string {
	r.Reset(b)
	walkMember(r)
	if r.Err() == "" && !r.End() {
		return "data after the value"
	}
	viaMember := r.Err()
	r.Reset(b)
	if ok := walkClosure(r); ok != (r.Err() == "") || r.Err() != viaMember {
		panic(fmt.Sprintf("%q: Object/Array say %v %q, Member/StrOrSkip %q", b, ok, r.Err(), viaMember))
	}
	r.Reset(b)
	walkEnter(r)
	if (r.Err() == "") != (viaMember == "") {
		panic(fmt.Sprintf("%q: Enter/More/Key say %q, Member/StrOrSkip %q", b, r.Err(), viaMember))
	}
	if r.Err() == "" && !r.End() {
		return "data after the value"
	}
	return r.Err()
}

// TestJSONReaderEnterMore: a body read member by member with Enter, More
// and Key is accepted exactly when encoding/json accepts it, including the
// misplaced commas, colons and brackets a loop could let through, and the
// keys come out decoded.
func TestJSONReaderEnterMore(t *testing.T) {
	var r spec.JSONReader
	for _, s := range []string{
		`{}`, `[]`, `{"a":1}`, `[1,2]`, `{"a":{"b":[]},"c":[{},[]]}`, ` [ 1 , { "a" : [ ] } ] `,
		`[1}`, `{"a":1]`, `[,1]`, `[1,]`, `[1 2]`, `{"a":1,}`, `{,"a":1}`, `{"a" 1}`, `{"a":}`, `{1:2}`,
		`{"a":1 "b":2}`, `[[]`, `[]]`, `{"a":[}`, `[{"a":1},]`, `[{}{}]`, `{"a":1}{}`, `[`, `{`, ``,
	} {
		got := enterVerdict(&r, []byte(s))
		if want := json.Valid([]byte(s)); (got == "") != want {
			t.Errorf("%q: Enter/More say %q, encoding/json valid %v", s, got, want)
		}
	}
	r.Reset([]byte(`{"k\u00e9y":[1],"x":2}`))
	var keys []string
	r.Enter('{')
	for r.More('}') {
		k, _ := r.Key()
		keys = append(keys, string(k))
		r.Skip()
	}
	if r.Err() != "" || !r.End() || len(keys) != 2 || keys[0] != "kéy" || keys[1] != "x" {
		t.Errorf("keys %q, err %q", keys, r.Err())
	}
	r.Reset([]byte(`{"a":"x\ty","b":[1,{"c":"z"}],"d":null,"e":"w"}`))
	var vals []string
	r.Enter('{')
	for {
		k, ok := r.Member()
		if !ok {
			break
		}
		vals = append(vals, string(k)+"="+string(r.StrOrSkip()))
	}
	if r.Err() != "" || !r.End() || strings.Join(vals, " ") != "a=x\ty b= d= e=w" {
		t.Errorf("Member/StrOrSkip read %q, err %q", vals, r.Err())
	}
	if r.Reset([]byte(`[1]`)); r.Enter('{') || r.Err() == "" {
		t.Errorf("Enter('{') on an array: accepted")
	}
	if r.Reset([]byte(`[1]`)); r.Enter('"') || r.Err() == "" {
		t.Errorf("Enter('\"'): accepted")
	}
}

// TestJSONReaderEnterDepth: Enter stops at MaxJSONDepth like Object and
// Array, so a deep body costs one bounded scan.
func TestJSONReaderEnterDepth(t *testing.T) {
	var r spec.JSONReader
	deep := []byte(strings.Repeat("[", spec.MaxJSONDepth+1) + strings.Repeat("]", spec.MaxJSONDepth+1))
	if got := enterVerdict(&r, deep); !strings.Contains(got, "deeper") {
		t.Errorf("%d levels: %q, want a refusal past %d", spec.MaxJSONDepth+1, got, spec.MaxJSONDepth)
	}
	if got := enterVerdict(&r, deep[1:len(deep)-1]); got != "" {
		t.Errorf("%d levels refused: %s", spec.MaxJSONDepth, got)
	}
}

// TestJSONReaderEnterAllocates: reading a body with Enter, More and Key
// allocates nothing.
func TestJSONReaderEnterAllocates(t *testing.T) {
	body := []byte(`{"result":[{"uid":"u1","ext":"a b","status":{"ios_1":"1"}},{"uid":"u2","expiry":17}],"x":[true,null,-1.5e3]}`)
	var r spec.JSONReader
	if allocs := testing.AllocsPerRun(100, func() {
		if enterVerdict(&r, body) != "" {
			t.Fatal(r.Err())
		}
	}); allocs != 0 {
		t.Errorf("%.0f allocations per body, want 0", allocs)
	}
}

// FuzzJSONReaderEnter holds Enter, More and Key to encoding/json's
// verdict on any input within the depth bound.
func FuzzJSONReaderEnter(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":null}]}`, `[1}`, `[1,]`, `{"a" 1}`, `{"a":1,}`, `"\u00e9"`, `[[[]]]`, ` 1 `, `{}x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r spec.JSONReader
		got := enterVerdict(&r, b)
		if strings.Contains(got, "deeper") {
			return // encoding/json reads far deeper
		}
		if want := json.Valid(b); (got == "") != want {
			t.Fatalf("%q: Enter/More say %q, encoding/json valid %v", b, got, want)
		}
	})
}
