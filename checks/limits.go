package checks

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/presencekit/presencekit/spec"
)

// The limit-to-rule mapping: which catalogue rule a request outside one
// of the spec's limits breaks when a server accepts it. Each returns "" for
// a value within the limits.

// UsersRule judges the number of names in the user list of op (subscribe,
// batch get or unsubscribe).
func UsersRule(op string, n int, l spec.Limits) spec.RuleID {
	var empty, tooMany spec.RuleID
	var most int
	switch op {
	case spec.OpSubscribe:
		empty, tooMany, most = spec.RuleSubUsersNonempty, spec.RuleSubLimitUsers, l.SubscribeMaxUsers
	case spec.OpGetStatus:
		empty, tooMany, most = spec.RuleGetUsersNonempty, spec.RuleGetLimitUsers, l.GetMaxUsers
	case spec.OpUnsubscribe:
		empty, tooMany, most = spec.RuleUnsubUsersNonempty, spec.RuleUnsubLimitUsers, l.UnsubscribeMaxUsers
	default:
		return ""
	}
	switch {
	case n < max(l.MinUsers, 1):
		return empty
	case n > most:
		return tooMany
	}
	return ""
}

// ExpiryRule judges subscribe's expiry path segment and returns it read.
// A number too large for int64 is over the maximum, not "not a number".
func ExpiryRule(raw string, l spec.Limits) (int64, spec.RuleID) {
	n, err := strconv.ParseInt(raw, 10, 64)
	switch {
	case err != nil && errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(raw, "-"):
		return n, spec.RuleSubExpiryMax
	case err != nil || n < l.ExpiryMin:
		return n, spec.RuleSubExpiryPositive
	case n > l.ExpiryMax:
		return n, spec.RuleSubExpiryMax
	}
	return n, ""
}

// ExtRule judges set status's ext: present, a string within its bytes.
func ExtRule(ext any, present bool, l spec.Limits) spec.RuleID {
	s, isString := ext.(string)
	switch {
	case !present || ext == nil:
		return spec.RuleSetExtRequired
	case isString && len(s) > l.ExtMaxBytes:
		return spec.RuleSetExtMax
	}
	return ""
}

// QueryTypeRule judges the group count's query_type path segment.
func QueryTypeRule(raw string, l spec.Limits) spec.RuleID {
	t, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || !slices.Contains(l.QueryTypes, t) {
		return spec.RuleGroupQueryType
	}
	return ""
}

// PageNumRule judges sublist's pageNum query value and returns it read.
func PageNumRule(raw string, l spec.Limits) (int, spec.RuleID) {
	n, err := strconv.Atoi(raw)
	switch {
	case err != nil:
		return n, spec.RuleSublistNonInteger
	case n < l.PageNumMin:
		return n, spec.RuleSublistPagenumMin
	}
	return n, ""
}

// PageSizeRule judges sublist's pageSize query value and returns it read.
func PageSizeRule(raw string, l spec.Limits) (int, spec.RuleID) {
	n, err := strconv.Atoi(raw)
	switch {
	case err != nil:
		return n, spec.RuleSublistNonInteger
	case n < l.PageSizeMin || n > l.PageSizeMax:
		return n, spec.RuleSublistPagesizeRange
	}
	return n, ""
}
