package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
)

// FuzzParseNames cross-checks the hand-written scanner with encoding/json:
// the same inputs are valid, and the same names come out.
func FuzzParseNames(f *testing.F) {
	for _, s := range []string{`{"users":["a","b"]}`, `["c1"]`, `{"users":null}`, `{"users":["\u00e9\ud83d\ude00"]}`,
		`{"x":{"y":[1,2.5e3,true,null]},"users":["a"]}`, `[1]`, `{"users":"a"}`, `{`, `"s"`, ` [ ] `, `{"users":["a"],"users":["b"]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		names, isBare, _, err := parseNames(body, "users", true, nil, nil)
		valid := json.Valid(body)
		if len(bytes.Trim(body, " \t\r\n")) == 0 {
			if err != nil || len(names) != 0 {
				t.Fatalf("empty body: %v %q", err, names)
			}
			return
		}
		if !valid {
			if err == nil {
				t.Fatalf("invalid JSON %q accepted: %q", body, names)
			}
			return
		}
		v, e := decodeAny(body)
		if e != nil {
			t.Fatalf("decoding valid JSON: %v", e)
		}
		var want []any
		shapeOK := true
		switch x := v.(type) {
		case []any:
			want = x
		case map[string]any:
			switch u := x["users"].(type) {
			case []any:
				want = u
			case nil:
			default:
				shapeOK = false
			}
		default:
			shapeOK = false
		}
		for _, w := range want {
			if _, ok := w.(string); !ok {
				shapeOK = false
			}
		}
		if !shapeOK {
			if err == nil {
				t.Fatalf("%q: wrong shape accepted", body)
			}
			return
		}
		if err != nil {
			t.Fatalf("%q: valid body refused: %v", body, err)
		}
		got := make([]string, len(names))
		for i, n := range names {
			got[i] = string(n)
		}
		wantS := make([]string, len(want))
		for i, w := range want {
			wantS[i] = w.(string)
		}
		if !slices.Equal(got, wantS) {
			t.Fatalf("%q: names %q, encoding/json %q (bare %v)", body, got, wantS, isBare)
		}
	})
}

// FuzzParseExt cross-checks parseExt with encoding/json.
func FuzzParseExt(f *testing.F) {
	for _, s := range []string{`{"ext":"123"}`, `{"ext":null}`, `{}`, `{"ext":5}`, `{"ext":"a\"b\\n"}`, `[]`, `{"ext":"x","ext":"y"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ext, present, _, err := parseExt(body, nil)
		if len(bytes.Trim(body, " \t\r\n")) == 0 {
			return
		}
		if !json.Valid(body) {
			if err == nil {
				t.Fatalf("invalid JSON %q accepted", body)
			}
			return
		}
		v, _ := decodeAny(body)
		m, ok := v.(map[string]any)
		if !ok {
			if err == nil {
				t.Fatalf("%q: non-object accepted", body)
			}
			return
		}
		switch e := m["ext"].(type) {
		case string:
			if err != nil || !present || string(ext) != e {
				t.Fatalf("%q: ext %q present %v err %v, want %q", body, ext, present, err, e)
			}
		case nil:
			if err != nil || present {
				t.Fatalf("%q: present %v err %v, want absent", body, present, err)
			}
		default:
			if err == nil {
				t.Fatalf("%q: non-string ext accepted", body)
			}
		}
	})
}

// FuzzHandler sends arbitrary method, path, query and body to the API: no
// panic, no 5xx, always a JSON answer, valid against the spec when routable.
func FuzzHandler(f *testing.F) {
	f.Add(uint8(0), "users/a/presence/android/1", "", []byte(`{"ext":"x"}`))
	f.Add(uint8(0), "users/a/presence/100", "", []byte(`{"usernames":["b","c"]}`))
	f.Add(uint8(0), "users/a/presence", "", []byte(`{"usernames":["b"]}`))
	f.Add(uint8(1), "users/a/presence", "", []byte(`["b"]`))
	f.Add(uint8(2), "users/a/presence/sublist", "pageNum=1&pageSize=500", []byte(nil))
	f.Add(uint8(2), "presence/online/g/type/1", "", []byte(nil))
	f.Add(uint8(0), "token", "", []byte(`{"grant_type":"client_credentials","client_id":"cid","client_secret":"secret","ttl":"5"}`))
	f.Add(uint8(3), "users/a/presence", "", []byte(`{}`))
	s := newTest(f)
	methods := []string{"POST", "DELETE", "GET", "PUT"}
	f.Fuzz(func(t *testing.T, m uint8, path, query string, body []byte) {
		u, err := url.Parse("/org/app/" + path)
		if err != nil {
			return
		}
		u.RawQuery = query
		req := httptest.NewRequest(methods[int(m)%len(methods)], "/", bytes.NewReader(body))
		req.URL = u
		req.RequestURI = u.RequestURI()
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s?%s %q: %d %s", req.Method, path, query, body, rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("answer is not JSON: %q", rec.Body)
		}
		d := testDoc(t)
		if _, err := d.Route(req.Method, u.EscapedPath()); err == nil {
			if err := d.ValidateResponse(context.Background(), req, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
				t.Fatalf("%s %s %q → %d %s: %v", req.Method, u.EscapedPath(), body, rec.Code, rec.Body, err)
			}
		}
		_ = http.StatusOK
	})
}

// decodeAny decodes with numbers kept as text (any size is valid JSON).
func decodeAny(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}
