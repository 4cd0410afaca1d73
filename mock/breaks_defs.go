package mock

import "github.com/presencekit/presencekit/spec"

// breakSet is the parsed Config.Breaks: one flag per variant, read on the
// hot path without locks (it never changes after New). The first flag of
// each line is the rule's default variant.
type breakSet struct {
	authRequired, authReadsOpen, authSetOpen                 bool
	authInvalidToken, tokenReadsOpen, tokenNonBearer         bool
	auth401Code, auth401Missing, auth401Wrong                bool
	tokenGrant, tokenZeroExpiry, tokenInstantExpiry          bool
	tokenBadSecret, tokenSecretPrefix, tokenSecretTrimmed    bool
	errEnvelope, errEnvelopeMicros, errEnvelopeAuth          bool
	errIllegalArgument, errIllegalPaging, errIllegalSub      bool
	errJSONParse, errJSONSub, errJSON500                     bool
	schemaResponse, schemaExtNull, schemaStatusNull          bool
	setOK, setOKOffline, setOKRepeat                         bool
	setStatusPerResource, setStatusTypeKey, setStatusCross   bool
	setExtVisible, setExtTruncated, setExtFirstKept          bool
	setExtRequired, setExtNullOK, setExtAnyDepth             bool
	setExtMax, setExtMaxRunes, setExtMaxEscaped              bool
	setLastTime, setLastTimeFirst, setLastTimeAny            bool
	setResPlain, setResPlainDropped, setResPlainRenamed      bool
	subLimitUsers, subLimitTruncates, subLimitDistinct       bool
	subUsersNonEmpty, subUsersMissingOK, subUsersNullOK      bool
	subExpiryMax, subExpiryMaxOffByOne, subExpiryMaxWrap     bool
	subExpiryPositive, subExpiryFloat, subExpiryPrefix       bool
	subEntryPerUser, subEntrySorted, subEntryLastDropped     bool
	subExpiryAbsolute, subExpiryMillis, subExpiryGrace       bool
	subListed, subListedFirstExpiry, subListedRelative       bool
	subExpires, subExpiresListed, subExpiresCounted          bool
	subResubscribe, subResubKeepFirst, subResubKeepLonger    bool
	subSelf, subSelfFirstOnly, subSelfAloneOnly              bool
	subCap, subCapEvictNewest, subCapEvictFirst              bool
	subCapEvictLast, subCapEvictOldest                       bool
	getLimitUsers, getLimitOffByOne, getLimitDistinct        bool
	getUsersNonEmpty, getUsersMissingOK, getUsersNullOK      bool
	getEntryPerUser, getEntrySorted, getEntryLastDropped     bool
	getNoSideEffect, getSideRefreshes, getSideReverse        bool
	groupCount, groupCountPresence, groupCountBoth           bool
	groupQueryType, groupQueryNegative, groupQueryOneOnly    bool
	unsubLimitUsers, unsubLimitTruncates, unsubLimitBare     bool
	unsubUsersNonEmpty, unsubUsersBareOnly, unsubUsersNullOK bool
	unsubRemoves, unsubRemovesFirst, unsubRemovesAll         bool
	unsubBodyForms, unsubBodyBareFirst, unsubBodyBareIgnored bool
	sublistPageSize, sublistPageSize1000, sublistPageSizeNeg bool
	sublistPageNum, sublistPageNumNeg, sublistPageNumNoSize  bool
	sublistNonInteger, sublistNonIntPrefix, sublistNonIntFlt bool
	sublistDefaults, sublistDefaultsMax, sublistDefaultsLast bool
	sublistTotalnum, sublistTotalPage, sublistTotalPageEnd   bool
	sublistPages, sublistPagesGap, sublistPagesLastDropped   bool
	sublistPastEnd, sublistPastEndLast, sublistPastEndFirst  bool
	// Concurrency modes (races.go): not catalogue break modes.
	raceSubLost, raceGetStale, raceTotalnum bool
}

