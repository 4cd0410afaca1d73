package client

import (
	"bytes"
	"encoding/json"
	"testing"
)

// errorCodeOracle is ErrorCode by encoding/json: body one valid JSON
// object; its "error" members in order, a string setting the code, null
// leaving it, anything else making it no envelope (as decoding into a
// struct with a string field fails).
func errorCodeOracle(body []byte) ([]byte, bool) {
	if !json.Valid(body) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var code []byte
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, false
		}
		if tok != "error" {
			continue
		}
		switch {
		case raw[0] == '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, false
			}
			code = []byte(s)
		case string(raw) == "null":
		default:
			return nil, false
		}
	}
	return code, true
}

func TestErrorCode(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{`{"error":"unauthorized","exception":"x","timestamp":1,"duration":0,"error_description":"d"}`, "unauthorized"},
		{`{"timestamp":"not a number","error":"reach_limit"}`, "reach_limit"}, // the code survives a malformed member
		{` {"error" : "a\u005fb"} `, "a_b"},
		{`{"error":"a","error":"b"}`, "b"},
		{`{"error":"a","error":null}`, "a"},
		{`{"error":5}`, ""},
		{`{"exception":"\"error\":\"x\""}`, ""}, // a key, not text that looks like one
		{`{"error":"a"} trailing`, ""},
		{`["error","a"]`, ""},
		{`{"error_description":"error"}`, ""},
		{``, ""},
	} {
		if got := string(ErrorCode([]byte(c.body))); got != c.want {
			t.Errorf("ErrorCode(%s) = %q, want %q", c.body, got, c.want)
		}
	}
}

// ErrorCode allocates nothing for a code without escapes: it runs for
// every 4xx the load generator classifies.
func TestErrorCodeAllocations(t *testing.T) {
	body := []byte(`{"error":"illegal_argument","exception":"IllegalArgumentException","timestamp":1700000000000,"duration":0,"error_description":"usernames is empty"}`)
	if n := testing.AllocsPerRun(100, func() { _ = ErrorCode(body) }); n != 0 {
		t.Errorf("%v allocations per call, want 0", n)
	}
}

func FuzzErrorCode(f *testing.F) {
	for _, s := range []string{`{"error":"unauthorized"}`, `{"error":"a","error":null}`, `{"error":5,"x":[1,{"error":"y"}]}`, `{"error":"\ud800"}`, `{"error":"\xff"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		want, ok := errorCodeOracle(body)
		got := ErrorCode(body)
		if !ok {
			want = nil
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("ErrorCode(%q) = %q, encoding/json reads %q (ok %v)", body, got, want, ok)
		}
	})
}
