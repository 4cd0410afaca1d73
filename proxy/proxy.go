// Package proxy is presencekit's validating reverse proxy. Put it between
// clients you do not control and a presence server: it forwards every
// exchange unchanged, validates the request and the answer against
// openapi.yaml, and checks the presence rules that one exchange can show
// (one subscribe entry per requested user, absolute expiries, limits
// accepted that the contract refuses, the error envelope). Violations go to
// Sinks (e.g. JSON lines) and to an in-memory report served at ReportPath.
//
// In ModeReport (the default) the client never waits for validation: the
// answer is forwarded as it streams and a copy is judged afterwards by a
// small pool of validator goroutines (see WithValidators and Flush). In
// ModeEnforce a violating request is answered 400 and never reaches the
// target, and a violating answer is replaced by a 502, both in the vendor's
// error envelope, so there every exchange is judged before it is answered;
// a request it cannot judge (a path servers may decode differently, a body
// over the buffer) is refused too, unless WithFailOpen.
//
// Requests are routed on their decoded path, as servers route them (see
// spec.Route), and the work spent on one is bounded before anything is
// decoded (spec.MaxJSONDepth, spec.MaxRequestBodyBytes, the header limit).
package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/presencekit/presencekit/internal/httpserve"
	"github.com/presencekit/presencekit/spec"
)

// Mode says what the proxy does about a violation.
type Mode string

// The modes of the proxy.
const (
	// ModeReport forwards everything and only records violations: safe in
	// front of production traffic.
	ModeReport Mode = "report"
	// ModeEnforce blocks violating requests (400) and replaces violating
	// answers (502): for CI and staging, where a violation should fail loudly.
	ModeEnforce Mode = "enforce"
)

// Defaults of the options.
const (
	// DefaultMaxBody is the largest body buffered for validation. The
	// contract's largest request (100 user names) is a few KiB and its
	// largest answer (a sublist page of 500) tens of KiB. A bigger request
	// body is not held: its URL is judged, and enforce mode refuses it
	// (413) unless WithFailOpen; a bigger answer streams through unchecked.
	DefaultMaxBody = 1 << 20
	// DefaultClockSkew is the tolerated difference between the target's
	// clock and the proxy's, for expiries and error timestamps.
	DefaultClockSkew = 5 * time.Second
	// DefaultRecent is how many of the latest violations the report keeps
	// verbatim.
	DefaultRecent = 100
	// ReportPath serves the aggregated report; the proxy answers it itself
	// and never forwards it.
	ReportPath = "/_proxy/report"
)

// Option configures a Proxy; options that can be wrong return an error.
type Option func(*config) error

type config struct {
	mode      Mode
	maxBody   int64
	skew      time.Duration
	sinks     []Sink
	transport http.RoundTripper
	wall      func() time.Time
	recent    int
	workers   int
	queue     int
	failOpen  bool
	maxHeader int
	timeouts  Timeouts
}

// WithMode sets report or enforce mode (default ModeReport).
func WithMode(m Mode) Option {
	return func(c *config) error {
		if m != ModeReport && m != ModeEnforce {
			return fmt.Errorf("proxy: mode %q: want %s or %s", m, ModeReport, ModeEnforce)
		}
		c.mode = m
		return nil
	}
}

// WithMaxBody sets the largest body buffered for validation (default
// DefaultMaxBody). A larger request body cannot be judged: enforce mode
// refuses it unless WithFailOpen, report mode forwards and records it; a
// larger answer is forwarded unchecked and counted.
func WithMaxBody(n int64) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("proxy: max body %d: must not be negative", n)
		}
		c.maxBody = n
		return nil
	}
}

// WithFailOpen makes enforce mode forward, unjudged but recorded, the
// requests it cannot judge (a body over the buffer or unreadable, a path
// servers may decode differently), which it otherwise refuses: 413 or 400
// in the envelope. Report mode always forwards them and records them.
func WithFailOpen() Option {
	return func(c *config) error {
		c.failOpen = true
		return nil
	}
}

// WithMaxHeaderBytes sets the largest request line and header block the
// proxy accepts (default httpserve.DefaultMaxHeaderBytes, the mock's).
// Larger is the client's fault: answered 431 by the proxy, never
// forwarded, so a target's own 431 is not mistaken for a violation.
func WithMaxHeaderBytes(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("proxy: max header bytes %d: must be positive", n)
		}
		c.maxHeader = n
		return nil
	}
}

// WithClockSkew sets the tolerance of the time checks (default
// DefaultClockSkew).
func WithClockSkew(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("proxy: clock skew %s: must not be negative", d)
		}
		c.skew = d
		return nil
	}
}

