package proxy

import (
	"bytes"
	"sync"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/spec"
)

// The presence checks read a few values of each body: the request's user
// list or ext, the answer's entries, totalnum and result. The schema check
// has already scanned the bytes with the compiled validator (which builds
// no values); these readers pick the values out in one more pass with the
// same scanner (spec.JSONReader), instead of decoding the whole body with
// encoding/json, which cost more than everything else the proxy does for
// an exchange. They read exactly what the json.Unmarshal calls they
// replace read (FuzzAnswerReader and FuzzRequestReader hold them to it):
// keys of the answer match case-insensitively, as encoding/json matches
// struct fields; a value of the wrong type makes the whole body unread.

// readers recycles the scanner's scratch buffer across exchanges.
var readers = sync.Pool{New: func() any { return new(spec.JSONReader) }}

// entry is the part of a subscribe, get or sublist entry the checks read.
type entry struct {
	UID      string
	expiry   int64
	expiryOK bool // expiry is a number (or a string of digits), see checks.Number
}

// answer is what the checks read of a 2xx answer: result as a string (set
// status), as entries (subscribe, get), or as a sublist page.
type answer struct {
	result   string
	entries  []entry
	totalnum int64
	totalOK  bool
}

// The keys the checks read.
var (
	keyResult   = []byte("result")
	keyUID      = []byte("uid")
	keyExpiry   = []byte("expiry")
	keyTotalnum = []byte("totalnum")
	keySublist  = []byte("sublist")
)

// Shapes of answer.
const (
	shapeString  = iota // {"result": string}
	shapeEntries        // {"result": [entry]}
	shapeSublist        // {"result": {"totalnum": n, "sublist": [entry]}}
)

// readAnswer reads body in the given shape. ok is false when json.Unmarshal
// into the matching struct would fail: not JSON, or a value of another type.
func readAnswer(body []byte, shape int) (a answer, ok bool) {
	r := readers.Get().(*spec.JSONReader)
	defer readers.Put(r)
	r.Reset(body)
	ok = readStruct(r, func(key []byte) bool {
		if !bytes.EqualFold(key, keyResult) {
			return r.Skip()
		}
		switch shape {
		case shapeString:
			return readString(r, &a.result)
		case shapeEntries:
			return readEntries(r, &a.entries)
		}
		return readStruct(r, func(key []byte) bool {
			switch {
			case bytes.EqualFold(key, keyTotalnum):
				var ok bool
				a.totalnum, a.totalOK, ok = readNumber(r)
				return ok
			case bytes.EqualFold(key, keySublist):
				return readEntries(r, &a.entries)
			}
			return r.Skip()
		})
	}) && r.End()
	return a, ok
}

// readStruct reads an object into a struct: null leaves it as it is.
func readStruct(r *spec.JSONReader, member func(key []byte) bool) bool {
	switch r.Kind() {
	case 'n':
		return r.Skip()
	case '{':
		return r.Object(member)
	}
	return false
}

// readString reads a string field: null leaves it as it is.
func readString(r *spec.JSONReader, dst *string) bool {
	switch r.Kind() {
	case 'n':
		return r.Skip()
	case '"':
		s, ok := r.Str()
		*dst = string(s)
		return ok
	}
	return false
}

// readEntries reads a list of entries: null makes it nil.
func readEntries(r *spec.JSONReader, dst *[]entry) bool {
	switch r.Kind() {
	case 'n':
		*dst = nil
		return r.Skip()
	case '[':
	default:
		return false
	}
	// A repeated key decodes into the entries already read, as
	// json.Unmarshal does: each element is read over its predecessor.
	prev := *dst
	list := prev[:0]
	ok := r.Array(func() bool {
		var e entry
		if i := len(list); i < len(prev) {
			e = prev[i]
		}
		ok := readStruct(r, func(key []byte) bool {
			switch {
			case bytes.EqualFold(key, keyUID):
				return readString(r, &e.UID)
			case bytes.EqualFold(key, keyExpiry):
				var ok bool
				e.expiry, e.expiryOK, ok = readNumber(r)
				return ok
			}
			return r.Skip()
		})
		list = append(list, e)
		return ok
	})
	*dst = list
	return ok
}

// readNumber reads any value as checks.Number judges it: a JSON integer or
// a string of decimal digits is a number, anything else is not (read is
// false only when the body is not JSON).
func readNumber(r *spec.JSONReader) (n int64, isNum, read bool) {
	switch r.Kind() {
	case '0':
		text, ok := r.Num()
		n, isNum = client.ParseDecimal(text)
		return n, isNum, ok
	case '"':
		s, ok := r.Str()
		n, isNum = client.ParseDecimal(s)
		return n, isNum, ok
	}
	return 0, false, r.Skip()
}

