// Package benchforward is a reverse proxy that validates nothing, for
// bench/prism.sh. Measured beside presencekit proxy under the same load,
// it splits the proxy's CPU per exchange into what forwarding alone costs
// on an HTTP stack and what judging the exchange adds, and shows what
// another stack would save: on net/http it is the floor presencekit proxy
// stands on (the same reverse proxy and transport settings); on fasthttp,
// the floor of a proxy built on that stack.
package benchforward

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"

	"github.com/valyala/fasthttp"

	"github.com/presencekit/presencekit/internal/httpserve"
)

// Engine names the HTTP stack a forwarder runs on.
type Engine string

// The engines.
const (
	// NetHTTP is httputil.ReverseProxy as presencekit proxy sets it up:
	// served by httpserve, forwarding through httpserve.ProxyTransport,
	// copy buffers from httpserve.NewBufferPool, no X-Forwarded-* added.
	NetHTTP Engine = "net/http"
	// FastHTTP is fasthttp's server forwarding through a fasthttp.HostClient.
	FastHTTP Engine = "fasthttp"
)

// Serve forwards every request arriving on ln to target (host:port) on
// engine e, unchanged but for the connection-level headers each stack
// manages, until ctx is done. Both engines serve with presencekit's
// server timeouts (internal/httpserve), the net/http one through
// httpserve itself, as presencekit proxy does.
func Serve(ctx context.Context, ln net.Listener, target string, e Engine) error {
	if _, _, err := net.SplitHostPort(target); err != nil {
		return fmt.Errorf("benchforward: target %q: want host:port: %w", target, err)
	}
	switch e {
	case NetHTTP:
		t := httpserve.ProxyTransport()
		defer t.CloseIdleConnections()
		to := &url.URL{Scheme: "http", Host: target}
		rp := &httputil.ReverseProxy{
			Rewrite:    func(pr *httputil.ProxyRequest) { pr.SetURL(to); holdBody(pr) },
			Transport:  t,
			BufferPool: httpserve.NewBufferPool(),
		}
		if err := httpserve.Serve(ctx, ln, rp, httpserve.Options{}); err != nil {
			return fmt.Errorf("benchforward: %w", err)
		}
		return nil
	case FastHTTP:
		return serveFast(ctx, ln, target)
	}
	return fmt.Errorf("benchforward: engine %q: want %s or %s", e, NetHTTP, FastHTTP)
}

// maxHeld is the largest request body holdBody reads ahead: presencekit
// proxy's default buffer (proxy.DefaultMaxBody).
const maxHeld = 1 << 20

// holdBody reads a request body of known, small size ahead and hands it
// to the transport as the in-memory reader it then is, as presencekit
// proxy hands over the body it read to judge: net/http then sends headers
// and body in one write instead of two, which on loopback costs as much as
// a good part of the judging, so a floor without it would not be one.
func holdBody(pr *httputil.ProxyRequest) {
	n := pr.In.ContentLength
	if n <= 0 || n > maxHeld || pr.Out.Body == nil {
		return
	}
	b := make([]byte, n)
	k, err := io.ReadFull(pr.Out.Body, b)
	if err != nil { // forward what was read and let the rest fail as it will
		pr.Out.Body = io.NopCloser(io.MultiReader(bytes.NewReader(b[:k]), pr.Out.Body))
		return
	}
	pr.Out.Body = io.NopCloser(bytes.NewReader(b))
}

// serveFast is Serve on fasthttp.
func serveFast(ctx context.Context, ln net.Listener, target string) error {
	c := &fasthttp.HostClient{Addr: target, MaxConns: 1024, DisableHeaderNamesNormalizing: true, NoDefaultUserAgentHeader: true}
	defer c.CloseIdleConnections()
	fs := &fasthttp.Server{
		Handler: func(rc *fasthttp.RequestCtx) {
			if err := c.Do(&rc.Request, &rc.Response); err != nil {
				rc.Error("benchforward: "+err.Error(), http.StatusBadGateway)
			}
		},
		DisableHeaderNamesNormalizing: true,
		NoDefaultServerHeader:         true,
		ReadTimeout:                   httpserve.DefaultReadTimeout,
		WriteTimeout:                  httpserve.DefaultWriteTimeout,
		IdleTimeout:                   httpserve.DefaultIdleTimeout,
	}
	errc := make(chan error, 1)
	go func() { errc <- fs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("benchforward: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), httpserve.DefaultShutdownTimeout)
	defer cancel()
	if err := fs.ShutdownWithContext(sctx); err != nil {
		return fmt.Errorf("benchforward: shutdown: %w", err)
	}
	return nil
}
