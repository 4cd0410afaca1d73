package proxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"
)

// In ModeReport the client never waits for a verdict: the proxy forwards the
// target's answer as it streams, keeps a copy of both bodies, and hands the
// exchange to a small pool of validator goroutines through a bounded queue.
// When the queue is full the exchange is forwarded unjudged and counted
// (Stats.UncheckedBusy), so a burst costs coverage, never latency or memory.

// Defaults of the validator pool (ModeReport only).
const (
	// DefaultQueue is how many exchanges may wait for a validator.
	DefaultQueue = 4096
	// DefaultQueueBytes bounds the bodies held by waiting exchanges, so a
	// queue of large answers cannot hoard memory.
	DefaultQueueBytes = 64 << 20
	// DefaultDrainTimeout bounds how long Close waits for the queue to
	// drain; exchanges still waiting then are counted as unchecked.
	DefaultDrainTimeout = 5 * time.Second
)

// DefaultGCPercent is the garbage collector's target (GOGC) that
// `presencekit proxy` runs with unless GOGC is set. The proxy's live heap
// is small (the compiled spec, the report, the queue), so at Go's default
// of 100 it collects every few hundred exchanges, and marking was a fifth
// of an exchange's CPU under load (BenchmarkProxyOnly: 30-31 µs at 100,
// 24 µs at 400 in enforce mode); 400 trades about 12 MB more resident
// memory under bench/prism.sh's load for that CPU.
const DefaultGCPercent = 400

// DefaultValidators is the size of the validator pool: half the CPUs (at
// least one), so validation never takes every core from forwarding.
func DefaultValidators() int { return max(1, runtime.GOMAXPROCS(0)/2) }

// WithValidators sets the validator pool of ModeReport: workers goroutines
// fed by a queue of at most queue exchanges (defaults DefaultValidators()
// and DefaultQueue). ModeEnforce validates on the request's own goroutine
// and ignores it.
func WithValidators(workers, queue int) Option {
	return func(c *config) error {
		if workers < 1 || queue < 1 {
			return errors.New("proxy: validators: want at least one worker and a queue of at least one")
		}
		c.workers, c.queue = workers, queue
		return nil
	}
}

// job is one exchange forwarded in ModeReport, waiting to be judged. The
// request's URL and header are the inbound request's own: the proxy only
// reads them, and the server is done with them once the handler returns.
type job struct {
	method      string
	url         *url.URL
	header      http.Header
	reqBody     []byte
	reqComplete bool // the request body fit the buffer

	// The answer, when there was one (noResponse false).
	noResponse    bool
	respUnchecked bool // too big, cut short or an unreadable encoding
	status        int
	ctype, enc    string
	respBody      *[]byte // pooled; nil for no body
	now           time.Time
	at            time.Time
}

func (j *job) size() int64 {
	n := int64(len(j.reqBody))
	if j.respBody != nil {
		n += int64(cap(*j.respBody))
	}
	return n
}

// pool is the validator pool: a bounded queue and the goroutines draining
// it. Only submit sends on queue, under mu, after checking there is room,
// so a send never blocks and none happens after Close.
type pool struct {
	p        *Proxy
	queue    chan *job
	maxBytes int64
	wg       sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	pending int           // queued or being judged
	bytes   int64         // held by pending jobs
	idle    chan struct{} // closed when pending drops to 0
	discard bool          // set when the drain timed out: skip what is left
}

func newPool(p *Proxy, workers, queue int, maxBytes int64) *pool {
	v := &pool{p: p, queue: make(chan *job, queue), maxBytes: maxBytes, idle: closedChan()}
	for range workers {
		v.wg.Go(v.work)
	}
	return v
}

func closedChan() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// submit queues j, or reports false (and releases j) when the pool is
// full or closed.
func (v *pool) submit(j *job) bool {
	size := j.size()
	v.mu.Lock()
	if v.closed || len(v.queue) == cap(v.queue) || (v.pending > 0 && v.bytes+size > v.maxBytes) {
		v.mu.Unlock()
		releaseJob(j)
		return false
	}
	if v.pending == 0 {
		v.idle = make(chan struct{})
	}
	v.pending++
	v.bytes += size
	v.queue <- j
	v.mu.Unlock()
	return true
}

func (v *pool) work() {
	hdr := http.Header{"Content-Type": {""}}
	for j := range v.queue {
		v.mu.Lock()
		skip := v.discard
		v.mu.Unlock()
		size := j.size()
		if skip {
			v.p.stats.uncheckedBusy.Add(1)
		} else {
			v.p.judgeJob(j, hdr)
		}
		releaseJob(j)
		v.mu.Lock()
		v.pending--
		v.bytes -= size
		if v.pending == 0 {
			close(v.idle)
		}
		v.mu.Unlock()
	}
}

// flush waits until every exchange submitted so far has been judged.
func (v *pool) flush(ctx context.Context) error {
	v.mu.Lock()
	idle := v.idle
	v.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close stops taking exchanges, waits up to timeout for the queue to
// drain, counts what is left as unchecked, and stops the workers.
func (v *pool) close(timeout time.Duration) error {
	v.mu.Lock()
	if v.closed {
		v.mu.Unlock()
		return nil
	}
	v.closed = true
	v.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	err := v.flush(ctx)
	cancel()
	if err != nil {
		v.mu.Lock()
		v.discard = true
		v.mu.Unlock()
		err = errors.New("proxy: validators did not drain in time; the rest counted as unchecked")
	}
	close(v.queue)
	v.wg.Wait()
	return err
}

var (
	jobs    = sync.Pool{New: func() any { return new(job) }}
	buffers = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}
)

