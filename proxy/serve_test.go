package proxy_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/presencekit/presencekit/internal/httpserve/httpservetest"
	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/mock/mocktest"
	"github.com/presencekit/presencekit/proxy"
)

// serveProxy runs px.Serve on a loopback port until the test ends.
func serveProxy(t *testing.T, px *proxy.Proxy) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- px.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// TestSlowBodyCutOff is the regression test of the slow body: the proxy
// held a connection sending one body byte every 3 s forever (the mock cut
// it at 30 s). With the mock's serve helper it is cut at the read timeout.
func TestSlowBodyCutOff(t *testing.T) {
	doc := loadDoc(t)
	target, _ := countingTarget(t)
	for _, mode := range []proxy.Mode{proxy.ModeReport, proxy.ModeEnforce} {
		t.Run(string(mode), func(t *testing.T) {
			px, err := proxy.New(target, doc, proxy.WithMode(mode),
				proxy.WithTimeouts(proxy.Timeouts{ReadHeader: 200 * time.Millisecond, Read: 300 * time.Millisecond}))
			if err != nil {
				t.Fatal(err)
			}
			addr := serveProxy(t, px)
			if err := httpservetest.HoldsSlowBody(addr, base+"/users/u/presence", 50*time.Millisecond, 20*time.Second); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestHeaderLimitSameAsMock: behind the proxy's server and the mock's,
// a header the mock accepts passes, and one over the limit is answered
// 431 by the proxy, never a server violation or a 502.
func TestHeaderLimitSameAsMock(t *testing.T) {
	doc := loadDoc(t)
	m := mocktest.Start(t, mock.DefaultConfig(doc.Limits()))
	px, err := proxy.New(m.URL, doc, proxy.WithMode(proxy.ModeEnforce))
	if err != nil {
		t.Fatal(err)
	}
	front := "http://" + serveProxy(t, px)
	for _, c := range []struct {
		size   int
		status int
	}{{60 << 10, 200}, {66 << 10, 431}, {100 << 10, 431}, {1 << 20, 431}} {
		req, _ := http.NewRequest(http.MethodPost, front+base+"/users/u/presence", strings.NewReader(`{"usernames":["a"]}`))
		req.Header.Set("Authorization", "Bearer "+mock.DefaultToken)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Pad", strings.Repeat("p", c.size))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%d-byte header: %v", c.size, err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%d-byte header: %d, want %d", c.size, resp.StatusCode, c.status)
		}
	}
	if st := px.Stats(); st.RequestViolations+st.ResponseViolations != 0 || st.Blocked != 0 {
		t.Errorf("stats %+v: want no violation, nothing blocked", st)
	}
}
