package spec

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Limits are the contract's numeric limits, read from the spec's own schema
// constraints (maxItems, minimum, maximum, default, enum, x-max-bytes) so an
// API designer who edits openapi.yaml moves the suite's limit cases, the
// mock's validation and the load generator's batch sizes with it.
type Limits struct {
	MinUsers            int     `json:"min_users"`             // minItems of every user list
	SubscribeMaxUsers   int     `json:"subscribe_max_users"`   // maxItems of subscribe's usernames
	GetMaxUsers         int     `json:"get_max_users"`         // maxItems of batch get's usernames
	UnsubscribeMaxUsers int     `json:"unsubscribe_max_users"` // maxItems of unsubscribe's users, both forms
	ExpiryMin           int64   `json:"expiry_min"`            // minimum of subscribe's expiry, seconds
	ExpiryMax           int64   `json:"expiry_max"`            // maximum of subscribe's expiry, seconds
	PageNumMin          int     `json:"page_num_min"`
	PageNumDefault      int     `json:"page_num_default"`
	PageSizeMin         int     `json:"page_size_min"`
	PageSizeMax         int     `json:"page_size_max"`
	PageSizeDefault     int     `json:"page_size_default"`
	ExtMaxBytes         int     `json:"ext_max_bytes"`
	QueryTypes          []int64 `json:"query_types"` // the enum of the group count's query_type
	// MaxSubscriptions is how many subscriptions one subscriber holds before
	// the one with least time left is evicted: x-max-subscriptions of the
	// subscribe operation, since no schema keyword states a server's state.
	MaxSubscriptions int `json:"max_subscriptions"`
}

// Limits returns the limits read when the spec was loaded. A constraint the
// spec lacks reads as zero; Lint reports it.
func (d *Doc) Limits() Limits {
	l := d.limits
	l.QueryTypes = append([]int64(nil), d.limits.QueryTypes...)
	return l
}

// readLimits walks the operations for the constraints. Problems are kept for
// Lint rather than failing the load, so a designer's half-edited spec can
// still be linted and shown.
func (d *Doc) readLimits() (Limits, []string) {
	var l Limits
	var probs []string
	need := func(what string, ok bool) {
		if limit, _, _ := strings.Cut(what, " "); !ok && d.limitNotOffered(limit) {
			return
		}
		if !ok {
			probs = append(probs, what+": constraint not found in the spec")
		}
	}
	var ok bool

	subUsers := d.bodyProperty(OpSubscribe, "usernames")
	l.SubscribeMaxUsers, ok = maxItems(subUsers)
	need("SubscribeMaxUsers (subscribePresence usernames maxItems)", ok)
	getUsers := d.bodyProperty(OpGetStatus, "usernames")
	l.GetMaxUsers, ok = maxItems(getUsers)
	need("GetMaxUsers (getPresenceStatus usernames maxItems)", ok)

	mins := []*openapi3.Schema{subUsers, getUsers}
	l.UnsubscribeMaxUsers, ok = 0, false
	for _, s := range d.unsubscribeLists() {
		mins = append(mins, s)
		if n, has := maxItems(s); has {
			if ok && n != l.UnsubscribeMaxUsers {
				probs = append(probs, fmt.Sprintf("UnsubscribeMaxUsers: the two body forms disagree (%d and %d)", l.UnsubscribeMaxUsers, n))
			}
			if !ok || n < l.UnsubscribeMaxUsers {
				l.UnsubscribeMaxUsers = n
			}
			ok = true
		}
	}
	need("UnsubscribeMaxUsers (unsubscribePresence users maxItems)", ok)
	l.MinUsers = -1
	for _, s := range mins {
		if s == nil {
			continue
		}
		if l.MinUsers != -1 && int(s.MinItems) != l.MinUsers {
			probs = append(probs, fmt.Sprintf("MinUsers: user lists disagree on minItems (%d and %d)", l.MinUsers, s.MinItems))
		}
		if l.MinUsers == -1 || int(s.MinItems) < l.MinUsers {
			l.MinUsers = int(s.MinItems)
		}
	}
	if l.MinUsers < 0 {
		l.MinUsers = 0
	}

	exp := d.param(OpSubscribe, "path", "expiry")
	var lo, hi float64
	lo, ok = minimum(exp)
	l.ExpiryMin = int64(lo)
	need("ExpiryMin (subscribePresence expiry minimum)", ok)
	hi, ok = maximum(exp)
	l.ExpiryMax = int64(hi)
	need("ExpiryMax (subscribePresence expiry maximum)", ok)

	pn := d.param(OpSublist, "query", "pageNum")
	lo, ok = minimum(pn)
	l.PageNumMin = int(lo)
	need("PageNumMin (listSubscriptions pageNum minimum)", ok)
	l.PageNumDefault, ok = intDefault(pn)
	need("PageNumDefault (listSubscriptions pageNum default)", ok)

	ps := d.param(OpSublist, "query", "pageSize")
	lo, ok = minimum(ps)
	l.PageSizeMin = int(lo)
	need("PageSizeMin (listSubscriptions pageSize minimum)", ok)
	hi, ok = maximum(ps)
	l.PageSizeMax = int(hi)
	need("PageSizeMax (listSubscriptions pageSize maximum)", ok)
	l.PageSizeDefault, ok = intDefault(ps)
	need("PageSizeDefault (listSubscriptions pageSize default)", ok)

	if ext := d.bodyProperty(OpSetStatus, "ext"); ext != nil {
		if l.ExtMaxBytes, ok = extInt(ext, maxBytesExt); !ok && ext.MaxLength != nil {
			l.ExtMaxBytes, ok = int(*ext.MaxLength), true
		}
	}
	need("ExtMaxBytes (setPresenceStatus ext x-max-bytes)", l.ExtMaxBytes > 0)

	if qt := d.param(OpGroupOnline, "path", "query_type"); qt != nil {
		for _, e := range qt.Enum {
			if f, isNum := e.(float64); isNum && f == math.Trunc(f) {
				l.QueryTypes = append(l.QueryTypes, int64(f))
			}
		}
	}
	need("QueryTypes (getGroupOnlineCount query_type enum)", len(l.QueryTypes) > 0)

	ok = false
	if op, _, _, found := d.Operation(OpSubscribe); found {
		l.MaxSubscriptions, ok = extValue(op.Extensions, maxSubscriptionsExt)
	}
	need("MaxSubscriptions (subscribePresence x-max-subscriptions)", ok && l.MaxSubscriptions > 0)
	return l, probs
}

