//go:build unix

package loadgen

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/presencekit/presencekit/mock"
)

// BenchmarkVerifyAnswers is the verifier's own work per request, alone:
// the default mix on 1,000 users (walks off: one answer per request) is
// answered by an in-process mock first, untimed, then replayed in order
// through a fresh model (begin + end per request, every answer checked
// and holding) on one goroutine. cpu-ns/op is this process's CPU over the
// replay; allocs/op the model's and the checks'. It runs with the model
// hot in cache, so it is a floor: under load the same work costs more
// (BenchmarkVerifyCPU measures it end to end, against the plain run).
//
//	go test -run '^$' -bench VerifyAnswers -benchtime 100000x ./loadgen/
func BenchmarkVerifyAnswers(b *testing.B) {
	cfg := mock.DefaultConfig(testDoc(b).Limits())
	srv, err := mock.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	lc := DefaultConfig("http://x", testDoc(b).Limits())
	lc.Workload.Users = 1000
	// The replay runs later than the recording: absolute expiries are
	// checked with an hour's tolerance here.
	lc.Verify, lc.VerifySkew = true, time.Hour
	if err := lc.Workload.Validate(); err != nil {
		b.Fatal(err)
	}
	bld := lc.Workload.newBuilder()
	h := srv.Handler()
	serve := func(r *request) []byte {
		hr := httptest.NewRequest(r.Method, string(r.URI), bytes.NewReader(r.Body))
		hr.Header.Set("Authorization", "Bearer "+mock.DefaultToken)
		hr.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, hr)
		if rec.Code != http.StatusOK {
			b.Fatalf("%s %s: %d %s", r.Method, r.URI, rec.Code, rec.Body)
		}
		return rec.Body.Bytes()
	}
	// Record the run first (untimed): the setup phase, then b.N requests
	// of the mix, each with the mock's answer.
	type exch struct {
		r      request
		answer []byte
	}
	setup := make([]exch, lc.Workload.Users)
	for k := range setup {
		bld.BuildSetup(k, &setup[k].r)
		setup[k].answer = serve(&setup[k].r)
	}
	run := make([]exch, b.N)
	var size int64
	for i := range run {
		bld.Build(uint64(i), &run[i].r)
		run[i].r.Walk = false // one answer per request here
		run[i].answer = serve(&run[i].r)
		size += int64(len(run[i].answer))
	}
	// Replay it in order through a fresh model: the model sees what the
	// mock saw, so the answers hold; only the verifier works.
	v := newVerifier(&lc, 1)
	st := v.newState()
	for i := range setup {
		st.begin(&setup[i].r)
		st.end(&setup[i].r, 200, setup[i].answer, false)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU(b)
	for i := range run {
		st.begin(&run[i].r)
		st.end(&run[i].r, 200, run[i].answer, false)
	}
	cpu = processCPU(b) - cpu
	b.StopTimer()
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(size)/float64(b.N), "answer-B/req") // after ResetTimer, which drops metrics
	if v.total.Load() != 0 {
		b.Fatalf("%d violations replaying the correct mock's answers: %+v", v.total.Load(), v.result().Examples[0])
	}
}
