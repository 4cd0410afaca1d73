// Package mocktest starts the mock for tests the way conform and load
// start their embedded mock (mock.Start: a loopback port, the serve helper
// of `presencekit mock`, a random admin token), stopped when the test ends.
package mocktest

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/spec"
)

// loadDoc parses the embedded spec once per test binary; the Doc is only
// read after.
var loadDoc = sync.OnceValues(spec.Load)

// Doc is the embedded spec (spec.Load), parsed once per test binary.
func Doc(tb testing.TB) *spec.Doc {
	tb.Helper()
	doc, err := loadDoc()
	if err != nil {
		tb.Fatalf("spec.Load: %v", err)
	}
	return doc
}

// Config is mock.ConfigFor the embedded spec, the configuration of the
// embedded mock, broken as breaks say.
func Config(tb testing.TB, breaks ...mock.Break) mock.Config {
	tb.Helper()
	return ConfigFor(Doc(tb), breaks...)
}

// ConfigFor is Config for doc (a profile's document), broken as breaks say.
func ConfigFor(doc *spec.Doc, breaks ...mock.Break) mock.Config {
	cfg := mock.ConfigFor(doc)
	cfg.Breaks = breaks
	return cfg
}

// Start serves cfg with mock.Start (middleware as there) until the test
// ends, and fails the test if it cannot start or did not stop cleanly.
func Start(tb testing.TB, cfg mock.Config, middleware ...func(http.Handler) http.Handler) *mock.Started {
	tb.Helper()
	m, err := mock.Start(context.Background(), cfg, middleware...)
	if err != nil {
		tb.Fatalf("mock.Start: %v", err)
	}
	tb.Cleanup(func() {
		if err := m.Stop(); err != nil {
			tb.Errorf("mock: %v", err)
		}
	})
	return m
}

// Counting is middleware for Start that counts the requests the mock
// receives, for tests comparing what a client sent with what was served.
func Counting(n *atomic.Uint64) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			h.ServeHTTP(w, r)
		})
	}
}
