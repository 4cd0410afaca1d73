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
	p := ConstantRate(1000)
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
	p := Ramps(0, st...)
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
	if r := p.(rater).Rate(5 * time.Second); r != 500 {
		t.Errorf("rate at 5s = %v, want 500", r)
	}
}

func TestStagesStartRate(t *testing.T) {
	st, _ := ParseStages("10s:300")
	n, _ := hitsBy(t, Ramps(100, st...), 10*time.Second)
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
	p := Poisson(ConstantRate(1000), 42)
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
	_, again := hitsBy(t, Poisson(ConstantRate(1000), 42), 20*time.Second)
	for i := range times {
		if times[i] != again[i] {
			t.Fatalf("arrival %d differs with the same seed", i)
		}
	}
}

func TestPoissonFollowsRamp(t *testing.T) {
	st, _ := ParseStages("20s:2000")
	n, _ := hitsBy(t, Poisson(Ramps(0, st...), 7), 20*time.Second)
	if n < 19300 || n > 20700 {
		t.Fatalf("Poisson ramp 0→2000 over 20s: %d hits, want 20000±700", n)
	}
}

// Every Run starts a Poisson pacer's arrivals anew: a Config reused for a
// second run sends the same arrivals, not the continuation of the first.
func TestPoissonFreshPerRun(t *testing.T) {
	p := Poisson(ConstantRate(1000), 42)
	_, first := hitsBy(t, p, time.Second)
	_, again := hitsBy(t, p.(builtin).fresh(), time.Second)
	if len(first) == 0 || len(first) != len(again) || first[len(first)-1] != again[len(again)-1] {
		t.Fatalf("a fresh pacer differs: %d vs %d arrivals", len(first), len(again))
	}
}

// The pacer is recorded in results as the settings it was built from, so
// merge, summaries and reports read mode, rate, stages and arrival.
func TestPacerRecordedInRunInfo(t *testing.T) {
	cases := []struct {
		name string
		cfg  func(*Config)
		want RunInfo
	}{
		{"rate", func(c *Config) { c.Pacer = ConstantRate(250) }, RunInfo{Mode: "open", Rate: 250, Arrival: ArrivalConstant}},
		{"ramps", func(c *Config) { c.Pacer = Ramps(10, Stage{30 * time.Second, 1000}, Stage{time.Minute, 0}) },
			RunInfo{Mode: "open", Rate: 10, Stages: "30s:1000,1m0s:0", Arrival: ArrivalConstant}},
		{"poisson", func(c *Config) { c.Pacer = Poisson(ConstantRate(5), 1) }, RunInfo{Mode: "open", Rate: 5, Arrival: ArrivalPoisson}},
		{"custom", func(c *Config) { c.Pacer = fixedPacer{} }, RunInfo{Mode: "open", Arrival: ArrivalCustom}},
		{"closed", func(c *Config) { c.Concurrency = 7 }, RunInfo{Mode: "closed", Concurrency: 7, Workers: 7}},
	}
	for _, c := range cases {
		cfg := DefaultConfig("http://127.0.0.1:1", testDoc(t).Limits())
		c.cfg(&cfg)
		if err := cfg.normalize(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		ri := cfg.info()
		got := RunInfo{Mode: ri.Mode, Rate: ri.Rate, Stages: ri.Stages, Arrival: ri.Arrival, Concurrency: ri.Concurrency}
		if c.name == "closed" {
			got.Workers = ri.Workers
		}
		if got != c.want {
			t.Errorf("%s: recorded %+v, want %+v", c.name, got, c.want)
		}
	}
}

// A run paced by ramps alone lasts as long as its stages.
func TestRampsBoundTheRun(t *testing.T) {
	cfg := DefaultConfig("http://127.0.0.1:1", testDoc(t).Limits())
	cfg.Pacer = Ramps(0, Stage{2 * time.Second, 10}, Stage{3 * time.Second, 0})
	if err := cfg.normalize(); err != nil || cfg.Duration != 5*time.Second {
		t.Fatalf("duration %v (%v), want the stages' 5s", cfg.Duration, err)
	}
	cfg = DefaultConfig("http://127.0.0.1:1", testDoc(t).Limits())
	cfg.Pacer = ConstantRate(10)
	if err := cfg.normalize(); err != nil || cfg.Duration != DefaultDuration {
		t.Fatalf("duration %v (%v), want the default", cfg.Duration, err)
	}
}
