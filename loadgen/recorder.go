package loadgen

import (
	"strconv"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// recorder is one worker's measurements: per operation two sparse HDR
// histograms (corrected and service time) and counters. The worker records
// under its own, uncontended, lock; the collector takes the lock once per
// interval to merge the recorder into the interval's dense histograms and
// reset it. Sparse (packed) histograms keep a recorder to a few KB where a
// dense one of the same geometry is ~190 KB, so a worker per connection
// stays affordable at thousands of connections.
type recorder struct {
	mu  sync.Mutex
	ops [NumOps]opRec
	val [NumOps]Validation
}

type opRec struct {
	count, late        uint64
	corrected, service *hdr.PackedHistogram
	status             []statusCount
	errors             map[string]uint64
}

type statusCount struct {
	code int
	n    uint64
}

func newRecorder() *recorder {
	r := &recorder{}
	for i := range r.ops {
		r.ops[i].corrected = hdr.NewPacked(histLowest, histHighest, histDigits)
		r.ops[i].service = hdr.NewPacked(histLowest, histHighest, histDigits)
		r.ops[i].errors = map[string]uint64{}
	}
	return r
}

// micros converts a latency to the histogram unit, clamped to its range so
// a value never fails to record (an hour-long latency reads as an hour).
func micros(d time.Duration) int64 {
	return min(max(int64(d/time.Microsecond), histLowest), histHighest)
}

// record adds one completed request. status is 0 for a transport failure;
// kind is the error kind, "" for success.
func (r *recorder) record(op Op, corrected, service time.Duration, status int, kind string, late bool) {
	r.mu.Lock()
	o := &r.ops[op]
	o.count++
	if late {
		o.late++
	}
	_ = o.corrected.RecordValue(micros(corrected)) // clamped: cannot fail
	_ = o.service.RecordValue(micros(service))
	if status != 0 {
		found := false
		for i := range o.status {
			if o.status[i].code == status {
				o.status[i].n++
				found = true
				break
			}
		}
		if !found {
			o.status = append(o.status, statusCount{status, 1})
		}
	}
	if kind != "" {
		o.errors[kind]++
	}
	r.mu.Unlock()
}

// validated records a --validate check of op; msg is "" when it passed.
func (r *recorder) validated(op Op, msg string) {
	r.mu.Lock()
	v := &r.val[op]
	v.Checked++
	if msg != "" {
		v.Violations++
		if v.Example == "" {
			v.Example = msg
		}
	}
	r.mu.Unlock()
}

// drainInto moves the recorder's counts into accs and resets it.
func (r *recorder) drainInto(accs *[NumOps]*opAcc, val *[NumOps]Validation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.ops {
		o := &r.ops[i]
		a := accs[i]
		a.count += o.count
		a.late += o.late
		o.corrected.MergeInto(a.corrected)
		o.service.MergeInto(a.service)
		for _, s := range o.status {
			a.status[strconv.Itoa(s.code)] += s.n
		}
		for k, v := range o.errors {
			a.errors[k] += v
		}
		o.count, o.late = 0, 0
		o.corrected.Reset()
		o.service.Reset()
		o.status = o.status[:0]
		clear(o.errors)
		if val != nil {
			v := &val[i]
			v.Checked += r.val[i].Checked
			v.Violations += r.val[i].Violations
			if v.Example == "" {
				v.Example = r.val[i].Example
			}
			r.val[i] = Validation{}
		}
	}
}
