package loadgen

import (
	"context"
	"syscall"
	"time"
)

// sleepUntil sleeps until t (or ctx is done) with nanosleep(2). The Go
// runtime parks an idle process in epoll_wait, whose timeout has
// millisecond resolution: a process with network connections oversleeps
// timers by up to a millisecond, 0.5 ms on average. For an open-loop
// scheduler that is the generator's own error showing up as the target's
// latency. nanosleep wakes within tens of microseconds; the goroutine's
// thread blocks in the syscall and the runtime hands its P to others.
func sleepUntil(ctx context.Context, t time.Time) {
	const step = 20 * time.Millisecond // how often ctx is checked
	for d := time.Until(t); d > 0 && ctx.Err() == nil; d = time.Until(t) {
		ts := syscall.NsecToTimespec(int64(min(d, step)))
		_ = syscall.Nanosleep(&ts, nil) // EINTR: the loop sleeps the rest
	}
}