// request is what parse reads of a request body, as json.Unmarshal into
// any would have it: the top-level value's kind, and the one key it looks
// at (the user list, or ext).
type request struct {
	bad  bool // not JSON, or a number beyond float64 (json.Unmarshal fails)
	top  byte // the top-level value's kind (spec.JSONReader.Kind); 0 for none or not JSON
	val  byte // the key's value's kind; 0 when absent, 'n' for null (or a number beyond float64)
	list []string
	text string // the key's value, when a string
}

// ext is the key's value as checks.ExtRule reads it: nil for none or
// null, the string, or some other non-nil value.
func (q *request) ext() any {
	switch q.val {
	case 0, 'n':
		return nil
	case '"':
		return q.text
	}
	return q.val
}

// readRequest reads body as parse needs it. key is the member of a
// top-level object to read ("" for none); a top-level array is read as the
// list when key is "users" (unsubscribe's bare-array form).
func readRequest(body []byte, key string) request {
	var q request
	if len(bytes.TrimSpace(body)) == 0 {
		return q
	}
	ok, syntaxOK := spec.WellFormed(body)
	q.bad = !ok
	if !syntaxOK {
		return q // json.Unmarshal decodes nothing
	}
	r := readers.Get().(*spec.JSONReader)
	defer readers.Put(r)
	r.Reset(body)
	switch q.top = r.Kind(); q.top {
	case '{':
		r.Object(func(k []byte) bool {
			if key == "" || string(k) != key {
				return r.Skip()
			}
			q.list = q.list[:0]
			return q.value(r)
		})
	case '[':
		if key == "users" {
			q.val = '['
			q.list = readNames(r, q.list[:0])
		}
	case 'n':
		q.top = 0 // null decodes to a nil any
	}
	return q
}

// value reads the key's value into q.
func (q *request) value(r *spec.JSONReader) bool {
	switch q.val = r.Kind(); q.val {
	case '[':
		q.list = readNames(r, q.list)
		return true
	case '"':
		s, ok := r.Str()
		q.text = string(s)
		return ok
	case '0':
		text, ok := r.Num()
		if _, fits := spec.JSONNumber(text); !fits {
			q.val = 'n' // json.Unmarshal leaves it nil
		}
		return ok
	}
	return r.Skip()
}

// readNames reads an array of user names; an element that is not a string
// reads as "".
func readNames(r *spec.JSONReader, names []string) []string {
	r.Array(func() bool {
		if r.Kind() != '"' {
			names = append(names, "")
			return r.Skip()
		}
		s, ok := r.Str()
		names = append(names, string(s))
		return ok
	})
	return names
}

// envelope is what the checks read of an error answer.
type envelope struct {
	code      string // "error"
	timestamp int64
}

// The error envelope's keys (client.ErrorEnvelope).
var (
	keyError       = []byte("error")
	keyException   = []byte("exception")
	keyTimestamp   = []byte("timestamp")
	keyDuration    = []byte("duration")
	keyDescription = []byte("error_description")
)

// readEnvelope is checks.Envelope for the proxy: ok is false exactly when
// checks.Envelope returns an error (not an envelope, or no error code,
// error_description or timestamp).
func readEnvelope(body []byte) (env envelope, ok bool) {
	r := readers.Get().(*spec.JSONReader)
	defer readers.Put(r)
	r.Reset(body)
	var described, stamped bool
	read := readStruct(r, func(key []byte) bool {
		switch {
		case string(key) == string(keyDescription) || bytes.EqualFold(key, keyDescription):
			described = described || string(key) == string(keyDescription)
			var s string
			return readString(r, &s)
		case bytes.EqualFold(key, keyError):
			return readString(r, &env.code)
		case bytes.EqualFold(key, keyException):
			var s string
			return readString(r, &s)
		case bytes.EqualFold(key, keyTimestamp):
			n, form, ok := readInt64(r)
			if form != formNone {
				env.timestamp, stamped = n, form == formSet
			}
			return ok
		case bytes.EqualFold(key, keyDuration):
			_, _, ok := readInt64(r)
			return ok
		}
		return r.Skip()
	}) && r.End()
	return env, read && env.code != "" && described && stamped
}

// Forms of a client.Int64 field after a value.
const (
	formNone = iota // not read
	formNull        // null
	formSet         // a number or a string of digits
)

// readInt64 reads a value into a client.Int64 field: null, an integer or a
// string of decimal digits; ok is false for anything else, which makes
// json.Unmarshal fail.
func readInt64(r *spec.JSONReader) (n int64, form int, ok bool) {
	switch r.Kind() {
	case 'n':
		return 0, formNull, r.Skip()
	case '0':
		text, read := r.Num()
		n, ok = client.ParseDecimal(text)
		return n, formSet, read && ok
	case '"':
		s, read := r.Str()
		n, ok = client.ParseDecimal(s)
		return n, formSet, read && ok
	}
	return 0, formNone, false
}
