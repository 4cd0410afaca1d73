package spec

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Bounds on the work one request may cost. They are checked on the raw
// bytes before anything is decoded or validated: a validator's cost (and
// the size of its error messages) can grow with the square of the nesting
// depth, so a 20 KB body of nested arrays once cost gigabytes. Every value
// is far above what a request of the contract needs (its deepest body has
// two levels, its longest name is tens of bytes) and equal to what the
// presencekit mock enforces, so the proxy and the mock refuse the same
// requests.
const (
	// MaxJSONDepth is the deepest nesting of arrays and objects accepted in
	// a body; deeper is answered 400 json_parse.
	MaxJSONDepth = 64
	// MaxRequestBodyBytes is the largest request body accepted; larger is
	// answered 413.
	MaxRequestBodyBytes = 64 << 10
	// MaxParamBytes is the longest path or query parameter value (a user
	// name, a group ID, an expiry) accepted; longer is answered 400.
	MaxParamBytes = 1 << 10
	// maxReasonBytes caps a ValidationError's Reason: an error text must
	// never grow with the input it describes.
	maxReasonBytes = 512
)

// Errors a ValidationError wraps when a request exceeds the bounds above,
// so callers pick the answer with errors.Is.
var (
	// ErrTooDeep: a body nested deeper than MaxJSONDepth (400 json_parse).
	ErrTooDeep = errors.New("JSON nested too deep")
	// ErrBodyTooLarge: a request body over MaxRequestBodyBytes (413).
	ErrBodyTooLarge = errors.New("body too large")
	// ErrParamTooLong: a path or query value over MaxParamBytes (400).
	ErrParamTooLong = errors.New("parameter too long")
)

// CheckJSONDepth reports ErrTooDeep when body nests arrays and objects
// deeper than max. It reads the raw bytes once, allocates nothing and
// ignores brackets inside strings; it does not otherwise check the syntax
// (the decoder that runs next does).
func CheckJSONDepth(body []byte, max int) error {
	depth, inString, escaped := 0, false, false
	for i, c := range body {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			if depth > max {
				return fmt.Errorf("%w: more than %d levels at offset %d", ErrTooDeep, max, i)
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return nil
}

// capText bounds an error text to maxReasonBytes, cutting at a rune
// boundary and saying how much was left out.
func capText(s string) string {
	if len(s) <= maxReasonBytes {
		return s
	}
	cut := maxReasonBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes more)", s[:cut], len(s)-cut)
}
