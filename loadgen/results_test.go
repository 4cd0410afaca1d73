package loadgen

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/presencekit/presencekit/client"
)

// fakeResults builds results from known latencies, recorded through the
// same recorder and collector path a run uses.
func fakeResults(t *testing.T, seed uint64, shard string, intervals int, values func(r *rand.Rand) int64) (*Results, []int64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	res := &Results{Schema: SchemaVersion, Started: time.Unix(1_700_000_000, 0), Interval: time.Second, Unit: "us", Shards: []string{shard},
		Config: RunInfo{Mode: "open", Target: "http://127.0.0.1:1"}, Expected: 1000, Sent: 990}
	recs := []*recorder{newRecorder(), newRecorder()}
	col := newCollector(recs, Config{Interval: time.Second}, res, nil)
	var all []int64
	for i := range intervals {
		for k := range 500 {
			v := values(rng)
			all = append(all, v)
			op := Op(k % int(NumOps))
			st, kind := 200, ""
			if k%50 == 0 {
				st, kind = 429, Kind429
			}
			recs[k%2].record(op, time.Duration(v)*time.Microsecond, time.Duration(v/2)*time.Microsecond, st, kind, k%100 == 0)
		}
		if d := time.Duration(i+1) * time.Second; col.collect(d, d) != nil {
			t.Fatal("collect failed")
		}
	}
	res.Elapsed = time.Duration(intervals) * time.Second
	return res, all
}

func lognormal(r *rand.Rand) int64 { return int64(1000 * (1 + r.ExpFloat64()*r.ExpFloat64()*5)) }

func TestResultsJSONRoundTrip(t *testing.T) {
	res, _ := fakeResults(t, 1, "0/1", 3, lognormal)
	res.Validation = map[string]*Validation{"getPresenceStatus": {Checked: 3, Violations: 1, Example: "x"}}
	var buf bytes.Buffer
	if err := NewJSONEncoder(&buf)(res); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "Bearer") {
		t.Fatal("a token reached results.json")
	}
	var back Results
	if err := NewJSONDecoder(&buf)(&back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Intervals, back.Intervals) || res.Config != back.Config || back.Sent != 990 {
		t.Fatal("results differ after a JSON round trip")
	}
	s1, err := Summarize(res)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := Summarize(&back)
	if s1.All.Corrected != s2.All.Corrected || s1.All.Count != 1500 || s1.All.Errors != 30 || s1.All.Late != 15 {
		t.Fatalf("summaries differ or are wrong: %+v vs %+v", s1.All, s2.All)
	}
	// Other schema versions are refused, not misread.
	var b2 bytes.Buffer
	_ = NewJSONEncoder(&b2)(res)
	bad := strings.Replace(b2.String(), SchemaVersion, "presencekit.load/v0", 1)
	var r Results
	if err := NewJSONDecoder(strings.NewReader(bad))(&r); err == nil {
		t.Fatal("a v0 file decoded")
	}
}

// Merging shards gives exactly the histogram of recording every value
// into one: percentiles are never averaged.
func TestMergeEqualsSingleHistogram(t *testing.T) {
	a, va := fakeResults(t, 1, "0/2", 4, lognormal)
	b, vb := fakeResults(t, 2, "1/2", 3, func(r *rand.Rand) int64 { return 20000 + r.Int64N(200000) })
	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	single := NewHist()
	for _, v := range append(va, vb...) {
		_ = single.RecordValue(v)
	}
	s, err := Summarize(m)
	if err != nil {
		t.Fatal(err)
	}
	if !s.All.corrected.Equals(single) {
		t.Fatal("merged histogram differs from one histogram of every value")
	}
	if s.All.Count != uint64(len(va)+len(vb)) || m.Sent != 1980 || m.Expected != 2000 || len(m.Intervals) != 4 {
		t.Fatalf("merged counts wrong: count %d sent %d expected %d intervals %d", s.All.Count, m.Sent, m.Expected, len(m.Intervals))
	}
	if got := strings.Join(m.Shards, ","); got != "0/2,1/2" {
		t.Fatalf("shards %q", got)
	}
	if _, err := Merge(a, a); err == nil {
		t.Fatal("merging a shard with itself must fail: it would count double")
	}
	c, _ := fakeResults(t, 3, "1/2", 1, lognormal)
	c.Interval = 2 * time.Second
	if _, err := Merge(a, c); err == nil {
		t.Fatal("merging different intervals must fail")
	}
}

// Regression (issue 9 item 6): report merge summed the shards of
// different runs. Every setting but the shard must agree, and the error
// names the one that does not.
func TestMergeRefusesDifferentRuns(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Results)
	}{
		{"seed", func(r *Results) { r.Config.Seed = 7 }},
		{"org", func(r *Results) { r.Config.Org = "other" }},
		{"rate", func(r *Results) { r.Config.Rate = 99 }},
		{"mix", func(r *Results) { r.Config.Mix = "get=1" }},
		{"shard count", func(r *Results) { r.Shards = []string{"1/3"}; r.Config.Shard = "1/3" }},
		{"interval", func(r *Results) { r.Interval = 2 * time.Second }},
	}
	// One pair of shards for every case (building results encodes
	// histograms, slow under -race): each edit replaces a field of a
	// shallow copy of b, and the untouched pair must still merge after
	// all the refusals.
	a, _ := fakeResults(t, 1, "0/2", 1, lognormal)
	b, _ := fakeResults(t, 2, "1/2", 1, lognormal)
	for _, c := range cases {
		edited := *b
		c.edit(&edited)
		_, err := Merge(a, &edited)
		if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), c.name) || !strings.Contains(err.Error(), "input 2") {
			t.Errorf("%s differs: got %v, want ErrMismatch naming it", c.name, err)
		}
	}
	b.Config.Shard = "1/2"
	if _, err := Merge(a, b); err != nil {
		t.Errorf("shards of one run: %v", err)
	}
}

