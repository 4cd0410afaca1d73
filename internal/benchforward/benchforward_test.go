package benchforward

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestForwards sends a request through each engine to a target that
// echoes what it received: the path, query, a header and the body reach
// the target, and its status, header and body reach the client.
func TestForwards(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Seen", r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(b)
	}))
	defer target.Close()
	host := strings.TrimPrefix(target.URL, "http://")
	for _, e := range []Engine{NetHTTP, FastHTTP} {
		t.Run(string(e), func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- Serve(ctx, ln, host, e) }()
			req, err := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+"/org/app/users/a/presence?x=1", strings.NewReader(`{"usernames":["b"]}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer t")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusCreated || string(body) != `{"usernames":["b"]}` ||
				resp.Header.Get("X-Seen") != "POST /org/app/users/a/presence?x=1 Bearer t" {
				t.Errorf("got %d %q, X-Seen %q", resp.StatusCode, body, resp.Header.Get("X-Seen"))
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve after cancel: %v", err)
			}
		})
	}
}

// TestRefusesBadArguments: an unknown engine or a target that is no
// host:port is an error before anything is served.
func TestRefusesBadArguments(t *testing.T) {
	for _, c := range []struct {
		target string
		engine Engine
	}{{"127.0.0.1:1", "nginx"}, {"http://127.0.0.1:1/x", NetHTTP}} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if err := Serve(t.Context(), ln, c.target, c.engine); err == nil {
			t.Errorf("Serve(%q, %q): no error", c.target, c.engine)
		}
		_ = ln.Close()
	}
}
