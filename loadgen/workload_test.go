package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/presencekit/presencekit/mock/mocktest"
	"github.com/presencekit/presencekit/spec"
)

// testDoc is the embedded spec, parsed once per test binary (mocktest):
// read-only, shared by every test.
func testDoc(t testing.TB) *spec.Doc {
	t.Helper()
	return mocktest.Doc(t)
}

func testWorkload(t testing.TB) Workload {
	t.Helper()
	w := DefaultWorkload(testDoc(t).Limits())
	w.Users = 500
	if err := w.Validate(); err != nil {
		t.Fatal(err)
	}
	return w
}

func stream(w *Workload, n int) []request {
	b := w.newBuilder()
	out := make([]request, n)
	for i := range out {
		b.Build(uint64(i), &out[i])
	}
	return out
}

func TestSeedReproducesStream(t *testing.T) {
	w := testWorkload(t)
	a, b := stream(&w, 2000), stream(&w, 2000)
	// Built out of order by another builder: still the same requests.
	other := w.newBuilder()
	for i := 1999; i >= 0; i-- {
		var r request
		other.Build(uint64(i), &r)
		if r.Method != a[i].Method || !bytes.Equal(r.URI, a[i].URI) || !bytes.Equal(r.Body, a[i].Body) {
			t.Fatalf("request %d differs when built out of order", i)
		}
	}
	for i := range a {
		if !bytes.Equal(a[i].URI, b[i].URI) || !bytes.Equal(a[i].Body, b[i].Body) {
			t.Fatalf("request %d differs with the same seed", i)
		}
	}
	w.Seed = 2
	c := stream(&w, 2000)
	same := 0
	for i := range a {
		if bytes.Equal(a[i].URI, c[i].URI) && bytes.Equal(a[i].Body, c[i].Body) {
			same++
		}
	}
	if same > 100 {
		t.Fatalf("%d of 2000 requests equal under another seed", same)
	}
}

func TestMixProportions(t *testing.T) {
	w := testWorkload(t)
	var got [NumOps]int
	for _, r := range stream(&w, 20000) {
		got[r.Op]++
	}
	for o := Op(0); o < NumOps; o++ {
		want := float64(w.Mix[o]) / 100 * 20000
		if d := float64(got[o]) - want; d > 400 || d < -400 {
			t.Errorf("%s: %d requests, want about %.0f", o, got[o], want)
		}
	}
}

// Every request the workload builds is valid by the contract: the load
// generator never measures a server's 400 path by accident.
func TestRequestsValidAgainstSpec(t *testing.T) {
	doc := testDoc(t)
	w := testWorkload(t)
	w.Batch = Range{1, 1000} // clamped to the contract's limits
	if err := w.Validate(); err != nil {
		t.Fatal(err)
	}
	b := w.newBuilder()
	var r request
	seen := [NumOps]bool{}
	for i := range 3000 {
		b.Build(uint64(i), &r)
		seen[r.Op] = true
		var body *bytes.Reader
		if r.Body != nil {
			body = bytes.NewReader(r.Body)
			if !json.Valid(r.Body) {
				t.Fatalf("%s: invalid JSON %s", r.Op, r.Body)
			}
		}
		var req *http.Request
		if body != nil {
			req = httptest.NewRequest(r.Method, string(r.URI), body)
		} else {
			req = httptest.NewRequest(r.Method, string(r.URI), nil)
		}
		if r.JSON {
			req.Header.Set("Content-Type", "application/json")
		}
		if err := doc.ValidateRequest(context.Background(), req); err != nil {
			t.Fatalf("%s %s %s: %v", r.Method, r.URI, r.Body, err)
		}
		if n := countUsers(r.Body); n > 100 {
			t.Fatalf("%s: %d users in a batch", r.Op, n)
		}
	}
	for o, ok := range seen {
		if !ok {
			t.Errorf("%s never built", Op(o))
		}
	}
	for k := range 50 {
		b.BuildSetup(k, &r)
		req := httptest.NewRequest(r.Method, string(r.URI), bytes.NewReader(r.Body))
		req.Header.Set("Content-Type", "application/json")
		if err := doc.ValidateRequest(context.Background(), req); err != nil {
			t.Fatalf("setup %s %s: %v", r.URI, r.Body, err)
		}
	}
}

