package client

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/presencekit/presencekit/spec"
)

// ErrorEnvelope is the vendor's error body, sent with every non-2xx status.
type ErrorEnvelope struct {
	// Error is the machine code, e.g. "illegal_argument" or "unauthorized".
	Error     string `json:"error"`
	Exception string `json:"exception"`
	// Timestamp is the server time in unix milliseconds.
	Timestamp Int64 `json:"timestamp"`
	Duration  Int64 `json:"duration"`
	// Description is the human text, e.g. "usernames is empty".
	Description string `json:"error_description"`
}

// APIError is returned by the typed methods when the server answers with a
// non-2xx status. It keeps the whole exchange so suites can check the
// envelope against the spec and reports can show what was sent.
type APIError struct {
	Status int
	// Envelope is the decoded error body; zero when the body was not one.
	Envelope ErrorEnvelope
	// EnvelopeErr says why the body could not be decoded as an envelope
	// (e.g. a proxy's HTML page); nil when it could.
	EnvelopeErr error
	Response    *Response
}

// Error describes the failure without headers, so the bearer token in
// Response.Request never reaches a log through it.
func (e *APIError) Error() string {
	where := ""
	if e.Response != nil && e.Response.Request != nil {
		where = e.Response.Request.Method + " " + e.Response.Request.URL.Path + ": "
	}
	head := fmt.Sprintf("%s%d %s", where, e.Status, http.StatusText(e.Status))
	switch {
	case e.Envelope.Error != "" || e.Envelope.Description != "":
		return fmt.Sprintf("presence API: %s: %s: %s", head, e.Envelope.Error, e.Envelope.Description)
	case e.Response != nil && len(e.Response.Body) > 0:
		return fmt.Sprintf("presence API: %s: %s", head, snippet(e.Response.Body))
	}
	return "presence API: " + head
}

// DecodeError is returned when a 2xx body does not decode into the typed
// result. The Response is kept (and also returned) because a body that
// breaks the client usually breaks the contract, and suites report it.
type DecodeError struct {
	// Op is the operation ID, e.g. "subscribePresence".
	Op       string
	Response *Response
	Err      error
}

// Error names the operation and the decoding failure.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("client: decode %s response (status %d): %v", e.Op, e.Response.Status, e.Err)
}

// Unwrap exposes the json error for errors.As.
func (e *DecodeError) Unwrap() error { return e.Err }

// Err returns an *APIError when the status is not 2xx, else nil. Do leaves
// statuses alone so raw tests can read them; this is how callers of Do get
// the same typed error the typed methods return.
func (r *Response) Err() error {
	if r.Status >= 200 && r.Status < 300 {
		return nil
	}
	e := &APIError{Status: r.Status, Response: r}
	if err := json.Unmarshal(r.Body, &e.Envelope); err != nil {
		e.Envelope = ErrorEnvelope{}
		e.EnvelopeErr = err
	}
	return e
}

// snippet shortens a body for an error message.
func snippet(b []byte) string {
	const max = 200
	if len(b) <= max {
		return string(b)
	}
	return string(b[:max]) + "…"
}

// ErrorCode is the "error" member of an error envelope: body must be one
// JSON object whose "error" is a string (the last one, if the key repeats,
// as encoding/json reads it); otherwise nil. It reads the body once with
// spec.JSONReader, building nothing: the load generator calls it for every
// 4xx it classifies, and throttling and preflight messages need the code
// even when the envelope's other members are malformed (a timestamp that
// is no number fails ErrorEnvelope's decoding, not this). The result is a
// slice of body, or of a buffer of its own when the code has escapes.
func ErrorCode(body []byte) []byte {
	var r spec.JSONReader
	r.Reset(body)
	var code []byte
	wrongType := false
	ok := r.Object(func(key []byte) bool {
		if string(key) != "error" {
			return r.Skip()
		}
		switch r.Kind() {
		case '"':
			s, ok := r.Str()
			code = s
			return ok
		case 'n': // null leaves the code as it was, as encoding/json does
		default:
			wrongType = true
		}
		return r.Skip()
	})
	if !ok || !r.End() || wrongType {
		return nil
	}
	return code
}
