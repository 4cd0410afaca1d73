//go:build unix

package loadgen

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/presencekit/presencekit/mock"
)

// BenchmarkVerifyCPU is the measure of the verifier's cost: the
// load generator's CPU per request with --verify over its CPU per request
// without, in one run, like with like:
//
//   - the target is the correct mock in its own process
//     (startTargetProcess), so its CPU is never counted; what
//     is counted is this process's user+sys CPU (getrusage) across Run:
//     building, sending, receiving, recording and, with --verify, the
//     model and the checks;
//   - every run is the same Config (32 workers and connections, 1,000
//     users, the default mix, same seed, b.N requests of the measured
//     phase after the setup phase) against the same target, each on fresh
//     users (its own --user-prefix), so the target holds the same state
//     for each and answers the same;
//   - "verify" is --verify at its defaults: every answer checked, walks
//     on (a walk's further pages are requests too, counted as such);
//     "nowalk" turns walks off, so its request stream is the plain one's,
//     request for request; "sample" is --verify-sample 0.1;
//   - the four kinds of run are interleaved over verifyRounds rounds, in
//     mirrored order (plain verify nowalk sample, then sample nowalk
//     verify plain, ...), and each kind's figure sums its rounds: load
//     that comes and goes on a shared machine falls on every kind alike,
//     not on whichever ran while it lasted.
//
// Requests = measured + setup requests sent; *-cpu-ns/req = CPU over
// requests, *-allocs/req heap allocations (the whole process's) over
// requests; ratio = verify's over plain's, the figure held to ≤ 1.3;
// nowalk-ratio and sample-ratio likewise. Reported, never asserted: speed
// is no test's pass/fail.
//
//	go test -run '^$' -bench VerifyCPU -benchtime 100000x -count 3 ./loadgen/
func BenchmarkVerifyCPU(b *testing.B) {
	url := startTargetProcess(b, 0)
	var prefix atomic.Int64
	type cost struct{ cpu, allocs float64 } // per request
	measure := func(verify, walks bool, sample float64) cost {
		cfg := DefaultConfig(url, testDoc(b).Limits())
		cfg.Token = mock.DefaultToken
		cfg.Timeout = 10 * time.Second
		cfg.Workload.Users = 1000
		cfg.Workload.UserPrefix = fmt.Sprintf("bench%d_", prefix.Add(1))
		cfg.Concurrency, cfg.Connections = 32, 32
		cfg.Requests, cfg.Duration = uint64(b.N), 10*time.Minute // bounded by the count
		cfg.Verify, cfg.VerifySample = verify, sample
		if verify {
			if err := cfg.normalize(); err != nil {
				b.Fatal(err)
			}
			cfg.Workload.Walks = walks
		}
		runtime.GC() // each run starts from the same heap
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		before := processCPU(b)
		res, err := Run(context.Background(), cfg)
		cpu := processCPU(b) - before
		runtime.ReadMemStats(&m1)
		if err != nil {
			b.Fatal(err)
		}
		if n := res.Verification.Total(); n != 0 {
			b.Fatalf("%d violations against the correct mock: %+v", n, res.Verification.Examples[0])
		}
		reqs := res.Sent
		if res.Setup != nil {
			for _, o := range res.Setup.Ops {
				reqs += o.Count
			}
		}
		return cost{float64(cpu.Nanoseconds()) / float64(reqs), float64(m1.Mallocs-m0.Mallocs) / float64(reqs)}
	}
	b.ResetTimer()
	kinds := []struct {
		verify, walks bool
		sample        float64
	}{{false, false, 0}, {true, true, 0}, {true, false, 0}, {true, true, 0.1}}
	var sums [4]cost
	for round := range verifyRounds {
		for k := range kinds {
			if round%2 == 1 {
				k = len(kinds) - 1 - k
			}
			c := measure(kinds[k].verify, kinds[k].walks, kinds[k].sample)
			sums[k].cpu += c.cpu / verifyRounds
			sums[k].allocs += c.allocs / verifyRounds
		}
	}
	plain, verify, nowalk, sample := sums[0], sums[1], sums[2], sums[3]
	b.StopTimer()
	b.ReportMetric(plain.cpu, "plain-cpu-ns/req")
	b.ReportMetric(verify.cpu, "verify-cpu-ns/req")
	b.ReportMetric(nowalk.cpu, "nowalk-cpu-ns/req")
	b.ReportMetric(sample.cpu, "sample-cpu-ns/req")
	b.ReportMetric(verify.cpu/plain.cpu, "ratio")
	b.ReportMetric(nowalk.cpu/plain.cpu, "nowalk-ratio")
	b.ReportMetric(sample.cpu/plain.cpu, "sample-ratio")
	b.ReportMetric(plain.allocs, "plain-allocs/req")
	b.ReportMetric(verify.allocs, "verify-allocs/req")
}

// verifyRounds is how many times BenchmarkVerifyCPU runs each kind.
const verifyRounds = 4

// processCPU is this process's user+sys CPU time so far.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
