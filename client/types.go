package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// NumberForm records how a number arrived on the wire. The vendor documents
// last_time, expiry and totalnum as integers but its examples send decimal
// strings, so the client accepts both and keeps the form for strict checks.
type NumberForm uint8

// The forms an Int64 can take. The zero value is FormAbsent so that a field
// the server left out is distinguishable from one it sent as 0.
const (
	// FormAbsent: the field was not in the JSON object.
	FormAbsent NumberForm = iota
	// FormNull: the field was the JSON literal null.
	FormNull
	// FormNumber: the field was a JSON number such as 1644466063.
	FormNumber
	// FormString: the field was a string of decimal digits such as "1644466063".
	FormString
)

// String returns the form's name for messages.
func (f NumberForm) String() string {
	switch f {
	case FormAbsent:
		return "absent"
	case FormNull:
		return "null"
	case FormNumber:
		return "number"
	case FormString:
		return "string"
	}
	return "NumberForm(" + strconv.Itoa(int(f)) + ")"
}

// Int64 is an integer the server may send either as a JSON number or as a
// decimal string. Value holds the number; Form says which encoding was seen,
// so a caller running with strict types can demand one of them.
type Int64 struct {
	Value int64
	Form  NumberForm
}

// UnmarshalJSON accepts an integer JSON number, a string of decimal digits
// (optionally with a leading '-') or null. Fractions, exponents, '+' signs,
// blanks and empty strings are rejected: the contract says integer, and a
// lenient parse would hide exactly the drift the suites look for.
func (n *Int64) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*n = Int64{Form: FormNull}
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("integer string %s: %w", b, err)
		}
		v, err := parseDecimal(s)
		if err != nil {
			return fmt.Errorf("integer string %q: %w", s, err)
		}
		*n = Int64{Value: v, Form: FormString}
		return nil
	default:
		v, err := parseDecimal(string(b))
		if err != nil {
			return fmt.Errorf("integer %s: %w", b, err)
		}
		*n = Int64{Value: v, Form: FormNumber}
		return nil
	}
}

// MarshalJSON writes the number in the form it was read in (or was given),
// so a decode/encode round trip is faithful and a server built on this type
// can choose to answer with strings like the vendor. FormAbsent encodes as a
// number because JSON has no way to write "absent" for a struct field.
func (n Int64) MarshalJSON() ([]byte, error) {
	switch n.Form {
	case FormNull:
		return []byte("null"), nil
	case FormString:
		return []byte(`"` + strconv.FormatInt(n.Value, 10) + `"`), nil
	}
	return []byte(strconv.FormatInt(n.Value, 10)), nil
}

// String returns the decimal value, for messages and logs.
func (n Int64) String() string { return strconv.FormatInt(n.Value, 10) }

// ParseDecimal parses the integer forms the contract allows (Int64's):
// an optionally negative run of ASCII digits, within int64. strconv.ParseInt
// alone would also accept "+5", which JSON never produces. It allocates
// nothing: the load generator's verifier and the proxy read every expiry
// with it. A refused text gives 0, false.
func ParseDecimal(b []byte) (int64, bool) {
	d := b
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 {
		return 0, false
	}
	var n int64
	for i, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
		if i == 18 { // 19 digits and more: strconv judges the rest and the range
			v, err := strconv.ParseInt(string(b), 10, 64)
			if err != nil {
				return 0, false
			}
			return v, true
		}
		n = n*10 + int64(c-'0')
	}
	if len(d) < len(b) {
		n = -n
	}
	return n, true
}

// parseDecimal is ParseDecimal with the reason for a refusal.
func parseDecimal(s string) (int64, error) {
	if v, ok := ParseDecimal([]byte(s)); ok {
		return v, nil
	}
	if digits := strings.TrimPrefix(s, "-"); digits != "" && strings.Trim(digits, "0123456789") == "" {
		return 0, errors.New("out of range")
	}
	return 0, errors.New("not a decimal integer")
}

// TokenRequest is the body of getAppToken. GrantType defaults to
// GrantClientCredentials when empty; TTL of 0 leaves ttl out so the server
// picks its own lifetime.
type TokenRequest struct {
	GrantType    string `json:"grant_type"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	TTL          int64  `json:"ttl,omitempty"`
}

// TokenResult is the answer of getAppToken.
type TokenResult struct {
	AccessToken string `json:"access_token"`
	// ExpiresIn is the token lifetime in seconds; 0 means the server did not say.
	ExpiresIn   Int64  `json:"expires_in"`
	Application string `json:"application"`
}

// AckResult is the answer of setPresenceStatus and unsubscribePresence,
// whose result is the string "ok" on success.
type AckResult struct {
	Result string `json:"result"`
}

// OK reports whether the server acknowledged with "ok".
func (a *AckResult) OK() bool { return a != nil && a.Result == "ok" }

// Presence is one user's entry in a subscribe or get-status answer.
type Presence struct {
	UID string `json:"uid"`
	// LastTime is the unix second the user last went online or offline.
	LastTime Int64 `json:"last_time"`
	// Expiry is the unix second the subscription ends. Only subscribe answers
	// carry it; in get-status answers its Form is FormAbsent.
	Expiry Int64  `json:"expiry"`
	Ext    string `json:"ext"`
	// Status maps a device resource (e.g. "android_123") to its status:
	// "0" offline, "1" online, anything else a custom status.
	Status map[string]string `json:"status"`
}

// SubscribeResult is the answer of subscribePresence.
type SubscribeResult struct {
	Result []Presence `json:"result"`
}

// PresenceResult is the answer of getPresenceStatus.
type PresenceResult struct {
	Result []Presence `json:"result"`
}

// GroupOnlineResult is the answer of getGroupOnlineCount: the number of
// group members connected right now (a connection, not a presence status).
type GroupOnlineResult struct {
	Result Int64 `json:"result"`
}

// Subscription is one entry of a subscriber's list.
type Subscription struct {
	UID string `json:"uid"`
	// Expiry is the unix second the subscription ends.
	Expiry Int64 `json:"expiry"`
}

// Sublist is one page of a subscriber's list plus the total across pages.
type Sublist struct {
	TotalNum Int64          `json:"totalnum"`
	Sublist  []Subscription `json:"sublist"`
}

// SublistResult is the answer of listSubscriptions.
type SublistResult struct {
	Result Sublist `json:"result"`
}

// SublistQuery selects a page of listSubscriptions. The fields are strings,
// not ints, so limit tests can send "0", "-1" or "abc"; an empty field is left
// out of the query so tests can check the server's defaults. Use Page for the
// ordinary numeric case.
type SublistQuery struct {
	PageNum  string
	PageSize string
}

// Page returns the query for page num (from 1) of size entries.
func Page(num, size int) SublistQuery {
	return SublistQuery{PageNum: strconv.Itoa(num), PageSize: strconv.Itoa(size)}
}

// UnsubscribeForm chooses the body shape of unsubscribePresence. The
// document's table says {"users":[…]} while its example, and the vendor's
// Java SDK, send a bare array; servers must take both, so callers pick.
type UnsubscribeForm uint8

// Unsubscribe body forms. The zero value is the documented object form.
const (
	// UnsubscribeObject sends {"users":["u1","u2"]}.
	UnsubscribeObject UnsubscribeForm = iota
	// UnsubscribeArray sends ["u1","u2"].
	UnsubscribeArray
)
