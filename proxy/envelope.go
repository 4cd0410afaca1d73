package proxy

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/spec"
)

// Error codes and exception names of the proxy's own answers. They follow
// the vendor's envelope so clients parse them like any error of the API.
const (
	codeRequest       = "illegal_argument"
	exceptionRequest  = "presencekit.proxy.RequestViolation"
	codeResponse      = "bad_gateway"
	exceptionResponse = "presencekit.proxy.ResponseViolation"
	codeUpstream      = "bad_gateway"
	// The codes of the mock (and the vendor) for the same refusals.
	codeJSONParse      = "json_parse"
	codeTooLarge       = "request_entity_too_large"
	codeHeaderTooLarge = "request_header_fields_too_large"
	exceptionUnjudged  = "presencekit.proxy.Unjudged"
	exceptionUpstream  = "presencekit.proxy.TargetUnreachable"
	// HeaderViolation names the rule on every answer the proxy made up, so
	// a client can tell the proxy's 400/502 from the target's.
	HeaderViolation = "X-Presencekit-Violation"
)

// refusalFor is enforce mode's answer to a request violating rule: the
// status and code the contract gives that fault.
func refusalFor(rule spec.RuleID) (status int, code string) {
	switch rule {
	case spec.RuleErrJSONParse:
		return http.StatusBadRequest, codeJSONParse
	case spec.RuleErrBodyLimit:
		return http.StatusRequestEntityTooLarge, codeTooLarge
	}
	return http.StatusBadRequest, codeRequest
}

// envelopeBody encodes the envelope for v; the timestamp is the target's
// clock as far as the proxy knows it, so the proxy's answers pass the same
// timestamp checks as the target's.
func (p *Proxy) envelopeBody(code, exception string, v Violation) []byte {
	desc := v.Reason
	if v.Rule != "" {
		desc = v.String()
	}
	body, _ := json.Marshal(client.ErrorEnvelope{Error: code, Exception: exception,
		Timestamp: client.Int64{Value: p.clock.now().UnixMilli(), Form: client.FormNumber},
		Duration:  client.Int64{Form: client.FormNumber}, Description: desc})
	return body
}

func (p *Proxy) writeEnvelope(w http.ResponseWriter, status int, code, exception string, v Violation) {
	body := p.envelopeBody(code, exception, v)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if v.Rule != "" {
		h.Set(HeaderViolation, string(v.Rule))
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// serverClock is the target's clock as the proxy believes it: the wall
// clock, unless traffic shows the target runs the presencekit mock with a
// virtual clock (its /_mock/clock answers pass through the proxy), in
// which case the last reading it answered, since that clock stands still
// until moved. Without this, a suite that jumps the mock's clock 30 days
// would make every expiry look wrong.
type serverClock struct {
	wall    func() time.Time
	virtual atomic.Int64 // unix nanoseconds of the virtual clock; 0: real
}

func (c *serverClock) now() time.Time {
	if n := c.virtual.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return c.wall()
}

// observe reads a /_mock/clock answer: {"now":<unix s>,"virtual":bool}.
func (c *serverClock) observe(body []byte) {
	var a struct {
		Now     *int64 `json:"now"`
		Virtual bool   `json:"virtual"`
	}
	if json.Unmarshal(body, &a) != nil || a.Now == nil {
		return
	}
	if a.Virtual && *a.Now > 0 {
		c.virtual.Store(*a.Now * int64(time.Second))
		return
	}
	c.virtual.Store(0)
}
