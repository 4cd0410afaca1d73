package proxy

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/presencekit/presencekit/spec"
)

// mockClockPath is the presencekit mock's clock endpoint, whose answers
// tell the proxy the target's virtual time (see serverClock).
const mockClockPath = "/_mock/clock"

// modifyResponse validates the target's answer; in enforce mode it replaces
// a violating answer with a 502.
func (p *Proxy) modifyResponse(resp *http.Response) error {
	ex, _ := resp.Request.Context().Value(exchangeKey{}).(*exchange)
	if ex == nil {
		if resp.StatusCode == http.StatusOK && strings.HasSuffix(resp.Request.URL.Path, mockClockPath) {
			if body, ok := p.bufferResponse(resp); ok {
				p.clock.observe(body)
			}
		}
		return nil
	}
	body, ok := p.bufferResponse(resp)
	if !ok {
		p.stats.uncheckedResp.Add(1)
		return nil
	}
	vs := p.checkResponse(ex, resp, body)
	for _, v := range vs {
		p.record(v)
	}
	if len(vs) > 0 && p.cfg.mode == ModeEnforce {
		p.stats.blocked.Add(1)
		p.replace(resp, vs[0])
	}
	return nil
}

// bufferResponse reads the answer's body for validation if it fits, and
// puts it back so the client gets the same bytes. A gzip body is inflated
// for validation only. ok is false when the body could not be judged.
func (p *Proxy) bufferResponse(resp *http.Response) (body []byte, ok bool) {
	if resp.Body == nil || resp.Body == http.NoBody {
		return nil, true
	}
	if resp.ContentLength > p.cfg.maxBody {
		return nil, false
	}
	buf, rest, complete, err := bufferBody(resp.Body, p.cfg.maxBody)
	resp.Body = rest
	if err != nil || !complete {
		return nil, false
	}
	switch enc := strings.ToLower(resp.Header.Get("Content-Encoding")); enc {
	case "", "identity":
		return buf, true
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(buf))
		if err != nil {
			return nil, false
		}
		plain, err := io.ReadAll(io.LimitReader(zr, p.cfg.maxBody+1))
		if err != nil || int64(len(plain)) > p.cfg.maxBody {
			return nil, false
		}
		return plain, true
	}
	return nil, false
}

// replace turns resp into the proxy's 502 for violation v.
func (p *Proxy) replace(resp *http.Response, v Violation) {
	_ = resp.Body.Close()
	body := p.envelopeBody(codeResponse, exceptionResponse, v)
	resp.StatusCode = http.StatusBadGateway
	resp.Status = "502 Bad Gateway"
	resp.Header = http.Header{
		"Content-Type":   {"application/json"},
		"Content-Length": {strconv.Itoa(len(body))},
		HeaderViolation:  {v.Rule},
	}
	resp.ContentLength = int64(len(body))
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.Trailer = nil
}

// checkResponse judges one answer: first its schema (SCHEMA-RESPONSE,
// including undeclared statuses), then, if the schema holds, what the
// request and the answer together show about the presence rules.
func (p *Proxy) checkResponse(ex *exchange, resp *http.Response, body []byte) []Violation {
	j := &judge{p: p, ex: ex, status: resp.StatusCode}
	err := p.doc.ValidateResponseFor(resp.Request.Context(), ex.route, resp.StatusCode, resp.Header, body)
	if err != nil {
		v := j.violation(RuleSchemaResponse, "response", err.Error())
		var ve *spec.ValidationError
		if errors.As(err, &ve) {
			v.Field, v.Reason = ve.Field, ve.Reason
		}
		return []Violation{v}
	}
	if !ex.checked {
		return nil
	}
	j.body = body
	j.run()
	return j.found
}
