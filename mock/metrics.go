package mock

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/presencekit/presencekit/spec"
)

// metrics are the mock's Prometheus series, in a registry of its own (no
// global registry: two mocks in one process must not collide), with the
// standard Go runtime (goroutines, heap) and process (RSS, CPU, open
// files) collectors.
type metrics struct {
	reg      *prometheus.Registry
	handler  http.Handler
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	// cached children for the common operation × status pairs
	cache map[string]*opMetrics
}

type opMetrics struct {
	hist  prometheus.Observer
	codes map[int]prometheus.Counter
}

func newMetrics(s *Server) *metrics {
	m := &metrics{reg: prometheus.NewRegistry(), cache: map[string]*opMetrics{}}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "presencekit_mock", Name: "requests_total",
		Help: "Requests served, by operation and HTTP status.",
	}, []string{"operation", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "presencekit_mock", Name: "request_duration_seconds",
		Help:    "Time to serve a request, injected faults included.",
		Buckets: prometheus.ExponentialBuckets(0.00005, 2, 16),
	}, []string{"operation"})
	subs := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "presencekit_mock", Name: "subscriptions",
		Help: "Stored subscriptions (expired ones not yet reclaimed included).",
	}, func() float64 { return float64(s.st.subscriptions()) })
	users := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "presencekit_mock", Name: "users_created_total",
		Help: "Users the store has seen since it started.",
	}, func() float64 { return float64(s.st.usersCreated()) })
	m.reg.MustRegister(m.requests, m.latency, subs, users,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	ops := []string{spec.OpToken, spec.OpSetStatus, spec.OpSubscribe, spec.OpGetStatus,
		spec.OpGroupOnline, spec.OpUnsubscribe, spec.OpSublist, opAdmin, opUnknown}
	for _, op := range ops {
		om := &opMetrics{hist: m.latency.WithLabelValues(op), codes: map[int]prometheus.Counter{}}
		for _, c := range []int{200, 400, 401, 404, 405, 413, 415, 429, 503} {
			om.codes[c] = m.requests.WithLabelValues(op, strconv.Itoa(c))
		}
		m.cache[op] = om
	}
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
	return m
}

// observe counts one request.
func (m *metrics) observe(op string, status int, start time.Time) {
	om := m.cache[op]
	if om == nil {
		om = m.cache[opUnknown]
	}
	om.hist.Observe(time.Since(start).Seconds())
	if c := om.codes[status]; c != nil {
		c.Inc()
		return
	}
	m.requests.WithLabelValues(op, strconv.Itoa(status)).Inc()
}

// Registry returns the server's own Prometheus registry, for callers that
// want to gather or add to it.
func (s *Server) Registry() *prometheus.Registry { return s.met.reg }