// WithSink adds a receiver of every violation (e.g. JSONLines).
func WithSink(s Sink) Option {
	return func(c *config) error {
		if s == nil {
			return errors.New("proxy: nil sink")
		}
		c.sinks = append(c.sinks, s)
		return nil
	}
}

// WithTransport replaces the transport to the target (default: a clone of
// http.DefaultTransport tuned for many keep-alive connections to one host,
// compression left to the client). A transport that adds Accept-Encoding
// changes what the target is asked.
// Close closes its idle connections only if it is an *http.Transport.
func WithTransport(rt http.RoundTripper) Option {
	return func(c *config) error {
		c.transport = rt
		return nil
	}
}

// WithClock replaces the wall clock (default time.Now), for tests.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		c.wall = now
		return nil
	}
}

// Proxy is the validating reverse proxy, an http.Handler. It is safe for
// concurrent use. In ModeReport it runs a pool of validator goroutines,
// which Close stops.
type Proxy struct {
	target *url.URL
	doc    *spec.Doc
	lim    spec.Limits
	cfg    config
	rp     *httputil.ReverseProxy
	clock  *serverClock
	rep    *report
	page   *template.Template
	stats  counters
	pool   *pool // ModeReport's validators; nil in ModeEnforce
}

// counters are the proxy's totals, updated without locks.
type counters struct {
	requests, unrouted, uncheckedReq, uncheckedResp, upstreamErrors, blocked atomic.Int64
	reqViolations, respViolations, uncheckedBusy, headerTooLarge             atomic.Int64
}

// New builds a proxy to target (scheme and host, optionally a path prefix)
// checking traffic against doc.
func New(target string, doc *spec.Doc, opts ...Option) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("proxy: target %q: %w", target, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("proxy: target %q: want http(s)://host[:port][/prefix]", target)
	}
	if doc == nil {
		return nil, errors.New("proxy: no spec")
	}
	cfg := config{mode: ModeReport, maxBody: DefaultMaxBody, skew: DefaultClockSkew, wall: time.Now, recent: DefaultRecent,
		workers: DefaultValidators(), queue: DefaultQueue, maxHeader: httpserve.DefaultMaxHeaderBytes}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.transport == nil {
		// It forwards Accept-Encoding as the client sent it: otherwise the
		// transport would ask a client's gzip-less request for gzip and
		// inflate the answer itself (TestNoAcceptEncodingAdded).
		cfg.transport = httpserve.ProxyTransport()
	}
	page, err := template.New("report").Funcs(pageFuncs()).Parse(reportPage)
	if err != nil {
		return nil, fmt.Errorf("proxy: report template: %w", err)
	}
	p := &Proxy{target: u, doc: doc, lim: doc.Limits(), cfg: cfg, page: page,
		clock: &serverClock{wall: cfg.wall}, rep: newReport(cfg.recent, cfg.wall(), doc.Rule)}
	p.rp = &httputil.ReverseProxy{
		Rewrite:        p.rewrite,
		Transport:      cfg.transport,
		ModifyResponse: p.modifyResponse,
		ErrorHandler:   p.upstreamError,
		BufferPool:     httpserve.NewBufferPool(),
	}
	if cfg.mode == ModeReport {
		p.pool = newPool(p, cfg.workers, cfg.queue, DefaultQueueBytes)
	}
	return p, nil
}

// Close stops the validators once the exchanges waiting for them are judged
// (up to DefaultDrainTimeout; any left then are counted as unchecked, and
// the error says so) and releases the idle connections to the target, so
// a stopped proxy loses no violation it could report and leaves no
// goroutine behind. Stop serving before calling it: exchanges forwarded
// after Close are counted as unchecked.
func (p *Proxy) Close() error {
	var err error
	if p.pool != nil {
		err = p.pool.close(DefaultDrainTimeout)
	}
	if t, ok := p.cfg.transport.(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
	return err
}

// Flush waits until every exchange forwarded so far has been judged and
// its violations recorded, or ctx is done. In ModeEnforce exchanges are
// judged before they are answered, and Flush returns at once. Tests and
// tools call it before reading Snapshot; under steady traffic it may wait
// for exchanges that arrived after the call too.
func (p *Proxy) Flush(ctx context.Context) error {
	if p.pool == nil {
		return nil
	}
	return p.pool.flush(ctx)
}

// rewrite points the outbound request at the target and changes nothing
// else: method, path, query, headers and body go as the client sent them
// (no X-Forwarded-* added; Host becomes the target's, as the target expects).
func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	out := pr.Out
	out.URL.Scheme = p.target.Scheme
	out.URL.Host = p.target.Host
	if prefix := strings.TrimRight(p.target.EscapedPath(), "/"); prefix != "" {
		out.URL.Path = strings.TrimRight(p.target.Path, "/") + pr.In.URL.Path
		out.URL.RawPath = prefix + pr.In.URL.EscapedPath()
	}
	out.Host = ""
	// httputil.ReverseProxy hides the body behind a wrapper net/http does
	// not know is in memory, so it would flush the headers first and send
	// the body in a second write (and TCP segment). A body the proxy holds
	// is handed over as the bytes.Reader it is: one write per request.
	if body, ok := p.bufferedBody(pr.In); ok && out.Body != nil {
		out.Body = io.NopCloser(bytes.NewReader(body))
	}
}

