package spec_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/presencekit/presencekit/spec"
)

// TestEmbeddedSpecCompilesFully: every operation of openapi.yaml is judged
// by the compiled validator, none is left to kin-openapi.
func TestEmbeddedSpecCompilesFully(t *testing.T) {
	d := mustLoad(t)
	if fb := d.CompileFallbacks(); len(fb) != 0 {
		t.Errorf("left to kin-openapi: %q", fb)
	}
}

// TestTwoPathsAreDistinct pins that the default path is the compiled one and
// the reference path is kin-openapi's: only the latter carries kin-openapi's
// schema error.
func TestTwoPathsAreDistinct(t *testing.T) {
	d := mustLoad(t)
	rt, err := d.Route("POST", "/o/a/users/u/presence")
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"result":[{"uid":"","last_time":"1","ext":"","status":{}}]}`)
	ctx := context.Background()
	var se *openapi3.SchemaError
	got := d.ValidateResponseFor(ctx, rt, 200, jsonHeader, body)
	if got == nil || errors.As(got, &se) {
		t.Errorf("default path: %v, want the compiled validator's error", got)
	}
	want := d.ValidateResponseReference(ctx, rt, 200, jsonHeader, body)
	if !errors.As(want, &se) {
		t.Errorf("reference path: %v, want kin-openapi's schema error", want)
	}
}

// TestFallbackIsNeverASilentPass: a schema the compiler does not cover is
// validated by kin-openapi, and lint names it.
func TestFallbackIsNeverASilentPass(t *testing.T) {
	data := edit(t, "      type: string\n      maxLength: 1024\n", "      type: string\n      format: date-time\n      maxLength: 1024\n")
	d, err := spec.LoadData(data, "copy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fb := d.CompileFallbacks()
	if len(fb) != 1 || !strings.Contains(fb[0], "setPresenceStatus request") || !strings.Contains(fb[0], "date-time") {
		t.Errorf("fallbacks = %q, want setPresenceStatus request for its date-time format", fb)
	}
	var hit bool
	for _, f := range spec.Lint(context.Background(), d) {
		hit = hit || (f.Check == spec.CheckCompile && strings.Contains(f.Message, "setPresenceStatus") && f.Line > 0)
	}
	if !hit {
		t.Error("lint does not report the fallback")
	}
	for body, field := range map[string]string{
		`{"ext":"yesterday"}`:                        "body.ext",
		`{"ext":"` + strings.Repeat("在", 342) + `"}`: "body.ext",
		`{}`: "body.ext",
	} {
		err := d.ValidateRequest(context.Background(), newReq("POST", base+"/users/u/presence/android/1", body))
		var ve *spec.ValidationError
		if !errors.As(err, &ve) || ve.Field != field {
			t.Errorf("%.30s: %v, want an error on %s", body, err, field)
		}
	}
	if err := d.ValidateRequest(context.Background(), newReq("POST", base+"/users/u/presence/android/1", `{"ext":"2022-02-10T00:00:00Z"}`)); err != nil {
		t.Errorf("valid date-time ext: %v", err)
	}
}

// nested wraps v in n arrays.
func nested(n int, v string) string {
	return strings.Repeat("[", n) + v + strings.Repeat("]", n)
}

// TestDepthBound: 64 levels are read, 65 are refused, wherever they are.
func TestDepthBound(t *testing.T) {
	d := mustLoad(t)
	ctx := context.Background()
	for _, tc := range []struct {
		body string
		ok   bool
	}{
		{`{"usernames":["a"],"x":` + nested(63, "1") + `}`, true},
		{`{"usernames":["a"],"x":` + nested(64, "1") + `}`, false},
		{`{"usernames":["a"],"x":` + nested(64, `"]]]]"`) + `}`, false},
		{nested(65, `"a"`), false},
	} {
		err := d.ValidateRequest(ctx, newReq("POST", base+"/users/u/presence/1000", tc.body))
		var ve *spec.ValidationError
		switch {
		case tc.ok && err != nil:
			t.Errorf("%d levels: %v", strings.Count(tc.body, "["), err)
		case !tc.ok && (!errors.As(err, &ve) || ve.Field != "body" || !errors.Is(err, spec.ErrTooDeep)):
			t.Errorf("%d levels: %v, want a body error wrapping ErrTooDeep", strings.Count(tc.body, "["), err)
		}
	}
	resp := []byte(`{"result":"ok","x":` + nested(64, "1") + `}`)
	if err := d.ValidateResponse(ctx, newReq("POST", base+"/users/u/presence/android/1", ""), 200, jsonHeader, resp); !errors.Is(err, spec.ErrTooDeep) {
		t.Errorf("a 65-level answer: %v, want ErrTooDeep", err)
	}
	if err := d.ValidateResponseBytes(spec.OpSetStatus, 200, "application/json", resp); !errors.Is(err, spec.ErrTooDeep) {
		t.Errorf("a 65-level answer (ValidateResponseBytes): %v, want ErrTooDeep", err)
	}
}

// TestTrailingDataRefused: kin-openapi reads a request body's first value
// only; the compiled validator refuses what follows.
func TestTrailingDataRefused(t *testing.T) {
	d := mustLoad(t)
	for _, body := range []string{`{"usernames":["a"]} x`, `{"usernames":["a"]}{}`, `{"usernames":["a"]}]`} {
		err := d.ValidateRequest(context.Background(), newReq("POST", base+"/users/u/presence", body))
		var ve *spec.ValidationError
		if !errors.As(err, &ve) || ve.Field != "body" || !strings.Contains(ve.Reason, "after the value") {
			t.Errorf("%q: %v, want a body error for the data after the value", body, err)
		}
	}
}

// TestDuplicateKeysLastWins: encoding/json keeps the last of duplicate
// keys, and so kin-openapi judges that one; so does the compiled validator.
func TestDuplicateKeysLastWins(t *testing.T) {
	d := mustLoad(t)
	ctx := context.Background()
	for body, ok := range map[string]bool{
		`{"ext":1,"ext":"a"}`: true,
		`{"ext":"a","ext":1}`: false,
		`{"ext":"a","ext":"` + strings.Repeat("x", 1025) + `"}`: false,
		`{"ext":"` + strings.Repeat("x", 1025) + `","ext":"a"}`: true,
	} {
		err := d.ValidateRequest(ctx, newReq("POST", base+"/users/u/presence/android/1", body))
		if (err == nil) != ok {
			t.Errorf("%.40s: %v, want ok=%v", body, err, ok)
		}
	}
	resp := []byte(`{"result":[{"uid":"a","last_time":"1","ext":"","status":{"x":1,"x":"1"}}]}`)
	if err := d.ValidateResponse(ctx, newReq("POST", base+"/users/u/presence", ""), 200, jsonHeader, resp); err != nil {
		t.Errorf("duplicate status key, last valid: %v", err)
	}
}

// TestValidateResponseBytes: the proxy's entry point gives the same
// answers as ValidateResponseFor.
func TestValidateResponseBytes(t *testing.T) {
	d := mustLoad(t)
	for _, ex := range seedExamples {
		rt, err := d.Route(ex.method, "/o/a"+strings.SplitN(ex.path, "?", 2)[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := d.ValidateResponseBytes(rt.Operation, ex.status, "application/json", []byte(ex.resp)); err != nil {
			t.Errorf("%s: %v", ex.name, err)
		}
	}
	for _, tc := range invalidResponses {
		rt, err := d.Route(tc.method, "/o/a"+tc.path)
		if err != nil {
			t.Fatal(err)
		}
		err = d.ValidateResponseBytes(rt.Operation, tc.status, tc.header.Get("Content-Type"), []byte(tc.body))
		var ve *spec.ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field || ve.Direction != spec.Response {
			t.Errorf("%s: %v, want response %s", tc.name, err, tc.field)
		}
	}
	if err := d.ValidateResponseBytes("nope", 200, "application/json", []byte(`{}`)); !errors.Is(err, spec.ErrNoRoute) {
		t.Errorf("unknown operation: %v, want ErrNoRoute", err)
	}
}

// TestValidAnswerAllocates pins the allocation target of issue 15 (at
// most 10 per validated answer) without a clock.
func TestValidAnswerAllocates(t *testing.T) {
	d := mustLoad(t)
	body := []byte(`{"result":[` + strings.TrimSuffix(strings.Repeat(`{"uid":"u","last_time":"1644466063","ext":"x","status":{"android":"1","ios":"0"}},`, 10), ",") + `]}`)
	allocs := testing.AllocsPerRun(50, func() {
		if err := d.ValidateResponseBytes(spec.OpGetStatus, 200, "application/json", body); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 10 {
		t.Errorf("%.0f allocations per valid answer, want at most 10", allocs)
	}
}

// FuzzTokVsEncodingJSON holds the compiled validator's scanner to
// encoding/json, whose values kin-openapi judges: same verdict on any
// input (within the depth bound), same decoded strings.
func FuzzTokVsEncodingJSON(f *testing.F) {
	for _, s := range []string{`"a"`, `"\u00e9\ud800\udc00\ud800x"`, "\"\xff\xfe\"", `{"a":[1,2.5e3,-0,true,null]}`,
		`1e400`, `[1,]`, `{"a" 1}`, `"\x01"`, `-`, `01`, ` {} `, `{}x`, nested(65, "")} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var v any
		jsonErr := json.Unmarshal([]byte(s), &v)
		got := spec.TokCheck([]byte(s))
		switch {
		case jsonErr != nil && got == "":
			t.Fatalf("%q: scanner accepts, encoding/json: %v", s, jsonErr)
		case jsonErr == nil && got != "" && bracketDepth([]byte(s)) <= 64:
			t.Fatalf("%q: scanner refuses (%s), encoding/json accepts", s, got)
		}
		if str, ok := v.(string); ok && jsonErr == nil {
			if dec := spec.TokString([]byte(strings.TrimSpace(s))); dec != str {
				t.Fatalf("%q: scanner decodes %q, encoding/json %q", s, dec, str)
			}
		}
	})
}

// TestErrorTextsBounded: a field quoting a huge key of the body is cut, so
// an error text never grows with the input.
func TestErrorTextsBounded(t *testing.T) {
	d := mustLoad(t)
	key := strings.Repeat("k", 5000)
	body := []byte(`{"result":[{"uid":"a","last_time":"1","ext":"","status":{"` + key + `":1}}]}`)
	err := d.ValidateResponse(context.Background(), newReq("POST", base+"/users/u/presence", ""), 200, jsonHeader, body)
	var ve *spec.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a *spec.ValidationError, got %v", err)
	}
	if !strings.HasPrefix(ve.Field, "body.result[0].status.kkk") || len(ve.Field) > 600 {
		t.Errorf("field of %d bytes: %.80q", len(ve.Field), ve.Field)
	}
}

// recursiveSpec has a schema that reaches itself through oneOf and then a
// property: a different value each time, so it compiles.
const recursiveSpec = `openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /things:
    post:
      operationId: postThing
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Node'}
      responses:
        '200': {description: ok}
