package mock

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/presencekit/presencekit/internal/httpserve"
)

// Listen opens a TCP listener on addr; port 0 picks a free port, which the
// listener's Addr reports.
func Listen(addr string) (net.Listener, error) {
	ln, err := httpserve.Listen(context.Background(), addr)
	if err != nil {
		return nil, fmt.Errorf("mock: %w", err)
	}
	return ln, nil
}

// Serve serves the mock on ln until ctx is done, then shuts down
// gracefully (in-flight requests get DefaultShutdownTimeout) and returns
// nil. Any other serving error is returned. The timeouts and header limit
// are httpserve's, the same as the proxy's.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return s.ServeWith(ctx, ln, httpserve.Options{})
}

// ServeWith is Serve with other timeouts or header limit than the
// defaults (zero fields keep them), e.g. short ones in tests.
func (s *Server) ServeWith(ctx context.Context, ln net.Listener, o httpserve.Options) error {
	return s.serve(ctx, ln, s, o)
}

// serve serves h — the mock, or the mock behind a test's middleware
// (Start) — on ln through httpserve, the proxy's serve helper too.
func (s *Server) serve(ctx context.Context, ln net.Listener, h http.Handler, o httpserve.Options) error {
	s.log.Info("mock listening", "addr", ln.Addr().String(), "virtual_clock", s.cfg.VirtualClock, "breaks", s.cfg.Breaks)
	if err := httpserve.Serve(ctx, ln, h, o); err != nil {
		return fmt.Errorf("mock: %w", err)
	}
	s.log.Info("mock stopped")
	return nil
}

// ListenAndServe listens on addr, calls ready (if not nil) with the bound
// address — the CLI prints it; port 0 picks a free one — and serves until
// ctx is done.
func (s *Server) ListenAndServe(ctx context.Context, addr string, ready func(addr string)) error {
	ln, err := Listen(addr)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	return s.Serve(ctx, ln)
}

// Now returns the presence clock's reading (virtual or real).
func (s *Server) Now() time.Time { return s.clk.now() }

// Advance moves the virtual clock forward, as POST /_mock/clock does.
func (s *Server) Advance(d time.Duration) (time.Time, error) {
	t, err := s.clk.advance(d)
	if err != nil {
		return t, fmt.Errorf("mock: %w", err)
	}
	return t, nil
}

// Subscriptions returns how many subscriptions the store holds (expired
// ones not yet reclaimed included).
func (s *Server) Subscriptions() int64 { return s.st.subscriptions() }
