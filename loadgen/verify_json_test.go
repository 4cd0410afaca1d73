package loadgen

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/spec"
)

// decodeStd decodes an entries answer with encoding/json, the reference.
func decodeStd(body []byte) (client.PresenceResult, error) {
	var out client.PresenceResult
	err := json.Unmarshal(body, &out)
	return out, err
}

// FuzzVerifyDecode holds the verifier's decoder to encoding/json: the same
// bodies are JSON, and an answer of the documented shape decodes to the
// same uids, exts, expiries and status maps.
func FuzzVerifyDecode(f *testing.F) {
	for _, s := range []string{
		`{"result":[{"uid":"pkload_1","last_time":"0","ext":"a b","status":{"ios_1":"1","web_2":"busy"}}]}`,
		`{"result":[{"uid":"u\u00e9\"\\\/\b\f\n\r\t","expiry":1700000000,"ext":"\ud83d\ude00\ud800x","status":{}}], "x":[1,-2.5e3,true,false,null,{"a":[]}]}`,
		` {"result" : [ {"uid":"a","expiry":"17"} , {"uid":"b","status":{"pc_1":"dnd"}} ] } `,
		`{"result":[]}`, `{"result":{}}`, `[]`, `"x"`, `{"result":[1,"a",null]}`,
		`{"result":[{"uid":"a"}]}x`, `{"result":[{"uid":"a",}]}`, `{"result":[{"uid":"a\x01"}]}`, `{"result":[{"uid":01}]}`,
		`{"result":[{"expiry":-0}]}`, `{"result":[{"expiry":1.5}]}`, `{"result":[{"uid":"\ud83d"}]}`, `{"a":tru}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var a vanswer
		var rd spec.JSONReader
		ok := a.decodeEntries(&rd, body)
		if !ok && strings.Contains(rd.Err(), "deeper") {
			return // the reader stops at spec.MaxJSONDepth, encoding/json far deeper
		}
		if valid := json.Valid(body); ok != valid {
			t.Fatalf("%q: decoder says JSON %v, encoding/json %v", body, ok, valid)
		}
		std, err := decodeStd(body)
		if !ok || err != nil || caseFolded(body) {
			return // not JSON, or not the documented shape
		}
		if len(std.Result) != len(a.entries) {
			t.Fatalf("%q: %d entries, encoding/json %d", body, len(a.entries), len(std.Result))
		}
		for i, want := range std.Result {
			e := a.entries[i]
			if string(e.uid) != want.UID || string(e.ext) != want.Ext {
				t.Fatalf("%q entry %d: uid %q ext %q, encoding/json %q %q", body, i, e.uid, e.ext, want.UID, want.Ext)
			}
			got := map[string]string{}
			for _, p := range a.pairs[e.p0:e.p1] {
				got[string(p.key)] = string(p.val)
			}
			if len(got) != 0 || len(want.Status) != 0 {
				if !maps.Equal(got, want.Status) && e.p1-e.p0 == len(got) { // duplicate keys differ by design
					t.Fatalf("%q entry %d: status %v, encoding/json %v", body, i, got, want.Status)
				}
			}
			if e.expOK && e.exp != want.Expiry.Value {
				t.Fatalf("%q entry %d: expiry %d, encoding/json %d", body, i, e.exp, want.Expiry)
			}
		}
	})
}

// caseFolded says whether body names a field in another case, which
// encoding/json matches and a server's answer never uses.
func caseFolded(body []byte) bool {
	low := bytes.ToLower(body)
	for _, k := range []string{`"result"`, `"uid"`, `"ext"`, `"status"`, `"expiry"`} {
		if bytes.Count(low, []byte(k)) != bytes.Count(body, []byte(k)) {
			return true
		}
	}
	return false
}

func TestVerifyDecodeSublist(t *testing.T) {
	for _, c := range []struct {
		body          string
		ok, totOK, ls bool
		total         int64
		uids          []string
	}{
		{`{"result":{"totalnum":2,"sublist":[{"uid":"a","expiry":5},{"uid":"b","expiry":"6"}]}}`, true, true, true, 2, []string{"a", "b"}},
		{`{"result":{"totalnum":"3","sublist":[]}}`, true, true, true, 3, nil},
		{`{"result":{"sublist":[]}}`, true, false, true, 0, nil},
		{`{"result":{"totalnum":1}}`, true, true, false, 1, nil},
		{`{"result":{"totalnum":1.5,"sublist":{}}}`, true, false, true, 0, nil},
		{`{"result":{"totalnum":1,"sublist":[}}`, false, true, true, 1, nil},
	} {
		var a vanswer
		var rd spec.JSONReader
		ok := a.decodeSublist(&rd, []byte(c.body))
		var uids []string
		for _, e := range a.entries {
			uids = append(uids, string(e.uid))
		}
		if ok != c.ok || ok && (a.totalOK != c.totOK || a.listed != c.ls || a.total != c.total || !slices.Equal(uids, c.uids)) {
			t.Errorf("%s: ok %v totalnum %d/%v listed %v uids %v; want %v %d/%v %v %v", c.body, ok, a.total, a.totalOK, a.listed, uids, c.ok, c.total, c.totOK, c.ls, c.uids)
		}
	}
}

// TestResIndex: the resource lookup finds each resource at its index and
// nothing else.
func TestResIndex(t *testing.T) {
	for i, r := range resources {
		if got := resIndex([]byte(r)); got != i {
			t.Errorf("resIndex(%q) = %d, want %d", r, got, i)
		}
	}
	for _, s := range []string{"", "a", "ios_4", "ios_0", "ios1", "android_", "pc_11", "web_1 ", "x_1", "IOS_1"} {
		if got := resIndex([]byte(s)); got != -1 {
			t.Errorf("resIndex(%q) = %d, want -1", s, got)
		}
	}
}

// TestVerifyNotJSONIsSchemaViolation: a 2xx answer that is not JSON counts
// as SCHEMA-RESPONSE once, for the operation answered.
func TestVerifyNotJSONIsSchemaViolation(t *testing.T) {
	lc := DefaultConfig("http://x", testDoc(t).Limits())
	lc.Workload.Users = 10
	lc.Verify = true
	if err := lc.Workload.Validate(); err != nil {
		t.Fatal(err)
	}
	v := newVerifier(&lc, 1)
	st := v.newState()
	for _, op := range []Op{OpGet, OpSublist} {
		req := request{Op: op, Method: "GET", URI: []byte("/x"), Actor: 1, Targets: []int32{2}, Page: 1, Size: 10}
		st.begin(&req)
		st.end(&req, 200, []byte(`{"result":[`), false)
		if n := v.counts[ruleIndex(ruleSchema)][op].Load(); n != 1 {
			t.Errorf("%s: %d %s violations, want 1", op, n, ruleSchema)
		}
	}
	if v.total.Load() != 2 {
		t.Errorf("%d violations in all, want 2: %+v", v.total.Load(), v.result().Violations)
	}
}

// BenchmarkVerifyDecode: decoding one batch get answer of 20 users with
// every resource set, as the mock writes it.
func BenchmarkVerifyDecode(b *testing.B) {
	var body []byte
	body = append(body, `{"result":[`...)
	for i := range 20 {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, `{"uid":"pkload_`+strconv.Itoa(i*37)+`","last_time":"1764730000","ext":"abc def ghi jkl mno pqr stu vwx yz0 123","status":{`...)
		for j, r := range resources {
			if j > 0 {
				body = append(body, ',')
			}
			body = append(body, `"`+r+`":"busy"`...)
		}
		body = append(body, `}}`...)
	}
	body = append(body, `]}`...)
	var a vanswer
	var rd spec.JSONReader
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if !a.decodeEntries(&rd, body) || len(a.entries) != 20 {
			b.Fatal("not decoded")
		}
	}
}
