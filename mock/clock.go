package mock

import (
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"
)

// clock is the presence clock: it dates last_time and subscription expiry.
// The real clock follows Config.Now; the virtual one stands still until
// the admin API moves it.
type clock struct {
	virtual bool
	wall    func() time.Time
	nanos   atomic.Int64 // virtual reading, unix nanoseconds
}

func newClock(virtual bool, start time.Time, wall func() time.Time) *clock {
	c := &clock{virtual: virtual, wall: wall}
	if start.IsZero() {
		start = wall()
	}
	c.nanos.Store(start.UnixNano())
	return c
}

// now returns the presence clock's reading.
func (c *clock) now() time.Time {
	if c.virtual {
		return time.Unix(0, c.nanos.Load())
	}
	return c.wall()
}

// unix returns the reading in whole seconds.
func (c *clock) unix() int64 {
	if c.virtual {
		return c.nanos.Load() / int64(time.Second)
	}
	return c.wall().Unix()
}

// errRealClock is returned when the admin API tries to move a real clock.
var errRealClock = errors.New("the clock is real: start the mock with the virtual clock to move it")

// advance moves the virtual clock forward by d (d ≥ 0).
func (c *clock) advance(d time.Duration) (time.Time, error) {
	if !c.virtual {
		return time.Time{}, errRealClock
	}
	if d < 0 {
		return time.Time{}, fmt.Errorf("advance %s: the clock only moves forward", d)
	}
	for {
		old := c.nanos.Load()
		n := old + int64(d)
		if n < old {
			return time.Time{}, fmt.Errorf("advance %s: out of range", d)
		}
		if n/int64(time.Second) >= math.MaxUint32 {
			return time.Time{}, fmt.Errorf("advance %s: past year 2106", d)
		}
		if c.nanos.CompareAndSwap(old, n) {
			return time.Unix(0, n), nil
		}
	}
}

// set puts the virtual clock at unix second sec, never earlier than it
// reads: expired subscriptions must stay expired.
func (c *clock) set(sec int64) (time.Time, error) {
	if !c.virtual {
		return time.Time{}, errRealClock
	}
	if sec < 0 || sec >= math.MaxUint32 {
		return time.Time{}, fmt.Errorf("set %d: out of range 0..%d", sec, uint32(math.MaxUint32-1))
	}
	n := sec * int64(time.Second)
	for {
		old := c.nanos.Load()
		if n < old {
			return time.Time{}, fmt.Errorf("set %d: before the clock's reading %d: the clock only moves forward", sec, old/int64(time.Second))
		}
		if c.nanos.CompareAndSwap(old, n) {
			return time.Unix(0, n), nil
		}
	}
}