func countUsers(body []byte) int { return bytes.Count(body, []byte(`"pkload_`)) }

func TestShardsDisjointAndComplete(t *testing.T) {
	for _, users := range []int{1, 7, 100, 1001} {
		for n := 1; n <= 5; n++ {
			seen := make([]int, users)
			for i := range n {
				s := Shard{i, n}
				for k := range s.Size(users) {
					u := s.User(k)
					if u < 0 || u >= users {
						t.Fatalf("shard %s of %d: user %d out of range", s, users, u)
					}
					seen[u]++
				}
			}
			for u, c := range seen {
				if c != 1 {
					t.Fatalf("%d users, %d shards: user %d acted for %d times", users, n, u, c)
				}
			}
		}
	}
	// The requests of a shard act only for its users.
	w := testWorkload(t)
	w.Shard = Shard{1, 3}
	for _, r := range stream(&w, 500) {
		var u int
		if i := bytes.Index(r.URI, []byte("/users/pkload_")); i >= 0 {
			rest := r.URI[i+len("/users/pkload_"):]
			for _, c := range rest {
				if c < '0' || c > '9' {
					break
				}
				u = u*10 + int(c-'0')
			}
			if u%3 != 1 {
				t.Fatalf("shard 1/3 acted for user %d: %s", u, r.URI)
			}
		}
	}
}

func TestParsers(t *testing.T) {
	m, err := ParseMix(DefaultMix)
	if err != nil || m.String() != DefaultMix {
		t.Fatalf("ParseMix(default) = %v, %v", m, err)
	}
	if m, err := ParseMix("getPresenceStatus=3, sub=1"); err != nil || m[OpGet] != 3 || m[OpSub] != 1 {
		t.Fatalf("ParseMix by ID = %v, %v", m, err)
	}
	for _, bad := range []string{"", "get", "get=-1", "nope=1", "get=0"} {
		if _, err := ParseMix(bad); err == nil {
			t.Errorf("ParseMix(%q) = nil error", bad)
		}
	}
	if r, err := ParseRange("1..20"); err != nil || r != (Range{1, 20}) {
		t.Fatalf("ParseRange = %v, %v", r, err)
	}
	if r, err := ParseRange("5"); err != nil || r != (Range{5, 5}) {
		t.Fatalf("ParseRange(5) = %v, %v", r, err)
	}
	for _, bad := range []string{"0..3", "5..2", "a", "1..b"} {
		if _, err := ParseRange(bad); err == nil {
			t.Errorf("ParseRange(%q) = nil error", bad)
		}
	}
	if s, err := ParseShard("2/4"); err != nil || s != (Shard{2, 4}) {
		t.Fatalf("ParseShard = %v, %v", s, err)
	}
	for _, bad := range []string{"4/4", "-1/2", "1", "a/b", "0/0"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) = nil error", bad)
		}
	}
}

func BenchmarkBuild(b *testing.B) {
	w := testWorkload(b)
	bl := w.newBuilder()
	var r request
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		bl.Build(uint64(i), &r)
	}
}

// TestZipfPopularity pins the sampler to the law: target k is drawn in
// proportion to (k+1)^-s. Fixed seed, so the test cannot flake.
func TestZipfPopularity(t *testing.T) {
	w := DefaultWorkload(testDoc(t).Limits())
	w.Users, w.Zipf = 1000, 1.1
	if err := w.Validate(); err != nil {
		t.Fatal(err)
	}
	b := w.newBuilder()
	const draws = 200000
	counts := make([]int, w.Users)
	for range draws {
		counts[b.popular()]++
	}
	norm := 0.0
	for k := range w.Users {
		norm += math.Pow(float64(k+1), -w.Zipf)
	}
	for _, k := range []int{0, 1, 9, 99} {
		want := math.Pow(float64(k+1), -w.Zipf) / norm * draws
		if got := float64(counts[k]); math.Abs(got-want) > 5*math.Sqrt(want) {
			t.Errorf("target %d drawn %v times, want %.0f ± %.0f", k, got, want, 5*math.Sqrt(want))
		}
	}
}
