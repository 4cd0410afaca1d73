package loadgen

import (
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// setupProgress tells OnInterval how the setup phase goes: once before it
// starts, on every interval's tick, and at its end (when stop is called
// with the phase's length, the one its results record).
func (r *run) setupProgress(start time.Time, size uint64, done *atomic.Uint64) (stop func(elapsed time.Duration)) {
	on := r.cfg.OnInterval
	if on == nil {
		return func(time.Duration) {}
	}
	snap := func(elapsed, at time.Duration, final bool) {
		on(Snapshot{Setup: true, Elapsed: elapsed, At: at, Final: final, Requests: size, Done: done.Load()})
	}
	snap(0, 0, false)
	quit, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		tick := time.NewTicker(r.cfg.Interval)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				elapsed := time.Since(start)
				snap(elapsed, tickAt(elapsed, r.cfg.Interval), false)
			case <-quit:
				return
			}
		}
	}()
	return func(elapsed time.Duration) {
		close(quit)
		<-exited
		snap(elapsed, 0, true)
	}
}

// tickAt is the whole interval a tick at elapsed stands for: the ticker
// fires at multiples of the interval, late by its jitter (or a whole
// interval late when a slow consumer made it drop a tick).
func tickAt(elapsed, interval time.Duration) time.Duration {
	return max(elapsed.Round(interval), interval)
}

// collector cuts intervals: it drains every recorder into dense
// accumulators, encodes them into Results and tells progress.
type collector struct {
	recs  []*recorder
	cfg   Config
	res   *Results
	rater rater
	start time.Time
	last  time.Duration
	accs  [NumOps]*opAcc
	val   [NumOps]Validation
	all   *hdr.Histogram
	snap  Snapshot
	ver   *verifier
	enc   histEncoder
}

func newCollector(recs []*recorder, cfg Config, res *Results, p Pacer) *collector {
	c := &collector{recs: recs, cfg: cfg, res: res, all: NewHist(),
		snap: Snapshot{Bound: cfg.Duration, Requests: cfg.Requests}}
	c.rater, _ = p.(rater)
	for i := range c.accs {
		c.accs[i] = newOpAcc()
	}
	return c
}

func (c *collector) loop(stop <-chan struct{}) error {
	tick := time.NewTicker(c.cfg.Interval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			now := time.Since(c.start)
			if err := c.collect(now, tickAt(now, c.cfg.Interval)); err != nil {
				return err
			}
		case <-stop:
			return c.collect(time.Since(c.start), 0)
		}
	}
}

// collect cuts the interval ending now; at is its tick (0: the last
// interval, cut when the phase ends).
func (c *collector) collect(now, at time.Duration) error {
	for _, r := range c.recs {
		r.drainInto(&c.accs, &c.val)
	}
	iv := Interval{Start: c.last, End: now, Ops: map[string]*OpInterval{}}
	c.all.Reset()
	var done uint64
	for o, a := range c.accs {
		if a.count == 0 {
			continue
		}
		oi, err := a.encode(&c.enc)
		if err != nil {
			return err
		}
		iv.Ops[Op(o).ID()] = oi
		done += a.count
		c.snap.Errors += oi.ErrorCount()
		c.snap.Late += a.late
		c.all.Merge(a.corrected)
		a.reset()
	}
	c.res.Intervals = append(c.res.Intervals, iv)
	c.snap.Done += done
	c.snap.Elapsed, c.snap.At, c.snap.Final = now, at, at == 0
	if d := (now - c.last).Seconds(); d > 0 {
		c.snap.Rate = float64(done) / d
	}
	if c.rater != nil {
		c.snap.Target = c.rater.Rate(now)
	}
	c.snap.P99 = time.Duration(c.all.ValueAtQuantile(99)) * time.Microsecond
	if c.ver != nil {
		c.snap.Verify, c.snap.Violations = true, c.ver.total.Load()
	}
	c.last = now
	if c.cfg.OnInterval != nil {
		c.cfg.OnInterval(c.snap)
	}
	return nil
}

func (c *collector) validation() map[string]*Validation {
	if c.cfg.Validate <= 0 {
		return nil
	}
	out := map[string]*Validation{}
	for o, v := range c.val {
		if v.Checked > 0 {
			out[Op(o).ID()] = &v
		}
	}
	return out
}
