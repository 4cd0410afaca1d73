package client

import (
	"encoding/json"
	"strconv"
	"testing"
)

func TestInt64AcceptsBothForms(t *testing.T) {
	cases := []struct {
		in   string
		want Int64
	}{
		{`{"n":1644466063}`, Int64{1644466063, FormNumber}},
		{`{"n":"1644466063"}`, Int64{1644466063, FormString}},
		{`{"n":-5}`, Int64{-5, FormNumber}},
		{`{"n":"-5"}`, Int64{-5, FormString}},
		{`{"n":0}`, Int64{0, FormNumber}},
		{`{"n":null}`, Int64{0, FormNull}},
		{`{}`, Int64{0, FormAbsent}},
	}
	for _, tc := range cases {
		var v struct{ N Int64 }
		if err := json.Unmarshal([]byte(tc.in), &v); err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if v.N != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.in, v.N, tc.want)
		}
	}
}

// The contract says integer: anything a lenient parser would let through
// must fail, or the suites could not flag a server sending it.
func TestInt64RejectsNonIntegers(t *testing.T) {
	for _, in := range []string{
		`1.5`, `1e3`, `"1.5"`, `"+1"`, `""`, `" 1"`, `"1 "`, `"abc"`, `"-"`, `true`, `[]`, `{}`,
		`"9223372036854775808"`, `9223372036854775808`,
	} {
		var n Int64
		if err := json.Unmarshal([]byte(in), &n); err == nil {
			t.Errorf("%s: accepted as %+v", in, n)
		}
	}
}

func TestInt64MarshalKeepsForm(t *testing.T) {
	in := `{"a":"12","b":12,"c":null,"d":0}`
	var v struct {
		A, B, C, D Int64 `json:",omitempty"`
	}
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"A":"12","B":12,"C":null,"D":0}`; string(out) != want {
		t.Errorf("round trip = %s, want %s", out, want)
	}
	if s := (Int64{7, FormString}).String(); s != "7" {
		t.Errorf("String() = %q", s)
	}
	if FormString.String() != "string" || FormAbsent.String() != "absent" {
		t.Error("NumberForm names")
	}
}

func TestPageAndAck(t *testing.T) {
	if q := Page(3, 500); q != (SublistQuery{"3", "500"}) {
		t.Errorf("Page(3, 500) = %+v", q)
	}
	var nilAck *AckResult
	if nilAck.OK() || (&AckResult{Result: "fail"}).OK() || !(&AckResult{Result: "ok"}).OK() {
		t.Error("AckResult.OK")
	}
}

// ParseDecimal takes the forms Int64 takes and no others: a sign other
// than one leading '-' is refused at every length (the long path goes
// through strconv, which alone would accept '+'), and it allocates
// nothing for an int64 (the verifier's hot path).
func TestParseDecimalForms(t *testing.T) {
	for in, want := range map[string]bool{
		"5": true, "-5": true, "007": true, "1234567890123456789": true, "-1234567890123456789": true,
		"9223372036854775807": true, "-9223372036854775808": true,
		"+5": false, "+1234567890123456789": false, "--5": false, "": false, "-": false, "5a": false,
		"1234567890123456789a": false, "99999999999999999999": false, "9223372036854775808": false,
		" 5": false, "5 ": false, "1e3": false, "1.0": false,
	} {
		v, ok := ParseDecimal([]byte(in))
		if ok != want {
			t.Errorf("ParseDecimal(%q) ok = %v, want %v", in, ok, want)
		}
		ref, err := strconv.ParseInt(in, 10, 64)
		if !ok && v != 0 {
			t.Errorf("ParseDecimal(%q) refused it with %d, want 0", in, v)
		}
		if ok && (err != nil || v != ref) {
			t.Errorf("ParseDecimal(%q) = %d, strconv %d (%v)", in, v, ref, err)
		}
	}
	b := []byte("-1796286104")
	if n := testing.AllocsPerRun(100, func() { _, _ = ParseDecimal(b) }); n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}
