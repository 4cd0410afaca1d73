package main

import (
	"runtime/debug"
	"testing"

	"github.com/presencekit/presencekit/proxy"
)

// TestProxyGC: the proxy runs at proxy.DefaultGCPercent unless GOGC is
// set, and then leaves the user's value alone.
func TestProxyGC(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	if !tuneProxyGC(func(string) (string, bool) { return "", false }) {
		t.Error("GOGC unset: the target was not changed")
	}
	if got := debug.SetGCPercent(100); got != proxy.DefaultGCPercent {
		t.Errorf("GOGC unset: target %d, want %d", got, proxy.DefaultGCPercent)
	}
	if tuneProxyGC(func(k string) (string, bool) { return "50", k == "GOGC" }) {
		t.Error("GOGC=50: the target was changed")
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC=50: target %d, want it left at 100", got)
	}
}
