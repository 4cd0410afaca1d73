package spec

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Level says how much weight a rule carries in the conformance gate.
type Level string

// Rule levels, from strongest to weakest.
const (
	// Must rules are stated in the vendor's documents: breaking one fails the gate.
	Must Level = "MUST"
	// Should rules come from the vendor's newer pages or are implied beyond
	// doubt: they fail the gate unless the user asks for --level must.
	Should Level = "SHOULD"
	// Probe rules record undocumented behaviour and never fail the gate.
	Probe Level = "PROBE"
)

// Operation IDs of openapi.yaml. They are the names the rule catalogue, the
// mock, the suites and the load generator use for the seven operations.
const (
	OpToken       = "getAppToken"
	OpSetStatus   = "setPresenceStatus"
	OpSubscribe   = "subscribePresence"
	OpGetStatus   = "getPresenceStatus"
	OpGroupOnline = "getGroupOnlineCount"
	OpUnsubscribe = "unsubscribePresence"
	OpSublist     = "listSubscriptions"
	// AllOperations marks a cross-cutting rule that applies to every presence
	// operation (the token endpoint excluded).
	AllOperations = "*"
)

// Sources cited by the catalogue: the vendor's public pages by name and URL
// (a section follows after "§"), and the project's own contract decisions,
// taken where the pages are silent or disagree, in docs/contract.md.
const (
	srcEasemob   = "Easemob presence, https://doc.easemob.com/document/server-side/presence.html"
	srcSubscribe = "Easemob subscribe, https://doc.easemob.com/document/server-side/presence_subscribe.html"
	srcRate      = "Easemob rate limits, https://doc.easemob.com/document/server-side/limitationapi.html §用户在线状态订阅"
	srcTencent   = "Tencent Cloud IM user status, https://www.tencentcloud.com/zh/document/product/1047/49561"
	srcDecision  = "docs/contract.md#d" // + the decision's number
)

// RuleID names one rule of the catalogue. It is a type of its own so a
// label, a break mode or a violation can only name a rule through one of the
// constants below: a typo is a compile error, not a silent label.
type RuleID string

