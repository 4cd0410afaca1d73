package mock

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/presencekit/presencekit/spec"
)

// Server is the mock presence service. It is safe for concurrent use.
type Server struct {
	cfg Config
	lim spec.Limits
	brk breakSet
	// races is the concurrency modes' state (races.go); nil unless one is on.
	races *races
	// crossMu and crossPrev are SET-STATUS-PER-RESOURCE:cross-user's state:
	// the user set last. Touched only with that variant on.
	crossMu   sync.Mutex
	crossPrev *user
	// made is SUB-CAP:evict-oldest's state: per subscriber, when each
	// subscription was first made (a counter). Touched only with that
	// variant on, under madeMu.
	madeMu  sync.Mutex
	made    map[*user]map[uint32]uint64
	madeSeq uint64
	clk     *clock
	st      *storeRef
	auth    *auth
	flt     *faultState
	met     *metrics
	log     *slog.Logger
	appID   string

	pool sync.Pool // *reqState

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// reqState is the per-request scratch space, pooled.
type reqState struct {
	body  []byte
	arena []byte
	names [][]byte
	users []*user
	out   []byte
	// st is the store the request works on, loaded once (see storeRef).
	st *store
	// opForMetrics is the operation label of the request being served.
	opForMetrics string
}

// New builds a Server from cfg and starts its background reclaimer; Close
// stops it. Configuration errors wrap ErrConfig.
func New(cfg Config) (*Server, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	brk, err := parseBreaks(cfg.Breaks)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:  cfg,
		lim:  cfg.Limits,
		brk:  brk,
		clk:  newClock(cfg.VirtualClock, cfg.ClockStart, cfg.Now),
		st:   newStoreRef(cfg.Shards),
		log:  cfg.Logger,
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	if brk.raceGetStale || brk.raceTotalnum {
		s.races = newRaces()
	}
	s.auth = newAuth(&s.cfg, &s.brk)
	s.flt = newFaultState(cfg.Faults, cfg.Now)
	s.met = newMetrics(s)
	s.appID = newAppID()
	s.pool.New = func() any { return &reqState{body: make([]byte, 0, 1024), out: make([]byte, 0, 1024)} }
	go s.reclaimLoop()
	return s, nil
}

// Close stops the background reclaimer. It does not stop servers started
// by ListenAndServe: cancel their context.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { close(s.stop) })
	<-s.done
	return nil
}

func (s *Server) reclaimLoop() {
	defer close(s.done)
	if s.cfg.ReclaimInterval < 0 {
		<-s.stop
		return
	}
	t := time.NewTicker(s.cfg.ReclaimInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.reclaim()
		}
	}
}

// reclaim runs one sweep: expired subscriptions and tokens, idle rate
// limiters.
func (s *Server) reclaim() int {
	s.auth.sweep()
	s.flt.sweep()
	if s.keepsExpired() {
		return 0
	}
	return s.st.load().reclaim(clampU32(s.clk.unix()))
}

// Handler returns the HTTP handler serving the API, /_mock/, /healthz and
// /metrics.
func (s *Server) Handler() http.Handler { return s }

// maxSegs bounds the path segments a route can have.
const maxSegs = 8

type segments struct {
	n int
	s [maxSegs]string
}

// splitPath splits the escaped path into unescaped segments without
// allocating in the common case. ok is false for too many segments or bad
// escapes.
func splitPath(p string) (segs segments, ok bool) {
	p = strings.TrimPrefix(p, "/")
	for {
		if segs.n == maxSegs {
			return segs, false
		}
		i := strings.IndexByte(p, '/')
		seg := p
		if i >= 0 {
			seg = p[:i]
		}
		if strings.IndexByte(seg, '%') >= 0 {
			u, err := url.PathUnescape(seg)
			if err != nil {
				return segs, false
			}
			seg = u
		}
		segs.s[segs.n] = seg
		segs.n++
		if i < 0 {
			return segs, true
		}
		p = p[i+1:]
	}
}

// Operation labels for metrics beyond the spec's operation IDs.
const (
	opAdmin   = "admin"
	opUnknown = "unknown"
)

