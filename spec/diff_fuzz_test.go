package spec_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/presencekit/presencekit/spec"
)

// diffRoutes are the operations' paths with the parameters the fuzzer
// fills in ({1} and {2}, path-escaped).
var diffRoutes = []struct{ method, path string }{
	{"POST", "/users/u/presence/{1}/{2}"},    // setPresenceStatus
	{"POST", "/users/u/presence/{1}"},        // subscribePresence
	{"POST", "/users/{1}/presence"},          // getPresenceStatus
	{"DELETE", "/users/{1}/presence"},        // unsubscribePresence
	{"GET", "/users/{1}/presence/sublist"},   // listSubscriptions
	{"GET", "/presence/online/{1}/type/{2}"}, // getGroupOnlineCount
	{"POST", "/token"},                       // getAppToken
	{"POST", "/users/{1}/presence/{2}"},      // subscribe or set status by the parameters
}

var diffContentTypes = []string{"application/json", "application/json; charset=utf-8", "Application/JSON",
	"text/plain", "", "application/json;x=y", "application/*", "application/json, text/plain"}

var diffStatuses = []int{200, 400, 401, 404, 405, 413, 415, 429, 503}

// diffInput is one fuzz input, decoded from the fuzzer's values.
type diffInput struct {
	method, escPath, query, ct string
	request                    bool
	status                     int
	body                       []byte
}

func decodeDiffInput(sel uint16, status int, p1, p2, query, body string) diffInput {
	r := diffRoutes[int(sel)%len(diffRoutes)]
	esc := strings.NewReplacer("{1}", url.PathEscape(p1), "{2}", url.PathEscape(p2)).Replace(r.path)
	if sel&0x200 != 0 {
		body, _ = genJSON([]byte(body), 0)
	}
	in := diffInput{method: r.method, escPath: "/org/app" + esc, query: query, body: []byte(body),
		ct: diffContentTypes[int(sel>>4)%len(diffContentTypes)], request: sel&8 == 0, status: status}
	if sel&0x100 == 0 {
		in.status = diffStatuses[uint(status)%uint(len(diffStatuses))]
	}
	return in
}

func (in diffInput) newRequest() *http.Request {
	req := &http.Request{Method: in.method, URL: &url.URL{Path: "/", RawQuery: in.query},
		Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(in.body)), ContentLength: int64(len(in.body))}
	if in.ct != "" {
		req.Header.Set("Content-Type", in.ct)
	}
	return req
}

// runBoth validates the input with the compiled validator and with the
// reference; ok is false when the path routes nowhere (the two share the
// router).
func runBoth(d *spec.Doc, in diffInput) (got, want error, ok bool) {
	rt, err := d.Route(in.method, in.escPath)
	if err != nil {
		return nil, nil, false
	}
	ctx := context.Background()
	if in.request {
		got = d.ValidateRequestFor(ctx, rt, in.newRequest())
		want = d.ValidateRequestReference(ctx, rt, in.newRequest())
		return got, want, true
	}
	header := http.Header{}
	if in.ct != "" {
		header.Set("Content-Type", in.ct)
	}
	got = d.ValidateResponseFor(ctx, rt, in.status, header, in.body)
	want = d.ValidateResponseReference(ctx, rt, in.status, header, in.body)
	return got, want, true
}

