package loadgen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Pacer decides when the open loop sends each hit. Pace is asked, with the
// time elapsed since the start and the number of hits already sent, how
// long to wait until the next hit's intended send time; stop ends the run.
//
// Unlike vegeta's Pacer, wait is negative when the next hit is already
// late: the runner measures latency from the intended send time
// (elapsed+wait), which is what corrects for coordinated omission, so a
// pacer must never round a late hit to "now".
//
// Pacers are called from one goroutine and need not be safe for concurrent
// use; they must not read the wall clock, so tests drive them with virtual
// elapsed durations.
type Pacer interface {
	Pace(elapsed time.Duration, hits uint64) (wait time.Duration, stop bool)
}

// PacerFunc adapts a function to Pacer.
type PacerFunc func(elapsed time.Duration, hits uint64) (time.Duration, bool)

// Pace calls f.
func (f PacerFunc) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	return f(elapsed, hits)
}

// Rater is implemented by pacers that know their target rate, so progress
// can show the rate achieved against it.
type Rater interface {
	Rate(elapsed time.Duration) float64
}

// Schedule is a rate curve: HitTime is when the expected number of hits
// since the start reaches h (ok false past the curve's end). Uniform and
// Poisson turn a Schedule into a Pacer.
type Schedule interface {
	Rater
	HitTime(h float64) (at time.Duration, ok bool)
}

// Constant is a constant rate, in hits per second.
type Constant struct{ Freq float64 }

// HitTime implements Schedule.
func (c Constant) HitTime(h float64) (time.Duration, bool) {
	if c.Freq <= 0 {
		return 0, false
	}
	return secs(h / c.Freq), true
}

// Rate implements Rater.
func (c Constant) Rate(time.Duration) float64 { return c.Freq }

// Stage is one linear ramp: over Duration the rate moves to Target.
type Stage struct {
	Duration time.Duration
	Target   float64
}

// Stages is a sequence of linear ramps starting at rate Start, like k6's
// stages: "30s:1000,2m:5000,30s:0" ramps 0→1000 in 30 s, 1000→5000 in two
// minutes, then down to 0. The schedule ends with the last stage.
type Stages struct {
	Start float64
	Steps []Stage
}

// ParseStages parses "DURATION:RATE,…".
func ParseStages(s string) ([]Stage, error) {
	var out []Stage
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		d, r, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("stages %q: %q: want DURATION:RATE", s, part)
		}
		dur, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil || dur <= 0 {
			return nil, fmt.Errorf("stages %q: %q: want a positive duration", s, d)
		}
		rate, err := strconv.ParseFloat(strings.TrimSpace(r), 64)
		if err != nil || rate < 0 || math.IsInf(rate, 0) || math.IsNaN(rate) {
			return nil, fmt.Errorf("stages %q: %q: want a non-negative rate", s, r)
		}
		out = append(out, Stage{dur, rate})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("stages %q: no stage", s)
	}
	return out, nil
}

// Total is the length of all stages together.
func (st Stages) Total() time.Duration {
	var t time.Duration
	for _, s := range st.Steps {
		t += s.Duration
	}
	return t
}

// HitTime implements Schedule by inverting the piecewise quadratic
// cumulative hit count of the ramps.
func (st Stages) HitTime(h float64) (time.Duration, bool) {
	from, at := st.Start, time.Duration(0)
	for _, s := range st.Steps {
		d := s.Duration.Seconds()
		n := (from + s.Target) / 2 * d // hits in this stage
		if h < n {
			// Solve from*t + (to-from)/(2d)*t² = h; the form below avoids
			// cancellation when the slope is small.
			a, k := from, (s.Target-from)/d
			t := 2 * h / (a + math.Sqrt(math.Max(a*a+2*k*h, 0)))
			if math.IsNaN(t) || math.IsInf(t, 0) {
				t = 0
			}
			return at + secs(math.Min(t, d)), true
		}
		h -= n
		from, at = s.Target, at+s.Duration
	}
	return at, false
}

// Rate implements Rater.
func (st Stages) Rate(elapsed time.Duration) float64 {
	from := st.Start
	for _, s := range st.Steps {
		if elapsed < s.Duration {
			return from + (s.Target-from)*elapsed.Seconds()/s.Duration.Seconds()
		}
		elapsed -= s.Duration
		from = s.Target
	}
	return 0
}

// Uniform sends hit n at the schedule's time for n expected hits: evenly
// spaced at a constant rate.
func Uniform(s Schedule) Pacer { return &uniform{s} }

type uniform struct{ s Schedule }

func (u *uniform) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	at, ok := u.s.HitTime(float64(hits))
	return at - elapsed, !ok
}

func (u *uniform) Rate(elapsed time.Duration) float64 { return u.s.Rate(elapsed) }

// Poisson sends hits as a (non-homogeneous) Poisson process following the
// schedule's rate: inter-arrival gaps are exponential, as independent
// users' requests are, which exercises queueing that evenly spaced hits
// hide. The seed makes the arrivals reproducible.
func Poisson(s Schedule, seed uint64) Pacer {
	p := &poisson{s: s, r: rand.New(rand.NewPCG(seed, 0x5eed))}
	p.sum = p.r.ExpFloat64()
	return p
}

type poisson struct {
	s   Schedule
	r   *rand.Rand
	n   uint64  // the hit sum belongs to
	sum float64 // expected-hit count at which hit n arrives
}

func (p *poisson) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	for p.n < hits {
		p.sum += p.r.ExpFloat64()
		p.n++
	}
	at, ok := p.s.HitTime(p.sum)
	return at - elapsed, !ok
}

func (p *poisson) Rate(elapsed time.Duration) float64 { return p.s.Rate(elapsed) }

func secs(s float64) time.Duration {
	if s >= math.MaxInt64/1e9 {
		return math.MaxInt64
	}
	return time.Duration(s * 1e9)
}
