package mock

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

// discardWriter is a ResponseWriter that keeps nothing, so benchmarks
// measure the handler.
type discardWriter struct {
	h      http.Header
	status int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(s int)           { d.status = s }

// benchOp serves the same request b.N times.
func benchOp(b *testing.B, s *Server, method, path, body string) {
	b.Helper()
	req := httptest.NewRequest(method, path, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	rd := bytes.NewReader([]byte(body))
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rd.Reset([]byte(body))
		req.Body = readCloser{rd}
		req.ContentLength = int64(len(body))
		s.ServeHTTP(w, req)
		if w.status != 200 && w.status != 0 { // 0: WriteHeader not called (200)
			b.Fatalf("status %d", w.status)
		}
	}
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

func BenchmarkOps(b *testing.B) {
	s := newTest(b)
	ten := many("t", 10)
	for _, n := range ten {
		set(b, s, n, "android_1", "1", "hello")
	}
	subscribe(b, s, "me", "3600", many("s", 100)...)
	admin(b, s, "PUT", "/_mock/groups/g", `{"members":["`+strings.Join(many("m", 200), `","`)+`"]}`)
	b.Run("setStatus", func(b *testing.B) {
		benchOp(b, s, "POST", base+"/users/u1/presence/android_1/1", `{"ext":"hello"}`)
	})
	b.Run("getStatus10", func(b *testing.B) { benchOp(b, s, "POST", base+"/users/me/presence", names(ten...)) })
	b.Run("subscribe10", func(b *testing.B) { benchOp(b, s, "POST", base+"/users/me2/presence/3600", names(ten...)) })
	b.Run("unsubscribe10", func(b *testing.B) {
		benchOp(b, s, "DELETE", base+"/users/me3/presence", `["`+strings.Join(ten, `","`)+`"]`)
	})
	b.Run("sublist100", func(b *testing.B) {
		benchOp(b, s, "GET", base+"/users/me/presence/sublist?pageNum=1&pageSize=100", "")
	})
	b.Run("groupOnline", func(b *testing.B) { benchOp(b, s, "GET", base+"/presence/online/g/type/1", "") })
	b.Run("healthz", func(b *testing.B) { benchOp(b, s, "GET", "/healthz", "") })
}

// BenchmarkSublistPage500 pages 500 entries out of a full 3,000-entry set.
func BenchmarkSublistPage500(b *testing.B) {
	s := newTest(b)
	all := many("t", 3000)
	for i := 0; i < len(all); i += 100 {
		subscribe(b, s, "me", "3600", all[i:i+100]...)
	}
	for _, pg := range []int{1, 6} {
		b.Run(fmt.Sprintf("page%d", pg), func(b *testing.B) {
			benchOp(b, s, "GET", fmt.Sprintf("%s/users/me/presence/sublist?pageNum=%d&pageSize=500", base, pg), "")
		})
	}
}

// BenchmarkBytesPerSubscription stores 1M subscriptions (10,000
// subscribers × 100 targets out of 20,000 users) and reports heap bytes
// per subscription.
func BenchmarkBytesPerSubscription(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		s := newTest(b)
		st := s.st.load()
		targets := make([]*user, 20000)
		for i := range targets {
			targets[i] = st.getString(fmt.Sprintf("user-%06d", i))
		}
		batch := make([]*user, 100)
		for i := 0; i < 10000; i++ {
			for j := range batch {
				batch[j] = targets[(i*7919+j*131)%len(targets)]
			}
			s.addSubs(st, fmt.Sprintf("subscriber-%06d", i), batch, uint32(t0.Unix())+3600, t0.Unix())
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		n := s.Subscriptions()
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "B/sub")
		b.ReportMetric(float64(n), "subs")
		runtime.KeepAlive(s)
		_ = s.Close()
		b.StartTimer()
	}
}
