package proxy

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/presencekit/presencekit/checks"
	"github.com/presencekit/presencekit/spec"
)

// The readers of extract.go replace json.Unmarshal calls; these are those
// calls, kept as the reference the fuzz targets hold the readers to.

type refEntry struct {
	UID    string          `json:"uid"`
	Expiry json.RawMessage `json:"expiry"`
}

func refEntries(list []refEntry) []entry {
	if len(list) == 0 {
		return nil // an empty list reads as nil: the checks only range over it
	}
	out := make([]entry, len(list))
	for i, e := range list {
		n, ok := checks.Number(e.Expiry)
		out[i] = entry{UID: e.UID, expiry: n, expiryOK: ok}
	}
	return out
}

// refAnswer is what presence.go read with encoding/json before the readers.
func refAnswer(body []byte, shape int) (answer, bool) {
	switch shape {
	case shapeString:
		var ans struct {
			Result string `json:"result"`
		}
		err := json.Unmarshal(body, &ans)
		return answer{result: ans.Result}, err == nil
	case shapeEntries:
		var ans struct {
			Result []refEntry `json:"result"`
		}
		err := json.Unmarshal(body, &ans)
		return answer{entries: refEntries(ans.Result)}, err == nil
	}
	var ans struct {
		Result struct {
			Totalnum json.RawMessage `json:"totalnum"`
			Sublist  []refEntry      `json:"sublist"`
		} `json:"result"`
	}
	err := json.Unmarshal(body, &ans)
	n, ok := checks.Number(ans.Result.Totalnum)
	return answer{entries: refEntries(ans.Result.Sublist), totalnum: n, totalOK: ok}, err == nil
}

var answerSeeds = []string{
	`{"result":"ok"}`, `{"result":null}`, `{}`, `null`, `{"result":1}`, `{"RESULT":"ok"}`, `{"result":"o\u006b"}`,
	`{"result":[{"uid":"a","expiry":1700000000},{"uid":"b","expiry":"1700000000","status":{"x":[1,2]}}]}`,
	`{"result":[{"uid":"a","expiry":1.5},{"uid":"b","expiry":"+5"},{"uid":"c","expiry":null},{"uid":"d","expiry":"-0"},{"UID":"e","Expiry":"12"}]}`,
	`{"result":[{"uid":"a","expiry":1}],"result":[{},null,{"uid":"c"}]}`, `{"result":[null]}`, `{"result":[{"uid":1}]}`,
	`{"result":{"totalnum":"3","sublist":[{"uid":"a","expiry":9223372036854775808}]}}`, `{"result":{"totalnum":2}} x`,
	`{"result":{"ſublist":[{"uid":"k"}],"totalnum":-1}}`, `{"result":{"sublist":null,"totalnum":1e3}}`, `{"result":[`,
	`{"result":[{"uid":"\ud800x","expiry":"１２"}]}`, `{"result":[1e999]}`, `{"x":1e999,"result":"ok"}`,
}

// FuzzAnswerReader holds readAnswer to the json.Unmarshal calls it
// replaces: same verdict (readable or not) and, when readable, the same
// values, for every shape.
func FuzzAnswerReader(f *testing.F) {
	for _, s := range answerSeeds {
		for shape := range 3 {
			f.Add(s, uint8(shape))
		}
	}
	f.Fuzz(func(t *testing.T, body string, shape uint8) {
		sh := int(shape % 3)
		got, gotOK := readAnswer([]byte(body), sh)
		if len(got.entries) == 0 {
			got.entries = nil
		}
		want, wantOK := refAnswer([]byte(body), sh)
		if gotOK != wantOK {
			t.Fatalf("%q shape %d: reader ok %v, encoding/json ok %v", body, sh, gotOK, wantOK)
		}
		if gotOK && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q shape %d:\nreader        %+v\nencoding/json %+v", body, sh, got, want)
		}
	})
}

func TestAnswerReaderSeeds(t *testing.T) {
	for _, s := range answerSeeds {
		for sh := range 3 {
			got, gotOK := readAnswer([]byte(s), sh)
			if len(got.entries) == 0 {
				got.entries = nil
			}
			want, wantOK := refAnswer([]byte(s), sh)
			if gotOK != wantOK || (gotOK && !reflect.DeepEqual(got, want)) {
				t.Errorf("%q shape %d: reader %v %+v, encoding/json %v %+v", s, sh, gotOK, got, wantOK, want)
			}
		}
	}
}

// parseReference is exchange.parse as it was with json.Unmarshal into any.
func (ex *exchange) parseReference(rt *spec.Route, body []byte, lim spec.Limits) {
	var doc any
	if len(bytes.TrimSpace(body)) > 0 && json.Unmarshal(body, &doc) != nil {
		ex.badJSON = true
	}
	obj, _ := doc.(map[string]any)
	countable := false
	users := func(key string) {
		var list any
		if arr, ok := doc.([]any); ok && key == "users" {
			list, ex.bareArray = arr, true
		} else if obj != nil {
			list = obj[key]
		}
		arr, ok := list.([]any)
		countable = doc == nil || ok || (obj != nil && list == nil)
		if !ok {
			return
		}
		ex.namesOK = true
		for _, n := range arr {
			s, _ := n.(string)
			ex.names = append(ex.names, s)
		}
	}
	count := func() {
		if !ex.badJSON && countable {
			ex.limitRule = checks.UsersRule(rt.Operation, len(ex.names), lim)
		}
	}
	switch rt.Operation {
	case spec.OpSetStatus:
		if obj != nil {
			ext, present := obj["ext"]
			ex.limitRule = checks.ExtRule(ext, present, lim)
		}
	case spec.OpSubscribe:
		users("usernames")
		ex.expiry, ex.limitRule = checks.ExpiryRule(rt.Params["expiry"], lim)
		if ex.limitRule == "" {
			count()
		}
	case spec.OpGetStatus:
		users("usernames")
		count()
	case spec.OpUnsubscribe:
		users("users")
		count()
	}
}

