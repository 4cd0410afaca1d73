package proxy_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/presencekit/presencekit/proxy"
)

// BenchmarkProxyGet measures the proxy's own cost on a batch get of ten
// users answered by an in-process target: routing, both validations, the
// presence checks, and the reverse-proxy copy.
func BenchmarkProxyGet(b *testing.B) {
	doc := loadDoc(b)
	answer := `{"result":[` + strings.Repeat(`{"uid":"u","last_time":"1644466063","ext":"","status":{"android":"1"}},`, 9) +
		`{"uid":"u","last_time":"1644466063","ext":"","status":{"android":"1"}}]}`
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, answer)
	}))
	defer target.Close()
	px, err := proxy.New(target.URL, doc)
	if err != nil {
		b.Fatal(err)
	}
	defer px.Close()
	body := `{"usernames":["u","u","u","u","u","u","u","u","u","u"]}`
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/org/app/users/me/presence", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer t")
		w := httptest.NewRecorder()
		px.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// canned is a RoundTripper answering every request with the same body, so a
// benchmark measures the proxy alone, without a network or a target.
type canned struct{ body string }

func (c canned) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(c.body)), ContentLength: int64(len(c.body)), Request: r}, nil
}

// BenchmarkProxyOnly is BenchmarkProxyGet without the network: the proxy's
// CPU per exchange.
func BenchmarkProxyOnly(b *testing.B) {
	doc := loadDoc(b)
	answer := `{"result":[` + strings.Repeat(`{"uid":"u","last_time":"1644466063","ext":"","status":{"android":"1"}},`, 9) +
		`{"uid":"u","last_time":"1644466063","ext":"","status":{"android":"1"}}]}`
	px, err := proxy.New("http://target.invalid", doc, proxy.WithTransport(canned{answer}))
	if err != nil {
		b.Fatal(err)
	}
	body := `{"usernames":["u","u","u","u","u","u","u","u","u","u"]}`
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/org/app/users/me/presence", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer t")
		w := httptest.NewRecorder()
		px.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