components:
  schemas:
    Node:
      oneOf:
        - type: string
        - $ref: '#/components/schemas/Tree'
    Tree:
      type: object
      required: [kids]
      additionalProperties: false
      properties:
        kids: {type: array, items: {$ref: '#/components/schemas/Node'}}
`

func TestRecursiveSchemaCompiles(t *testing.T) {
	d, err := spec.LoadData([]byte(recursiveSpec), "recursive.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if fb := d.CompileFallbacks(); len(fb) != 0 {
		t.Fatalf("left to kin-openapi: %q", fb)
	}
	rt, err := d.Route("POST", "/o/a/things")
	if err != nil {
		t.Fatal(err)
	}
	for body, field := range map[string]string{
		`"leaf"`:                     "",
		`{"kids":["a",{"kids":[]}]}`: "",
		// kin-openapi names the first oneOf alternative's error: the
		// string's, at the top.
		`{"kids":["a",{"kids":[1]}]}`:         "body",
		`{"kids":[],"x":1}`:                   "body",
		`{"kids":[{"kids":[{"kid":[]}]}]}`:    "body",
		`{"kids":[{"kids":[{"kids":null}]}]}`: "body",
	} {
		in := diffInput{request: true, method: "POST", escPath: "/o/a/things", ct: "application/json", body: []byte(body)}
		got := d.ValidateRequestFor(context.Background(), rt, in.newRequest())
		want := d.ValidateRequestReference(context.Background(), rt, in.newRequest())
		if msg := disagreement(in, got, want); msg != "" {
			t.Errorf("%s: %s", body, msg)
		}
		var ve *spec.ValidationError
		if field == "" && got != nil || field != "" && (!errors.As(got, &ve) || ve.Field != field) {
			t.Errorf("%s: %v, want field %q", body, got, field)
		}
	}
}

// TestByteLimitBesideAHugeNumber: a number beyond float64 elsewhere in the
// body once made the reference skip x-max-bytes; both paths refuse.
func TestByteLimitBesideAHugeNumber(t *testing.T) {
	d := mustLoad(t)
	rt, err := d.Route("POST", "/o/a/users/u/presence/android/1")
	if err != nil {
		t.Fatal(err)
	}
	body := `{"ext":"` + strings.Repeat("在", 342) + `","n":1e400}` // 1026 bytes, 342 characters
	for name, err := range map[string]error{
		"compiled":  d.ValidateRequestFor(context.Background(), rt, newReq("POST", base+"/users/u/presence/android/1", body)),
		"reference": d.ValidateRequestReference(context.Background(), rt, newReq("POST", base+"/users/u/presence/android/1", body)),
	} {
		var ve *spec.ValidationError
		if !errors.As(err, &ve) || ve.Field != "body.ext" {
			t.Errorf("%s: %v, want an error on body.ext", name, err)
		}
	}
}
