package mock

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawExchange sends raw bytes on a new connection to addr and reads one
// answer.
func rawExchange(t *testing.T, addr, raw string) (*http.Response, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A bound, not a synchronisation: every answer here comes at once.
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%q: no HTTP answer: %v", raw, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// serveRaw serves s on a loopback port for the test's duration.
func serveRaw(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// TestMalformedRequestsInEnvelope: a malformed request that reaches the
// mock's handler is answered in the vendor's JSON envelope; the ones Go's
// net/http answers itself, before any handler, are exactly those
// docs/mock.md lists (this pins that list).
func TestMalformedRequestsInEnvelope(t *testing.T) {
	s := newTest(t)
	addr := serveRaw(t, s)
	const auth = "Authorization: Bearer " + testToken + "\r\n"
	reach := []struct {
		raw    string
		status int
		code   string
	}{
		{"GET /org/app/users/u/presence/sublist?pageNum=%zz HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 400, codeIllegalArgument},
		{"GET /org/app/users/u/presence/sublist?pageSize=%zz HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 400, codeIllegalArgument},
		{"GET /org/app/users/%00/presence/sublist/x/y/z/w HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 404, codeNotFound},
		{"GET //org/app/users/u/presence/sublist HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 404, codeNotFound},
		{"CONNECT x:1 HTTP/1.1\r\nHost: x\r\n\r\n", 404, codeNotFound},
		{"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 404, codeNotFound},
		{"BREW /org/app/users/u/presence HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 405, ""},
		{"POST /org/app/users/u/presence HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400, codeJSONParse},
		{"POST /org/app/users/u/presence HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}", 415, ""},
		{"GET / HTTP/1.0\r\n\r\n", 404, codeNotFound},
		{"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 404, codeNotFound},
		{"POST /_mock/reset HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer admin\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, codeJSONParse},
	}
	for _, tc := range reach {
		res, body := rawExchange(t, addr, tc.raw)
		var env map[string]any
		if res.StatusCode != tc.status || res.Header.Get("Content-Type") != "application/json" ||
			json.Unmarshal([]byte(body), &env) != nil || env["error"] == nil || env["error_description"] == nil ||
			(tc.code != "" && env["error"] != tc.code) {
			t.Errorf("%q: %d %s %s, want %d in the envelope (%s)", tc.raw, res.StatusCode, res.Header.Get("Content-Type"), body, tc.status, tc.code)
		}
	}
	// What net/http answers before any handler, in plain text: the list of
	// docs/mock.md ("Malformed requests"). Headers over the limit (431) are
	// left out: the server may reset the connection while the client is
	// still writing them.
	before := []struct {
		raw    string
		status int
	}{
		{"GARBAGE\r\n\r\n", 400},
		{"GET /org/app/users/%zz/presence HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"GET /a\x00b HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"GET org/app HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"GET / HTTP/9.9\r\nHost: x\r\n\r\n", 505},
		{"GET / HTTP/1.1\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400},
		{"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
	}
	for _, tc := range before {
		res, body := rawExchange(t, addr, tc.raw)
		if res.StatusCode != tc.status || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
			t.Errorf("%.60q: %d %s %q; docs/mock.md says net/http answers %d in plain text",
				tc.raw, res.StatusCode, res.Header.Get("Content-Type"), body, tc.status)
		}
	}
}
