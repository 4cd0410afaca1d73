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
//
// ConstantRate, Ramps and Poisson build the usual ones; Config.Pacer is
// the open loop's one pacing setting.
type Pacer interface {
	Pace(elapsed time.Duration, hits uint64) (wait time.Duration, stop bool)
}

// rater is implemented by pacers that know their target rate, so
// progress can show the rate achieved against it. A custom Pacer gets the
// same by having a Rate(elapsed) method.
type rater interface {
	Rate(elapsed time.Duration) float64
}

// schedule is a rate curve: hitTime is when the expected number of hits
// since the start reaches h (ok false past the curve's end). uniform and
// poisson turn a schedule into a Pacer.
type schedule interface {
	rater
	hitTime(h float64) (at time.Duration, ok bool)
	// check refuses a curve that cannot run, naming the Config field.
	check() error
	// span is the curve's length, 0 when it never ends.
	span() time.Duration
	// describe records the curve in the run's configuration.
	describe(ri *RunInfo)
}

// ConstantRate paces hits evenly at rps hits per second, for as long as
// the run lasts (Config.Duration or Config.Requests).
func ConstantRate(rps float64) Pacer { return &uniform{s: constant{rps}} }

// Ramps paces hits evenly along linear ramps starting at rate start, like
// k6's stages: Ramps(0, {30s, 1000}, {2m, 5000}, {30s, 0}) ramps 0→1000 in
// 30 s, 1000→5000 in two minutes, then down to 0. The run ends with the
// last stage unless Config.Duration or Config.Requests ends it sooner.
func Ramps(start float64, stages ...Stage) Pacer {
	return &uniform{s: ramps{Start: start, Steps: stages}}
}

// Poisson sends the hits of p, a ConstantRate or Ramps pacer, as a
// (non-homogeneous) Poisson process following the same rate curve:
// inter-arrival gaps are exponential, as independent users' requests are,
// which exercises queueing that evenly spaced hits hide. The seed makes
// the arrivals reproducible. Config.Check refuses Poisson over any other
// pacer: it has no rate curve to follow.
func Poisson(p Pacer, seed uint64) Pacer {
	var s schedule
	if u, ok := p.(*uniform); ok {
		s = u.s
	}
	return newPoisson(s, seed)
}

func newPoisson(s schedule, seed uint64) *poisson {
	po := &poisson{s: s, seed: seed, r: rand.New(rand.NewPCG(seed, 0x5eed))}
	po.sum = po.r.ExpFloat64()
	return po
}

// builtin is what the pacers of this package tell Config beyond pacing.
type builtin interface {
	Pacer
	curve() schedule
	arrival() string
	// fresh is the pacer as built, before any hit: every Run of a Config
	// starts its arrivals anew.
	fresh() Pacer
}

// constant is a constant rate, in hits per second.
type constant struct{ freq float64 }

func (c constant) hitTime(h float64) (time.Duration, bool) {
	if c.freq <= 0 {
		return 0, false
	}
	return secs(h / c.freq), true
}

// Rate implements rater.
func (c constant) Rate(time.Duration) float64 { return c.freq }

func (c constant) check() error {
	if !(c.freq > 0) || math.IsInf(c.freq, 0) {
		return bad("Pacer.Rate", c.freq, "want requests per second > 0")
	}
	return nil
}

func (c constant) span() time.Duration { return 0 }

func (c constant) describe(ri *RunInfo) { ri.Rate = c.freq }

// Stage is one linear ramp: over Duration the rate moves to Target.
type Stage struct {
	Duration time.Duration
	Target   float64
}

// ramps is a sequence of linear ramps starting at rate Start (see Ramps).
type ramps struct {
	Start float64
	Steps []Stage
}

// ParseStages parses "DURATION:RATE,…", e.g. "30s:1000,2m:5000,30s:0",
// for Ramps.
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

func (st ramps) span() time.Duration {
	var t time.Duration
	for _, s := range st.Steps {
		t += s.Duration
	}
	return t
}

// hitTime inverts the piecewise quadratic cumulative hit count of the
// ramps.
func (st ramps) hitTime(h float64) (time.Duration, bool) {
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

// Rate implements rater.
func (st ramps) Rate(elapsed time.Duration) float64 {
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

func (st ramps) check() error {
	if st.Start < 0 || math.IsNaN(st.Start) || math.IsInf(st.Start, 0) {
		return bad("Pacer.Rate", st.Start, "want a start rate of 0 or more requests per second")
	}
	if len(st.Steps) == 0 {
		return bad("Pacer.Stages", "[]", "want at least one stage")
	}
	for _, s := range st.Steps {
		if s.Duration <= 0 || s.Target < 0 || math.IsNaN(s.Target) || math.IsInf(s.Target, 0) {
			return bad("Pacer.Stages", s.Duration.String()+":"+fmt.Sprint(s.Target), "want a positive duration and a rate of 0 or more")
		}
	}
	return nil
}

func (st ramps) describe(ri *RunInfo) {
	ri.Rate = st.Start
	for i, s := range st.Steps {
		if i > 0 {
			ri.Stages += ","
		}
		ri.Stages += s.Duration.String() + ":" + fmt.Sprint(s.Target)
	}
}

// uniform sends hit n at the schedule's time for n expected hits: evenly
// spaced at a constant rate.
type uniform struct{ s schedule }

func (u *uniform) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	at, ok := u.s.hitTime(float64(hits))
	return at - elapsed, !ok
}

func (u *uniform) Rate(elapsed time.Duration) float64 { return u.s.Rate(elapsed) }
func (u *uniform) curve() schedule                    { return u.s }
func (u *uniform) arrival() string                    { return ArrivalConstant }
func (u *uniform) fresh() Pacer                       { return u }

type poisson struct {
	s    schedule // nil: Poisson over a pacer with no curve, refused by Check
	seed uint64
	r    *rand.Rand
	n    uint64  // the hit sum belongs to
	sum  float64 // expected-hit count at which hit n arrives
}

func (p *poisson) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if p.s == nil {
		return 0, true
	}
	for p.n < hits {
		p.sum += p.r.ExpFloat64()
		p.n++
	}
	at, ok := p.s.hitTime(p.sum)
	return at - elapsed, !ok
}

func (p *poisson) Rate(elapsed time.Duration) float64 {
	if p.s == nil {
		return 0
	}
	return p.s.Rate(elapsed)
}
func (p *poisson) curve() schedule { return p.s }
func (p *poisson) arrival() string { return ArrivalPoisson }
func (p *poisson) fresh() Pacer    { return newPoisson(p.s, p.seed) }

func secs(s float64) time.Duration {
	if s >= math.MaxInt64/1e9 {
		return math.MaxInt64
	}
	return time.Duration(s * 1e9)
}