// maxPooledBuffer keeps the buffer pool from holding on to the rare huge
// answer.
const maxPooledBuffer = 64 << 10

func releaseJob(j *job) {
	putBuffer(j.respBody)
	*j = job{}
	jobs.Put(j)
}

func putBuffer(b *[]byte) {
	if b != nil && cap(*b) <= maxPooledBuffer {
		*b = (*b)[:0]
		buffers.Put(b)
	}
}

// teeBody hands the target's answer to the client unchanged while keeping
// a copy of up to limit bytes; on Close it queues the exchange. A body cut
// short (the client left) or over the limit is judged as unchecked.
type teeBody struct {
	rc    io.ReadCloser
	p     *Proxy
	j     *job
	buf   *[]byte
	limit int64
	eof   bool
	done  bool
}

func (t *teeBody) Read(b []byte) (int, error) {
	n, err := t.rc.Read(b)
	if t.buf != nil {
		if int64(len(*t.buf)+n) > t.limit {
			putBuffer(t.buf)
			t.buf = nil
		} else {
			*t.buf = append(*t.buf, b[:n]...)
		}
	}
	if err == io.EOF {
		t.eof = true
	}
	return n, err
}

func (t *teeBody) Close() error {
	err := t.rc.Close()
	if t.done {
		return err
	}
	t.done = true
	if t.eof && t.buf != nil {
		t.j.respBody = t.buf
	} else {
		t.j.respUnchecked = true
		putBuffer(t.buf)
	}
	t.buf = nil
	t.p.submit(t.j)
	return err
}

// jobKey carries ModeReport's job from forward to modifyResponse.
type jobKey struct{}

// forward is ServeHTTP in ModeReport: buffer the request body (so a copy
// can be judged), forward, and leave every check to the validators.
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request) {
	j := jobs.Get().(*job)
	j.method, j.url, j.header, j.at = r.Method, r.URL, r.Header, p.cfg.wall()
	body, complete, err := p.bufferRequest(r)
	j.reqBody, j.reqComplete = body, complete && err == nil
	p.relay(w, r.WithContext(context.WithValue(r.Context(), jobKey{}, j)))
}

// tee is modifyResponse in ModeReport: note the answer's status and
// headers and let its body stream to the client through a teeBody, which
// queues the exchange once the body has been copied.
func (p *Proxy) tee(resp *http.Response, j *job) {
	if resp.StatusCode == http.StatusOK && strings.HasSuffix(resp.Request.URL.Path, mockClockPath) {
		if body, ok := p.bufferResponse(resp); ok {
			p.clock.observe(body) // before any later answer is judged
		}
	}
	j.status, j.now = resp.StatusCode, p.clock.now()
	j.ctype, j.enc = resp.Header.Get("Content-Type"), resp.Header.Get("Content-Encoding")
	switch {
	case resp.Body == nil || resp.Body == http.NoBody:
		p.submit(j)
	case resp.StatusCode == http.StatusSwitchingProtocols || resp.ContentLength > p.cfg.maxBody:
		j.respUnchecked = true
		p.submit(j)
	default:
		resp.Body = &teeBody{rc: resp.Body, p: p, j: j, buf: buffers.Get().(*[]byte), limit: p.cfg.maxBody}
	}
}

// submit queues j for the validators, or counts it as unchecked when they
// are busy (or stopped).
func (p *Proxy) submit(j *job) {
	if !p.pool.submit(j) {
		p.stats.uncheckedBusy.Add(1)
	}
}

// judgeJob is what ServeHTTP and modifyResponse do in ModeEnforce, on a
// validator goroutine: route, judge the request, judge the answer, record.
// hdr is the validator's own scratch header.
func (p *Proxy) judgeJob(j *job, hdr http.Header) {
	path := j.url.EscapedPath()
	req := &http.Request{Method: j.method, URL: j.url, Header: j.header, Body: http.NoBody}
	rt, err := p.doc.Route(j.method, path)
	if err != nil {
		p.stats.unrouted.Add(1)
		if u := p.unjudgedPath(req, err); u != nil {
			p.record(u.v, j.at)
		}
		return
	}
	if err := rt.CheckQuery(j.url.RawQuery); err != nil {
		p.stats.unrouted.Add(1)
		p.record(p.unjudgedQuery(req, rt, err).v, j.at)
		return
	}
	ex := &exchange{route: rt, method: j.method, path: clip(path), hasAuth: j.header.Get("Authorization") != ""}
	if j.reqComplete {
		if j.reqBody != nil {
			req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(j.reqBody)), int64(len(j.reqBody))
		}
		p.judgeRequest(context.Background(), ex, req, j.reqBody)
	} else {
		p.stats.uncheckedReq.Add(1)
		p.judgeParams(context.Background(), ex, req)
		if ex.reqViolation == nil {
			p.record(p.unjudgedBody(ex, nil).v, j.at)
		}
	}
	if ex.reqViolation != nil {
		p.record(*ex.reqViolation, j.at)
	}
	if j.noResponse {
		return
	}
	var body []byte
	if j.respBody != nil {
		body = *j.respBody
	}
	plain, ok := p.decode(j.enc, body)
	if j.respUnchecked || !ok {
		p.stats.uncheckedResp.Add(1)
		return
	}
	hdr["Content-Type"][0] = j.ctype
	for _, v := range p.checkResponse(ex, j.status, hdr, plain, j.now) {
		p.record(v, j.at)
	}
}