func TestThresholds(t *testing.T) {
	res, _ := fakeResults(t, 1, "0/1", 2, func(*rand.Rand) int64 { return 30000 }) // 30ms
	s, err := Summarize(res)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		th     string
		breach bool
	}{
		{"p99<50ms", false},
		{"p99<20ms", true},
		{"get:p99.9<200ms", false},
		{"getPresenceStatus:max<=10ms", true},
		{"svc.p50<20ms", false}, // service is half
		{"errors<0.1%", true},   // 2% are 429s
		{"errors<5%", false},
		{"set:errors<=0.03", false},
		{"rate>=0.95", false}, // 990/1000
		{"rate>=0.995", true},
		{"mean>1ms", false},
	}
	for _, c := range cases {
		th, err := ParseThreshold(c.th)
		if err != nil {
			t.Fatalf("%s: %v", c.th, err)
		}
		if got := len(breaches(s, []Threshold{th})) > 0; got != c.breach {
			t.Errorf("%s: breached=%v, want %v (%v)", c.th, got, c.breach, breaches(s, []Threshold{th}))
		}
	}
	for _, bad := range []string{"", "p99", "p99<", "p0<1ms", "p101<1ms", "nope<1", "get:rate>0.9",
		"errors<abc", "p99<50", "x:p99<1ms", "svc.errors<1%"} {
		if _, err := ParseThreshold(bad); err == nil {
			t.Errorf("ParseThreshold(%q) = nil error", bad)
		}
	}
	// Closed loop: rate cannot be met; an operation never sent cannot pass.
	s.Expected = 0
	th, _ := ParseThreshold("rate>=0.9")
	if b := breaches(s, []Threshold{th}); len(b) != 1 || !strings.Contains(b[0].String(), "closed loop") {
		t.Fatalf("closed-loop rate: %v", b)
	}
	s.Ops = s.Ops[:1]
	th, _ = ParseThreshold("group:p99<1s")
	if b := breaches(s, []Threshold{th}); len(b) != 1 {
		t.Fatalf("missing operation passed: %v", b)
	}
}

// Every text of the results is masked; the histograms are not touched.
func TestResultsRedact(t *testing.T) {
	r, _ := fakeResults(t, 1, "0/1", 2, lognormal)
	const marker = "sekr1t-marker"
	r.Config.Target = "http://user:" + marker + "@host"
	r.Config.UserPrefix = marker
	r.Validation = map[string]*Validation{"getPresenceStatus": {Checked: 1, Violations: 1, Example: "token " + marker}}
	r.Intervals[0].Ops["getPresenceStatus"].Errors["4xx:"+marker] = 1
	hist := string(r.Intervals[1].Ops["getPresenceStatus"].Corrected)
	r.Redact(client.NewRedactor(marker))
	var buf bytes.Buffer
	if err := NewJSONEncoder(&buf)(r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), marker) {
		t.Fatalf("results.json holds the secret:\n%s", buf.String())
	}
	if string(r.Intervals[1].Ops["getPresenceStatus"].Corrected) != hist || r.Intervals[0].Ops["getPresenceStatus"].Errors["4xx:REDACTED"] != 1 {
		t.Fatal("a histogram changed, or an error kind was lost")
	}
}

// Every threshold gets a verdict the console can print: a passing one
// says so with the measured value, a failing one too.
func TestJudgeSaysPassAndFail(t *testing.T) {
	res, _ := fakeResults(t, 1, "0/1", 1, lognormal)
	s, err := Summarize(res)
	if err != nil {
		t.Fatal(err)
	}
	pass, _ := ParseThreshold("p99<1h")
	fail, _ := ParseThreshold("getPresenceStatus:svc.max<1us")
	vs := Judge(s, []Threshold{pass, fail})
	if len(vs) != 2 || !vs[0].Pass || vs[1].Pass {
		t.Fatalf("verdicts %v", vs)
	}
	wantP := "threshold p99<1h: pass (p99 " + FormatDuration(s.All.Corrected.P99) + ")"
	if vs[0].String() != wantP {
		t.Errorf("pass line %q, want %q", vs[0].String(), wantP)
	}
	if got := vs[1].String(); !strings.HasPrefix(got, "threshold getPresenceStatus:svc.max<1us: fail (getPresenceStatus:svc.max ") {
		t.Errorf("fail line %q", got)
	}
	if len(breaches(s, []Threshold{pass, fail})) != 1 {
		t.Error("breaches must return the failed verdict only")
	}
}
