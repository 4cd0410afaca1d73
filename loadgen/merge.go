package loadgen

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// opAcc accumulates one operation's traffic with dense histograms. Worker
// recorders, intervals, shards and whole runs all merge through it, so
// every merge is the exact histogram sum.
type opAcc struct {
	count, late        uint64
	errors, status     map[string]uint64
	corrected, service *hdr.Histogram
}

func newOpAcc() *opAcc {
	return &opAcc{errors: map[string]uint64{}, status: map[string]uint64{},
		corrected: NewHist(), service: NewHist()}
}

func (a *opAcc) reset() {
	a.count, a.late = 0, 0
	clear(a.errors)
	clear(a.status)
	a.corrected.Reset()
	a.service.Reset()
}

// add merges an encoded interval in.
func (a *opAcc) add(o *OpInterval) error {
	a.count += o.Count
	a.late += o.Late
	for k, v := range o.Errors {
		a.errors[k] += v
	}
	for k, v := range o.Status {
		a.status[k] += v
	}
	for _, p := range [...]struct {
		dst *hdr.Histogram
		src EncodedHist
	}{{a.corrected, o.Corrected}, {a.service, o.Service}} {
		h, err := p.src.Decode()
		if err != nil {
			return err
		}
		if dropped := p.dst.Merge(h); dropped > 0 {
			return fmt.Errorf("merge histogram: %d values out of range (different geometry?)", dropped)
		}
	}
	return nil
}

func (a *opAcc) addAcc(b *opAcc) {
	a.count += b.count
	a.late += b.late
	for k, v := range b.errors {
		a.errors[k] += v
	}
	for k, v := range b.status {
		a.status[k] += v
	}
	a.corrected.Merge(b.corrected)
	a.service.Merge(b.service)
}

// encode returns the accumulated traffic as an OpInterval, its
// histograms encoded by e. Service times equal to the corrected ones (a
// closed loop corrects nothing) share their encoding: encoding is the
// costliest step of cutting an interval.
func (a *opAcc) encode(e *histEncoder) (*OpInterval, error) {
	c, err := e.encode(a.corrected)
	if err != nil {
		return nil, err
	}
	s := c
	if !a.service.Equals(a.corrected) {
		if s, err = e.encode(a.service); err != nil {
			return nil, err
		}
	}
	o := &OpInterval{Count: a.count, Late: a.late, Corrected: c, Service: s}
	if len(a.errors) > 0 {
		o.Errors = maps.Clone(a.errors)
	}
	if len(a.status) > 0 {
		o.Status = maps.Clone(a.status)
	}
	return o, nil
}

// accumulate sums maps of operations into one accumulator per operation
// id, for merging shards and for summarizing intervals alike.
func accumulate(parts []map[string]*OpInterval) (map[string]*opAcc, error) {
	accs := map[string]*opAcc{}
	for _, p := range parts {
		for id, o := range p {
			a := accs[id]
			if a == nil {
				a = newOpAcc()
				accs[id] = a
			}
			if err := a.add(o); err != nil {
				return nil, fmt.Errorf("%s: %w", id, err)
			}
		}
	}
	return accs, nil
}

// mergeOps sums maps of operations.
func mergeOps(parts ...map[string]*OpInterval) (map[string]*OpInterval, error) {
	accs, err := accumulate(parts)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*OpInterval, len(accs))
	var enc histEncoder
	for id, a := range accs {
		o, err := a.encode(&enc)
		if err != nil {
			return nil, err
		}
		out[id] = o
	}
	return out, nil
}

// ErrMismatch is wrapped by Merge's error when its inputs are not shards
// of one run: their schema, interval, unit, shard count or configuration
// differ. Merging them would sum unlike things.
var ErrMismatch = errors.New("not shards of one run")

