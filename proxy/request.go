package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/presencekit/presencekit/checks"
	"github.com/presencekit/presencekit/spec"
)

// exchange is what the proxy learnt from a request, kept for judging the
// answer: the route, the request's own violation, and the values the
// presence checks compare the answer with.
type exchange struct {
	route        *spec.Route
	method, path string
	checked      bool       // the request body fit the buffer and was validated
	body         []byte     // the request body, when checked
	reqViolation *Violation // the request broke the contract
	// limitRule is the catalogue rule whose limit the request is outside
	// (e.g. SUB-LIMIT-USERS), "" if none: a server that accepts such a
	// request breaks that rule.
	limitRule spec.RuleID
	badJSON   bool // the body is not JSON at all
	hasAuth   bool

	names     []string // subscribe/get usernames, unsubscribe users
	namesOK   bool
	bareArray bool // unsubscribe sent the bare-array form
	expiry    int64
	pageNum   int
	pageSize  int  // the effective page size (default applied)
	sizeGiven bool // pageSize was in the query
}

// checkRequest routes and validates r, leaving its body readable again.
// It returns a nil exchange for a request no operation matches however a
// server decodes its path (the mock's admin API, /healthz, a wrong
// method): those are forwarded unjudged. refusal is set for a request the
// proxy cannot judge: a path servers may decode differently, or a body it
// could not read whole; enforce mode refuses it unless WithFailOpen.
func (p *Proxy) checkRequest(r *http.Request) (ex *exchange, refusal *unjudged) {
	rt, err := p.doc.Route(r.Method, r.URL.EscapedPath())
	if err != nil {
		return nil, p.unjudgedPath(r, err)
	}
	if err := rt.CheckQuery(r.URL.RawQuery); err != nil {
		return nil, p.unjudgedQuery(r, rt, err)
	}
	ex = newExchange(rt, r)
	body, complete, err := p.bufferRequest(r)
	if err != nil || !complete {
		p.stats.uncheckedReq.Add(1)
		p.judgeParams(r.Context(), ex, r)
		if ex.reqViolation != nil {
			return ex, nil // refused for what the URL asks, body unread
		}
		return ex, p.unjudgedBody(ex, err)
	}
	p.judgeRequest(r.Context(), ex, r, body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if body == nil {
		r.Body = http.NoBody
	}
	return ex, nil
}

// unjudged is a request the proxy cannot judge and what enforce mode
// answers it.
type unjudged struct {
	v      Violation
	status int
	code   string
}

// unjudgedPath is the refusal for a path servers may route differently
// (see spec.ErrAmbiguousPath), nil for a plainly unrouted one.
func (p *Proxy) unjudgedPath(r *http.Request, err error) *unjudged {
	if !errors.Is(err, spec.ErrAmbiguousPath) && !errors.Is(err, spec.ErrUndecodablePath) {
		return nil
	}
	reason := spec.ErrAmbiguousPath.Error()
	if errors.Is(err, spec.ErrUndecodablePath) {
		reason = spec.ErrUndecodablePath.Error()
	}
	return &unjudged{status: http.StatusBadRequest, code: codeRequest, v: Violation{Rule: RuleUnjudged,
		Direction: spec.Request, Field: "path", Reason: reason, Method: r.Method, Path: clip(r.URL.EscapedPath())}}
}

// unjudgedQuery is the refusal for a query servers may read differently
// (see spec.ErrAmbiguousQuery).
func (p *Proxy) unjudgedQuery(r *http.Request, rt *spec.Route, err error) *unjudged {
	return &unjudged{status: http.StatusBadRequest, code: codeRequest, v: Violation{Rule: RuleUnjudged, Operation: rt.Operation,
		Direction: spec.Request, Field: "query", Reason: err.Error(), Method: r.Method, Path: clip(r.URL.EscapedPath())}}
}

// unjudgedBody is the refusal for a routed request whose body the proxy
// could not hold (over the buffer) or read.
func (p *Proxy) unjudgedBody(ex *exchange, err error) *unjudged {
	u := &unjudged{status: http.StatusRequestEntityTooLarge, code: codeTooLarge, v: Violation{Rule: RuleUnjudged,
		Operation: ex.route.Operation, Direction: spec.Request, Field: "body", Method: ex.method, Path: ex.path,
		Reason: fmt.Sprintf("body over the proxy's %d-byte buffer (--max-body): not judged", p.cfg.maxBody)}}
	if err != nil {
		u.status, u.code, u.v.Reason = http.StatusBadRequest, codeRequest, "body could not be read: not judged"
	}
	return u
}

// clip bounds a path quoted in a violation.
func clip(s string) string {
	const maxPath = 512
	if len(s) <= maxPath {
		return s
	}
	return s[:maxPath] + "…"
}

func newExchange(rt *spec.Route, r *http.Request) *exchange {
	return &exchange{route: rt, method: r.Method, path: clip(r.URL.EscapedPath()), hasAuth: r.Header.Get("Authorization") != ""}
}

// judgeRequest validates a request whose whole body is body, already
// routed to ex.route, and sets ex.reqViolation if it breaks the contract.
// It leaves r.Body consumed. The spec's bounds (depth, size) are checked
// before the proxy decodes anything itself.
func (p *Proxy) judgeRequest(ctx context.Context, ex *exchange, r *http.Request, body []byte) {
	rt := ex.route
	ex.checked, ex.body = true, body
	verr := p.doc.ValidateRequestFor(ctx, rt, r)
	switch {
	case errors.Is(verr, spec.ErrTooDeep):
		ex.badJSON = true
		p.requestViolation(ex, r, verr, spec.RuleErrJSONParse)
		return
	case errors.Is(verr, spec.ErrBodyTooLarge):
		p.requestViolation(ex, r, verr, spec.RuleErrBodyLimit)
		return
	}
	ex.parse(rt, body, r, p.lim, true)
	p.requestViolation(ex, r, verr, "")
}

// judgeParams judges what the URL of a request asks (path and query), for
// a request whose body the proxy does not hold.
func (p *Proxy) judgeParams(ctx context.Context, ex *exchange, r *http.Request) {
	ex.parse(ex.route, nil, r, p.lim, false)
	verr := p.doc.ValidateParamsFor(ctx, ex.route, r)
	if verr == nil && ex.limitRule != "" {
		verr = &spec.ValidationError{Operation: ex.route.Operation, Direction: spec.Request, Field: "path",
			Reason: "outside the limit of " + string(ex.limitRule)}
	}
	p.requestViolation(ex, r, verr, "")
}

// requestViolation sets ex.reqViolation for verr (nil: none), naming rule,
// or else the rule the request's shape points to.
func (p *Proxy) requestViolation(ex *exchange, r *http.Request, verr error, rule spec.RuleID) {
	if verr == nil {
		return
	}
	v := Violation{Operation: ex.route.Operation, Direction: spec.Request, Field: "request", Reason: verr.Error(),
		Method: r.Method, Path: ex.path, Rule: rule}
	var ve *spec.ValidationError
	if errors.As(verr, &ve) {
		v.Field, v.Reason = ve.Field, ve.Reason
	}
	switch {
	case v.Rule != "":
	case ex.limitRule != "":
		v.Rule = ex.limitRule
	case ex.badJSON:
		v.Rule = spec.RuleErrJSONParse
	case strings.Contains(v.Field, "Content-Type") || strings.Contains(v.Reason, "Content-Type") || strings.Contains(v.Reason, "content type"):
		v.Rule = spec.RuleErrMediaType
	default:
		v.Rule = RuleSchemaRequest
	}
	ex.reqViolation = &v
}

// bufferRequest reads the body if it fits in the buffer. When it does not,
// the body is put back as it was (the read part, then the rest) and
// complete is false: the body cannot be judged.
func (p *Proxy) bufferRequest(r *http.Request) (body []byte, complete bool, err error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, true, nil
	}
	if r.ContentLength > p.cfg.maxBody {
		return nil, false, nil
	}
	buf, rest, complete, err := bufferBody(r.Body, r.ContentLength, p.cfg.maxBody)
	r.Body = rest
	return buf, complete, err
}