// limitNotOffered says whether a limit belongs to an operation the
// profile declares not offered (its value is then zero, not a problem).
func (d *Doc) limitNotOffered(limit string) bool {
	// RulesFor: only each rule's operation and limits are read, and
	// Rules() would load the embedded document, which calls this.
	for _, r := range RulesFor(Limits{}) {
		if d.offersNot(r.Operation) && slices.Contains(r.Limits, limit) {
			return true
		}
	}
	return false
}

// bodyProperty is a property of an operation's JSON request body schema.
func (d *Doc) bodyProperty(opID, name string) *openapi3.Schema {
	s := d.bodySchema(opID)
	if s == nil {
		return nil
	}
	if p := s.Properties[name]; p != nil {
		return p.Value
	}
	return nil
}

func (d *Doc) bodySchema(opID string) *openapi3.Schema {
	r, ok := d.ops[opID]
	if !ok || r.op.RequestBody == nil || r.op.RequestBody.Value == nil {
		return nil
	}
	mt := r.op.RequestBody.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		return nil
	}
	return mt.Schema.Value
}

// unsubscribeLists returns the user-list schema of each accepted body form:
// the bare array and the users property of the object form.
func (d *Doc) unsubscribeLists() []*openapi3.Schema {
	s := d.bodySchema(OpUnsubscribe)
	if s == nil {
		return nil
	}
	alts := []*openapi3.Schema{s}
	if len(s.OneOf) > 0 {
		alts = alts[:0]
		for _, a := range s.OneOf {
			if a != nil && a.Value != nil {
				alts = append(alts, a.Value)
			}
		}
	}
	var out []*openapi3.Schema
	for _, a := range alts {
		switch {
		case a.Type.Is("array"):
			out = append(out, a)
		case a.Properties["users"] != nil:
			out = append(out, a.Properties["users"].Value)
		}
	}
	return out
}

// param is the schema of an operation's parameter.
func (d *Doc) param(opID, in, name string) *openapi3.Schema {
	r, ok := d.ops[opID]
	if !ok {
		return nil
	}
	p := r.op.Parameters.GetByInAndName(in, name)
	if p == nil {
		p = r.item.Parameters.GetByInAndName(in, name)
	}
	if p == nil || p.Schema == nil {
		return nil
	}
	return p.Schema.Value
}

func maxItems(s *openapi3.Schema) (int, bool) {
	if s == nil || s.MaxItems == nil {
		return 0, false
	}
	return int(*s.MaxItems), true
}

func minimum(s *openapi3.Schema) (float64, bool) {
	if s == nil || s.Min == nil {
		return 0, false
	}
	return *s.Min, true
}

func maximum(s *openapi3.Schema) (float64, bool) {
	if s == nil || s.Max == nil {
		return 0, false
	}
	return *s.Max, true
}

func intDefault(s *openapi3.Schema) (int, bool) {
	if s == nil {
		return 0, false
	}
	f, ok := s.Default.(float64)
	return int(f), ok
}

// maxSubscriptionsExt is the subscribe operation's extension holding the
// per-subscriber cap (docs/contract.md#d4).
const maxSubscriptionsExt = "x-max-subscriptions"

// extValue reads an integer extension of an operation.
func extValue(ext map[string]any, name string) (int, bool) {
	switch n := ext[name].(type) {
	case float64:
		return int(n), n == float64(int(n))
	case int:
		return n, true
	case int64:
		return int(n), true
	}
	return 0, false
}
