package mock

import (
	"fmt"
	"sort"

	"github.com/presencekit/presencekit/spec"
)

// BreakMode is a deliberate violation of one catalogue rule, so the
// conformance suite can prove it catches that rule.
type BreakMode struct {
	// Mode is the --break name of a concurrency mode (RaceModes); empty
	// for a catalogue mode, whose --break name is its Rule.
	Mode string `json:"mode,omitempty"`
	// Rule is the catalogue rule ID the mode violates.
	Rule spec.RuleID `json:"rule"`
	// Description says what the mock does wrong in this mode.
	Description string `json:"description"`
}

// breakSet is the parsed Config.Breaks: one flag per mode, read on the hot
// path without locks (it never changes after New).
type breakSet struct {
	authRequired, authInvalidToken, auth401Code         bool
	tokenGrant, tokenBadSecret                          bool
	errEnvelope, errIllegalArgument, errJSONParse       bool
	schemaResponse                                      bool
	setOK, setStatusPerResource, setExtVisible          bool
	setExtRequired, setExtMax, setLastTime, setResPlain bool
	subLimitUsers, subUsersNonEmpty, subExpiryMax       bool
	subExpiryPositive, subEntryPerUser                  bool
	subExpiryAbsolute, subListed, subExpires            bool
	subResubscribe, subSelf, subCap                     bool
	getLimitUsers, getUsersNonEmpty, getEntryPerUser    bool
	getNoSideEffect                                     bool
	groupCount, groupQueryType                          bool
	unsubLimitUsers, unsubUsersNonEmpty, unsubRemoves   bool
	unsubBodyForms                                      bool
	sublistPageSize, sublistPageNum, sublistNonInteger  bool
	sublistDefaults, sublistTotalnum, sublistPages      bool
	sublistPastEnd                                      bool
	// Concurrency modes (races.go): not catalogue break modes.
	raceSubLost, raceGetStale, raceTotalnum bool
}

// breakDef binds a rule ID to its description and its flag.
type breakDef struct {
	rule spec.RuleID
	desc string
	flag func(*breakSet) *bool
}