var requestSeeds = []string{
	``, ` `, `null`, `{}`, `[]`, `"x"`, `1e999`, `{"usernames":["a","b"]}`, `{"usernames":null}`, `{"usernames":"a"}`,
	`{"usernames":["a",1,null,["b"],"\u00e9"]}`, `{"usernames":["a"],"usernames":["b","c"]}`, `["a","b"]`, `[1e999]`,
	`{"usernames":1e999}`, `{"users":["a"]}`, `{"ext":"hello"}`, `{"ext":null}`, `{"ext":1e999}`, `{"ext":5}`,
	`{"ext":"` + strings.Repeat("é", 300) + `"}`, `{"Usernames":["a"]}`, `{"usernames":["a"]} x`, `{"usernames":[`,
	`{"usernames":[` + strings.Repeat(`"u",`, 120) + `"u"]}`, `{"x":1e999,"usernames":["a"]}`, `{"ext":"a","ext":[]}`,
}

var requestOps = []string{spec.OpSubscribe, spec.OpGetStatus, spec.OpUnsubscribe, spec.OpSetStatus}

// FuzzRequestReader holds exchange.parse to its json.Unmarshal version:
// the same findings for every body and operation.
func FuzzRequestReader(f *testing.F) {
	for _, s := range requestSeeds {
		for op := range requestOps {
			f.Add(s, uint8(op))
		}
	}
	lim := testLimits(f)
	f.Fuzz(func(t *testing.T, body string, op uint8) {
		compareParse(t, lim, body, requestOps[int(op)%len(requestOps)])
	})
}

func TestRequestReaderSeeds(t *testing.T) {
	lim := testLimits(t)
	for _, s := range requestSeeds {
		for _, op := range requestOps {
			compareParse(t, lim, s, op)
		}
	}
}

func compareParse(t *testing.T, lim spec.Limits, body, op string) {
	t.Helper()
	rt := &spec.Route{Operation: op, Params: map[string]string{"expiry": "600"}}
	r := httptest.NewRequest("POST", "/", nil)
	got, want := &exchange{}, &exchange{}
	got.parse(rt, []byte(body), r, lim, true)
	want.parseReference(rt, []byte(body), lim)
	if got.badJSON != want.badJSON || got.bareArray != want.bareArray || got.namesOK != want.namesOK ||
		!slices.Equal(got.names, want.names) || got.limitRule != want.limitRule || got.expiry != want.expiry {
		t.Errorf("%s %q:\nreader        %+v\nencoding/json %+v", op, body, *got, *want)
	}
}

func testLimits(tb testing.TB) spec.Limits {
	tb.Helper()
	doc, err := spec.Load()
	if err != nil {
		tb.Fatal(err)
	}
	return doc.Limits()
}

var envelopeSeeds = []string{
	`{"error":"json_parse","exception":"x","timestamp":1764000000000,"duration":0,"error_description":"bad"}`,
	`{"error":"x","timestamp":"1764000000000","error_description":null}`, `{"error":"x","timestamp":1.5,"error_description":""}`,
	`{"error":"x","timestamp":null,"error_description":""}`, `{"error":"x","timestamp":1,"Error_Description":""}`,
	`{"ERROR":"x","TimeStamp":1,"error_description":""}`, `{"error":"x","timestamp":1,"timestamp":null,"error_description":""}`,
	`{"error":"x","timestamp":1,"duration":"a","error_description":""}`, `{"error":"","timestamp":1,"error_description":""}`,
	`{"error":1,"timestamp":1,"error_description":""}`, `null`, `[]`, `{"error":"x","timestamp":1,"error_description":5}`,
	`{"error":"x","timestamp":1,"error_description":""} x`, `{"error":"x","timestamp":"+1","error_description":""}`,
}

// FuzzEnvelopeReader holds readEnvelope to checks.Envelope.
func FuzzEnvelopeReader(f *testing.F) {
	for _, s := range envelopeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) { compareEnvelope(t, body) })
}

func TestEnvelopeReaderSeeds(t *testing.T) {
	for _, s := range envelopeSeeds {
		compareEnvelope(t, s)
	}
}

func compareEnvelope(t *testing.T, body string) {
	t.Helper()
	got, ok := readEnvelope([]byte(body))
	want, err := checks.Envelope([]byte(body))
	if ok != (err == nil) || ok && (got.code != want.Error || got.timestamp != want.Timestamp.Value) {
		t.Errorf("%q: reader %v %+v, checks.Envelope %v %+v", body, ok, got, err, want)
	}
}

// BenchmarkAnswerRead compares what the presence checks pay to read a
// batch-get answer of ten: the scanner (reader) against the json.Unmarshal
// it replaced (encoding-json).
func BenchmarkAnswerRead(b *testing.B) {
	body := []byte(`{"result":[` + strings.Repeat(`{"uid":"u","last_time":"1644466063","ext":"","status":{"android":"1"}},`, 9) +
		`{"uid":"u","last_time":"1644466063","ext":"","status":{"android":"1"}}]}`)
	b.Run("reader", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if a, ok := readAnswer(body, shapeEntries); !ok || len(a.entries) != 10 {
				b.Fatal("not read")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if a, ok := refAnswer(body, shapeEntries); !ok || len(a.entries) != 10 {
				b.Fatal("not read")
			}
		}
	})
}
