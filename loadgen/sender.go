package loadgen

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/presencekit/presencekit/client"
)

// HTTP clients of the hot path. The benchmark BenchmarkSenders in this
// package decides the default; net/http stays for HTTP/2 and unusual TLS.
const (
	ClientFastHTTP = "fasthttp"
	ClientNetHTTP  = "net"
	// DefaultClient won BenchmarkSenders (see docs/load.md for figures).
	DefaultClient = ClientFastHTTP
	// maxResponseBytes caps a body read, as the typed client does.
	maxResponseBytes = 8 << 20
	userAgent        = "presencekit-load/1"
)

// exchange is one answer as the worker needs it. body is valid until the
// sender's next send.
type exchange struct {
	status      int
	body        []byte
	contentType string
}

// sender sends prepared requests over a shared keep-alive connection pool.
// Each worker has its own sender (request and response buffers); the pool
// behind them is shared.
type sender interface {
	// send sends r with auth as its Authorization header ("" for none).
	send(r *request, auth string, timeout time.Duration, ex *exchange) error
}

// senderPool makes the per-worker senders of one connection pool.
type senderPool interface {
	newSender() sender
	close()
}

type target struct {
	scheme, host string // host is host:port
	conns        int
	timeout      time.Duration
}

func parseTarget(raw string) (target, string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		// The value is shown masked: a target URL may carry a password.
		return target{}, "", bad("Target", strconv.Quote(client.NewRedactor().URL(raw)), "want http:// or https:// and a host")
	}
	host := u.Host
	if u.Port() == "" {
		if u.Scheme == "https" {
			host += ":443"
		} else {
			host += ":80"
		}
	}
	return target{scheme: u.Scheme, host: host}, u.EscapedPath(), nil
}

func newSenderPool(kind string, t target) (senderPool, error) {
	switch kind {
	case ClientFastHTTP, "":
		hc := &fasthttp.HostClient{
			Addr: t.host, IsTLS: t.scheme == "https", Name: userAgent,
			MaxConns: t.conns, MaxConnWaitTimeout: t.timeout,
			ReadTimeout: t.timeout, WriteTimeout: t.timeout,
			MaxIdleConnDuration: 90 * time.Second, MaxResponseBodySize: maxResponseBytes,
			DisablePathNormalizing: true, // the URI is escaped exactly as meant
		}
		return &fastPool{hc: hc, t: t}, nil
	case ClientNetHTTP:
		tr := &http.Transport{
			Proxy:               nil, // a load test measures the target, not a proxy
			DialContext:         (&net.Dialer{Timeout: t.timeout, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        t.conns,
			MaxIdleConnsPerHost: t.conns,
			MaxConnsPerHost:     t.conns,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
			ForceAttemptHTTP2:   t.scheme == "https",
			TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12},
		}
		return &netPool{hc: &http.Client{Transport: tr, Timeout: t.timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, t: t}, nil
	}
	return nil, fmt.Errorf("client %q: want %s or %s", kind, ClientFastHTTP, ClientNetHTTP)
}

type fastPool struct {
	hc *fasthttp.HostClient
	t  target
}

func (p *fastPool) newSender() sender { return &fastSender{hc: p.hc, t: p.t} }
func (p *fastPool) close()            { p.hc.CloseIdleConnections() }

type fastSender struct {
	hc   *fasthttp.HostClient
	t    target
	req  fasthttp.Request
	resp fasthttp.Response
}

func (s *fastSender) send(r *request, auth string, timeout time.Duration, ex *exchange) error {
	s.req.Reset()
	s.resp.Reset()
	s.req.Header.SetMethod(r.Method)
	s.req.SetRequestURIBytes(r.URI)
	s.req.Header.SetHost(s.t.host)
	s.req.Header.Set("Accept", "application/json")
	if auth != "" {
		s.req.Header.Set("Authorization", auth)
	}
	if r.JSON {
		s.req.Header.SetContentType("application/json")
	}
	if r.Body != nil {
		s.req.SetBodyRaw(r.Body)
	}
	err := s.hc.DoTimeout(&s.req, &s.resp, timeout)
	ex.status = s.resp.StatusCode()
	ex.body = s.resp.Body()
	ex.contentType = string(s.resp.Header.ContentType())
	if err != nil {
		ex.status = 0
	}
	return err
}

type netPool struct {
	hc *http.Client
	t  target
}

func (p *netPool) newSender() sender {
	return &netSender{hc: p.hc, base: p.t.scheme + "://" + p.t.host, t: p.t}
}
func (p *netPool) close() { p.hc.CloseIdleConnections() }

type netSender struct {
	hc   *http.Client
	base string
	t    target
	buf  bytes.Buffer
}

func (s *netSender) send(r *request, auth string, timeout time.Duration, ex *exchange) error {
	ex.status, ex.body, ex.contentType = 0, nil, ""
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.Method, s.base+string(r.URI), body)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header["Accept"] = []string{"application/json"}
	req.Header["User-Agent"] = []string{userAgent}
	if auth != "" {
		req.Header["Authorization"] = []string{auth}
	}
	if r.JSON {
		req.Header["Content-Type"] = []string{"application/json"}
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	s.buf.Reset()
	_, err = s.buf.ReadFrom(io.LimitReader(resp.Body, maxResponseBytes))
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	ex.status, ex.body, ex.contentType = resp.StatusCode, s.buf.Bytes(), resp.Header.Get("Content-Type")
	return nil
}

// Transport error kinds, as results.json and thresholds name them.
const (
	KindTimeout = "timeout"
	KindRefused = "refused"
	KindReset   = "reset"
	KindOther   = "other"
	Kind429     = "429"
)

// classify names a transport error's kind.
func classify(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, fasthttp.ErrDialTimeout),
		errors.As(err, &ne) && ne.Timeout():
		return KindTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return KindRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, fasthttp.ErrConnectionClosed):
		return KindReset
	}
	return KindOther
}

// maxKindCode is the longest error code statusKind names a kind after.
const maxKindCode = 64

// statusKind names a non-2xx answer's kind: "429", "4xx:<error code>" from
// the vendor's envelope (client.ErrorCode), or "5xx:<status>". cache
// interns the strings so the hot path does not allocate per error; a code
// longer than maxKindCode counts as none, so a server inventing codes
// cannot grow it by much.
func statusKind(status int, body []byte, cache map[string]string) string {
	switch {
	case status >= 200 && status < 300:
		return ""
	case status == http.StatusTooManyRequests:
		return Kind429
	case status >= 400 && status < 500:
		code := client.ErrorCode(body)
		if len(code) == 0 || len(code) > maxKindCode {
			return "4xx:" + strconv.Itoa(status)
		}
		if k, ok := cache[string(code)]; ok { // no allocation for the lookup
			return k
		}
		k := "4xx:" + string(code)
		cache[string(code)] = k
		return k
	}
	return "5xx:" + strconv.Itoa(status) // rare; strconv of a small int is cheap
}
