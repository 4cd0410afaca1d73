package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/presencekit/presencekit/internal/httpserve"
)

// Timeouts of ListenAndServe's server: the mock's, so a client the mock
// would cut off is cut off by the proxy in front of it too. The write
// timeout leaves room for a slow target behind the proxy.
const (
	DefaultReadHeaderTimeout = httpserve.DefaultReadHeaderTimeout
	DefaultReadTimeout       = httpserve.DefaultReadTimeout
	DefaultWriteTimeout      = httpserve.DefaultWriteTimeout
	DefaultIdleTimeout       = httpserve.DefaultIdleTimeout
	DefaultShutdownTimeout   = httpserve.DefaultShutdownTimeout
)

// Timeouts bound how long one client may hold a connection of
// ListenAndServe and Serve; zero fields take the Default* values.
type Timeouts struct {
	// ReadHeader bounds reading the request line and headers, Read the
	// whole request (a body sent a byte at a time is cut off there), Write
	// the handling and answer, Idle a keep-alive connection between
	// requests.
	ReadHeader, Read, Write, Idle time.Duration
}

// WithTimeouts sets the server's timeouts (default: the Default* values).
func WithTimeouts(t Timeouts) Option {
	return func(c *config) error {
		if t.ReadHeader < 0 || t.Read < 0 || t.Write < 0 || t.Idle < 0 {
			return fmt.Errorf("proxy: timeouts %+v: must not be negative", t)
		}
		c.timeouts = t
		return nil
	}
}

// ErrListen wraps ListenAndServe's failure to listen (a bad or busy
// address), which a CLI reports as bad usage rather than a failed check.
var ErrListen = errors.New("cannot listen")

// ListenAndServe listens on addr, calls ready (if not nil) with the bound
// address — port 0 picks a free one, so the caller must be told — and
// serves until ctx is done, then shuts down gracefully: requests in flight
// finish (up to DefaultShutdownTimeout) and idle target connections close.
func (p *Proxy) ListenAndServe(ctx context.Context, addr string, ready func(addr string)) error {
	ln, err := httpserve.Listen(ctx, addr)
	if err != nil {
		_ = p.Close() // stop the validators New started
		return fmt.Errorf("proxy: %w: %w", ErrListen, err)
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	return p.Serve(ctx, ln)
}

// Serve is ListenAndServe on a listener the caller made; it closes ln.
// The server is the mock's (internal/httpserve): same timeouts, same
// header limit (WithMaxHeaderBytes).
func (p *Proxy) Serve(ctx context.Context, ln net.Listener) error {
	t := p.cfg.timeouts
	err := httpserve.Serve(ctx, ln, p, httpserve.Options{ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read,
		WriteTimeout: t.Write, IdleTimeout: t.Idle, MaxHeaderBytes: p.cfg.maxHeader})
	_ = p.Close() // a drain that timed out is counted in Stats.UncheckedBusy
	if err != nil {
		return fmt.Errorf("proxy: %w", err)
	}
	return nil
}