// bracketDepth is the nesting of brackets outside strings, as the proxy's
// and the mock's depth bound count it.
func bracketDepth(b []byte) int {
	depth, most, inStr, esc := 0, 0, false, false
	for _, c := range b {
		switch {
		case inStr:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '[' || c == '{':
			depth++
			most = max(most, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return most
}

// trailingData says the body starts with one JSON value that
// encoding/json's Decoder reads (with UseNumber, as kin-openapi does),
// followed by more than whitespace.
func trailingData(b []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // as kin-openapi decodes requests
	var v any
	if dec.Decode(&v) != nil {
		return false
	}
	return len(bytes.TrimLeft(b[dec.InputOffset():], " \t\r\n")) > 0
}

// disagreement compares the two verdicts; "" means they agree, or differ
// only where the difference is documented: kin-openapi decodes a request
// body with json.Decoder.Decode, which reads the first JSON value and
// ignores whatever follows (`{"usernames":["a"]}garbage` passes). The
// compiled validator judges that first value as kin-openapi does and then
// refuses the rest (field "body").
func disagreement(in diffInput, got, want error) string {
	var g, w *spec.ValidationError
	if got != nil && !errors.As(got, &g) {
		return "compiled: untyped error " + got.Error()
	}
	if want != nil && !errors.As(want, &w) {
		return "reference: untyped error " + want.Error()
	}
	if g != nil && (g.Field == "" || g.Reason == "") {
		return "compiled: error without field or reason"
	}
	if in.request && w == nil && g != nil && g.Field == "body" && trailingData(in.body) {
		return ""
	}
	switch {
	case g == nil && w == nil:
		return ""
	case g == nil:
		return "compiled accepts, reference refuses: " + w.Error()
	case w == nil:
		return "compiled refuses, reference accepts: " + g.Error()
	case g.Field != w.Field:
		return "fields differ: compiled " + g.Error() + " | reference " + w.Error()
	}
	return ""
}

// FuzzCompiledVsReference holds the compiled validator to kin-openapi's
// verdict (and field) on random and mutated requests and answers of every
// operation. Seeds: the spec's examples and the negative table tests.
func FuzzCompiledVsReference(f *testing.F) {
	for i, ex := range seedExamples {
		for r, route := range diffRoutes {
			if route.method == ex.method {
				p1, p2 := diffParams(ex.path)
				f.Add(uint16(r), 0, p1, p2, "pageNum=1&pageSize=100", ex.body)
				f.Add(uint16(r|8|i<<4&0x70), ex.status, p1, p2, "", ex.resp)
			}
		}
	}
	for _, tc := range invalidRequests {
		p1, p2 := diffParams(tc.path)
		f.Add(uint16(routeIndex(tc.method, tc.path)), 0, p1, p2, queryOf(tc.path), tc.body)
	}
	for _, tc := range invalidResponses {
		p1, p2 := diffParams(tc.path)
		f.Add(uint16(routeIndex(tc.method, tc.path)|8|0x100), tc.status, p1, p2, "", tc.body)
	}
	for _, b := range []string{
		`{"ext":"a","ext":1}`, `{"ext":1,"ext":"a"}`, `{"usernames":["a"],"usernames":[]}`,
		`{"ext":"\u00e9\ud800x"}`, `{"ext":"` + strings.Repeat("\\u5728", 342) + `"}`,
		`{"ext":"` + strings.Repeat("在", 342) + `","n":1e400}`, `{"users":["a"]} x`, `["a"]]`,
		`{"result":[{"uid":"a","last_time":1e400,"ext":"","status":{}}]}`,
		`{"result":{"totalnum":"00000000000000000001","sublist":[]}}`,
		`{"result":[{"uid":"a","last_time":"1","ext":"","status":{"x":"1","x":2}}]}`,
		`{"result":9223372036854775808}`, `{"result":-0}`, `{"result":1.0}`, `{"result":1e2}`,
		`{"result":null}`, `null`, `[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
	} {
		for r := range diffRoutes {
			f.Add(uint16(r), 200, "1", "1", "", b)
			f.Add(uint16(r|8), 200, "1", "1", "", b)
		}
	}
	// genJSON seeds (sel bit 0x200): shapes built from the contract's keys.
	for r := range diffRoutes {
		for _, g := range []string{"\x70\x05\x70\x01\x02\x10\x05\x20", "\x61\x05\xb2\x61\x00\x01\x02\x04\x05\x06",
			"\x62\x05\xb1\x62\x00\x01\x02\x00\x03\x04\x05\x50", "\xff", "\x64\x09\x62\x08\x00\x0a\x03"} {
			f.Add(uint16(r|0x200), 0, "1", "1", "", g)
			f.Add(uint16(r|8|0x200), 200, "1", "1", "", g)
		}
	}
	f.Add(uint16(4), 0, "u", "", "pageSize=&pageSize=5&pageNum=+1", "")
	f.Add(uint16(1), 0, "9223372036854775808", "", "", `{"usernames":["a"]}`)
	f.Add(uint16(5), 0, "g", "00", "", "")
	d := mustLoad(f)
	f.Fuzz(func(t *testing.T, sel uint16, status int, p1, p2, query, body string) {
		in := decodeDiffInput(sel, status, p1, p2, query, body)
		got, want, ok := runBoth(d, in)
		if !ok {
			return
		}
		if msg := disagreement(in, got, want); msg != "" {
			t.Fatalf("%s %s?%s (request=%v, status %d, Content-Type %q) body %q: %s",
				in.method, in.escPath, in.query, in.request, in.status, in.ct, in.body, msg)
		}
	})
}

// diffParams picks the fuzzed parameters out of a table test's path.
func diffParams(path string) (p1, p2 string) {
	path, _, _ = strings.Cut(path, "?")
	segs := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(segs) == 5 && segs[0] == "users": // /users/u/presence/a/b
		return segs[3], segs[4]
	case len(segs) == 4 && segs[0] == "users" && segs[3] != "sublist":
		return segs[3], ""
	case len(segs) >= 2 && segs[0] == "users":
		return segs[1], ""
	case len(segs) == 5 && segs[0] == "presence":
		return segs[2], segs[4]
	}
	return "", ""
}

func queryOf(path string) string {
	_, q, _ := strings.Cut(path, "?")
	return q
}

// routeIndex is the diffRoutes entry a table test's path belongs to.
func routeIndex(method, path string) int {
	path, _, _ = strings.Cut(path, "?")
	segs := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case segs[0] == "token":
		return 6
	case segs[0] == "presence":
		return 5
	case len(segs) == 5:
		return 0
	case len(segs) == 4 && segs[3] == "sublist":
		return 4
	case len(segs) == 4:
		return 1
	case method == "DELETE":
		return 3
	}
	return 2
}

// TestCompiledMatchesReferenceOnTables runs every positive and negative
// table case through both validators: same verdict, same field.
func TestCompiledMatchesReferenceOnTables(t *testing.T) {
	d := mustLoad(t)
	ctx := context.Background()
	check := func(name string, req func() *http.Request, status int, header http.Header, body string) {
		t.Run(name, func(t *testing.T) {
			rt, err := d.Route(req().Method, req().URL.EscapedPath())
			if err != nil {
				return // routing is shared, and tested in validate_test.go
			}
			pairs := [][2]error{
				{d.ValidateRequestFor(ctx, rt, req()), d.ValidateRequestReference(ctx, rt, req())},
			}
			if status != 0 {
				pairs = append(pairs, [2]error{d.ValidateResponseFor(ctx, rt, status, header, []byte(body)),
					d.ValidateResponseReference(ctx, rt, status, header, []byte(body))})
			}
			for i, p := range pairs {
				in := diffInput{request: i == 0}
				if msg := disagreement(in, p[0], p[1]); msg != "" {
					t.Errorf("%s: %s", map[bool]string{true: "request", false: "response"}[i == 0], msg)
				}
			}
		})
	}
	for _, ex := range seedExamples {
		check(ex.name, func() *http.Request { return newReq(ex.method, base+ex.path, ex.body) }, ex.status, jsonHeader, ex.resp)
	}
	for _, tc := range invalidRequests {
		check(tc.name, func() *http.Request { return newReq(tc.method, base+tc.path, tc.body) }, 0, nil, "")
	}
	for _, tc := range invalidResponses {
		check(tc.name, func() *http.Request { return newReq(tc.method, base+tc.path, "") }, tc.status, tc.header, tc.body)
	}
}

// The byte mutator rarely turns one valid body into another of a different
// shape; genJSON does, steering by the fuzzer's bytes: objects with the
// contract's keys, arrays, and the boundary values of its schemas.
var (
	genKeys = []string{"uid", "last_time", "expiry", "ext", "status", "result", "totalnum", "sublist",
		"usernames", "users", "error", "error_description", "exception", "timestamp", "duration",
		"grant_type", "client_id", "client_secret", "ttl", "access_token", "expires_in", "application",
		"android", "x", `u\u0069d`, "0"}
	genScalars = []string{`""`, `"a"`, `"ok"`, `"1644466063"`, `"-1"`, `"01"`, `"1.5"`, `"client_credentials"`,
		`"` + strings.Repeat("x", 1025) + `"`, `"` + strings.Repeat("在", 342) + `"`, `"\ud800"`, `"\u00e9"`,
		`"12345678901234567890"`, `"1234567890123456789"`, "0", "-1", "1.5", "1e400", "-0", "1e2", "100", "101",
		"2592000", "9223372036854775807", "9223372036854775808", "-9223372036854775809", "1E-400",
		"true", "false", "null", `"\u0000"`, `"` + "\xff" + `"`}
)

func genJSON(src []byte, depth int) (out string, rest []byte) {
	if len(src) == 0 {
		return `"a"`, src
	}
	c, src := src[0], src[1:]
	switch {
	case c < 96 || depth > 4:
		return genScalars[int(c)%len(genScalars)], src
	case c < 176:
		n := int(c-96) % 5
		parts := make([]string, 0, n)
		for i := 0; i < n && len(src) > 0; i++ {
			k := genKeys[int(src[0])%len(genKeys)]
			var v string
			v, src = genJSON(src[1:], depth+1)
			parts = append(parts, `"`+k+`":`+v)
		}
		return "{" + strings.Join(parts, ",") + "}", src
	default:
		n := int(c-176) % 4
		if c == 255 {
			n = 101
		}
		parts := make([]string, 0, n)
		var v string
		for i := 0; i < n; i++ {
			if len(src) == 0 {
				parts = append(parts, `"u`+strconv.Itoa(i)+`"`)
				continue
			}
			v, src = genJSON(src, depth+1)
			parts = append(parts, v)
		}
		return "[" + strings.Join(parts, ",") + "]", src
	}
}
