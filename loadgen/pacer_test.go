package loadgen

import (
	"math"
	"testing"
	"time"
)

// hitsBy counts the hits a pacer schedules before t, driving it with
// virtual elapsed time only: no wall clock.
func hitsBy(t *testing.T, p Pacer, until time.Duration) (n uint64, times []time.Duration) {
	t.Helper()
	for ; n < 10_000_000; n++ {
		wait, stop := p.Pace(0, n)
		if stop || wait >= until {
			return n, times
		}
		times = append(times, wait)
	}
	t.Fatal("pacer never reached the horizon")
	return 0, nil
}

func TestConstantPacerRate(t *testing.T) {
	p := Uniform(Constant{Freq: 1000})
	n, times := hitsBy(t, p, 10*time.Second)
	if n != 10000 {
		t.Fatalf("1000/s for 10s: %d hits, want 10000", n)
	}
	for i := 1; i < len(times); i++ {
		if gap := times[i] - times[i-1]; gap < 999*time.Microsecond || gap > 1001*time.Microsecond {
			t.Fatalf("gap %d = %v, want 1ms", i, gap)
		}
	}
	// Late hits come back with a negative wait, never rounded to "now".
	if wait, _ := p.Pace(2*time.Second, 1000); wait != -time.Second {
		t.Fatalf("hit 1000 asked at 2s: wait %v, want -1s", wait)
	}
}

func TestStagesLinearRamp(t *testing.T) {
	st, err := ParseStages("10s:1000,10s:1000,10s:0")
	if err != nil {
		t.Fatal(err)
	}
	p := Uniform(Stages{Steps: st})
	// 0→1000 over 10s: 5000 hits; flat: 10000; down: 5000.
	for _, c := range []struct {
		at   time.Duration
		want float64
	}{{5 * time.Second, 1250}, {10 * time.Second, 5000}, {20 * time.Second, 15000}, {30 * time.Second, 20000}} {
		n, _ := hitsBy(t, p, c.at)
		if math.Abs(float64(n)-c.want) > 2 {
			t.Errorf("by %v: %d hits, want %v", c.at, n, c.want)
		}
	}
	if _, stop := p.Pace(0, 20001); !stop {
		t.Error("the pacer must stop after the last stage")
	}
	if r := (Stages{Steps: st}).Rate(5 * time.Second); r != 500 {
		t.Errorf("rate at 5s = %v, want 500", r)
	}
}

func TestStagesStartRate(t *testing.T) {
	st, _ := ParseStages("10s:300")
	n, _ := hitsBy(t, Uniform(Stages{Start: 100, Steps: st}), 10*time.Second)
	if n < 1999 || n > 2001 {
		t.Fatalf("100→300 over 10s: %d hits, want 2000", n)
	}
}

func TestParseStagesErrors(t *testing.T) {
	for _, s := range []string{"", "30s", "x:1", "30s:-1", "-1s:5", "30s:abc"} {
		if _, err := ParseStages(s); err == nil {
			t.Errorf("ParseStages(%q) = nil error", s)
		}
	}
}

func TestPoissonMeanAndSpread(t *testing.T) {
	p := Poisson(Constant{Freq: 1000}, 42)
	n, times := hitsBy(t, p, 20*time.Second)
	// Mean 20000, sd ~141: 5 sd bounds.
	if n < 19300 || n > 20700 {
		t.Fatalf("Poisson 1000/s over 20s: %d hits, want 20000±700", n)
	}
	// Exponential gaps: their coefficient of variation is 1 (uniform: 0).
	var sum, sq float64
	for i := 1; i < len(times); i++ {
		g := float64(times[i] - times[i-1])
		sum += g
		sq += g * g
	}
	k := float64(len(times) - 1)
	mean := sum / k
	cv := math.Sqrt(sq/k-mean*mean) / mean
	if cv < 0.9 || cv > 1.1 {
		t.Fatalf("coefficient of variation of gaps %.3f, want ~1", cv)
	}
	// The same seed gives the same arrivals.
	_, again := hitsBy(t, Poisson(Constant{Freq: 1000}, 42), 20*time.Second)
	for i := range times {
		if times[i] != again[i] {
			t.Fatalf("arrival %d differs with the same seed", i)
		}
	}
}

func TestPoissonFollowsRamp(t *testing.T) {
	st, _ := ParseStages("20s:2000")
	n, _ := hitsBy(t, Poisson(Stages{Steps: st}, 7), 20*time.Second)
	if n < 19300 || n > 20700 {
		t.Fatalf("Poisson ramp 0→2000 over 20s: %d hits, want 20000±700", n)
	}
}

func TestPacerFunc(t *testing.T) {
	p := PacerFunc(func(_ time.Duration, hits uint64) (time.Duration, bool) { return 0, hits >= 3 })
	if _, stop := p.Pace(0, 3); !stop {
		t.Fatal("PacerFunc did not pass through")
	}
}
