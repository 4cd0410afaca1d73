package httpserve_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/presencekit/presencekit/internal/httpserve"
)

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := httpserve.Listen(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// TestShutdownFinishesInFlight: a request in flight when ctx ends is
// answered (its context is not cancelled), and Serve returns nil.
func TestShutdownFinishesInFlight(t *testing.T) {
	ln := listen(t)
	started, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		if r.Context().Err() != nil {
			http.Error(w, "cancelled", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "done")
	})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- httpserve.Serve(ctx, ln, h, httpserve.Options{}) }()
	answer := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String())
		if err != nil {
			answer <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answer <- string(b)
	}()
	<-started
	cancel()
	close(release)
	if got := <-answer; got != "done" {
		t.Errorf("in-flight request got %q, want done", got)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

// TestShutdownTimeoutCancels: a handler still running after the shutdown
// timeout has its context cancelled, and Serve says so.
func TestShutdownTimeoutCancels(t *testing.T) {
	ln := listen(t)
	started := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done() // only the helper can end this
	})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- httpserve.Serve(ctx, ln, h, httpserve.Options{ShutdownTimeout: 50 * time.Millisecond})
	}()
	go func() {
		if resp, err := http.Get("http://" + ln.Addr().String()); err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	cancel()
	if err := <-served; err == nil || !strings.Contains(err.Error(), "still running") {
		t.Errorf("Serve: %v, want the shutdown timeout named", err)
	}
}

// TestHeaderLimit: a request line and headers over MaxHeaderBytes (plus
// net/http's 4 KiB of slack) are answered 431 before any handler runs.
func TestHeaderLimit(t *testing.T) {
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_ = httpserve.Serve(ctx, ln, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), httpserve.Options{})
	}()
	req, _ := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String(), nil)
	req.Header.Set("X-Pad", strings.Repeat("p", httpserve.DefaultMaxHeaderBytes+5000))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("status %d, want 431", resp.StatusCode)
	}
}

// TestBufferPool: every buffer handed out is a whole copy buffer, a
// returned one included.
func TestBufferPool(t *testing.T) {
	p := httpserve.NewBufferPool()
	b := p.Get()
	if len(b) != httpserve.CopyBufferBytes {
		t.Fatalf("len %d, want %d", len(b), httpserve.CopyBufferBytes)
	}
	p.Put(b)
	if b := p.Get(); len(b) != httpserve.CopyBufferBytes {
		t.Fatalf("after Put: len %d, want %d", len(b), httpserve.CopyBufferBytes)
	}
}

// TestProxyTransport: the proxy's transport leaves compression to the
// client and keeps many idle connections to its one target.
func TestProxyTransport(t *testing.T) {
	tr := httpserve.ProxyTransport()
	if !tr.DisableCompression || tr.MaxIdleConnsPerHost < 1024 || tr.MaxIdleConns < tr.MaxIdleConnsPerHost {
		t.Errorf("DisableCompression %v, MaxIdleConns %d, MaxIdleConnsPerHost %d", tr.DisableCompression, tr.MaxIdleConns, tr.MaxIdleConnsPerHost)
	}
	if tr == httpserve.ProxyTransport() {
		t.Error("one transport shared between calls")
	}
}
