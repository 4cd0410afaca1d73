package proxy

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/presencekit/presencekit/spec"
)

// Rule IDs the proxy reports besides those of the catalogue (spec.Rules).
const (
	// RuleSchemaResponse is the catalogue's rule for answers that do not
	// match openapi.yaml (schema, content type, undeclared status).
	RuleSchemaResponse = spec.RuleSchemaResponse
	// RuleSchemaRequest marks a request that does not match openapi.yaml in
	// a way no catalogue rule names (a wrong shape rather than a limit). It
	// is not in the catalogue: the catalogue judges servers, and a bad
	// request is the client's doing.
	RuleSchemaRequest = spec.RuleSchemaRequest
	// RuleUnjudged marks a request the proxy could not judge: a path
	// servers may decode differently (spec.ErrAmbiguousPath), a body over
	// the buffer or unreadable. Enforce mode refuses it unless
	// WithFailOpen; report mode forwards it and records it under this rule.
	RuleUnjudged = spec.RuleProxyUnjudged
)

// Violation is one thing the proxy saw that the contract forbids. It names
// the exchange by method and path only: headers (the Authorization header
// above all) and bodies never leave the proxy, so the log can be shared.
type Violation struct {
	Time      time.Time      `json:"time"`
	Operation string         `json:"operation"`
	Rule      spec.RuleID    `json:"rule"`
	Direction spec.Direction `json:"direction"`
	Field     string         `json:"field"`
	Reason    string         `json:"reason"`
	Method    string         `json:"method"`
	Path      string         `json:"path"`
	// Status is the target's answer, 0 when the violation was found before
	// the request was sent.
	Status int `json:"status,omitempty"`
}

// String is the one-line form used in enforce mode's error_description.
func (v Violation) String() string {
	return fmt.Sprintf("%s %s %s: %s: %s", v.Rule, v.Operation, v.Direction, v.Field, v.Reason)
}

// Sink receives every violation as it is found, from many goroutines at
// once. A function type rather than an interface so a test can collect
// into a slice and the CLI can write JSON lines, with nothing to implement.
type Sink func(Violation)

// JSONLines returns a Sink writing one JSON object per violation to w, the
// format log shippers and jq read line by line. Writes are serialised; a
// write error is handed to onErr (nil: ignored) and does not stop the proxy,
// since losing a log line must never break the traffic it describes.
func JSONLines(w io.Writer, onErr func(error)) Sink {
	var mu sync.Mutex
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return func(v Violation) {
		mu.Lock()
		err := enc.Encode(v)
		mu.Unlock()
		if err != nil && onErr != nil {
			onErr(fmt.Errorf("proxy: write violation log: %w", err))
		}
	}
}
