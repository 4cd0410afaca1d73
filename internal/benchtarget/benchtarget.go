// Package benchtarget is a bare net/http server for benchmarking load
// generators: it answers every request with a small fixed JSON body, so
// the CPU a load generator spends per request can be compared across tools
// against the same, cheapest possible target.
package benchtarget

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Body is the answer to every request: the size of a typical presence
// acknowledgement.
const Body = `{"result":"ok"}`

// Handler drains the request body and answers Body with status 200.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = []string{"15"}
		_, _ = io.WriteString(w, Body)
	})
}

// Serve serves Handler on ln until ctx is done.
func Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("benchtarget: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("benchtarget: shutdown: %w", err)
	}
	return nil
}

// Main is the body of the bench's server commands: it listens on addr,
// prints the bound address on stdout (the bench scripts read it from the
// first line), and runs serve on the listener until SIGINT or SIGTERM, or
// until life has passed, whatever happens, so a forgotten server stops
// by itself.
func Main(addr string, life time.Duration, serve func(context.Context, net.Listener) error) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, life)
	defer cancel()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	fmt.Println(ln.Addr().String())
	return serve(ctx, ln)
}
