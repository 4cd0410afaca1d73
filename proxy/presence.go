package proxy

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/presencekit/presencekit/checks"
	"github.com/presencekit/presencekit/spec"
)

// judge holds one exchange under judgement and collects what it finds, at
// most one violation per rule: the first offending field names the problem,
// a hundred copies of it would only hide the others.
type judge struct {
	p      *Proxy
	ex     *exchange
	status int
	now    time.Time // the target's clock when it answered
	body   []byte
	found  []Violation
}

func (j *judge) violation(rule spec.RuleID, field, reason string) Violation {
	return Violation{Operation: j.ex.route.Operation, Rule: rule, Direction: spec.Response,
		Field: field, Reason: reason, Method: j.ex.method, Path: j.ex.path, Status: j.status}
}

func (j *judge) add(rule spec.RuleID, field, format string, a ...any) {
	for _, v := range j.found {
		if v.Rule == rule {
			return
		}
	}
	j.found = append(j.found, j.violation(rule, field, fmt.Sprintf(format, a...)))
}

// run applies the checks that fit the answer's status class.
func (j *judge) run() {
	ex := j.ex
	switch {
	case j.status >= 200 && j.status < 300:
		if ex.reqViolation != nil {
			j.acceptedBadRequest()
			return
		}
		if !ex.hasAuth && ex.route.Operation != spec.OpToken {
			j.add(spec.RuleAuthRequired, "status", "answered %d to a request without an Authorization header", j.status)
		}
		j.presence()
	case j.status >= 400 && j.status < 500:
		j.errorAnswer()
	case j.status >= 500 && j.status != http.StatusServiceUnavailable && ex.reqViolation != nil:
		if r := ex.reqViolation.Rule; r != RuleSchemaRequest {
			j.add(r, "status", "answered %d to bad input (%s); the contract wants a 4xx, never a 5xx", j.status, ex.reqViolation.Reason)
		}
	}
}

// acceptedBadRequest judges a 2xx given to a request the contract refuses:
// the server broke the rule whose limit the request was outside.
func (j *judge) acceptedBadRequest() {
	rv := j.ex.reqViolation
	rule := rv.Rule
	switch rule {
	case spec.RuleErrMediaType:
		return // the contract allows accepting another content type
	case RuleSchemaRequest:
		rule = spec.RuleErrIllegalArgument
	}
	j.add(rule, rv.Field, "answered %d to a request the contract refuses: %s", j.status, rv.Reason)
}

// errorAnswer checks the error envelope beyond its schema: the error code
// the contract names for the cause, and a timestamp in milliseconds.
func (j *judge) errorAnswer() {
	env, ok := readEnvelope(j.body)
	if !ok {
		return // the schema check has already said so
	}
	ex := j.ex
	switch {
	case j.status == http.StatusUnauthorized && env.code != "unauthorized":
		j.add(spec.RuleAuth401Code, "body.error", "401 names the error %q, want \"unauthorized\"", env.code)
	case j.status == http.StatusBadRequest && ex.badJSON && env.code != "json_parse":
		j.add(spec.RuleErrJSONParse, "body.error", "malformed JSON answered with error %q, want \"json_parse\"", env.code)
	case j.status == http.StatusBadRequest && ex.limitRule != "" && env.code != "illegal_argument":
		j.add(spec.RuleErrIllegalArgument, "body.error", "a value outside the limits (%s) answered with error %q, want \"illegal_argument\"", ex.limitRule, env.code)
	case j.status == http.StatusBadRequest && ex.reqViolation == nil:
		j.refusedGoodRequest(env.code)
	}
	if ts := env.timestamp; !checks.NearMillis(ts, j.now, j.p.cfg.skew) {
		now := j.now.UnixMilli()
		d := time.Duration(abs(ts-now)) * time.Millisecond
		j.add(spec.RuleErrEnvelope, "body.timestamp", "timestamp %d is %s away from now in milliseconds (%d): not milliseconds, or the clock is off", ts, d.Round(time.Second), now)
	}
}

// refusedGoodRequest judges a 400 given to a request the spec accepts.
// Only subscribing to oneself may be refused; the other refusals the
// contract forbids are named by the rule they break.
func (j *judge) refusedGoodRequest(code string) {
	ex := j.ex
	switch ex.route.Operation {
	case spec.OpSubscribe:
		if slices.Contains(ex.names, ex.route.Params["username"]) && code != "illegal_argument" {
			j.add(spec.RuleErrIllegalArgument, "body.error", "subscribing to oneself answered with error %q, want \"illegal_argument\"", code)
		}
	case spec.OpSetStatus:
		if res := ex.route.Params["resource"]; !strings.Contains(res, "_") {
			j.add(spec.RuleSetResourcePlain, "path.resource", "resource %q without the {type}_{id} shape refused with 400", res)
		}
	case spec.OpUnsubscribe:
		if ex.bareArray {
			j.add(spec.RuleUnsubBodyForms, "body", "the bare-array body refused with 400")
		}
	case spec.OpSublist:
		j.add(spec.RuleSublistPastEnd, "query.pageNum", "page %d (pageSize %d) refused with 400; a page past the end is an empty page", ex.pageNum, ex.pageSize)
	}
}

