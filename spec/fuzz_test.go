package spec_test

import (
	"context"
	"errors"
	"testing"

	"github.com/presencekit/presencekit/spec"
)

// FuzzValidateResponse feeds arbitrary bodies and statuses to the validator
// of every operation: it must never panic, and every failure must be a
// *spec.ValidationError a report can show.
func FuzzValidateResponse(f *testing.F) {
	for _, ex := range seedExamples {
		f.Add(uint8(0), ex.status, ex.resp)
	}
	for _, tc := range invalidResponses {
		f.Add(uint8(1), tc.status, tc.body)
	}
	f.Add(uint8(2), 200, `{"result":[{"uid":"a","status":{"x":{}}}]}`)
	f.Add(uint8(3), 200, `{"result":{"totalnum":"99999999999999999999","sublist":null}}`)
	f.Add(uint8(4), 200, `{"result":1e400}`)
	d := mustLoad(f)
	routes := []struct{ method, path string }{
		{"POST", "/users/u/presence/android/1"},
		{"POST", "/users/u/presence/1000"},
		{"POST", "/users/u/presence"},
		{"DELETE", "/users/u/presence"},
		{"GET", "/users/u/presence/sublist"},
		{"GET", "/presence/online/g/type/1"},
		{"POST", "/token"},
	}
	f.Fuzz(func(t *testing.T, op uint8, status int, body string) {
		r := routes[int(op)%len(routes)]
		err := d.ValidateResponse(context.Background(), newReq(r.method, base+r.path, ""), status, jsonHeader, []byte(body))
		var ve *spec.ValidationError
		if err != nil && !errors.As(err, &ve) {
			t.Fatalf("untyped error: %v", err)
		}
		if ve != nil && (ve.Field == "" || ve.Reason == "") {
			t.Fatalf("error without field or reason: %#v", ve)
		}
	})
}

// BenchmarkValidateResponse measures the check the load generator's
// --validate and the proxy run per response: a 10-user batch-get answer.
func BenchmarkValidateResponse(b *testing.B) {
	d := mustLoad(b)
	req := newReq("POST", base+"/users/u/presence", "")
	rt, err := d.Route(req.Method, req.URL.EscapedPath())
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"result":[` +
		`{"uid":"user0","last_time":"1644466063","ext":"at work","status":{"android_6b5610ac":"1","ios_2":"0"}},` +
		`{"uid":"user1","last_time":"1644466063","ext":"","status":{"android_6b5610ac":"1"}},` +
		`{"uid":"user2","last_time":"1644466063","ext":"","status":{"web_1":"busy"}},` +
		`{"uid":"user3","last_time":"1644466063","ext":"","status":{}},` +
		`{"uid":"user4","last_time":"1644466063","ext":"lunch","status":{"android_6b5610ac":"0","web_9":"1"}},` +
		`{"uid":"user5","last_time":"1644466063","ext":"","status":{"ios_1":"1"}},` +
		`{"uid":"user6","last_time":1644466063,"ext":"","status":{"android_6b5610ac":"1"}},` +
		`{"uid":"user7","last_time":"1644466063","ext":"","status":{"android_6b5610ac":"0"}},` +
		`{"uid":"user8","last_time":"1644466063","ext":"","status":{"android_6b5610ac":"1"}},` +
		`{"uid":"user9","last_time":"1644466063","ext":"","status":{"web_3":"away"}}]}`)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := d.ValidateResponseFor(ctx, rt, 200, jsonHeader, body); err != nil {
			b.Fatal(err)
		}
	}
}