// bufferedBody is the request body the proxy read whole, if it did.
func (p *Proxy) bufferedBody(r *http.Request) ([]byte, bool) {
	switch v := r.Context().Value(exchangeKey{}).(type) {
	case *exchange:
		return v.body, v.checked
	}
	if j, ok := r.Context().Value(jobKey{}).(*job); ok {
		return j.reqBody, j.reqComplete
	}
	return nil, false
}

// ServeHTTP validates and forwards one exchange.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == ReportPath {
		p.serveReport(w, r)
		return
	}
	p.stats.requests.Add(1)
	if n := headerBytes(r); n > p.cfg.maxHeader {
		p.stats.headerTooLarge.Add(1)
		p.writeEnvelope(w, http.StatusRequestHeaderFieldsTooLarge, codeHeaderTooLarge, exceptionRequest, Violation{
			Reason: fmt.Sprintf("request line and headers of %d bytes, more than the %d accepted", n, p.cfg.maxHeader)})
		return
	}
	if p.pool != nil {
		p.forward(w, r)
		return
	}
	ex, refusal := p.checkRequest(r)
	if refusal != nil {
		p.record(refusal.v, p.cfg.wall())
		if !p.cfg.failOpen {
			p.stats.blocked.Add(1)
			p.writeEnvelope(w, refusal.status, refusal.code, exceptionUnjudged, refusal.v)
			return
		}
	}
	if ex == nil {
		p.stats.unrouted.Add(1)
		p.relay(w, r)
		return
	}
	if ex.reqViolation != nil {
		p.record(*ex.reqViolation, p.cfg.wall())
		if p.cfg.mode == ModeEnforce {
			p.stats.blocked.Add(1)
			status, code := refusalFor(ex.reqViolation.Rule)
			p.writeEnvelope(w, status, code, exceptionRequest, *ex.reqViolation)
			return
		}
	}
	p.relay(w, r.WithContext(context.WithValue(r.Context(), exchangeKey{}, ex)))
}

// relay hands r to the reverse proxy. For an answer the target sent
// without a Content-Type, net/http's server would sniff one from the body
// and add it, so the client would see a header the server never sent, and
// a missing Content-Type is something the proxy exists to show. A header
// preset to nil is net/http's documented way to stop that; the target's
// own values, when it sent some, are appended to it as before.
func (p *Proxy) relay(w http.ResponseWriter, r *http.Request) {
	w.Header()["Content-Type"] = nil
	p.rp.ServeHTTP(w, r)
}

// headerBytes is the size of the request line and header block as the
// client sent them (give or take the spacing), what a server's header
// limit counts.
func headerBytes(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4 + len("Host: \r\n") + len(r.Host) + 2
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// exchangeKey carries the request's findings to modifyResponse.
type exchangeKey struct{}

// record stamps a violation with the time of its exchange and hands it to
// the report and every sink.
func (p *Proxy) record(v Violation, at time.Time) {
	v.Time = at.UTC()
	if v.Direction == spec.Request {
		p.stats.reqViolations.Add(1)
	} else {
		p.stats.respViolations.Add(1)
	}
	p.rep.add(v)
	for _, s := range p.cfg.sinks {
		s(v)
	}
}

// upstreamError answers 502 in the envelope when the target cannot be
// reached (or its answer cannot be read).
func (p *Proxy) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	op := ""
	if ex, ok := r.Context().Value(exchangeKey{}).(*exchange); ok {
		op = ex.route.Operation
	}
	if j, ok := r.Context().Value(jobKey{}).(*job); ok {
		if rt, err := p.doc.Route(j.method, j.url.EscapedPath()); err == nil {
			op = rt.Operation
		}
		j.noResponse = true // the request is judged all the same
		p.submit(j)         // j belongs to the validators from here on
	}
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client left; nobody to answer
	}
	p.stats.upstreamErrors.Add(1)
	p.writeEnvelope(w, http.StatusBadGateway, codeUpstream, exceptionUpstream, Violation{
		Operation: op, Field: "target", Reason: fmt.Sprintf("target %s did not answer: %v", p.target.Host, unwrapURLError(err)),
	})
}

// unwrapURLError drops *url.Error's "METHOD URL:" prefix, which repeats the
// client's own request back to it.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
