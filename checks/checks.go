// Package checks holds the contract's checks as pure predicates, so the
// conformance suites (which make the requests) and the proxy (which watches
// other people's) judge an exchange the same way: one envelope check, one
// reading of a number, one idea of "in request order", one mapping from an
// out-of-limit value to the rule it breaks. Answers are decoded with the
// client's types; nothing here does I/O or keeps state.
package checks

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/spec"
)

// Envelope decodes body as the vendor's error envelope (docs/contract.md#d2)
// and says what keeps it from being one: an error code, an
// error_description and a timestamp must be there.
func Envelope(body []byte) (client.ErrorEnvelope, error) {
	var env client.ErrorEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return env, fmt.Errorf("not a JSON error envelope: %w", err)
	}
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(body, &keys) // it decoded above, so it is an object
	switch {
	case env.Error == "":
		return env, errors.New("no error code")
	case keys["error_description"] == nil:
		return env, errors.New("no error_description")
	case !present(env.Timestamp):
		return env, errors.New("no timestamp")
	}
	return env, nil
}

// present says whether a number was sent, in either form.
func present(n client.Int64) bool {
	return n.Form == client.FormNumber || n.Form == client.FormString
}

// Number reads a UnixSeconds or Count value the way the client does: a JSON
// integer or a string of decimal digits (docs/contract.md#d5); "+5", "1.5",
// null and blanks are not numbers.
func Number(raw json.RawMessage) (int64, bool) {
	var n client.Int64
	if json.Unmarshal(raw, &n) != nil || !present(n) {
		return 0, false
	}
	return n.Value, true
}

// Near reports whether two times are within tolerance of each other.
func Near(a, b time.Time, tolerance time.Duration) bool {
	d := a.Sub(b)
	return d <= tolerance && d >= -tolerance
}

// NearMillis reports whether a timestamp in unix milliseconds is now,
// within the clock-skew tolerance (ERR-ENVELOPE: seconds are far off).
func NearMillis(ms int64, now time.Time, skew time.Duration) bool {
	return Near(time.UnixMilli(ms), now, skew)
}

// NearUnix reports whether a value in unix seconds is want, within the
// clock-skew tolerance and the second the truncation to seconds may cost
// (SUB-EXPIRY-ABSOLUTE, SET-LAST-TIME).
func NearUnix(got int64, want time.Time, skew time.Duration) bool {
	return Near(time.Unix(got, 0), want, skew+time.Second)
}

// EntryPerUser checks a subscribe answer's uids against the requested
// names: one entry per name, in request order (SUB-ENTRY-PER-USER). It
// returns the index of the first wrong entry (len(names) when entries are
// missing) and why, or -1.
func EntryPerUser(uids, names []string) (int, string) {
	for i := range min(len(uids), len(names)) {
		if uids[i] != names[i] {
			return i, fmt.Sprintf("entry %d is %q, want %q (one entry per user, in request order)", i, uids[i], names[i])
		}
	}
	if len(uids) != len(names) {
		return min(len(uids), len(names)), fmt.Sprintf("%d entries for %d requested users", len(uids), len(names))
	}
	return -1, ""
}

// InRequestOrder checks a batch get answer's uids: the requested names in
// request order, where a name the server does not know may be left out
// (docs/contract.md#d11; GET-ENTRY-PER-USER). It returns the index of the
// first entry not requested, repeated or out of order, or -1.
func InRequestOrder(uids, names []string) int {
	next := 0
	for i, u := range uids {
		k := index(names[next:], u)
		if k < 0 {
			return i
		}
		next += k + 1
	}
	return -1
}

func index(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// Distinct reports whether no name is requested twice: the order checks
// mean nothing for a request that repeats a name.
func Distinct(names []string) bool {
	_, dup := Repeated(names)
	return !dup
}

// Repeated finds a uid listed more than once across pages, which breaks
// their disjointness (SUBLIST-PAGES) or, on one page, duplicates a
// subscription (SUB-RESUBSCRIBE).
func Repeated(pages ...[]string) (string, bool) {
	seen := map[string]bool{}
	for _, p := range pages {
		for _, u := range p {
			if seen[u] {
				return u, true
			}
			seen[u] = true
		}
	}
	return "", false
}

// PageFits reports whether a page of n entries keeps to its pageSize.
func PageFits(n, pageSize int) bool { return n <= pageSize }

// CodeRule names the rule that fixes an error code (docs/contract.md#d2),
// or "" for a code no rule fixes.
func CodeRule(code string) spec.RuleID {
	switch code {
	case "illegal_argument":
		return spec.RuleErrIllegalArgument
	case "json_parse":
		return spec.RuleErrJSONParse
	case "unauthorized":
		return spec.RuleAuth401Code
	}
	return ""
}

// NumberForms finds a number field not in the demanded form ("string" or
// "integer"): the fields docs/contract.md#d5 lets a server send either way.
// It returns the field's path and the form it came in, or "".
func NumberForms(body []byte, want string) (field, form string) {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return "", ""
	}
	return walkForms("body", v, want)
}

func walkForms(path string, v any, want string) (string, string) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			switch k {
			case "last_time", "expiry", "totalnum", "result":
				switch c.(type) {
				case string:
					if want == "integer" && k != "result" {
						return path + "." + k, "string"
					}
				case float64:
					if want == "string" {
						return path + "." + k, "number"
					}
				}
			}
			if f, t := walkForms(path+"."+k, c, want); f != "" {
				return f, t
			}
		}
	case []any:
		for i, c := range x {
			if f, t := walkForms(path+"["+strconv.Itoa(i)+"]", c, want); f != "" {
				return f, t
			}
		}
	}
	return "", ""
}
