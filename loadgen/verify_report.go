package loadgen

import (
	"slices"
	"time"
)

// Verification is what --verify found: answers checked per operationId
// and violations per catalogue rule and operationId, with the first few in
// detail. Counts merge by sum, so the shards of a run merge exactly.
type Verification struct {
	// Checked counts the answers checked against the model.
	Checked map[string]uint64 `json:"checked"`
	// Violations is rule ID → operationId → count.
	Violations map[string]map[string]uint64 `json:"violations,omitempty"`
	// Examples are the first violations in detail, by time of sending.
	Examples []VerifyExample `json:"examples,omitempty"`
}

// VerifyExample is one violation in detail: what was sent, what came
// back, what the model allowed, and when.
type VerifyExample struct {
	Rule string `json:"rule"`
	Op   string `json:"op"`
	// Request is the method, URI and body sent.
	Request string `json:"request"`
	// Answer is the body received (shortened).
	Answer string `json:"answer"`
	// Expected is what the model allowed, with the send and ack instants
	// of each write it considered (offsets from the verifier's start).
	Expected string `json:"expected"`
	// Sent is when the request left; Answered when its answer was in.
	Sent     time.Time `json:"sent"`
	Answered time.Time `json:"answered"`
}

// Total is the number of violations.
func (v *Verification) Total() uint64 {
	if v == nil {
		return 0
	}
	var n uint64
	for _, byOp := range v.Violations {
		for _, c := range byOp {
			n += c
		}
	}
	return n
}

// OfOp is the number of violations found in answers to operationId op.
func (v *Verification) OfOp(op string) uint64 {
	if v == nil {
		return 0
	}
	var n uint64
	for _, byOp := range v.Violations {
		n += byOp[op]
	}
	return n
}

// CheckedTotal is the number of answers checked.
func (v *Verification) CheckedTotal() uint64 {
	if v == nil {
		return 0
	}
	var n uint64
	for _, c := range v.Checked {
		n += c
	}
	return n
}

// mergeVerification adds src into *dst: counts summed, examples kept in
// order of sending up to the limit.
func mergeVerification(dst **Verification, src *Verification) {
	if src == nil {
		return
	}
	if *dst == nil {
		*dst = &Verification{Checked: map[string]uint64{}}
	}
	d := *dst
	for op, n := range src.Checked {
		d.Checked[op] += n
	}
	for rule, byOp := range src.Violations {
		if d.Violations == nil {
			d.Violations = map[string]map[string]uint64{}
		}
		if d.Violations[rule] == nil {
			d.Violations[rule] = map[string]uint64{}
		}
		for op, n := range byOp {
			d.Violations[rule][op] += n
		}
	}
	d.Examples = append(d.Examples, src.Examples...)
	slices.SortStableFunc(d.Examples, func(a, b VerifyExample) int { return a.Sent.Compare(b.Sent) })
	if len(d.Examples) > verifyExamples {
		d.Examples = d.Examples[:verifyExamples]
	}
}

// VerifyFailed says whether --verify found violations that should fail
// the run (exit 1): any violation, unless a threshold on violations
// decides instead.
func VerifyFailed(s *Summary, ths []Threshold) bool {
	if s.Verify.Total() == 0 {
		return false
	}
	for _, t := range ths {
		if t.Metric == "violations" {
			return false
		}
	}
	return true
}
