package spec

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// The two halves of ValidateResponseFor's cost on the 10-user batch-get
// answer of BenchmarkValidateResponse, measured apart so a change can be
// aimed: decoding the body into Go values, and kin-openapi walking the
// schema over them.

var splitBody = []byte(`{"result":[` +
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

func BenchmarkValidateResponseDecodeOnly(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var v any
		_ = json.Unmarshal(splitBody, &v)
	}
}

func BenchmarkValidateResponseSchemaWalkOnly(b *testing.B) {
	d, _ := Load()
	s := d.ops[OpGetStatus].op.Responses.Status(200).Value.Content.Get("application/json").Schema.Value
	var v any
	_ = json.Unmarshal(splitBody, &v)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.VisitJSON(v, openapi3.VisitAsResponse(), openapi3.FailFast()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateResponseReference is BenchmarkValidateResponse on
// kin-openapi's path, the reference the compiled validator is measured
// against in the same run.
func BenchmarkValidateResponseReference(b *testing.B) {
	d, err := Load()
	if err != nil {
		b.Fatal(err)
	}
	rt, err := d.Route("POST", "/org/app/users/u/presence")
	if err != nil {
		b.Fatal(err)
	}
	header := http.Header{"Content-Type": []string{"application/json"}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := d.ValidateResponseReference(ctx, rt, 200, header, splitBody); err != nil {
			b.Fatal(err)
		}
	}
}

// The request side of the same comparison: a 100-user subscribe, the
// largest request of the contract, on the compiled path and on
// kin-openapi's.
func benchmarkValidateRequest(b *testing.B, reference bool) {
	d, err := Load()
	if err != nil {
		b.Fatal(err)
	}
	names := make([]string, 100)
	for i := range names {
		names[i] = `"user` + strconv.Itoa(i) + `"`
	}
	body := []byte(`{"usernames":[` + strings.Join(names, ",") + `]}`)
	req, err := http.NewRequest("POST", "http://h/org/app/users/u/presence/1000", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	rt, err := d.Route(req.Method, req.URL.EscapedPath())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if reference {
		ctx = WithReference(ctx)
	}
	b.ReportAllocs()
	for b.Loop() {
		req.Body = io.NopCloser(bytes.NewReader(body))
		if err := d.ValidateRequestFor(ctx, rt, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateRequest(b *testing.B)          { benchmarkValidateRequest(b, false) }
func BenchmarkValidateRequestReference(b *testing.B) { benchmarkValidateRequest(b, true) }