// presence checks a 2xx answer to a valid request against the request.
func (j *judge) presence() {
	switch j.ex.route.Operation {
	case spec.OpSetStatus:
		if ans, ok := readAnswer(j.body, shapeString); ok && ans.result != "ok" {
			j.add(spec.RuleSetOk, "body.result", "result %q, want \"ok\"", ans.result)
		}
	case spec.OpSubscribe:
		j.subscribed()
	case spec.OpGetStatus:
		j.got()
	case spec.OpSublist:
		j.sublist()
	}
}

func (j *judge) subscribed() {
	ex := j.ex
	if self := ex.route.Params["username"]; slices.Contains(ex.names, self) {
		j.add(spec.RuleSubSelf, "body.usernames", "subscribing %q to itself answered %d, want 400", self, j.status)
	}
	ans, ok := readAnswer(j.body, shapeEntries)
	if !ok {
		return
	}
	uids := uidsOf(ans.entries)
	if checks.Distinct(ex.names) {
		if i, why := checks.EntryPerUser(uids, ex.names); i >= len(uids) {
			j.add(spec.RuleSubEntryPerUser, "body.result", "%s", why)
		} else if i >= 0 {
			j.add(spec.RuleSubEntryPerUser, fmt.Sprintf("body.result[%d].uid", i), "%s", why)
		}
	}
	want := j.now.Add(time.Duration(ex.expiry) * time.Second)
	for i, e := range ans.entries {
		if got := e.expiry; e.expiryOK && !checks.NearUnix(got, want, j.p.cfg.skew) {
			j.add(spec.RuleSubExpiryAbsolute, fmt.Sprintf("body.result[%d].expiry", i), "expiry %d, want now + %d = %d (± %s)", got, ex.expiry, want.Unix(), j.p.cfg.skew)
		}
	}
}

// got checks batch get: known users may be left out (docs/contract.md#d11), so the
// answer must be the requested names in request order with gaps allowed.
func (j *judge) got() {
	ans, ok := readAnswer(j.body, shapeEntries)
	if !ok || !checks.Distinct(j.ex.names) {
		return
	}
	uids := uidsOf(ans.entries)
	if i := checks.InRequestOrder(uids, j.ex.names); i >= 0 {
		j.add(spec.RuleGetEntryPerUser, fmt.Sprintf("body.result[%d].uid", i), "entry %d is %q: not requested, repeated or out of request order", i, uids[i])
	}
}

func (j *judge) sublist() {
	ex := j.ex
	ans, ok := readAnswer(j.body, shapeSublist)
	if !ok {
		return
	}
	list := ans.entries
	now := j.now.Unix()
	skew := int64(j.p.cfg.skew / time.Second)
	maxExp := j.p.lim.ExpiryMax
	if u, dup := checks.Repeated(uidsOf(list)); dup {
		same := func(e entry) bool { return e.UID == u }
		first := slices.IndexFunc(list, same)
		i := first + 1 + slices.IndexFunc(list[first+1:], same)
		j.add(spec.RuleSubResubscribe, fmt.Sprintf("body.result.sublist[%d].uid", i), "%q listed twice: a subscription was duplicated", u)
	}
	for i, e := range list {
		got, ok := e.expiry, e.expiryOK
		field := fmt.Sprintf("body.result.sublist[%d].expiry", i)
		switch {
		case !ok:
		case now > 2*maxExp && got <= maxExp+skew:
			j.add(spec.RuleSubExpiryAbsolute, field, "expiry %d looks like seconds left, not unix seconds (now %d)", got, now)
		case got < now-skew:
			j.add(spec.RuleSubExpires, field, "%q listed with expiry %d, %ds in the past", e.UID, got, now-got)
		case got > now+maxExp+skew:
			j.add(spec.RuleSubExpiryAbsolute, field, "expiry %d is more than the longest subscription (%ds) after now (%d)", got, maxExp, now)
		}
	}
	n, size := int64(len(list)), int64(ex.pageSize)
	if !checks.PageFits(int(n), int(size)) {
		rule := spec.RuleSublistPages
		if !ex.sizeGiven {
			rule = spec.RuleSublistDefaults
		}
		j.add(rule, "body.result.sublist", "%d entries on a page of %d", n, size)
		return
	}
	total := ans.totalnum
	if !ans.totalOK || size <= 0 {
		return
	}
	before := int64(ex.pageNum-1) * size
	switch {
	case n < size && (n > 0 || ex.pageNum == 1) && total != before+n:
		j.add(spec.RuleSublistTotalnum, "body.result.totalnum", "totalnum %d, but page %d of size %d ends the list with %d entries: want %d (or pages overlap, SUBLIST-PAGES)", total, ex.pageNum, size, n, before+n)
	case n == size && total < before+n:
		j.add(spec.RuleSublistTotalnum, "body.result.totalnum", "totalnum %d, but page %d of size %d is full: want at least %d", total, ex.pageNum, size, before+n)
	}
}

// uidsOf lists the uids of entries.
func uidsOf(list []entry) []string {
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = e.UID
	}
	return out
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