func match(method string, segs segments) (op string, allow string, e *apiError) {
	g := segs.s[:segs.n]
	if len(g) < 3 || g[0] == "" || g[1] == "" {
		return opUnknown, "", errNotFound
	}
	for _, x := range g[2:] {
		if x == "" {
			return opUnknown, "", errNotFound
		}
	}
	want := func(id, m string) (string, string, *apiError) {
		if method != m {
			return id, m, errMethod
		}
		return id, "", nil
	}
	switch {
	case len(g) == 3 && g[2] == "token":
		return want(spec.OpToken, http.MethodPost)
	case len(g) >= 5 && g[2] == "users" && g[4] == "presence":
		switch len(g) {
		case 5:
			switch method {
			case http.MethodPost:
				return spec.OpGetStatus, "", nil
			case http.MethodDelete:
				return spec.OpUnsubscribe, "", nil
			}
			return spec.OpGetStatus, "POST, DELETE", errMethod
		case 6:
			if g[5] == "sublist" && method == http.MethodGet {
				return spec.OpSublist, "", nil
			}
			if method == http.MethodPost {
				return spec.OpSubscribe, "", nil
			}
			if g[5] == "sublist" {
				return spec.OpSublist, "GET", errMethod
			}
			return spec.OpSubscribe, "POST", errMethod
		case 7:
			return want(spec.OpSetStatus, http.MethodPost)
		}
	case len(g) == 7 && g[2] == "presence" && g[3] == "online" && g[5] == "type":
		return want(spec.OpGroupOnline, http.MethodGet)
	}
	return opUnknown, "", errNotFound
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	path := r.URL.EscapedPath()
	switch {
	case path == "/healthz":
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`)
		return
	case path == "/metrics":
		s.met.handler.ServeHTTP(w, r)
		return
	case path == "/_mock" || strings.HasPrefix(path, "/_mock/"):
		status := s.serveAdmin(w, r, strings.TrimPrefix(path, "/_mock"))
		s.met.observe(opAdmin, status, start)
		return
	}
	rs := s.pool.Get().(*reqState)
	status := s.serveAPI(w, r, path, rs)
	op := rs.opForMetrics
	s.recycle(rs)
	s.met.observe(op, status, start)
	if s.log.Enabled(r.Context(), slog.LevelDebug) {
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "request",
			slog.String("method", r.Method), slog.String("path", path),
			slog.String("operation", op), slog.Int("status", status),
			slog.Duration("duration", time.Since(start)))
	}
}

func (s *Server) recycle(rs *reqState) {
	const keep = 256 << 10
	if cap(rs.body) > keep || cap(rs.out) > keep || cap(rs.arena) > keep {
		return
	}
	rs.body, rs.arena, rs.names, rs.out, rs.st = rs.body[:0], rs.arena[:0], rs.names[:0], rs.out[:0], nil
	clear(rs.users)
	rs.users = rs.users[:0]
	s.pool.Put(rs)
}

// serveAPI runs the presence operations and returns the status written.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, path string, rs *reqState) int {
	segs, ok := splitPath(path)
	op, allow, e := opUnknown, "", errNotFound
	if ok {
		op, allow, e = match(r.Method, segs)
	}
	rs.opForMetrics = op
	rs.st = s.st.load()
	if e != nil {
		if allow != "" {
			w.Header().Set("Allow", allow)
		}
		return s.writeError(w, rs, e)
	}
	ctx := r.Context()
	if e := s.flt.before(ctx); e != nil {
		return s.writeError(w, rs, e)
	}
	g := segs.s[:segs.n]
	org, app, isTenant := s.cfg.Tenant.Match(g[:2])
	if !isTenant || slices.Contains(s.cfg.NotOffered, op) {
		return s.writeError(w, rs, errNotFound)
	}
	if (s.cfg.Org != "" && org != s.cfg.Org) || (s.cfg.App != "" && app != s.cfg.App) {
		return s.writeError(w, rs, errOrgApp)
	}
	if op == spec.OpToken {
		return s.serveToken(w, r, rs, org, app)
	}
	if e := s.auth.check(r.Header.Get("Authorization"), op); e != nil {
		return s.writeError(w, rs, e)
	}
	if e, wait := s.flt.limit(org, app); e != nil {
		w.Header().Set("Retry-After", retryAfter(wait))
		return s.writeError(w, rs, e)
	}
	if op != spec.OpSublist && op != spec.OpGroupOnline {
		if e := s.readBody(r, rs); e != nil {
			return s.writeError(w, rs, e)
		}
	}
	var status int
	switch op {
	case spec.OpSetStatus:
		status, e = s.setStatus(rs, g[3], g[5], g[6])
	case spec.OpSubscribe:
		status, e = s.subscribe(rs, g[3], g[5])
	case spec.OpGetStatus:
		status, e = s.getStatus(rs, g[3])
	case spec.OpUnsubscribe:
		status, e = s.unsubscribe(rs, g[3])
	case spec.OpSublist:
		status, e = s.sublist(rs, g[3], r.URL.RawQuery)
	case spec.OpGroupOnline:
		status, e = s.groupOnline(rs, g[4], g[6])
	}
	if e != nil {
		return s.writeError(w, rs, e)
	}
	return s.writeJSON(w, status, rs.out)
}

var jsonContentType = []string{"application/json"}

func (s *Server) writeJSON(w http.ResponseWriter, status int, body []byte) int {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return status
}

func (s *Server) writeError(w http.ResponseWriter, rs *reqState, e *apiError) int {
	rs.out = s.appendError(rs.out[:0], e, s.clk.now().UnixMilli(), rs.opForMetrics)
	if e.code == codeJSONParse && s.brk.errJSON500 {
		return s.writeJSON(w, http.StatusInternalServerError, rs.out)
	}
	return s.writeJSON(w, e.status, rs.out)
}

// readBody checks the content type and reads the body into rs.body.
func (s *Server) readBody(r *http.Request, rs *reqState) *apiError {
	limit := s.cfg.MaxBodyBytes
	if r.ContentLength > limit {
		return errTooLarge
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	b := rs.body[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if int64(len(b)) > limit {
			rs.body = b[:0]
			return errTooLarge
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			rs.body = b[:0]
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return errTooLarge
			}
			return errJSON
		}
	}
	rs.body = b
	if len(b) > 0 && !jsonMediaType(r.Header.Get("Content-Type")) {
		return errMediaType
	}
	return nil
}

// jsonMediaType accepts an absent Content-Type, application/json and any
// +json type, parameters ignored.
func jsonMediaType(ct string) bool {
	if ct == "" {
		return true
	}
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	return strings.EqualFold(ct, "application/json") ||
		(len(ct) > 5 && strings.EqualFold(ct[len(ct)-5:], "+json") && strings.HasPrefix(strings.ToLower(ct), "application/"))
}

func clampU32(v int64) uint32 {
	switch {
	case v < 0:
		return 0
	case v >= 1<<32-1:
		return 1<<32 - 2
	}
	return uint32(v)
}

// String describes the server for logs.
func (s *Server) String() string {
	return fmt.Sprintf("mock(virtual clock=%v, breaks=%v)", s.cfg.VirtualClock, s.cfg.Breaks)
}