// The catalogue's rule IDs, in catalogue order. rules_test.go proves each
// has exactly one Rule and every Rule has its constant.
const (
	RuleAuthRequired         RuleID = "AUTH-REQUIRED"
	RuleAuthInvalidToken     RuleID = "AUTH-INVALID-TOKEN"
	RuleAuth401Code          RuleID = "AUTH-401-CODE"
	RuleTokenGrant           RuleID = "TOKEN-GRANT"
	RuleTokenBadSecret       RuleID = "TOKEN-BAD-SECRET"
	RuleErrEnvelope          RuleID = "ERR-ENVELOPE"
	RuleErrIllegalArgument   RuleID = "ERR-ILLEGAL-ARGUMENT"
	RuleErrJSONParse         RuleID = "ERR-JSON-PARSE"
	RuleErrMethod            RuleID = "ERR-METHOD"
	RuleErrMediaType         RuleID = "ERR-MEDIA-TYPE"
	RuleErrBodyLimit         RuleID = "ERR-BODY-LIMIT"
	RuleRateLimit            RuleID = "RATE-LIMIT"
	RuleSchemaResponse       RuleID = "SCHEMA-RESPONSE"
	RuleSetOk                RuleID = "SET-OK"
	RuleSetStatusPerResource RuleID = "SET-STATUS-PER-RESOURCE"
	RuleSetExtVisible        RuleID = "SET-EXT-VISIBLE"
	RuleSetExtRequired       RuleID = "SET-EXT-REQUIRED"
	RuleSetExtMax            RuleID = "SET-EXT-MAX"
	RuleSetLastTime          RuleID = "SET-LAST-TIME"
	RuleSetResourcePlain     RuleID = "SET-RESOURCE-PLAIN"
	RuleSubLimitUsers        RuleID = "SUB-LIMIT-USERS"
	RuleSubUsersNonempty     RuleID = "SUB-USERS-NONEMPTY"
	RuleSubExpiryMax         RuleID = "SUB-EXPIRY-MAX"
	RuleSubExpiryPositive    RuleID = "SUB-EXPIRY-POSITIVE"
	RuleSubEntryPerUser      RuleID = "SUB-ENTRY-PER-USER"
	RuleSubExpiryAbsolute    RuleID = "SUB-EXPIRY-ABSOLUTE"
	RuleSubListed            RuleID = "SUB-LISTED"
	RuleSubExpires           RuleID = "SUB-EXPIRES"
	RuleSubResubscribe       RuleID = "SUB-RESUBSCRIBE"
	RuleSubSelf              RuleID = "SUB-SELF"
	RuleSubCap               RuleID = "SUB-CAP"
	RuleGetLimitUsers        RuleID = "GET-LIMIT-USERS"
	RuleGetUsersNonempty     RuleID = "GET-USERS-NONEMPTY"
	RuleGetEntryPerUser      RuleID = "GET-ENTRY-PER-USER"
	RuleGetNoSideEffect      RuleID = "GET-NO-SIDE-EFFECT"
	RuleGroupCount           RuleID = "GROUP-COUNT"
	RuleGroupQueryType       RuleID = "GROUP-QUERY-TYPE"
	RuleUnsubLimitUsers      RuleID = "UNSUB-LIMIT-USERS"
	RuleUnsubUsersNonempty   RuleID = "UNSUB-USERS-NONEMPTY"
	RuleUnsubRemoves         RuleID = "UNSUB-REMOVES"
	RuleUnsubBodyForms       RuleID = "UNSUB-BODY-FORMS"
	RuleSublistPagesizeRange RuleID = "SUBLIST-PAGESIZE-RANGE"
	RuleSublistPagenumMin    RuleID = "SUBLIST-PAGENUM-MIN"
	RuleSublistNonInteger    RuleID = "SUBLIST-NON-INTEGER"
	RuleSublistDefaults      RuleID = "SUBLIST-DEFAULTS"
	RuleSublistTotalnum      RuleID = "SUBLIST-TOTALNUM"
	RuleSublistPages         RuleID = "SUBLIST-PAGES"
	RuleSublistPastEnd       RuleID = "SUBLIST-PAST-END"
	RuleProbeUnknownUser     RuleID = "PROBE-UNKNOWN-USER"
	RuleProbeUnsubUnknown    RuleID = "PROBE-UNSUB-UNKNOWN"
)

// RuleSchemaRequest is not in the catalogue (the catalogue judges servers,
// and a bad request is the client's doing): the proxy reports a request
// that does not match openapi.yaml in a way no catalogue rule names under it.
const RuleSchemaRequest RuleID = "SCHEMA-REQUEST"

// RuleProxyUnjudged is not in the catalogue either: the proxy reports under
// it a request it could not judge (a path servers may decode differently,
// a body over its buffer or unreadable).
const RuleProxyUnjudged RuleID = "PROXY-UNJUDGED"

// Rule is one checkable statement of the contract. The suites label their
// specs with "rule:<ID>", the mock has a break mode per MUST and SHOULD rule,
// and reports show one row per rule.
type Rule struct {
	ID        RuleID `json:"id"`
	Level     Level  `json:"level"`
	Operation string `json:"operation"` // an operationId of openapi.yaml, or AllOperations
	Statement string `json:"statement"`
	Source    string `json:"source"`
	// Limits names the Limits fields this rule pins, so Lint can prove every
	// limit read from the spec is checked by some rule.
	Limits []string `json:"limits,omitempty"`
}

// Rules returns the rule catalogue in a stable order, its statements
// stating the limits of the embedded openapi.yaml. The slice is built on
// every call so callers may keep or change it without affecting others.
func Rules() []Rule { return RulesFor(embeddedLimits()) }

// embeddedLimits reads the limits of the embedded openapi.yaml once: the
// document is a constant of the binary, so the result never changes.
var embeddedLimits = sync.OnceValue(func() Limits {
	d, err := Load()
	if err != nil {
		return Limits{} // the embedded spec loads (doc_test.go); statements then show zeros
	}
	return d.Limits()
})

