package spec

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

// Rule is one checkable statement of the contract. The suites label their
// specs with "rule:<ID>", the mock has a break mode per MUST and SHOULD rule,
// and reports show one row per rule.
type Rule struct {
	ID        string `json:"id"`
	Level     Level  `json:"level"`
	Operation string `json:"operation"` // an operationId of openapi.yaml, or AllOperations
	Statement string `json:"statement"`
	Source    string `json:"source"`
	// Limits names the Limits fields this rule pins, so Lint can prove every
	// limit read from the spec is checked by some rule.
	Limits []string `json:"limits,omitempty"`
}

// Rules returns the rule catalogue in a stable order. The slice is built on
// every call so callers may keep or change it without affecting others.
func Rules() []Rule {
	return []Rule{
		// Cross-cutting: auth, errors, schema.
		{ID: "AUTH-REQUIRED", Level: Must, Operation: AllOperations, Source: srcEasemob + " §认证方式",
			Statement: "A request without an Authorization header is refused with 401."},
		{ID: "AUTH-INVALID-TOKEN", Level: Must, Operation: AllOperations, Source: srcEasemob + " §认证方式",
			Statement: "A request with a wrong bearer token is refused with 401."},
		{ID: "AUTH-401-CODE", Level: Should, Operation: AllOperations, Source: srcDecision + "1",
			Statement: "A refused request names the error code \"unauthorized\" in the error envelope."},
		{ID: "TOKEN-GRANT", Level: Should, Operation: OpToken, Source: srcDecision + "1",
			Statement: "POST /token with grant_type client_credentials and valid credentials returns an access_token that the presence operations accept."},
		{ID: "TOKEN-BAD-SECRET", Level: Should, Operation: OpToken, Source: srcDecision + "1",
			Statement: "POST /token with a wrong client_secret is refused with 401 and issues no token."},
		{ID: "ERR-ENVELOPE", Level: Should, Operation: AllOperations, Source: srcDecision + "2",
			Statement: "Every 4xx answer is the vendor's error envelope: error and error_description strings, timestamp in milliseconds."},
		{ID: "ERR-ILLEGAL-ARGUMENT", Level: Should, Operation: AllOperations, Source: srcDecision + "2",
			Statement: "A value outside the documented limits is refused with 400 and the error code \"illegal_argument\"."},
		{ID: "ERR-JSON-PARSE", Level: Should, Operation: AllOperations, Source: srcDecision + "2",
			Statement: "A malformed JSON body is refused with 400 (error code \"json_parse\"), never a 5xx."},
		{ID: "ERR-METHOD", Level: Probe, Operation: AllOperations, Source: srcDecision + "2",
			Statement: "A method the path does not support is answered 404 or 405 in the error envelope."},
		{ID: "ERR-MEDIA-TYPE", Level: Probe, Operation: AllOperations, Source: srcDecision + "2",
			Statement: "A body sent with a Content-Type other than application/json is answered 415 or accepted, never a 5xx."},
		{ID: "ERR-BODY-LIMIT", Level: Probe, Operation: AllOperations, Source: srcDecision + "2",
			Statement: "An oversized body is answered 413 or 400 in the error envelope, never a 5xx."},
		{ID: "RATE-LIMIT", Level: Probe, Operation: AllOperations, Source: srcRate + "; " + srcTencent + "; " + srcDecision + "4",
			Statement: "A rate-limited request is answered 429 with the error code \"reach_limit\"."},
		{ID: "SCHEMA-RESPONSE", Level: Must, Operation: AllOperations, Source: srcEasemob,
			Statement: "Every answer matches the response schema openapi.yaml declares for its operation and status."},

		// Set status.
		{ID: "SET-OK", Level: Must, Operation: OpSetStatus, Source: srcEasemob + " §设置用户在线状态信息",
			Statement: "Setting a status for a resource answers 200 with result \"ok\"."},
		{ID: "SET-STATUS-PER-RESOURCE", Level: Must, Operation: OpSetStatus, Source: srcEasemob + " §设置用户在线状态信息",
			Statement: "A status set for one resource is reported under that resource's key by batch get, and other resources keep theirs."},
		{ID: "SET-EXT-VISIBLE", Level: Must, Operation: OpSetStatus, Source: srcEasemob + " §批量获取在线状态信息",
			Statement: "The ext sent with the last status is returned as ext by batch get."},
		{ID: "SET-EXT-REQUIRED", Level: Should, Operation: OpSetStatus, Source: srcEasemob + " §设置用户在线状态信息; " + srcDecision + "4",
			Statement: "A set-status body without ext is refused with 400 (\"ext cannot be null\")."},
		{ID: "SET-EXT-MAX", Level: Should, Operation: OpSetStatus, Source: srcDecision + "4",
			Statement: "An ext of the maximum length is accepted and one byte more is refused with 400 (\"ext is too big\").",
			Limits:    []string{"ExtMaxBytes"}},
		{ID: "SET-LAST-TIME", Level: Should, Operation: OpSetStatus, Source: srcEasemob + " §批量订阅在线状态; " + srcDecision + "7",
			Statement: "last_time moves to the current time when a resource goes online (\"1\") or offline (\"0\")."},
		{ID: "SET-RESOURCE-PLAIN", Level: Should, Operation: OpSetStatus, Source: srcEasemob + " §设置用户在线状态信息 example; " + srcDecision + "10",
			Statement: "A resource without the {type}_{id} shape (the example's \"android\") is accepted."},

		// Subscribe.
		{ID: "SUB-LIMIT-USERS", Level: Must, Operation: OpSubscribe, Source: srcEasemob + " §批量订阅在线状态",
			Statement: "Subscribe accepts the maximum number of usernames and refuses one more with 400.",
			Limits:    []string{"SubscribeMaxUsers"}},
		{ID: "SUB-USERS-NONEMPTY", Level: Must, Operation: OpSubscribe, Source: srcEasemob + " §批量订阅在线状态; " + srcDecision + "3",
			Statement: "Subscribe with an empty or missing usernames array is refused with 400.",
			Limits:    []string{"MinUsers"}},
		{ID: "SUB-EXPIRY-MAX", Level: Must, Operation: OpSubscribe, Source: srcEasemob + " §批量订阅在线状态",
			Statement: "An expiry of 2,592,000 s (30 days) is accepted and one second more is refused with 400.",
			Limits:    []string{"ExpiryMax"}},
		{ID: "SUB-EXPIRY-POSITIVE", Level: Must, Operation: OpSubscribe, Source: srcEasemob + " §批量订阅在线状态; " + srcDecision + "3",
			Statement: "An expiry of 0, a negative or a non-integer expiry is refused with 400.",
			Limits:    []string{"ExpiryMin"}},
		{ID: "SUB-ENTRY-PER-USER", Level: Must, Operation: OpSubscribe, Source: srcEasemob + " §批量订阅在线状态; " + srcDecision + "7",
			Statement: "Subscribe answers one entry per requested user, in request order, with uid equal to the requested name."},
		{ID: "SUB-EXPIRY-ABSOLUTE", Level: Must, Operation: OpSubscribe, Source: srcEasemob + " §批量订阅在线状态",
			Statement: "The answered expiry is absolute unix seconds: now plus the requested expiry, within the clock-skew tolerance."},
		{ID: "SUB-LISTED", Level: Must, Operation: OpSubscribe, Source: srcEasemob + " §查询订阅列表",
			Statement: "A subscribed user appears in the subscriber's sublist with the same expiry."},
		{ID: "SUB-EXPIRES", Level: Must, Operation: OpSubscribe, Source: srcEasemob + " §批量订阅在线状态",
			Statement: "A subscription past its expiry is no longer listed or counted."},
		{ID: "SUB-RESUBSCRIBE", Level: Should, Operation: OpSubscribe, Source: srcSubscribe + " §功能说明; " + srcDecision + "4",
			Statement: "Subscribing again to the same user replaces the expiry and does not duplicate the subscription."},
		{ID: "SUB-SELF", Level: Should, Operation: OpSubscribe, Source: srcSubscribe + " §错误码; " + srcTencent + "; " + srcDecision + "4",
			Statement: "Subscribing to oneself is refused with 400 (\"you can't sub yourself\")."},
		{ID: "SUB-CAP", Level: Should, Operation: OpSubscribe, Source: srcSubscribe + " §功能说明; " + srcDecision + "4",
			Statement: "A subscriber holds at most 3,000 subscriptions; beyond that the one with least time left is evicted."},

		// Batch get.
		{ID: "GET-LIMIT-USERS", Level: Must, Operation: OpGetStatus, Source: srcEasemob + " §批量获取在线状态信息",
			Statement: "Batch get accepts the maximum number of usernames and refuses one more with 400.",
			Limits:    []string{"GetMaxUsers"}},
		{ID: "GET-USERS-NONEMPTY", Level: Must, Operation: OpGetStatus, Source: srcEasemob + " §批量获取在线状态信息; " + srcDecision + "3",
			Statement: "Batch get with an empty or missing usernames array is refused with 400."},
		{ID: "GET-ENTRY-PER-USER", Level: Must, Operation: OpGetStatus, Source: srcEasemob + " §批量获取在线状态信息; " + srcDecision + "7",
			Statement: "Batch get answers one entry per requested known user, in request order, with uid equal to the requested name."},
		{ID: "GET-NO-SIDE-EFFECT", Level: Should, Operation: OpGetStatus, Source: srcEasemob + " §批量获取在线状态信息",
			Statement: "Batch get creates no subscription."},

		// Group online count.
		{ID: "GROUP-COUNT", Level: Must, Operation: OpGroupOnline, Source: srcEasemob + " §查询单个群组的在线成员数量",
			Statement: "The group online count is the number of the group's members that are connected, not a presence status."},
		{ID: "GROUP-QUERY-TYPE", Level: Should, Operation: OpGroupOnline, Source: srcDecision + "4",
			Statement: "A query_type other than 0 or 1 is refused with 400 (\"Type must be 0 or 1.\").",
			Limits:    []string{"QueryTypes"}},

		// Unsubscribe.
		{ID: "UNSUB-LIMIT-USERS", Level: Must, Operation: OpUnsubscribe, Source: srcEasemob + " §取消订阅多个用户的在线状态",
			Statement: "Unsubscribe accepts the maximum number of users and refuses one more with 400.",
			Limits:    []string{"UnsubscribeMaxUsers"}},
		{ID: "UNSUB-USERS-NONEMPTY", Level: Must, Operation: OpUnsubscribe, Source: srcEasemob + " §取消订阅多个用户的在线状态; " + srcDecision + "3",
			Statement: "Unsubscribe with an empty user list is refused with 400."},
		{ID: "UNSUB-REMOVES", Level: Must, Operation: OpUnsubscribe, Source: srcEasemob + " §取消订阅多个用户的在线状态",
			Statement: "After unsubscribe the users are gone from the sublist and totalnum drops accordingly; other subscriptions stay."},
		{ID: "UNSUB-BODY-FORMS", Level: Must, Operation: OpUnsubscribe, Source: srcEasemob + " §取消订阅多个用户的在线状态; " + srcDecision + "6",
			Statement: "Unsubscribe accepts both {\"users\":[…]} (the table) and a bare array […] (the example)."},

		// Sublist.
		{ID: "SUBLIST-PAGESIZE-RANGE", Level: Must, Operation: OpSublist, Source: srcEasemob + " §查询订阅列表",
			Statement: "pageSize 1 and 500 are accepted; 0 and 501 are refused with 400.",
			Limits:    []string{"PageSizeMin", "PageSizeMax"}},
		{ID: "SUBLIST-PAGENUM-MIN", Level: Must, Operation: OpSublist, Source: srcEasemob + " §查询订阅列表",
			Statement: "pageNum 1 is accepted; 0 is refused with 400.",
			Limits:    []string{"PageNumMin"}},
		{ID: "SUBLIST-NON-INTEGER", Level: Must, Operation: OpSublist, Source: srcEasemob + " §查询订阅列表; " + srcDecision + "3",
			Statement: "A non-integer pageNum or pageSize is refused with 400."},
		{ID: "SUBLIST-DEFAULTS", Level: Must, Operation: OpSublist, Source: srcEasemob + " §查询订阅列表",
			Statement: "Without pageNum and pageSize the first page of one entry is returned.",
			Limits:    []string{"PageNumDefault", "PageSizeDefault"}},
		{ID: "SUBLIST-TOTALNUM", Level: Must, Operation: OpSublist, Source: srcEasemob + " §查询订阅列表; " + srcDecision + "8",
			Statement: "totalnum is the number of unexpired subscriptions of the user, whatever the page."},
		{ID: "SUBLIST-PAGES", Level: Must, Operation: OpSublist, Source: srcEasemob + " §查询订阅列表; " + srcDecision + "8",
			Statement: "Pages are disjoint, hold at most pageSize entries, and together list every subscription once."},
		{ID: "SUBLIST-PAST-END", Level: Should, Operation: OpSublist, Source: srcDecision + "8",
			Statement: "A page past the end is answered 200 with an empty sublist."},

		// Probes: behaviour the documents leave open.
		{ID: "PROBE-UNKNOWN-USER", Level: Probe, Operation: OpGetStatus, Source: srcDecision + "11",
			Statement: "Batch get for a user the server does not know: recorded (left out, or answered with empty status)."},
		{ID: "PROBE-UNSUB-UNKNOWN", Level: Probe, Operation: OpUnsubscribe, Source: srcTencent,
			Statement: "Unsubscribing a user that was never subscribed: recorded (ok or an error)."},
	}
}

// RuleByID returns the catalogue rule with that ID.
func RuleByID(id string) (Rule, bool) {
	for _, r := range Rules() {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}