// bufferBody reads up to limit bytes of rc. If rc ends within them, it is
// closed and rest replays the bytes. Otherwise rest replays the bytes read
// and then the remainder of rc, so nothing is lost either way. size is the
// declared length (-1 unknown): a body of known size is read into one
// buffer of that size plus the byte that proves the end, not grown from
// 512 bytes as io.ReadAll does.
func bufferBody(rc io.ReadCloser, size, limit int64) (buf []byte, rest io.ReadCloser, complete bool, err error) {
	if size >= 0 && size <= limit {
		buf = make([]byte, 0, size+1)
	}
	buf, err = readAllInto(buf, io.LimitReader(rc, limit+1))
	if err != nil || int64(len(buf)) > limit {
		return buf, readCloser{io.MultiReader(bytes.NewReader(buf), rc), rc}, false, err
	}
	_ = rc.Close()
	return buf, io.NopCloser(bytes.NewReader(buf)), true, nil
}

// readAllInto is io.ReadAll appending to buf.
func readAllInto(buf []byte, r io.Reader) ([]byte, error) {
	if buf == nil {
		return io.ReadAll(r)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

type readCloser struct {
	io.Reader
	io.Closer
}

// parse reads the values the presence checks need and decides which limit
// rule, if any, the request is outside. The limits are the spec's own, so
// the proxy follows an edited openapi.yaml like the suite and the mock.
// bodyKnown is false when the proxy does not hold the body: then only the
// path and query are judged.
func (ex *exchange) parse(rt *spec.Route, body []byte, r *http.Request, lim spec.Limits, bodyKnown bool) {
	key := ""
	switch rt.Operation {
	case spec.OpSubscribe, spec.OpGetStatus:
		key = "usernames"
	case spec.OpUnsubscribe:
		key = "users"
	case spec.OpSetStatus:
		key = "ext"
	}
	q := readRequest(body, key)
	ex.badJSON = q.bad
	// countable says the body is one whose user count the limits judge:
	// empty, an object with or without the list, or (unsubscribe) a bare
	// array. Any other shape is a schema problem, not a limit.
	countable := false
	users := func() {
		ex.bareArray = q.top == '[' && q.val == '['
		isList := q.val == '['
		countable = q.top == 0 || isList || (q.top == '{' && (q.val == 0 || q.val == 'n'))
		if !isList {
			return
		}
		ex.namesOK = true
		ex.names = append(ex.names, q.list...)
	}
	count := func() {
		if bodyKnown && !ex.badJSON && countable {
			ex.limitRule = checks.UsersRule(rt.Operation, len(ex.names), lim)
		}
	}
	switch rt.Operation {
	case spec.OpSetStatus:
		if q.top == '{' {
			ex.limitRule = checks.ExtRule(q.ext(), q.val != 0, lim)
		}
	case spec.OpSubscribe:
		users()
		ex.expiry, ex.limitRule = checks.ExpiryRule(rt.Params["expiry"], lim)
		if ex.limitRule == "" {
			count()
		}
	case spec.OpGetStatus:
		users()
		count()
	case spec.OpUnsubscribe:
		users()
		count()
	case spec.OpSublist:
		ex.parsePage(r, lim)
	case spec.OpGroupOnline:
		ex.limitRule = checks.QueryTypeRule(rt.Params["query_type"], lim)
	}
}

// parsePage reads sublist's pageNum and pageSize, defaults applied.
func (ex *exchange) parsePage(r *http.Request, lim spec.Limits) {
	q := r.URL.Query()
	ex.pageNum, ex.pageSize = lim.PageNumDefault, lim.PageSizeDefault
	if s, ok := q["pageNum"]; ok && len(s) > 0 {
		ex.pageNum, ex.limitRule = checks.PageNumRule(s[0], lim)
	}
	if s, ok := q["pageSize"]; ok && len(s) > 0 {
		ex.sizeGiven = true
		var rule spec.RuleID
		ex.pageSize, rule = checks.PageSizeRule(s[0], lim)
		if ex.limitRule == "" || rule == spec.RuleSublistNonInteger {
			ex.limitRule = rule
		}
	}
}
