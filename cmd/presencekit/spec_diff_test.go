package main

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"
)

func TestSpecDiffExitCodes(t *testing.T) {
	tight := specCopy(t, "enum: [0, 1]", "enum: [1]")
	cases := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"same spec", "", []string{"embedded", "embedded"}, exitOK, "0 breaking, 0 non-breaking"},
		{"tightened", "", []string{"embedded", tight}, exitFail, "BREAKING"},
		{"loosened", "", []string{tight, "embedded"}, exitOK, "request enum value 0 added"},
		{"unreadable", "", []string{"embedded", "/nonexistent.yaml"}, exitUsage, ""},
		{"not a spec", "not: [an, openapi", []string{"-", "embedded"}, exitUsage, ""},
		{"two stdins", "", []string{"-", "-"}, exitUsage, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := execute(t, c.stdin, append([]string{"spec", "diff"}, c.args...)...)
			if r.code != c.code || !strings.Contains(r.stdout, c.want) {
				t.Errorf("want exit %d and %q:\n%s", c.code, c.want, r)
			}
		})
	}
	r := execute(t, "", "spec", "diff", "--json", "embedded", tight)
	var rep diffReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Breaking != 1 || len(rep.Changes) != 1 || rep.Changes[0].Location == "" {
		t.Errorf("--json: %v\n%s", err, r)
	}
}

func TestProxyCommand(t *testing.T) {
	if r := execute(t, "", "proxy"); r.code != exitUsage || !strings.Contains(r.stderr, "--target") {
		t.Errorf("proxy without --target:\n%s", r)
	}
	if r := execute(t, "", "proxy", "--target", "http://127.0.0.1:1", "--mode", "loud"); r.code != exitUsage {
		t.Errorf("proxy --mode loud:\n%s", r)
	}
	// A proxy whose context ends shuts down cleanly and says what it saw.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var out, errOut strings.Builder
	code := run(ctx, []string{"proxy", "--listen", addr, "--target", "http://127.0.0.1:1"}, strings.NewReader(""), &out, &errOut)
	if code != exitOK || !strings.Contains(out.String(), "listening on http://"+addr) || !strings.Contains(out.String(), "0 requests") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
}
