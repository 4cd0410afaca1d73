package proxy_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/spec"
)

// The proxy must route exactly as a server does, or a request it calls
// "unrouted" is forwarded unjudged and served. These tests compare the
// proxy's router (spec.Route) with the mock's, request by request.

// opRecorder is a slog handler keeping the operation the mock logged for
// the last request it served.
type opRecorder struct {
	mu sync.Mutex
	op string
}

func (h *opRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *opRecorder) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *opRecorder) WithGroup(string) slog.Handler            { return h }
func (h *opRecorder) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "operation" {
			h.mu.Lock()
			h.op = a.Value.String()
			h.mu.Unlock()
		}
		return true
	})
	return nil
}

// routers holds the two routers under comparison.
type routers struct {
	doc *spec.Doc
	srv *mock.Server
	rec *opRecorder
}

func newRouters(tb testing.TB) *routers {
	doc := loadDoc(tb)
	rec := &opRecorder{}
	mc := mock.DefaultConfig(doc.Limits())
	mc.Logger = slog.New(rec)
	srv, err := mock.New(mc)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = srv.Close() })
	return &routers{doc: doc, srv: srv, rec: rec}
}

// errAmbiguous marks a path the proxy refuses rather than guesses.
var errAmbiguous = errors.New("refused as ambiguous")

// compare routes method and the raw request target with both routers.
// It returns errAmbiguous when the proxy refuses the path, another error
// when the two disagree, nil when they agree.
func (rs *routers) compare(method, target string) error {
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(method + " " + target + " HTTP/1.1\r\nHost: x\r\n\r\n")))
	if err != nil {
		return nil // net/http refuses it before any handler: neither routes it
	}
	path := req.URL.EscapedPath()
	if path == "/healthz" || path == "/metrics" || strings.HasPrefix(path, "/_mock") {
		return nil // the mock's own endpoints, outside the API
	}
	rt, perr := rs.doc.Route(method, path)
	if errors.Is(perr, spec.ErrAmbiguousPath) || errors.Is(perr, spec.ErrUndecodablePath) {
		return errAmbiguous
	}
	if rt != nil && rt.Base != "/" {
		return nil // a deployment prefix: the proxy's feature, the mock has none
	}
	req.Header.Set("Authorization", "Bearer "+mock.DefaultToken)
	req.RequestURI = ""
	rs.rec.mu.Lock()
	rs.rec.op = ""
	rs.rec.mu.Unlock()
	w := httptest.NewRecorder()
	rs.srv.Handler().ServeHTTP(w, req)
	rs.rec.mu.Lock()
	mop := rs.rec.op
	rs.rec.mu.Unlock()
	switch {
	case rt != nil:
		if mop != rt.Operation || w.Code == http.StatusNotFound || w.Code == http.StatusMethodNotAllowed {
			return fmt.Errorf("%s %s: proxy routes %s, mock %s (%d)", method, target, rt.Operation, mop, w.Code)
		}
	case errors.Is(perr, spec.ErrMethodNotAllowed):
		// The mock has no deployment prefix: a path the proxy knows only
		// under one (or only as ambiguous with its other methods) is the
		// mock's 404. Serving it would still be a disagreement.
		if w.Code == http.StatusNotFound && mop == "unknown" && !rs.atRoot(path) {
			return nil
		}
		if w.Code != http.StatusMethodNotAllowed {
			return fmt.Errorf("%s %s: proxy says method not allowed, mock %s (%d)", method, target, mop, w.Code)
		}
	default:
		if w.Code != http.StatusNotFound || mop != "unknown" {
			return fmt.Errorf("%s %s: proxy says no route, mock %s (%d)", method, target, mop, w.Code)
		}
	}
	return nil
}

// atRoot says whether some method routes path cleanly with no deployment
// prefix, as the mock would.
func (rs *routers) atRoot(path string) bool {
	for _, m := range methods {
		if rt, err := rs.doc.Route(m, path); err == nil && rt.Base == "/" {
			return true
		}
	}
	return false
}

// templates are every route of the spec, with the values a generator
// fills in; "{}" marks a parameter.
var templates = []struct{ method, path string }{
	{"POST", "/{}/{}/token"},
	{"POST", "/{}/{}/users/{}/presence/{}/{}"},
	{"POST", "/{}/{}/users/{}/presence/{}"},
	{"POST", "/{}/{}/users/{}/presence"},
	{"DELETE", "/{}/{}/users/{}/presence"},
	{"GET", "/{}/{}/users/{}/presence/sublist"},
	{"GET", "/{}/{}/presence/online/{}/type/{}"},
}

