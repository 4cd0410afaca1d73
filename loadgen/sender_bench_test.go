package loadgen

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/presencekit/presencekit/internal/benchtarget"
)

// BenchmarkSenders decides the hot path's HTTP client: a tuned net/http
// Transport against fasthttp, same prepared request, same in-process
// target, one connection per goroutine. ns/op includes the (identical)
// server's work; allocs/op and B/op are client plus server.
//
//	go test -run '^$' -bench Senders -benchtime 20000x -cpu 2 ./loadgen/
func BenchmarkSenders(b *testing.B) {
	ts := httptest.NewServer(benchtarget.Handler())
	defer ts.Close()
	w := testWorkload(b)
	w.PathPrefix = "/org/app"
	var req request
	w.newBuilder().build(OpGet, 0, 1, &req)
	tg, _, err := parseTarget(ts.URL)
	if err != nil {
		b.Fatal(err)
	}
	tg.conns, tg.timeout = 8, 5*time.Second
	for _, kind := range []string{ClientFastHTTP, ClientNetHTTP} {
		b.Run(kind, func(b *testing.B) {
			pool, err := newSenderPool(kind, tg)
			if err != nil {
				b.Fatal(err)
			}
			defer pool.close()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				s := pool.newSender()
				var ex exchange
				for pb.Next() {
					if err := s.send(&req, "Bearer x", 5*time.Second, &ex); err != nil || ex.status != 200 {
						b.Errorf("send: %v, status %d", err, ex.status)
						return
					}
				}
			})
		})
	}
}