// Rules returns the catalogue with the statements of d's limits, for a
// spec other than the embedded one.
func (d *Doc) Rules() []Rule { return RulesFor(d.Limits()) }

// RulesFor returns the catalogue with its statements stating the limits l.
func RulesFor(l Limits) []Rule {
	return []Rule{
		// Cross-cutting: auth, errors, schema.
		{ID: RuleAuthRequired, Level: Must, Operation: AllOperations, Source: srcEasemob + " §认证方式",
			Statement: "A request without an Authorization header is refused with 401."},
		{ID: RuleAuthInvalidToken, Level: Must, Operation: AllOperations, Source: srcEasemob + " §认证方式",
			Statement: "A request with a wrong bearer token is refused with 401."},
		{ID: RuleAuth401Code, Level: Should, Operation: AllOperations, Source: srcDecision + "1",
			Statement: "A refused request names the error code \"unauthorized\" in the error envelope."},
		{ID: RuleTokenGrant, Level: Should, Operation: OpToken, Source: srcDecision + "1",
			Statement: "POST /token with grant_type client_credentials and valid credentials returns an access_token that the presence operations accept."},
		{ID: RuleTokenBadSecret, Level: Should, Operation: OpToken, Source: srcDecision + "1",
			Statement: "POST /token with a wrong client_secret is refused with 401 and issues no token."},
		{ID: RuleErrEnvelope, Level: Should, Operation: AllOperations, Source: srcDecision + "2",
			Statement: "Every 4xx answer is the vendor's error envelope: error and error_description strings, timestamp in milliseconds."},
		{ID: RuleErrIllegalArgument, Level: Should, Operation: AllOperations, Source: srcDecision + "2",
			Statement: "A value outside the documented limits is refused with 400 and the error code \"illegal_argument\"."},
		{ID: RuleErrJSONParse, Level: Should, Operation: AllOperations, Source: srcDecision + "2",
			Statement: "A malformed JSON body is refused with 400 (error code \"json_parse\"), never a 5xx."},
		{ID: RuleErrMethod, Level: Probe, Operation: AllOperations, Source: srcDecision + "2",
			Statement: "A method the path does not support is answered 404 or 405 in the error envelope."},
		{ID: RuleErrMediaType, Level: Probe, Operation: AllOperations, Source: srcDecision + "2",
			Statement: "A body sent with a Content-Type other than application/json is answered 415 or accepted, never a 5xx."},
		{ID: RuleErrBodyLimit, Level: Probe, Operation: AllOperations, Source: srcDecision + "2",
			Statement: "An oversized body is answered 413 or 400 in the error envelope, never a 5xx."},
		{ID: RuleRateLimit, Level: Probe, Operation: AllOperations, Source: srcRate + "; " + srcTencent + "; " + srcDecision + "4",
			Statement: "A rate-limited request is answered 429 with the error code \"reach_limit\"."},
		{ID: RuleSchemaResponse, Level: Must, Operation: AllOperations, Source: srcEasemob,
			Statement: "Every answer matches the response schema openapi.yaml declares for its operation and status."},

		// Set status.
		{ID: RuleSetOk, Level: Must, Operation: OpSetStatus, Source: srcEasemob + " §设置用户在线状态信息",
			Statement: "Setting a status for a resource answers 200 with result \"ok\"."},
		{ID: RuleSetStatusPerResource, Level: Must, Operation: OpSetStatus, Source: srcEasemob + " §设置用户在线状态信息",
			Statement: "A status set for one resource is reported under that resource's key by batch get, and other resources keep theirs."},
		{ID: RuleSetExtVisible, Level: Must, Operation: OpSetStatus, Source: srcEasemob + " §批量获取在线状态信息",
			Statement: "The ext sent with the last status is returned as ext by batch get."},
		{ID: RuleSetExtRequired, Level: Should, Operation: OpSetStatus, Source: srcEasemob + " §设置用户在线状态信息; " + srcDecision + "4",
			Statement: "A set-status body without ext is refused with 400 (\"ext cannot be null\")."},
		{ID: RuleSetExtMax, Level: Should, Operation: OpSetStatus, Source: srcDecision + "4",
			Statement: fmt.Sprintf("An ext of the maximum length (%d bytes) is accepted and one byte more is refused with 400 (\"ext is too big\").", l.ExtMaxBytes),
			Limits:    []string{"ExtMaxBytes"}},
		{ID: RuleSetLastTime, Level: Should, Operation: OpSetStatus, Source: srcEasemob + " §批量订阅在线状态; " + srcDecision + "7",
			Statement: "last_time moves to the current time when a resource goes online (\"1\") or offline (\"0\")."},
		{ID: RuleSetResourcePlain, Level: Should, Operation: OpSetStatus, Source: srcEasemob + " §设置用户在线状态信息 example; " + srcDecision + "10",
			Statement: "A resource without the {type}_{id} shape (the example's \"android\") is accepted."},

		// Subscribe.
		{ID: RuleSubLimitUsers, Level: Must, Operation: OpSubscribe, Source: srcEasemob + " §批量订阅在线状态",
			Statement: fmt.Sprintf("Subscribe accepts the maximum number of usernames (%d) and refuses one more with 400.", l.SubscribeMaxUsers),
			Limits:    []string{"SubscribeMaxUsers"}},
		{ID: RuleSubUsersNonempty, Level: Must, Operation: OpSubscribe, Source: srcEasemob + " §批量订阅在线状态; " + srcDecision + "3",
			Statement: "Subscribe with an empty or missing usernames array is refused with 400.",
			Limits:    []string{"MinUsers"}},
		{ID: RuleSubExpiryMax, Level: Must, Operation: OpSubscribe, Source: srcEasemob + " §批量订阅在线状态",
			Statement: fmt.Sprintf("An expiry of %s is accepted and one second more is refused with 400.", seconds(l.ExpiryMax)),
			Limits:    []string{"ExpiryMax"}},
		{ID: RuleSubExpiryPositive, Level: Must, Operation: OpSubscribe, Source: srcEasemob + " §批量订阅在线状态; " + srcDecision + "3",
			Statement: fmt.Sprintf("An expiry below %d or a non-integer expiry is refused with 400.", l.ExpiryMin),
			Limits:    []string{"ExpiryMin"}},
		{ID: RuleSubEntryPerUser, Level: Must, Operation: OpSubscribe, Source: srcEasemob + " §批量订阅在线状态; " + srcDecision + "7",
			Statement: "Subscribe answers one entry per requested user, in request order, with uid equal to the requested name."},
		{ID: RuleSubExpiryAbsolute, Level: Must, Operation: OpSubscribe, Source: srcEasemob + " §批量订阅在线状态",
			Statement: "The answered expiry is absolute unix seconds: now plus the requested expiry, within the clock-skew tolerance."},
		{ID: RuleSubListed, Level: Must, Operation: OpSubscribe, Source: srcEasemob + " §查询订阅列表",
			Statement: "A subscribed user appears in the subscriber's sublist with the same expiry."},
		{ID: RuleSubExpires, Level: Must, Operation: OpSubscribe, Source: srcEasemob + " §批量订阅在线状态",
			Statement: "A subscription past its expiry is no longer listed or counted."},
		{ID: RuleSubResubscribe, Level: Should, Operation: OpSubscribe, Source: srcSubscribe + " §功能说明; " + srcDecision + "4",
			Statement: "Subscribing again to the same user replaces the expiry and does not duplicate the subscription."},
		{ID: RuleSubSelf, Level: Should, Operation: OpSubscribe, Source: srcSubscribe + " §错误码; " + srcTencent + "; " + srcDecision + "4",
			Statement: "Subscribing to oneself is refused with 400 (\"you can't sub yourself\")."},
		{ID: RuleSubCap, Level: Should, Operation: OpSubscribe, Source: srcSubscribe + " §功能说明; " + srcDecision + "4",
			Statement: fmt.Sprintf("A subscriber holds at most %s subscriptions; beyond that the one with least time left is evicted.", thousands(int64(l.MaxSubscriptions))),
			Limits:    []string{"MaxSubscriptions"}},

		// Batch get.
		{ID: RuleGetLimitUsers, Level: Must, Operation: OpGetStatus, Source: srcEasemob + " §批量获取在线状态信息",
			Statement: fmt.Sprintf("Batch get accepts the maximum number of usernames (%d) and refuses one more with 400.", l.GetMaxUsers),
			Limits:    []string{"GetMaxUsers"}},
		{ID: RuleGetUsersNonempty, Level: Must, Operation: OpGetStatus, Source: srcEasemob + " §批量获取在线状态信息; " + srcDecision + "3",
			Statement: "Batch get with an empty or missing usernames array is refused with 400."},
		{ID: RuleGetEntryPerUser, Level: Must, Operation: OpGetStatus, Source: srcEasemob + " §批量获取在线状态信息; " + srcDecision + "7",
			Statement: "Batch get answers one entry per requested known user, in request order, with uid equal to the requested name."},
		{ID: RuleGetNoSideEffect, Level: Should, Operation: OpGetStatus, Source: srcEasemob + " §批量获取在线状态信息",
			Statement: "Batch get creates no subscription."},

		// Group online count.
		{ID: RuleGroupCount, Level: Must, Operation: OpGroupOnline, Source: srcEasemob + " §查询单个群组的在线成员数量",
			Statement: "The group online count is the number of the group's members that are connected, not a presence status."},
		{ID: RuleGroupQueryType, Level: Should, Operation: OpGroupOnline, Source: srcDecision + "4",
			Statement: fmt.Sprintf("A query_type other than %s is refused with 400 (the vendor's text: \"Type must be 0 or 1.\").", either(l.QueryTypes)),
			Limits:    []string{"QueryTypes"}},

		// Unsubscribe.
		{ID: RuleUnsubLimitUsers, Level: Must, Operation: OpUnsubscribe, Source: srcEasemob + " §取消订阅多个用户的在线状态",
			Statement: fmt.Sprintf("Unsubscribe accepts the maximum number of users (%d) and refuses one more with 400.", l.UnsubscribeMaxUsers),
			Limits:    []string{"UnsubscribeMaxUsers"}},
		{ID: RuleUnsubUsersNonempty, Level: Must, Operation: OpUnsubscribe, Source: srcEasemob + " §取消订阅多个用户的在线状态; " + srcDecision + "3",
			Statement: "Unsubscribe with an empty user list is refused with 400."},
		{ID: RuleUnsubRemoves, Level: Must, Operation: OpUnsubscribe, Source: srcEasemob + " §取消订阅多个用户的在线状态",
			Statement: "After unsubscribe the users are gone from the sublist and totalnum drops accordingly; other subscriptions stay."},
		{ID: RuleUnsubBodyForms, Level: Must, Operation: OpUnsubscribe, Source: srcEasemob + " §取消订阅多个用户的在线状态; " + srcDecision + "6",
			Statement: "Unsubscribe accepts both {\"users\":[…]} (the table) and a bare array […] (the example)."},

		// Sublist.
		{ID: RuleSublistPagesizeRange, Level: Must, Operation: OpSublist, Source: srcEasemob + " §查询订阅列表",
			Statement: fmt.Sprintf("pageSize %d and %d are accepted; %d and %d are refused with 400.", l.PageSizeMin, l.PageSizeMax, l.PageSizeMin-1, l.PageSizeMax+1),
			Limits:    []string{"PageSizeMin", "PageSizeMax"}},
		{ID: RuleSublistPagenumMin, Level: Must, Operation: OpSublist, Source: srcEasemob + " §查询订阅列表",
			Statement: fmt.Sprintf("pageNum %d is accepted; %d is refused with 400.", l.PageNumMin, l.PageNumMin-1),
			Limits:    []string{"PageNumMin"}},
		{ID: RuleSublistNonInteger, Level: Must, Operation: OpSublist, Source: srcEasemob + " §查询订阅列表; " + srcDecision + "3",
			Statement: "A non-integer pageNum or pageSize is refused with 400."},
		{ID: RuleSublistDefaults, Level: Must, Operation: OpSublist, Source: srcEasemob + " §查询订阅列表",
			Statement: fmt.Sprintf("Without pageNum and pageSize, page %d of %d entries is returned.", l.PageNumDefault, l.PageSizeDefault),
			Limits:    []string{"PageNumDefault", "PageSizeDefault"}},
		{ID: RuleSublistTotalnum, Level: Must, Operation: OpSublist, Source: srcEasemob + " §查询订阅列表; " + srcDecision + "8",
			Statement: "totalnum is the number of unexpired subscriptions of the user, whatever the page."},
		{ID: RuleSublistPages, Level: Must, Operation: OpSublist, Source: srcEasemob + " §查询订阅列表; " + srcDecision + "8",
			Statement: "Pages are disjoint, hold at most pageSize entries, and together list every subscription once."},
		{ID: RuleSublistPastEnd, Level: Should, Operation: OpSublist, Source: srcDecision + "8",
			Statement: "A page past the end is answered 200 with an empty sublist."},

		// Probes: behaviour the documents leave open.
		{ID: RuleProbeUnknownUser, Level: Probe, Operation: OpGetStatus, Source: srcDecision + "11",
			Statement: "Batch get for a user the server does not know: recorded (left out, or answered with empty status)."},
		{ID: RuleProbeUnsubUnknown, Level: Probe, Operation: OpUnsubscribe, Source: srcTencent,
			Statement: "Unsubscribing a user that was never subscribed: recorded (ok or an error)."},
	}
}

