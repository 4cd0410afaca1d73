package main

import (
	"strings"
	"testing"

	"github.com/presencekit/presencekit/spec"
)

// TestProxyBadListen: an address the proxy cannot listen on is bad usage
// (exit 2), not a failed check (it was 1).
func TestProxyBadListen(t *testing.T) {
	r := execute(t, "", "proxy", "--listen", "bogus", "--target", "http://127.0.0.1:1")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--listen bogus") {
		t.Errorf("want exit %d naming --listen:\n%s", exitUsage, r)
	}
}

// TestProxyHelp: the help gives examples, the exit codes and --fail-open.
func TestProxyHelp(t *testing.T) {
	r := execute(t, "", "proxy", "--help")
	for _, want := range []string{"Exit codes:", "2 bad usage", "--fail-open", "Examples:", "--mode enforce", string(spec.RuleProxyUnjudged)} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}
