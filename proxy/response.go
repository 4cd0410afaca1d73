package proxy

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/presencekit/presencekit/spec"
)

// mockClockPath is the presencekit mock's clock endpoint, whose answers
// tell the proxy the target's virtual time (see serverClock).
const mockClockPath = "/_mock/clock"

// modifyResponse validates the target's answer (in ModeReport: arranges
// for a copy to be validated); in enforce mode it replaces a violating
// answer with a 502.
func (p *Proxy) modifyResponse(resp *http.Response) error {
	if j, ok := resp.Request.Context().Value(jobKey{}).(*job); ok {
		p.tee(resp, j)
		return nil
	}
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
	at := p.cfg.wall()
	vs := p.checkResponse(ex, resp.StatusCode, resp.Header, body, p.clock.now())
	for _, v := range vs {
		p.record(v, at)
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
	buf, rest, complete, err := bufferBody(resp.Body, resp.ContentLength, p.cfg.maxBody)
	resp.Body = rest
	if err != nil || !complete {
		return nil, false
	}
	return p.decode(resp.Header.Get("Content-Encoding"), buf)
}

// decode undoes the answer's Content-Encoding for validation: none and
// gzip are understood, ok is false for any other.
func (p *Proxy) decode(encoding string, buf []byte) (plain []byte, ok bool) {
	switch strings.ToLower(encoding) {
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
		HeaderViolation:  {string(v.Rule)},
	}
	resp.ContentLength = int64(len(body))
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.Trailer = nil
}

// checkResponse judges one answer: first its schema (SCHEMA-RESPONSE,
// including undeclared statuses), then, if the schema holds, what the
// request and the answer together show about the presence rules. now is
// the target's time when it answered.
func (p *Proxy) checkResponse(ex *exchange, status int, header http.Header, body []byte, now time.Time) []Violation {
	j := &judge{p: p, ex: ex, status: status, now: now}
	err := p.doc.ValidateResponseFor(context.Background(), ex.route, status, header, body)
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