// RuleByID returns the catalogue rule with that ID, its statement stating
// the embedded openapi.yaml's limits; Doc.Rule states another document's.
func RuleByID(id RuleID) (Rule, bool) { return embeddedCatalogue().rule(id) }

// Rule returns the catalogue rule with that ID, its statement stating d's
// limits: what a report of a run against d (a profile, an edited copy)
// must say.
func (d *Doc) Rule(id RuleID) (Rule, bool) {
	if d.catalogue == nil { // a Doc not made by LoadData
		return newCatalogue(d.Limits()).rule(id)
	}
	return d.catalogue().rule(id)
}

// catalogue is the rules stating one set of limits, indexed by ID. Lookups
// are frequent (every label, blame and report group) and the statements
// cost a fmt call each, so a catalogue is built once per document.
type catalogue struct {
	rules []Rule
	byID  map[RuleID]int
}

func newCatalogue(l Limits) *catalogue {
	c := &catalogue{rules: RulesFor(l), byID: map[RuleID]int{}}
	for i, r := range c.rules {
		c.byID[r.ID] = i
	}
	return c
}

// rule returns a copy the caller may change without affecting the
// catalogue.
func (c *catalogue) rule(id RuleID) (Rule, bool) {
	i, ok := c.byID[id]
	if !ok {
		return Rule{}, false
	}
	r := c.rules[i]
	r.Limits = slices.Clone(r.Limits)
	return r, true
}

// embeddedCatalogue is the catalogue of the embedded document, a constant
// of the binary.
var embeddedCatalogue = sync.OnceValue(func() *catalogue { return newCatalogue(embeddedLimits()) })

// seconds shows a duration in seconds with thousands separators, and in
// whole days when it is some.
func seconds(s int64) string {
	out := thousands(s) + " s"
	if s > 0 && s%86400 == 0 {
		out += fmt.Sprintf(" (%d days)", s/86400)
	}
	return out
}

// thousands writes n with "," between groups of three digits.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// either lists values as "0 or 1", "0, 1 or 2".
func either(v []int64) string {
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = strconv.FormatInt(n, 10)
	}
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}
