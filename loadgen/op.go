// Package loadgen generates realistic, reproducible presence traffic and
// measures it honestly: a seeded workload model (Zipf-popular targets, an
// operation mix, batch sizes bounded by the contract), open-loop pacers
// (constant, linear ramps, Poisson) and closed loop, a fixed worker pool
// with keep-alive connections, latencies from the intended send time
// (coordinated omission corrected) and as service time in HDR histograms,
// results that encode, decode and merge exactly, and thresholds for CI.
//
// The split follows ghz: the workload (what to send), the runner (how to
// send and measure) and the printers are separate. The printers that a
// person reads (progress, summary table, HDR log, HTML) live in the
// subpackage loadout and work on a decoded Results, so `report show` and
// `report merge` reuse them.
package loadgen

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/presencekit/presencekit/spec"
)

// Op is one of the six presence operations the workload sends. The token
// endpoint is not load-tested: a client fetches a token once.
type Op uint8

// The operations, in the order of the default mix.
const (
	OpGet     Op = iota // getPresenceStatus
	OpSet               // setPresenceStatus
	OpSub               // subscribePresence
	OpSublist           // listSubscriptions
	OpUnsub             // unsubscribePresence
	OpGroup             // getGroupOnlineCount
	// NumOps counts the operations; arrays indexed by Op use it.
	NumOps
)

// Short is the name used in --mix and in thresholds ("get", "sub", …).
func (o Op) Short() string {
	switch o {
	case OpGet:
		return "get"
	case OpSet:
		return "set"
	case OpSub:
		return "sub"
	case OpSublist:
		return "sublist"
	case OpUnsub:
		return "unsub"
	case OpGroup:
		return "group"
	}
	return "op" + strconv.Itoa(int(o))
}

// ID is the operationId of openapi.yaml, the key used in results.json so
// results line up with the spec, the mock's metrics and the suites.
func (o Op) ID() string {
	switch o {
	case OpGet:
		return spec.OpGetStatus
	case OpSet:
		return spec.OpSetStatus
	case OpSub:
		return spec.OpSubscribe
	case OpSublist:
		return spec.OpSublist
	case OpUnsub:
		return spec.OpUnsubscribe
	case OpGroup:
		return spec.OpGroupOnline
	}
	return o.Short()
}

// String returns the short name.
func (o Op) String() string { return o.Short() }

// parseOp accepts a short name or an operationId, case-insensitively.
func parseOp(s string) (Op, error) {
	for o := Op(0); o < NumOps; o++ {
		if strings.EqualFold(s, o.Short()) || strings.EqualFold(s, o.ID()) {
			return o, nil
		}
	}
	return 0, fmt.Errorf("unknown operation %q (want get, set, sub, sublist, unsub or group)", s)
}

// DefaultMix is the read-heavy mix of a presence app: status reads dominate,
// status writes follow, subscription churn is rarer.
const DefaultMix = "get=40,set=25,sub=15,sublist=10,unsub=5,group=5"

// Mix holds the relative weight of each operation.
type Mix [NumOps]int

// ParseMix parses "get=40,set=25,…". Operations left out weigh zero; at
// least one weight must be positive.
func ParseMix(s string) (Mix, error) {
	var m Mix
	total := 0
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		if !ok {
			return m, fmt.Errorf("mix %q: %q: want OP=WEIGHT", s, part)
		}
		op, err := parseOp(strings.TrimSpace(name))
		if err != nil {
			return m, fmt.Errorf("mix %q: %w", s, err)
		}
		w, err := strconv.Atoi(strings.TrimSpace(val))
		if err != nil || w < 0 {
			return m, fmt.Errorf("mix %q: weight of %s: want a non-negative integer", s, op)
		}
		m[op] = w
		total += w
	}
	if total == 0 {
		return m, fmt.Errorf("mix %q: no operation has a positive weight", s)
	}
	return m, nil
}

// String renders the mix in ParseMix's form, zero weights left out.
func (m Mix) String() string {
	var b strings.Builder
	for o := Op(0); o < NumOps; o++ {
		if m[o] == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(o.Short())
		b.WriteByte('=')
		b.WriteString(strconv.Itoa(m[o]))
	}
	return b.String()
}

// Range is an inclusive integer range such as a batch size "1..20".
type Range struct{ Min, Max int }

// ParseRange parses "N" or "MIN..MAX" with 1 <= MIN <= MAX.
func ParseRange(s string) (Range, error) {
	lo, hi, ok := strings.Cut(s, "..")
	if !ok {
		hi = lo
	}
	a, err1 := strconv.Atoi(strings.TrimSpace(lo))
	b, err2 := strconv.Atoi(strings.TrimSpace(hi))
	if err1 != nil || err2 != nil || a < 1 || b < a {
		return Range{}, fmt.Errorf("range %q: want N or MIN..MAX with 1 <= MIN <= MAX", s)
	}
	return Range{a, b}, nil
}

// String renders the range in ParseRange's form.
func (r Range) String() string {
	if r.Min == r.Max {
		return strconv.Itoa(r.Min)
	}
	return strconv.Itoa(r.Min) + ".." + strconv.Itoa(r.Max)
}

// Shard selects the part i (0-based) of n of the user population a load
// generator acts for, so n generators together act for every user once.
type Shard struct{ Index, Count int }

// ParseShard parses "i/n" with 0 <= i < n.
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("shard %q: want i/n with 0 <= i < n", s)
	}
	return Shard{i, n}, nil
}

// String renders the shard as "i/n".
func (s Shard) String() string { return strconv.Itoa(s.Index) + "/" + strconv.Itoa(s.Count) }

// norm makes the zero Shard mean "all users".
func (s Shard) norm() Shard {
	if s.Count < 1 {
		return Shard{0, 1}
	}
	return s
}

// Size is how many of users this shard acts for: the user indexes u with
// u mod Count == Index.
func (s Shard) Size(users int) int {
	s = s.norm()
	if users <= s.Index {
		return 0
	}
	return (users-s.Index-1)/s.Count + 1
}

// User is the population index of the shard's k-th user.
func (s Shard) User(k int) int {
	s = s.norm()
	return s.Index + k*s.Count
}
