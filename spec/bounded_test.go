package spec_test

import (
	"context"
	"errors"
	"github.com/presencekit/presencekit/spec"
	"io"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

// worstRequests are the inputs that cost most per byte: deep nesting,
// huge names, a body of whitespace.
var worstRequests = []struct{ name, method, path, body string }{
	{"deep nesting", "DELETE", "/users/u/presence", strings.Repeat("[", 10000) + strings.Repeat("]", 10000)},
	{"deep nesting in an object", "POST", "/users/u/presence", `{"usernames":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`},
	{"100 KB name in the body", "POST", "/users/u/presence", `{"usernames":["` + strings.Repeat("n", 100<<10) + `"]}`},
	{"100 KB name in the path", "POST", "/users/" + strings.Repeat("n", 100<<10) + "/presence", `{"usernames":["a"]}`},
	{"1 MB of spaces", "POST", "/users/u/presence", strings.Repeat(" ", 1<<20) + `{"usernames":["a"]}`},
}

// BenchmarkValidateRequestWorst measures spec.ValidateRequest on each of
// the worst inputs; every one must be refused.
func BenchmarkValidateRequestWorst(b *testing.B) {
	d := mustLoad(b)
	for _, w := range worstRequests {
		b.Run(w.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := d.ValidateRequest(context.Background(), newReq(w.method, base+w.path, w.body)); err == nil {
					b.Fatal("accepted")
				}
			}
		})
	}
}

// TestWorstRequestsRefused pins the bounds: each worst input is refused
// for the bound it exceeds, found before any decoding, with a short text.
// Before the bounds, the deep-nesting body cost 21 s and 7.8 GB here.
func TestWorstRequestsRefused(t *testing.T) {
	d := mustLoad(t)
	want := []error{spec.ErrTooDeep, spec.ErrTooDeep, spec.ErrBodyTooLarge, spec.ErrParamTooLong, spec.ErrBodyTooLarge}
	for i, w := range worstRequests {
		t.Run(w.name, func(t *testing.T) {
			req := newReq(w.method, base+w.path, w.body)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			err := d.ValidateRequest(context.Background(), req)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, want[i]) {
				t.Fatalf("got %v, want %v", err, want[i])
			}
			var ve *spec.ValidationError
			if !errors.As(err, &ve) || ve.Direction != spec.Request {
				t.Fatalf("not a request ValidationError: %#v", err)
			}
			if n := len(err.Error()); n > 1200 {
				t.Errorf("error text of %d bytes", n)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 5<<20 {
				t.Errorf("allocated %d bytes, want < 5 MiB", got)
			}
			// The body is still there for whoever forwards the request.
			if w.body != "" {
				b, _ := io.ReadAll(req.Body)
				if string(b) != w.body {
					t.Errorf("body not restored: %d bytes of %d", len(b), len(w.body))
				}
			}
		})
	}
}

// TestDepthBoundary: the last accepted depth passes the depth check (and
// fails the schema, as any nested array does), one more is ErrTooDeep.
// Brackets inside strings do not count.
func TestDepthBoundary(t *testing.T) {
	nest := func(n int) []byte { return []byte(strings.Repeat("[", n) + strings.Repeat("]", n)) }
	if err := spec.CheckJSONDepth(nest(spec.MaxJSONDepth), spec.MaxJSONDepth); err != nil {
		t.Errorf("depth %d: %v", spec.MaxJSONDepth, err)
	}
	if err := spec.CheckJSONDepth(nest(spec.MaxJSONDepth+1), spec.MaxJSONDepth); !errors.Is(err, spec.ErrTooDeep) {
		t.Errorf("depth %d: %v, want ErrTooDeep", spec.MaxJSONDepth+1, err)
	}
	str := []byte(`{"usernames":["` + strings.Repeat(`[{\"`, 200) + `"]}`)
	if err := spec.CheckJSONDepth(str, spec.MaxJSONDepth); err != nil {
		t.Errorf("brackets in a string counted: %v", err)
	}
	d := mustLoad(t)
	err := d.ValidateResponse(context.Background(), newReq("POST", base+"/users/u/presence", ""), 200, jsonHeader, nest(10000))
	if !errors.Is(err, spec.ErrTooDeep) {
		t.Errorf("deep answer: %v, want ErrTooDeep", err)
	}
}

// FuzzValidateRequestDepth builds bodies of random nesting, shape and
// size for every operation: validation never panics, its error is a typed
// ValidationError with a bounded text, and a body deeper than
// MaxJSONDepth is always ErrTooDeep.
func FuzzValidateRequestDepth(f *testing.F) {
	f.Add(uint8(0), uint16(10000), "[", "]", "")
	f.Add(uint8(1), uint16(65), `{"usernames":`, "}", `"a"`)
	f.Add(uint8(2), uint16(64), `[{"a":`, "}]", "1")
	f.Add(uint8(3), uint16(3), `{"ext":[`, "]}", `"\"]]]"`)
	d := mustLoad(f)
	routes := []struct{ method, path string }{
		{"POST", "/users/u/presence/android/1"},
		{"POST", "/users/u/presence/1000"},
		{"POST", "/users/u/presence"},
		{"DELETE", "/users/u/presence"},
		{"POST", "/token"},
	}
	f.Fuzz(func(t *testing.T, op uint8, depth uint16, open, close, inner string) {
		if len(open)+len(close) > 16 || len(inner) > 256 {
			return
		}
		n := int(depth) % 20000
		body := strings.Repeat(open, n) + inner + strings.Repeat(close, n)
		r := routes[int(op)%len(routes)]
		err := d.ValidateRequest(context.Background(), newReq(r.method, base+r.path, body))
		if err == nil {
			return
		}
		var ve *spec.ValidationError
		if !errors.As(err, &ve) || ve.Field == "" || ve.Reason == "" {
			t.Fatalf("untyped or empty error: %#v", err)
		}
		if len(ve.Reason) > 1024 || len(ve.Field) > 1024 {
			t.Fatalf("unbounded text: field %d, reason %d bytes", len(ve.Field), len(ve.Reason))
		}
		if len(body) <= spec.MaxRequestBodyBytes && spec.CheckJSONDepth([]byte(body), spec.MaxJSONDepth) != nil && !errors.Is(err, spec.ErrTooDeep) {
			t.Fatalf("too deep but %v", err)
		}
	})
}

// TestValidateParamsLeavesBody: judging the URL alone never reads the
// body (kin-openapi's security check would read all of it), so a proxy
// can judge the URL of a request whose body it will not hold.
func TestValidateParamsLeavesBody(t *testing.T) {
	d := mustLoad(t)
	req := newReq("POST", base+"/users/u/presence/99999999", "")
	var read atomic.Int64
	req.Body = io.NopCloser(countingReader{&read})
	rt, err := d.Route(req.Method, req.URL.EscapedPath())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.ValidateParamsFor(context.Background(), rt, req); err == nil {
		t.Error("expiry 99999999 accepted")
	}
	if n := read.Load(); n != 0 {
		t.Errorf("%d body bytes read", n)
	}
}

// countingReader is an endless body that counts what is read of it.
type countingReader struct{ n *atomic.Int64 }

func (c countingReader) Read(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	if c.n.Load() > 1<<30 {
		return 0, io.EOF
	}
	return len(p), nil
}
