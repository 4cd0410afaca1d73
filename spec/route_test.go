package spec_test

import (
	"errors"
	"testing"

	"github.com/presencekit/presencekit/spec"
)

// TestRouteDecodesLiterals is the regression test of the enforce-mode
// bypass: literal words written with %-escapes ("%70resence") once made
// the path "unrouted", so the proxy forwarded it unjudged while the server
// decoded it and served it. Literals are now compared decoded, as the mock
// and servers compare them.
func TestRouteDecodesLiterals(t *testing.T) {
	d := mustLoad(t)
	cases := []struct{ method, path, op, user string }{
		{"POST", "/org/app/users/u1/%70resence/100", spec.OpSubscribe, "u1"},
		{"POST", "/org/app/%75sers/u1/presence/100", spec.OpSubscribe, "u1"},
		{"POST", "/org/app/users/u1/presenc%65", spec.OpGetStatus, "u1"},
		{"DELETE", "/org/app/users/u1/presenc%65", spec.OpUnsubscribe, "u1"},
		{"POST", "/org/app/%74oken", spec.OpToken, ""},
		{"GET", "/org/app/users/u1/presence/%73ublist", spec.OpSublist, "u1"},
		{"GET", "/org/app/%70resence/online/g/%74ype/1", spec.OpGroupOnline, ""},
		{"POST", "/org/app/users/u1/%70resence/android/1", spec.OpSetStatus, "u1"},
		{"POST", "/org/app/users/%75%31/presence", spec.OpGetStatus, "u1"},
		// An escaped "/" in a username stays in the name, as the mock keeps it.
		{"POST", "/org/app/users/a%2Fb/presence", spec.OpGetStatus, "a/b"},
	}
	for _, c := range cases {
		rt, err := d.Route(c.method, c.path)
		if err != nil {
			t.Errorf("%s %s: %v", c.method, c.path, err)
			continue
		}
		if rt.Operation != c.op || rt.Params["username"] != c.user {
			t.Errorf("%s %s: %s user %q, want %s user %q", c.method, c.path, rt.Operation, rt.Params["username"], c.op, c.user)
		}
	}
}

// TestRouteRefusesAmbiguousPaths: paths that servers decode differently
// are refused, not guessed; paths no decoding routes stay plain ErrNoRoute.
func TestRouteRefusesAmbiguousPaths(t *testing.T) {
	d := mustLoad(t)
	cases := []struct {
		method, path string
		want         error
	}{
		{"POST", "/org/app/users/u1/presence%2F100", spec.ErrAmbiguousPath},
		{"POST", "/org/app/users%2Fu1/presence", spec.ErrAmbiguousPath},
		{"POST", "/org/app/users/a%2Fpresence/presence", spec.ErrAmbiguousPath},
		{"POST", "/org/app/users/u1/presence%00", spec.ErrAmbiguousPath},
		{"POST", "/org/app/users/u%00/presence", spec.ErrAmbiguousPath},
		{"POST", "/org/app/x/../users/u1/presence/100", spec.ErrAmbiguousPath},
		{"POST", "/org/app/users/./u1/presence", spec.ErrAmbiguousPath},
		{"POST", "/org/app/users/u1/%2e%2e/presence", spec.ErrAmbiguousPath},
		{"POST", "/org/app/users/u1/presence/", spec.ErrAmbiguousPath},
		{"POST", "/org/app/users//u1/presence", spec.ErrAmbiguousPath},
		{"POST", "/org/app/Users/u1/PRESENCE", spec.ErrAmbiguousPath},
		{"POST", "/org/app/users/u1/presence;x=1/100", spec.ErrAmbiguousPath},
		{"POST", "/org/app/users/u1%5Cpresence", spec.ErrAmbiguousPath},
		{"POST", "/org/app/users/u1/presence/%zz", spec.ErrUndecodablePath},
		{"GET", "/healthz", spec.ErrNoRoute},
		{"GET", "/_mock/clock", spec.ErrNoRoute},
		{"PUT", "/org/app/users/u1/presence", spec.ErrMethodNotAllowed},
	}
	for _, c := range cases {
		rt, err := d.Route(c.method, c.path)
		if !errors.Is(err, c.want) {
			op := ""
			if rt != nil {
				op = rt.Operation
			}
			t.Errorf("%s %s: %v %s, want %v", c.method, c.path, err, op, c.want)
		}
	}
}

// TestCheckQuery: a declared parameter twice, under another case, or a
// ";" in the query is ambiguous (servers take the first, the last, or
// split on ";"); undeclared parameters and plain queries are fine.
func TestCheckQuery(t *testing.T) {
	d := mustLoad(t)
	rt, err := d.Route("GET", "/o/a/users/u/presence/sublist")
	if err != nil {
		t.Fatal(err)
	}
	for q, ambiguous := range map[string]bool{
		"":                               false,
		"pageSize=5&pageNum=2":           false,
		"pageSize=5&x=1&x=2":             false,
		"pageSize=1&pageSize=501":        true,
		"pageSize=1&page%53ize=501":      true,
		"pageSize=1&PageSize=501":        true,
		"pageSize=501;pageNum=1":         true,
		"pageNum=1&pageSize=2&pageNum=1": true,
	} {
		if err := rt.CheckQuery(q); errors.Is(err, spec.ErrAmbiguousQuery) != ambiguous {
			t.Errorf("%q: %v, want ambiguous %v", q, err, ambiguous)
		}
	}
}