var methods = []string{"GET", "POST", "DELETE", "PUT"}

// encode writes s with each byte escaped at random (always when it must
// be), in upper or lower case hex.
func encode(r *rand.Rand, s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		must := !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~!$&'()*+,;=:@", c) >= 0)
		if must || r.IntN(4) == 0 {
			hex := fmt.Sprintf("%%%02X", c)
			if r.IntN(2) == 0 {
				hex = strings.ToLower(hex)
			}
			b.WriteString(hex)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// value is a random parameter value: a name, a number, or awkward bytes.
func value(r *rand.Rand) string {
	alphabet := []string{"u1", "alice", "Bob", "a b", "x/y", "presence", "sublist", "users", "100", "1", "0", "..", "a;b", "é", "%", "?", "#", "a\\b"}
	v := alphabet[r.IntN(len(alphabet))]
	if r.IntN(3) == 0 {
		v += alphabet[r.IntN(len(alphabet))]
	}
	return v
}

// genTarget is a random request to template t: values filled in, each
// segment randomly encoded, sometimes mutated the way attackers do.
func genTarget(r *rand.Rand, path string) string {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i, s := range segs {
		if s == "{}" {
			s = value(r)
		}
		segs[i] = encode(r, s)
	}
	switch r.IntN(12) {
	case 0:
		i := r.IntN(len(segs))
		segs[i] = strings.ToUpper(segs[i])
	case 1:
		segs = append(segs, "")
	case 2:
		i := r.IntN(len(segs))
		segs = append(segs[:i], append([]string{[]string{".", "..", "%2e", "%2E%2e", ""}[r.IntN(5)]}, segs[i:]...)...)
	case 3:
		i := r.IntN(len(segs))
		segs[i] += []string{"%00", ";x=1", "%2F", "%5C", "%2f" + segs[i]}[r.IntN(5)]
	case 4:
		if len(segs) > 1 {
			i := r.IntN(len(segs) - 1)
			segs = append(segs[:i], append([]string{segs[i] + "%2F" + segs[i+1]}, segs[i+2:]...)...)
		}
	}
	return "/" + strings.Join(segs, "/")
}

// TestRouterMatchesMock: for random encodings of every route, the proxy
// routes each request to the operation the mock serves it as; the paths
// it refuses as ambiguous are only mutated ones.
func TestRouterMatchesMock(t *testing.T) {
	rs := newRouters(t)
	r := rand.New(rand.NewPCG(1, 2))
	agreed, refused := 0, 0
	for range 4000 {
		tpl := templates[r.IntN(len(templates))]
		method := tpl.method
		if r.IntN(5) == 0 {
			method = methods[r.IntN(len(methods))]
		}
		target := genTarget(r, tpl.path)
		switch err := rs.compare(method, target); {
		case errors.Is(err, errAmbiguous):
			refused++
		case err != nil:
			t.Error(err)
		default:
			agreed++
		}
	}
	if agreed < 2500 {
		t.Errorf("only %d of 4000 requests compared (%d refused as ambiguous)", agreed, refused)
	}
	// Plain encodings of well-formed requests are never refused.
	for _, target := range []string{"/o/a/users/%75%31/%70resence/100", "/o/a/users/x%2Fy/presence", "/o/a/users/a%20b/presence/sublist",
		"/o/a/%70resence/online/g/type/1", "/o/a/users/%C3%A9/presence/android/1"} {
		if err := rs.compare("POST", target); errors.Is(err, errAmbiguous) {
			t.Errorf("POST %s refused as ambiguous", target)
		}
	}
}

// FuzzRouter is the differential test at random: any request target the
// proxy routes, the mock routes the same way (or the proxy refuses it).
func FuzzRouter(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tpl := range templates {
		for range 4 {
			f.Add(tpl.method, genTarget(r, tpl.path))
		}
	}
	rs := newRouters(f)
	f.Fuzz(func(t *testing.T, method, target string) {
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(method+target, " \r\n") || len(target) > 4096 {
			return
		}
		if method != "GET" && method != "POST" && method != "DELETE" && method != "PUT" {
			return
		}
		if err := rs.compare(method, target); err != nil && !errors.Is(err, errAmbiguous) {
			t.Fatal(err)
		}
	})
}