// bd is a breakDef.
func bd(rule spec.RuleID, variant, desc string, flag func(*breakSet) *bool) breakDef {
	return breakDef{rule: rule, variant: variant, desc: desc, flag: flag}
}

// breakDefs lists every variant of every rule, the rule's default first.
// Each is a different plausible wrong implementation; together they cover
// the families a check can be too narrow for (order and choice, a bad
// value inside a batch, number forms, isolation across users or
// resources, read-back, transitions in time, both query types).
func breakDefs() []breakDef {
	type b = breakSet
	return []breakDef{
		bd(spec.RuleAuthRequired, "open", "accepts requests without an Authorization header", func(b *b) *bool { return &b.authRequired }),
		bd(spec.RuleAuthRequired, "reads-open", "accepts the two GET operations (sublist, group count) without an Authorization header", func(b *b) *bool { return &b.authReadsOpen }),
		bd(spec.RuleAuthRequired, "set-open", "accepts set status without an Authorization header", func(b *b) *bool { return &b.authSetOpen }),
		bd(spec.RuleAuthInvalidToken, "any-token", "accepts any bearer token", func(b *b) *bool { return &b.authInvalidToken }),
		bd(spec.RuleAuthInvalidToken, "reads-open", "accepts any bearer token on the two GET operations", func(b *b) *bool { return &b.tokenReadsOpen }),
		bd(spec.RuleAuthInvalidToken, "non-bearer", "checks only Bearer credentials: an Authorization of another scheme is accepted", func(b *b) *bool { return &b.tokenNonBearer }),
		bd(spec.RuleAuth401Code, "invalid-token", "refuses with 401 but names the error \"invalid_token\"", func(b *b) *bool { return &b.auth401Code }),
		bd(spec.RuleAuth401Code, "missing-header", "names a refusal for a missing Authorization header \"missing_token\"", func(b *b) *bool { return &b.auth401Missing }),
		bd(spec.RuleAuth401Code, "wrong-token", "names a refusal for a wrong token \"invalid_token\"", func(b *b) *bool { return &b.auth401Wrong }),
		bd(spec.RuleTokenGrant, "unusable", "issues tokens that the presence operations then refuse", func(b *b) *bool { return &b.tokenGrant }),
		bd(spec.RuleTokenGrant, "zero-expiry", "answers expires_in 0 for a working token", func(b *b) *bool { return &b.tokenZeroExpiry }),
		bd(spec.RuleTokenGrant, "instant-expiry", "issues tokens that expire the moment they are issued", func(b *b) *bool { return &b.tokenInstantExpiry }),
		bd(spec.RuleTokenBadSecret, "any-secret", "issues a token whatever the client_secret", func(b *b) *bool { return &b.tokenBadSecret }),
		bd(spec.RuleTokenBadSecret, "prefix", "issues a token for any client_secret that begins with the right one", func(b *b) *bool { return &b.tokenSecretPrefix }),
		bd(spec.RuleTokenBadSecret, "trimmed", "trims client_secret: the right one with whitespace around it issues a token", func(b *b) *bool { return &b.tokenSecretTrimmed }),
		bd(spec.RuleErrEnvelope, "seconds", "sends the error timestamp in seconds, not milliseconds", func(b *b) *bool { return &b.errEnvelope }),
		bd(spec.RuleErrEnvelope, "micros", "sends the error timestamp in microseconds", func(b *b) *bool { return &b.errEnvelopeMicros }),
		bd(spec.RuleErrEnvelope, "auth-seconds", "sends the timestamp of 401 answers only in seconds", func(b *b) *bool { return &b.errEnvelopeAuth }),
		bd(spec.RuleErrIllegalArgument, "bad-request", "names out-of-limit values \"bad_request\" instead of \"illegal_argument\"", func(b *b) *bool { return &b.errIllegalArgument }),
		bd(spec.RuleErrIllegalArgument, "paging-only", "names out-of-limit sublist paging values \"bad_request\"", func(b *b) *bool { return &b.errIllegalPaging }),
		bd(spec.RuleErrIllegalArgument, "subscribe-only", "names subscribe's out-of-limit values \"bad_request\"", func(b *b) *bool { return &b.errIllegalSub }),
		bd(spec.RuleErrJSONParse, "illegal-argument", "names malformed JSON \"illegal_argument\" instead of \"json_parse\"", func(b *b) *bool { return &b.errJSONParse }),
		bd(spec.RuleErrJSONParse, "subscribe-only", "names malformed JSON on subscribe \"illegal_argument\"", func(b *b) *bool { return &b.errJSONSub }),
		bd(spec.RuleErrJSONParse, "server-error", "answers malformed JSON with 500", func(b *b) *bool { return &b.errJSON500 }),
		bd(spec.RuleSchemaResponse, "duration-string", "sends the error envelope's duration as a string", func(b *b) *bool { return &b.schemaResponse }),
		bd(spec.RuleSchemaResponse, "ext-null", "sends an empty ext as null", func(b *b) *bool { return &b.schemaExtNull }),
		bd(spec.RuleSchemaResponse, "status-null", "sends the status of a user with no resource as null", func(b *b) *bool { return &b.schemaStatusNull }),
		bd(spec.RuleSetOk, "success", "answers set status with result \"success\"", func(b *b) *bool { return &b.setOK }),
		bd(spec.RuleSetOk, "offline", "answers a set of status \"0\" with result \"success\"", func(b *b) *bool { return &b.setOKOffline }),
		bd(spec.RuleSetOk, "repeat", "answers \"success\" when the user already had a status", func(b *b) *bool { return &b.setOKRepeat }),
		bd(spec.RuleSetStatusPerResource, "replace-all", "ignores the resource: a set replaces the statuses of the user's other resources", func(b *b) *bool { return &b.setStatusPerResource }),
		bd(spec.RuleSetStatusPerResource, "type-key", "keys statuses by device type: android_1 and android_2 share one entry", func(b *b) *bool { return &b.setStatusTypeKey }),
		bd(spec.RuleSetStatusPerResource, "cross-user", "a set also overwrites the same resource of the user set before (state shared across users)", func(b *b) *bool { return &b.setStatusCross }),
		bd(spec.RuleSetExtVisible, "dropped", "drops ext: batch get and subscribe answer ext \"\"", func(b *b) *bool { return &b.setExtVisible }),
		bd(spec.RuleSetExtVisible, "truncated", "stores only the first 255 bytes of ext", func(b *b) *bool { return &b.setExtTruncated }),
		bd(spec.RuleSetExtVisible, "first-kept", "keeps the first ext a user set; later ones are ignored", func(b *b) *bool { return &b.setExtFirstKept }),
		bd(spec.RuleSetExtRequired, "absent-ok", "accepts a set-status body without ext", func(b *b) *bool { return &b.setExtRequired }),
		bd(spec.RuleSetExtRequired, "null-ok", "accepts \"ext\":null as an empty ext", func(b *b) *bool { return &b.setExtNullOK }),
		bd(spec.RuleSetExtRequired, "any-depth", "finds \"ext\" at any depth of the body: {\"data\":{\"ext\":…}} passes", func(b *b) *bool { return &b.setExtAnyDepth }),
		bd(spec.RuleSetExtMax, "unchecked", "accepts an ext longer than the limit", func(b *b) *bool { return &b.setExtMax }),
		bd(spec.RuleSetExtMax, "runes", "counts ext in characters, not bytes", func(b *b) *bool { return &b.setExtMaxRunes }),
		bd(spec.RuleSetExtMax, "escaped", "counts ext JSON-encoded, escapes included: an ext of the maximum with quotes in it is refused", func(b *b) *bool { return &b.setExtMaxEscaped }),
		bd(spec.RuleSetLastTime, "frozen", "never moves last_time", func(b *b) *bool { return &b.setLastTime }),
		bd(spec.RuleSetLastTime, "first-only", "sets last_time on a user's first login only", func(b *b) *bool { return &b.setLastTimeFirst }),
		bd(spec.RuleSetLastTime, "any-status", "moves last_time on every status, not only online and offline", func(b *b) *bool { return &b.setLastTimeAny }),
		bd(spec.RuleSetResourcePlain, "refused", "refuses a resource without the {type}_{id} shape with 400", func(b *b) *bool { return &b.setResPlain }),
		bd(spec.RuleSetResourcePlain, "dropped", "accepts a resource without the {type}_{id} shape but stores nothing", func(b *b) *bool { return &b.setResPlainDropped }),
		bd(spec.RuleSetResourcePlain, "renamed", "stores a resource without the {type}_{id} shape as {resource}_0", func(b *b) *bool { return &b.setResPlainRenamed }),
		bd(spec.RuleSubLimitUsers, "unchecked", "subscribe accepts more usernames than the limit", func(b *b) *bool { return &b.subLimitUsers }),
		bd(spec.RuleSubLimitUsers, "truncates", "subscribe accepts more usernames than the limit and subscribes to the first ones only", func(b *b) *bool { return &b.subLimitTruncates }),
		bd(spec.RuleSubLimitUsers, "distinct", "subscribe counts distinct usernames against the limit", func(b *b) *bool { return &b.subLimitDistinct }),
		bd(spec.RuleSubUsersNonempty, "empty-ok", "subscribe accepts an empty usernames array", func(b *b) *bool { return &b.subUsersNonEmpty }),
		bd(spec.RuleSubUsersNonempty, "missing-ok", "subscribe accepts a body without usernames", func(b *b) *bool { return &b.subUsersMissingOK }),
		bd(spec.RuleSubUsersNonempty, "null-ok", "subscribe accepts \"usernames\":null", func(b *b) *bool { return &b.subUsersNullOK }),
		bd(spec.RuleSubExpiryMax, "unchecked", "subscribe accepts an expiry above the maximum", func(b *b) *bool { return &b.subExpiryMax }),
		bd(spec.RuleSubExpiryMax, "off-by-one", "subscribe refuses the maximum expiry", func(b *b) *bool { return &b.subExpiryMaxOffByOne }),
		bd(spec.RuleSubExpiryMax, "wrap32", "checks the expiry after truncating it to 32 bits: 2^32+60 passes as 60", func(b *b) *bool { return &b.subExpiryMaxWrap }),
		bd(spec.RuleSubExpiryPositive, "unchecked", "subscribe accepts an expiry of 0 or below", func(b *b) *bool { return &b.subExpiryPositive }),
		bd(spec.RuleSubExpiryPositive, "float-parse", "parses expiry as a float: an integral 1e2 or 60.0 is accepted", func(b *b) *bool { return &b.subExpiryFloat }),
		bd(spec.RuleSubExpiryPositive, "prefix-parse", "parses the leading digits of expiry: 1.5 is 1, 60s is 60", func(b *b) *bool { return &b.subExpiryPrefix }),
		bd(spec.RuleSubEntryPerUser, "reversed", "subscribe answers in reverse request order (uid \"\", the document's bug, would also break SCHEMA-RESPONSE)", func(b *b) *bool { return &b.subEntryPerUser }),
		bd(spec.RuleSubEntryPerUser, "sorted", "subscribe answers in name order, not request order", func(b *b) *bool { return &b.subEntrySorted }),
		bd(spec.RuleSubEntryPerUser, "last-dropped", "subscribe leaves the last entry out of an answer of three or more", func(b *b) *bool { return &b.subEntryLastDropped }),
		bd(spec.RuleSubExpiryAbsolute, "relative", "expiry is answered relative (seconds left), in subscribe and sublist", func(b *b) *bool { return &b.subExpiryAbsolute }),
		bd(spec.RuleSubExpiryAbsolute, "millis", "expiry is answered in unix milliseconds, in subscribe and sublist", func(b *b) *bool { return &b.subExpiryMillis }),
		bd(spec.RuleSubExpiryAbsolute, "grace-30", "expiry is answered 30 s later than it is (a grace period shown, not kept), in subscribe and sublist", func(b *b) *bool { return &b.subExpiryGrace }),
		bd(spec.RuleSubListed, "later-60", "sublist shows each expiry 60 s later than subscribe answered", func(b *b) *bool { return &b.subListed }),
		bd(spec.RuleSubListed, "first-expiry", "sublist shows every entry with the expiry of the subscriber's first-listed subscription", func(b *b) *bool { return &b.subListedFirstExpiry }),
		bd(spec.RuleSubListed, "relative", "sublist shows the seconds left, while subscribe answers absolute expiries", func(b *b) *bool { return &b.subListedRelative }),
		bd(spec.RuleSubExpires, "kept", "keeps expired subscriptions: listed and counted", func(b *b) *bool { return &b.subExpires }),
		bd(spec.RuleSubExpires, "listed", "no longer counts expired subscriptions but still lists them", func(b *b) *bool { return &b.subExpiresListed }),
		bd(spec.RuleSubExpires, "counted", "no longer lists expired subscriptions but still counts them", func(b *b) *bool { return &b.subExpiresCounted }),
		bd(spec.RuleSubResubscribe, "duplicate", "re-subscribing adds a duplicate subscription", func(b *b) *bool { return &b.subResubscribe }),
		bd(spec.RuleSubResubscribe, "keep-first", "re-subscribing keeps the first expiry", func(b *b) *bool { return &b.subResubKeepFirst }),
		bd(spec.RuleSubResubscribe, "keep-longer", "re-subscribing keeps the later of the two expiries", func(b *b) *bool { return &b.subResubKeepLonger }),
		bd(spec.RuleSubSelf, "allowed", "accepts subscribing to oneself", func(b *b) *bool { return &b.subSelf }),
		bd(spec.RuleSubSelf, "first-only", "refuses oneself only as the first username of the batch", func(b *b) *bool { return &b.subSelfFirstOnly }),
		bd(spec.RuleSubSelf, "alone-only", "refuses oneself only when alone in the batch; among others it is skipped", func(b *b) *bool { return &b.subSelfAloneOnly }),
		bd(spec.RuleSubCap, "uncapped", "no per-subscriber cap: nothing is evicted", func(b *b) *bool { return &b.subCap }),
		bd(spec.RuleSubCap, "evict-newest", "at the cap the new subscription is dropped", func(b *b) *bool { return &b.subCapEvictNewest }),
		bd(spec.RuleSubCap, "evict-first", "at the cap the first subscription in name order is evicted", func(b *b) *bool { return &b.subCapEvictFirst }),
		bd(spec.RuleSubCap, "evict-last", "at the cap the last subscription in name order is evicted", func(b *b) *bool { return &b.subCapEvictLast }),
		bd(spec.RuleSubCap, "evict-oldest", "at the cap the subscription made first is evicted", func(b *b) *bool { return &b.subCapEvictOldest }),
		bd(spec.RuleGetLimitUsers, "unchecked", "batch get accepts more usernames than the limit", func(b *b) *bool { return &b.getLimitUsers }),
		bd(spec.RuleGetLimitUsers, "off-by-one", "batch get refuses the maximum number of usernames", func(b *b) *bool { return &b.getLimitOffByOne }),
		bd(spec.RuleGetLimitUsers, "distinct", "batch get counts distinct usernames against the limit", func(b *b) *bool { return &b.getLimitDistinct }),
		bd(spec.RuleGetUsersNonempty, "empty-ok", "batch get accepts an empty usernames array", func(b *b) *bool { return &b.getUsersNonEmpty }),
		bd(spec.RuleGetUsersNonempty, "missing-ok", "batch get accepts a body without usernames", func(b *b) *bool { return &b.getUsersMissingOK }),
		bd(spec.RuleGetUsersNonempty, "null-ok", "batch get accepts \"usernames\":null", func(b *b) *bool { return &b.getUsersNullOK }),
		bd(spec.RuleGetEntryPerUser, "reversed", "batch get answers in reverse request order", func(b *b) *bool { return &b.getEntryPerUser }),
		bd(spec.RuleGetEntryPerUser, "sorted", "batch get answers in name order, not request order", func(b *b) *bool { return &b.getEntrySorted }),
		bd(spec.RuleGetEntryPerUser, "last-dropped", "batch get leaves the last entry out of an answer of three or more", func(b *b) *bool { return &b.getEntryLastDropped }),
		bd(spec.RuleGetNoSideEffect, "subscribes", "batch get subscribes the requester to the users for a day", func(b *b) *bool { return &b.getNoSideEffect }),
		bd(spec.RuleGetNoSideEffect, "refreshes", "batch get renews the requester's existing subscriptions to the users for a day", func(b *b) *bool { return &b.getSideRefreshes }),
		bd(spec.RuleGetNoSideEffect, "reverse", "batch get subscribes the users to the requester for a day", func(b *b) *bool { return &b.getSideReverse }),
		bd(spec.RuleGroupCount, "all-members", "counts every group member, connected or not", func(b *b) *bool { return &b.groupCount }),
		bd(spec.RuleGroupCount, "presence", "counts the members whose presence status is \"1\", not the connected ones", func(b *b) *bool { return &b.groupCountPresence }),
		bd(spec.RuleGroupCount, "both", "counts the members connected or with presence status \"1\"", func(b *b) *bool { return &b.groupCountBoth }),
		bd(spec.RuleGroupQueryType, "any-int", "accepts any integer query_type", func(b *b) *bool { return &b.groupQueryType }),
		bd(spec.RuleGroupQueryType, "negative-ok", "checks only that query_type is at most 1: negative ones are accepted", func(b *b) *bool { return &b.groupQueryNegative }),
		bd(spec.RuleGroupQueryType, "one-only", "refuses query_type 0: only 1 is accepted", func(b *b) *bool { return &b.groupQueryOneOnly }),
		bd(spec.RuleUnsubLimitUsers, "unchecked", "unsubscribe accepts more users than the limit", func(b *b) *bool { return &b.unsubLimitUsers }),
		bd(spec.RuleUnsubLimitUsers, "truncates", "unsubscribe accepts more users than the limit and removes the first ones only", func(b *b) *bool { return &b.unsubLimitTruncates }),
		bd(spec.RuleUnsubLimitUsers, "bare-unchecked", "unsubscribe checks the limit on the {\"users\":[…]} form only", func(b *b) *bool { return &b.unsubLimitBare }),
		bd(spec.RuleUnsubUsersNonempty, "empty-ok", "unsubscribe accepts an empty user list", func(b *b) *bool { return &b.unsubUsersNonEmpty }),
		bd(spec.RuleUnsubUsersNonempty, "bare-only", "unsubscribe accepts an empty bare array", func(b *b) *bool { return &b.unsubUsersBareOnly }),
		bd(spec.RuleUnsubUsersNonempty, "null-ok", "unsubscribe accepts \"users\":null", func(b *b) *bool { return &b.unsubUsersNullOK }),
		bd(spec.RuleUnsubRemoves, "no-op", "unsubscribe answers ok and removes nothing", func(b *b) *bool { return &b.unsubRemoves }),
		bd(spec.RuleUnsubRemoves, "first-only", "unsubscribe removes only the first listed user", func(b *b) *bool { return &b.unsubRemovesFirst }),
		bd(spec.RuleUnsubRemoves, "all-subscribers", "unsubscribe removes the users from every subscriber, not only the caller", func(b *b) *bool { return &b.unsubRemovesAll }),
		bd(spec.RuleUnsubBodyForms, "no-bare", "unsubscribe refuses the bare-array body with 400", func(b *b) *bool { return &b.unsubBodyForms }),
		bd(spec.RuleUnsubBodyForms, "bare-first-only", "unsubscribe with the bare-array body removes only its first user", func(b *b) *bool { return &b.unsubBodyBareFirst }),
		bd(spec.RuleUnsubBodyForms, "bare-ignored", "unsubscribe answers ok to the bare-array body and removes nothing", func(b *b) *bool { return &b.unsubBodyBareIgnored }),
		bd(spec.RuleSublistPagesizeRange, "unchecked", "accepts pageSize 0 and above the maximum", func(b *b) *bool { return &b.sublistPageSize }),
		bd(spec.RuleSublistPagesizeRange, "max-1000", "takes pageSize up to 1000, not the documented maximum", func(b *b) *bool { return &b.sublistPageSize1000 }),
		bd(spec.RuleSublistPagesizeRange, "negative-ok", "refuses only 0 and above the maximum: a negative pageSize is taken as the default", func(b *b) *bool { return &b.sublistPageSizeNeg }),
		bd(spec.RuleSublistPagenumMin, "zero-ok", "accepts pageNum 0 (as 1)", func(b *b) *bool { return &b.sublistPageNum }),
		bd(spec.RuleSublistPagenumMin, "negative-ok", "refuses only pageNum 0: a negative one is taken as 1", func(b *b) *bool { return &b.sublistPageNumNeg }),
		bd(spec.RuleSublistPagenumMin, "zero-without-size", "checks pageNum only when pageSize is given", func(b *b) *bool { return &b.sublistPageNumNoSize }),
		bd(spec.RuleSublistNonInteger, "default-fallback", "a non-integer pageNum or pageSize falls back to the default", func(b *b) *bool { return &b.sublistNonInteger }),
		bd(spec.RuleSublistNonInteger, "prefix-parse", "parses the leading digits of pageNum and pageSize: 2.5 is 2", func(b *b) *bool { return &b.sublistNonIntPrefix }),
		bd(spec.RuleSublistNonInteger, "float-parse", "parses pageNum and pageSize as floats: an integral 1e1 or 1.0 is accepted", func(b *b) *bool { return &b.sublistNonIntFlt }),
		bd(spec.RuleSublistDefaults, "size-10", "without pageSize a page of 10 is returned", func(b *b) *bool { return &b.sublistDefaults }),
		bd(spec.RuleSublistDefaults, "size-max", "without pageSize a page of the maximum size is returned", func(b *b) *bool { return &b.sublistDefaultsMax }),
		bd(spec.RuleSublistDefaults, "last-page", "without pageNum the last page is returned", func(b *b) *bool { return &b.sublistDefaultsLast }),
		bd(spec.RuleSublistTotalnum, "plus-one", "totalnum is one more than the number of subscriptions", func(b *b) *bool { return &b.sublistTotalnum }),
		bd(spec.RuleSublistTotalnum, "page-count", "totalnum is the number of entries on the page", func(b *b) *bool { return &b.sublistTotalPage }),
		bd(spec.RuleSublistTotalnum, "page-end", "totalnum counts the entries up to the end of the page", func(b *b) *bool { return &b.sublistTotalPageEnd }),
		bd(spec.RuleSublistPages, "overlap", "pages after the first overlap the previous one by an entry", func(b *b) *bool { return &b.sublistPages }),
		bd(spec.RuleSublistPages, "gap", "pages after the first skip an entry", func(b *b) *bool { return &b.sublistPagesGap }),
		bd(spec.RuleSublistPages, "last-short", "a page after the first that reaches the end leaves out its last entry", func(b *b) *bool { return &b.sublistPagesLastDropped }),
		bd(spec.RuleSublistPastEnd, "refused", "a page past the end is refused with 400", func(b *b) *bool { return &b.sublistPastEnd }),
		bd(spec.RuleSublistPastEnd, "last-page", "a page past the end repeats the last page", func(b *b) *bool { return &b.sublistPastEndLast }),
		bd(spec.RuleSublistPastEnd, "first-page", "a page past the end is answered with the first page", func(b *b) *bool { return &b.sublistPastEndFirst }),
	}
}
