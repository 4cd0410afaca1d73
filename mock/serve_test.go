package mock_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/presencekit/presencekit/internal/httpserve"
	"github.com/presencekit/presencekit/internal/httpserve/httpservetest"
	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/spec"
)

// TestSlowBodyCutOff: a client sending its body a byte at a time is cut
// off at the read timeout, by the same serve helper as the proxy's.
func TestSlowBodyCutOff(t *testing.T) {
	doc, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := mock.New(mock.DefaultConfig(doc.Limits()))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- srv.ServeWith(ctx, ln, httpserve.Options{ReadHeaderTimeout: 200 * time.Millisecond, ReadTimeout: 300 * time.Millisecond})
	}()
	if err := httpservetest.HoldsSlowBody(ln.Addr().String(), "/org/app/users/u/presence", 50*time.Millisecond, 20*time.Second); err != nil {
		t.Error(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
}