func breakDefs() []breakDef {
	return []breakDef{
		{spec.RuleAuthRequired, "accepts requests without an Authorization header", func(b *breakSet) *bool { return &b.authRequired }},
		{spec.RuleAuthInvalidToken, "accepts any bearer token", func(b *breakSet) *bool { return &b.authInvalidToken }},
		{spec.RuleAuth401Code, "refuses with 401 but names the error \"invalid_token\"", func(b *breakSet) *bool { return &b.auth401Code }},
		{spec.RuleTokenGrant, "issues tokens that the presence operations then refuse", func(b *breakSet) *bool { return &b.tokenGrant }},
		{spec.RuleTokenBadSecret, "issues a token whatever the client_secret", func(b *breakSet) *bool { return &b.tokenBadSecret }},
		{spec.RuleErrEnvelope, "sends the error timestamp in seconds, not milliseconds", func(b *breakSet) *bool { return &b.errEnvelope }},
		{spec.RuleErrIllegalArgument, "names out-of-limit values \"bad_request\" instead of \"illegal_argument\"", func(b *breakSet) *bool { return &b.errIllegalArgument }},
		{spec.RuleErrJSONParse, "names malformed JSON \"illegal_argument\" instead of \"json_parse\"", func(b *breakSet) *bool { return &b.errJSONParse }},
		{spec.RuleSchemaResponse, "sends the error envelope's duration as a string", func(b *breakSet) *bool { return &b.schemaResponse }},
		{spec.RuleSetOk, "answers set status with result \"success\"", func(b *breakSet) *bool { return &b.setOK }},
		{spec.RuleSetStatusPerResource, "ignores the resource: a set replaces the statuses of the user's other resources", func(b *breakSet) *bool { return &b.setStatusPerResource }},
		{spec.RuleSetExtVisible, "drops ext: batch get and subscribe answer ext \"\"", func(b *breakSet) *bool { return &b.setExtVisible }},
		{spec.RuleSetExtRequired, "accepts a set-status body without ext", func(b *breakSet) *bool { return &b.setExtRequired }},
		{spec.RuleSetExtMax, "accepts an ext longer than the limit", func(b *breakSet) *bool { return &b.setExtMax }},
		{spec.RuleSetLastTime, "never moves last_time", func(b *breakSet) *bool { return &b.setLastTime }},
		{spec.RuleSetResourcePlain, "refuses a resource without the {type}_{id} shape with 400", func(b *breakSet) *bool { return &b.setResPlain }},
		{spec.RuleSubLimitUsers, "subscribe accepts more usernames than the limit", func(b *breakSet) *bool { return &b.subLimitUsers }},
		{spec.RuleSubUsersNonempty, "subscribe accepts an empty usernames array", func(b *breakSet) *bool { return &b.subUsersNonEmpty }},
		{spec.RuleSubExpiryMax, "subscribe accepts an expiry above the maximum", func(b *breakSet) *bool { return &b.subExpiryMax }},
		{spec.RuleSubExpiryPositive, "subscribe accepts an expiry of 0 or below", func(b *breakSet) *bool { return &b.subExpiryPositive }},
		{spec.RuleSubEntryPerUser, "subscribe answers in reverse request order (uid \"\", the document's bug, would also break SCHEMA-RESPONSE)", func(b *breakSet) *bool { return &b.subEntryPerUser }},
		{spec.RuleSubExpiryAbsolute, "expiry is answered relative (seconds left), in subscribe and sublist", func(b *breakSet) *bool { return &b.subExpiryAbsolute }},
		{spec.RuleSubListed, "sublist shows each expiry 60 s later than subscribe answered", func(b *breakSet) *bool { return &b.subListed }},
		{spec.RuleSubExpires, "keeps expired subscriptions: listed and counted", func(b *breakSet) *bool { return &b.subExpires }},
		{spec.RuleSubResubscribe, "re-subscribing adds a duplicate subscription", func(b *breakSet) *bool { return &b.subResubscribe }},
		{spec.RuleSubSelf, "accepts subscribing to oneself", func(b *breakSet) *bool { return &b.subSelf }},
		{spec.RuleSubCap, "no per-subscriber cap: nothing is evicted", func(b *breakSet) *bool { return &b.subCap }},
		{spec.RuleGetLimitUsers, "batch get accepts more usernames than the limit", func(b *breakSet) *bool { return &b.getLimitUsers }},
		{spec.RuleGetUsersNonempty, "batch get accepts an empty usernames array", func(b *breakSet) *bool { return &b.getUsersNonEmpty }},
		{spec.RuleGetEntryPerUser, "batch get answers in reverse request order", func(b *breakSet) *bool { return &b.getEntryPerUser }},
		{spec.RuleGetNoSideEffect, "batch get subscribes the requester to the users for a day", func(b *breakSet) *bool { return &b.getNoSideEffect }},
		{spec.RuleGroupCount, "counts every group member, connected or not", func(b *breakSet) *bool { return &b.groupCount }},
		{spec.RuleGroupQueryType, "accepts any integer query_type", func(b *breakSet) *bool { return &b.groupQueryType }},
		{spec.RuleUnsubLimitUsers, "unsubscribe accepts more users than the limit", func(b *breakSet) *bool { return &b.unsubLimitUsers }},
		{spec.RuleUnsubUsersNonempty, "unsubscribe accepts an empty user list", func(b *breakSet) *bool { return &b.unsubUsersNonEmpty }},
		{spec.RuleUnsubRemoves, "unsubscribe answers ok and removes nothing", func(b *breakSet) *bool { return &b.unsubRemoves }},
		{spec.RuleUnsubBodyForms, "unsubscribe refuses the bare-array body with 400", func(b *breakSet) *bool { return &b.unsubBodyForms }},
		{spec.RuleSublistPagesizeRange, "accepts pageSize 0 and above the maximum", func(b *breakSet) *bool { return &b.sublistPageSize }},
		{spec.RuleSublistPagenumMin, "accepts pageNum 0 (as 1)", func(b *breakSet) *bool { return &b.sublistPageNum }},
		{spec.RuleSublistNonInteger, "a non-integer pageNum or pageSize falls back to the default", func(b *breakSet) *bool { return &b.sublistNonInteger }},
		{spec.RuleSublistDefaults, "without pageSize a page of 10 is returned", func(b *breakSet) *bool { return &b.sublistDefaults }},
		{spec.RuleSublistTotalnum, "totalnum is one more than the number of subscriptions", func(b *breakSet) *bool { return &b.sublistTotalnum }},
		{spec.RuleSublistPages, "pages after the first overlap the previous one by an entry", func(b *breakSet) *bool { return &b.sublistPages }},
		{spec.RuleSublistPastEnd, "a page past the end is refused with 400", func(b *breakSet) *bool { return &b.sublistPastEnd }},
	}
}

// BreakModes lists every break mode, sorted by rule ID.
func BreakModes() []BreakMode {
	defs := breakDefs()
	out := make([]BreakMode, len(defs))
	for i, d := range defs {
		out[i] = BreakMode{Rule: d.rule, Description: d.desc}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rule < out[j].Rule })
	return out
}

// UnknownBreakError says a --break value names no break mode.
type UnknownBreakError struct {
	Rule spec.RuleID
}

func (e *UnknownBreakError) Error() string {
	if _, ok := spec.RuleByID(e.Rule); ok {
		return fmt.Sprintf("mock: rule %s has no break mode (PROBE rules have none)", e.Rule)
	}
	return fmt.Sprintf("mock: unknown rule %q for --break (see --break list)", e.Rule)
}

// Unwrap ties the error to ErrConfig.
func (e *UnknownBreakError) Unwrap() error { return ErrConfig }

func parseBreaks(ids []spec.RuleID) (breakSet, error) {
	var b breakSet
	defs := breakDefs()
	for _, id := range ids {
		found := false
		for _, d := range defs {
			if d.rule == id {
				*d.flag(&b) = true
				found = true
				break
			}
		}
		for _, d := range raceDefs() {
			if !found && spec.RuleID(d.name) == id {
				*d.flag(&b) = true
				found = true
			}
		}
		if !found {
			return b, &UnknownBreakError{Rule: id}
		}
	}
	return b, nil
}
