package mock

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"sync"

	"github.com/presencekit/presencekit/internal/httpserve"
)

// Started is a mock that Start serves on a loopback port: the embedded
// mock of conform and load, and the mock of tests (mock/mocktest).
type Started struct {
	// Addr is the bound host:port; URL is "http://" + Addr.
	Addr, URL string
	// AdminToken is the token of the /_mock/ admin API: the Config's when
	// it set one, else a fresh random one, so an embedded mock's admin API
	// is not open to whoever knows a well-known token. It is a secret:
	// mask it in outputs.
	AdminToken string
	// Server is the running mock, for its clock and counts.
	Server *Server

	stop func() error
}

// Start builds a mock from cfg and serves it on a free loopback port
// (127.0.0.1:0) through the same serve helper as `presencekit mock` until
// ctx is done or Stop is called; call Stop in any case, it also ends the
// mock's background work. An empty cfg.AdminToken gets a random one
// (Started.AdminToken). Middleware, outermost first, wraps the mock's
// handler: tests count or observe the requests it serves. Configuration
// errors wrap ErrConfig; nothing is left running when Start fails.
func Start(ctx context.Context, cfg Config, middleware ...func(http.Handler) http.Handler) (*Started, error) {
	return start(ctx, "127.0.0.1:0", cfg, middleware)
}

// start is Start on addr (tests give one it cannot listen on).
func start(ctx context.Context, addr string, cfg Config, middleware []func(http.Handler) http.Handler) (*Started, error) {
	if cfg.AdminToken == "" {
		cfg.AdminToken = newAdminToken()
	}
	srv, err := New(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := Listen(addr)
	if err != nil {
		_ = srv.Close()
		return nil, err
	}
	var h http.Handler = srv
	for i := len(middleware) - 1; i >= 0; i-- {
		h = middleware[i](h)
	}
	ctx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.serve(ctx, ln, h, httpserve.Options{}) }()
	var once sync.Once
	var serveErr error
	addr = ln.Addr().String()
	return &Started{
		Addr: addr, URL: "http://" + addr, AdminToken: cfg.AdminToken, Server: srv,
		stop: func() error {
			once.Do(func() {
				cancel()
				serveErr = <-served
				_ = srv.Close()
			})
			return serveErr
		},
	}, nil
}

// Stop shuts the server down gracefully (requests in flight finish, up to
// DefaultShutdownTimeout), stops the mock's background work and returns
// what serving ended with (nil after a clean shutdown). It may be called
// more than once; later calls return the same.
func (s *Started) Stop() error { return s.stop() }

// newAdminToken is a random admin token (130 bits), one per Start.
func newAdminToken() string { return fmt.Sprintf("pk-admin-%s", rand.Text()) }
