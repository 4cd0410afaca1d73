// Package httpserve is the one way presencekit's servers (the mock and the
// proxy) serve HTTP: the same timeouts and header limit, so a client the
// mock would cut off is cut off by the proxy in front of it too, and the
// same graceful shutdown. It also holds the reverse proxy's plumbing
// (its transport and copy buffers), so the bench's non-validating
// forwarder stands on exactly what the proxy stands on.
package httpserve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"sync"
	"time"
)

// Defaults of Options. Each bounds what one client can hold: a connection
// that sends its headers or body a byte at a time is closed once the
// deadline passes, whatever it sends.
const (
	// DefaultReadHeaderTimeout bounds reading the request line and headers.
	DefaultReadHeaderTimeout = 5 * time.Second
	// DefaultReadTimeout bounds reading a whole request, body included.
	DefaultReadTimeout = 30 * time.Second
	// DefaultWriteTimeout bounds handling and answering a request (a stall
	// fault of the mock, a slow target behind the proxy) from the end of
	// its headers.
	DefaultWriteTimeout = 2 * time.Minute
	// DefaultIdleTimeout bounds an idle keep-alive connection.
	DefaultIdleTimeout = 2 * time.Minute
	// DefaultShutdownTimeout bounds graceful shutdown: requests in flight
	// get this long to finish, then their context is cancelled.
	DefaultShutdownTimeout = 10 * time.Second
	// DefaultMaxHeaderBytes is the largest request line and header block;
	// net/http answers 431 beyond it (plus its own 4 KiB of slack).
	DefaultMaxHeaderBytes = 64 << 10
)

// Options are the server's limits. Zero fields take the Default* values.
type Options struct {
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout, ShutdownTimeout time.Duration
	MaxHeaderBytes                                                             int
}

func (o Options) withDefaults() Options {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&o.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	set(&o.ReadTimeout, DefaultReadTimeout)
	set(&o.WriteTimeout, DefaultWriteTimeout)
	set(&o.IdleTimeout, DefaultIdleTimeout)
	set(&o.ShutdownTimeout, DefaultShutdownTimeout)
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	return o
}

// Listen opens a TCP listener on addr; port 0 picks a free port, which the
// listener's Addr reports.
func Listen(ctx context.Context, addr string) (net.Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// Serve serves h on ln (and closes it) until ctx is done, then shuts down
// gracefully: no new connections, requests in flight finish within
// o.ShutdownTimeout, after which their context is cancelled and the
// connections closed. A request's context is not cancelled when ctx is
// done, only then, so an answer half-written is finished. It returns nil
// after a shutdown within the timeout.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, o Options) error {
	o = o.withDefaults()
	base, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: o.ReadHeaderTimeout,
		ReadTimeout:       o.ReadTimeout,
		WriteTimeout:      o.WriteTimeout,
		IdleTimeout:       o.IdleTimeout,
		MaxHeaderBytes:    o.MaxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return base },
		// OPTIONS * reaches the handler, which answers it in the
		// vendor's envelope instead of net/http's empty 200.
		DisableGeneralOptionsHandler: true,
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, stop := context.WithTimeout(base, o.ShutdownTimeout)
	defer stop()
	err := srv.Shutdown(sctx)
	if err != nil {
		cancel() // handlers still running are told to stop
		_ = srv.Close()
		err = fmt.Errorf("shutdown: requests still running after %s: %w", o.ShutdownTimeout, err)
	}
	if serr := <-done; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = fmt.Errorf("serve: %w", serr)
	}
	return err
}

// CopyBufferBytes is the size of the buffers NewBufferPool hands out:
// httputil.ReverseProxy's own copy buffer size.
const CopyBufferBytes = 32 << 10

// NewBufferPool is a pool of a reverse proxy's copy buffers: without it
// httputil.ReverseProxy allocates a fresh CopyBufferBytes buffer for every
// exchange, most of a proxy's garbage.
func NewBufferPool() httputil.BufferPool {
	return &bufferPool{p: sync.Pool{New: func() any { b := make([]byte, CopyBufferBytes); return &b }}}
}

type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte    { return *b.p.Get().(*[]byte) }
func (b *bufferPool) Put(buf []byte) { b.p.Put(&buf) }

// ProxyTransport is the transport a reverse proxy of presencekit forwards
// through: a clone of http.DefaultTransport that keeps up to 1024 idle
// keep-alive connections to its one target, and leaves compression to the
// client (DisableCompression), so a request without Accept-Encoding is
// forwarded without one and its answer is not inflated on the way.
func ProxyTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 1024
	t.MaxIdleConnsPerHost = 1024
	t.DisableCompression = true
	return t
}