// Merge combines the results of runs that ran side by side (the shards of
// a distributed run): intervals with the same index are summed histogram
// by histogram, so the merged percentiles are exact. The runs must share
// the schema, the interval length, the shard count and every setting but
// the shard (ErrMismatch names the first that differs), and no shard may
// appear twice.
func Merge(rs ...*Results) (*Results, error) {
	if len(rs) == 0 {
		return nil, errors.New("merge: no results")
	}
	first := rs[0]
	if err := sameRun(rs); err != nil {
		return nil, err
	}
	out := &Results{Schema: SchemaVersion, Started: first.Started, Interval: first.Interval,
		Unit: first.Unit, Config: first.Config}
	seen := map[string]bool{}
	var setups []map[string]*OpInterval
	var setupElapsed time.Duration
	n := 0
	for i, r := range rs {
		switch {
		case r.Schema != SchemaVersion:
			return nil, fmt.Errorf("merge: input %d: schema %q, want %q", i+1, r.Schema, SchemaVersion)
		case r.Interval != first.Interval:
			return nil, fmt.Errorf("merge: input %d: interval %v differs from %v: intervals would not line up", i+1, r.Interval, first.Interval)
		case r.Unit != first.Unit:
			return nil, fmt.Errorf("merge: input %d: unit %q differs from %q", i+1, r.Unit, first.Unit)
		}
		for _, s := range r.Shards {
			if seen[s] && !strings.HasSuffix(s, "/1") {
				return nil, fmt.Errorf("merge: shard %s appears twice: it would be counted double", s)
			}
			seen[s] = true
			out.Shards = append(out.Shards, s)
		}
		if r.Started.Before(out.Started) {
			out.Started = r.Started
		}
		out.Elapsed = max(out.Elapsed, r.Elapsed)
		out.Expected += r.Expected
		out.Sent += r.Sent
		out.Dropped += r.Dropped
		out.Interrupted = out.Interrupted || r.Interrupted
		out.TokenRenewals += r.TokenRenewals
		out.TokenRenewalFailures += r.TokenRenewalFailures
		if r.Setup != nil {
			setups = append(setups, r.Setup.Ops)
			setupElapsed = max(setupElapsed, r.Setup.Elapsed)
		}
		n = max(n, len(r.Intervals))
		mergeVerification(&out.Verification, r.Verification)
		for id, v := range r.Validation {
			if out.Validation == nil {
				out.Validation = map[string]*Validation{}
			}
			dst := out.Validation[id]
			if dst == nil {
				dst = &Validation{}
				out.Validation[id] = dst
			}
			dst.Checked += v.Checked
			dst.Violations += v.Violations
			if dst.Example == "" {
				dst.Example = v.Example
			}
		}
	}
	slices.Sort(out.Shards)
	if len(rs) > 1 {
		out.Config.Shard = strings.Join(out.Shards, ",")
	}
	if len(setups) > 0 {
		ops, err := mergeOps(setups...)
		if err != nil {
			return nil, fmt.Errorf("merge: setup: %w", err)
		}
		out.Setup = &Phase{Elapsed: setupElapsed, Ops: ops}
	}
	for i := range n {
		iv := Interval{Start: time.Duration(i) * out.Interval}
		var parts []map[string]*OpInterval
		for _, r := range rs {
			if i < len(r.Intervals) {
				parts = append(parts, r.Intervals[i].Ops)
				iv.End = max(iv.End, r.Intervals[i].End)
				if r == first {
					iv.Start = r.Intervals[i].Start
				}
			}
		}
		ops, err := mergeOps(parts...)
		if err != nil {
			return nil, fmt.Errorf("merge: interval %d: %w", i, err)
		}
		iv.Ops = ops
		out.Intervals = append(out.Intervals, iv)
	}
	return out, nil
}

// sameRun returns an ErrMismatch naming the first field in which an input
// differs from the first one. The shard itself may differ (that is the
// point); its count may not.
func sameRun(rs []*Results) error {
	first := rs[0]
	want := reflect.ValueOf(first.Config)
	n0 := shardCount(first)
	for i, r := range rs[1:] {
		in := i + 2
		switch {
		case r.Schema != first.Schema:
			return fmt.Errorf("merge: input %d: %w: schema %q differs from %q (input 1)", in, ErrMismatch, r.Schema, first.Schema)
		case r.Interval != first.Interval:
			return fmt.Errorf("merge: input %d: %w: interval %v differs from %v (input 1): intervals would not line up", in, ErrMismatch, r.Interval, first.Interval)
		case r.Unit != first.Unit:
			return fmt.Errorf("merge: input %d: %w: unit %q differs from %q (input 1)", in, ErrMismatch, r.Unit, first.Unit)
		}
		if n := shardCount(r); n != n0 {
			return fmt.Errorf("merge: input %d: %w: shard count %d differs from %d (input 1)", in, ErrMismatch, n, n0)
		}
		got := reflect.ValueOf(r.Config)
		for f := 0; f < want.NumField(); f++ {
			field := want.Type().Field(f)
			if field.Name == "Shard" {
				continue
			}
			if !reflect.DeepEqual(got.Field(f).Interface(), want.Field(f).Interface()) {
				name, _, _ := strings.Cut(field.Tag.Get("json"), ",")
				return fmt.Errorf("merge: input %d: %w: %s %v differs from %v (input 1)",
					in, ErrMismatch, name, got.Field(f).Interface(), want.Field(f).Interface())
			}
		}
	}
	return nil
}

// shardCount is the n of the inputs' "i/n" shards (0 if unreadable, so
// two unreadable inputs still compare equal and a mix does not).
func shardCount(r *Results) int {
	for _, s := range r.Shards {
		if sh, err := ParseShard(s); err == nil {
			return sh.Count
		}
	}
	return 0
}
