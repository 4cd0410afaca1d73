package loadgen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/presencekit/presencekit/spec"
)

// minSleep: a hit due sooner than this is sent at once. Sleeping for a few
// microseconds costs more CPU than it buys precision, and latency is
// measured from the intended time anyway (an early send is never credited:
// corrected latency is at least the service time).
const minSleep = 50 * time.Microsecond

// Run checks the configuration, sends one preflight request, runs the
// setup phase (if configured) and the measured phase, and returns their
// results.
//
// Errors: ErrConfig (a field that cannot work), ErrPreflight (the target
// is unreachable, refuses the credentials, or does not know the org/app:
// nothing was measured), ErrRunFailed (the run completed, or the setup
// phase failed, with more than MaxErrorRate of its requests failing: the
// results are returned too, so every output can still be written).
// A cancelled ctx (SIGINT) stops sending, waits for requests in flight
// (each bounded by Timeout) and returns the results so far with
// Interrupted set and no error.
func Run(ctx context.Context, cfg Config) (*Results, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	t, basePath, err := parseTarget(cfg.Target)
	if err != nil {
		return nil, err
	}
	cfg.Workload.PathPrefix = tenantPathPrefix(basePath, cfg.Tenant, cfg.Org, cfg.App)
	if err := cfg.Workload.Validate(); err != nil {
		return nil, err
	}
	t.conns, t.timeout = cfg.Connections, cfg.Timeout
	pool, err := newSenderPool(cfg.Client, t)
	if err != nil {
		return nil, bad("Client", cfg.Client, err.Error())
	}
	defer pool.close()
	r := &run{cfg: cfg, pool: pool, tokens: staticTokens(cfg.Token)}
	if cfg.Token == "" && cfg.ClientID != "" {
		if r.tokens, err = credentialTokens(&cfg); err != nil {
			return nil, err
		}
		if err := r.tokens.renew(ctx, "", false); err != nil {
			return nil, fmt.Errorf("%w: token: %w", ErrPreflight, err)
		}
	}
	if err := r.preflight(ctx); err != nil {
		return nil, err
	}
	if cfg.Validate > 0 {
		if r.routes, err = routes(cfg.Doc, &cfg.Workload); err != nil {
			return nil, err
		}
	}
	res := &Results{Schema: SchemaVersion, Interval: cfg.Interval, Unit: "us", Config: cfg.info(),
		Shards: []string{cfg.Workload.Shard.norm().String()}}
	defer func() {
		res.TokenRenewals, res.TokenRenewalFailures = r.tokens.renewals(), r.tokens.failed.Load()
	}()
	if cfg.Verify {
		r.ver = newVerifier(&r.cfg, r.cfg.Connections+max(r.cfg.Workers, r.cfg.Concurrency))
		defer func() { res.Verification = r.ver.result() }()
	}
	if cfg.Setup && cfg.Workload.SetupSize() > 0 {
		if res.Setup, err = r.setup(ctx); err != nil {
			return nil, err
		}
		if ctx.Err() != nil {
			res.Interrupted = true
			return res, nil
		}
		if err := failedShare("setup phase", cfg.MaxErrorRate, res.Setup.Ops); err != nil {
			return res, err
		}
	}
	if err := r.measure(ctx, res); err != nil {
		return nil, err
	}
	res.Interrupted = ctx.Err() != nil
	if !res.Interrupted {
		ops := make([]map[string]*OpInterval, 0, len(res.Intervals))
		for _, iv := range res.Intervals {
			ops = append(ops, iv.Ops)
		}
		if err := failedShare("measured phase", cfg.MaxErrorRate, ops...); err != nil {
			return res, err
		}
	}
	return res, nil
}

// routes routes one sample request of each operation, so validation under
// load never routes again.
func routes(doc *spec.Doc, w *Workload) ([NumOps]*spec.Route, error) {
	var out [NumOps]*spec.Route
	b := w.newBuilder()
	var req request
	for o := Op(0); o < NumOps; o++ {
		b.build(o, 0, 0, &req)
		path, _, _ := strings.Cut(string(req.URI), "?")
		rt, err := doc.Route(req.Method, path)
		if err != nil {
			return out, fmt.Errorf("validate: route %s: %w", o, err)
		}
		out[o] = rt
	}
	return out, nil
}

type run struct {
	cfg    Config
	pool   senderPool
	tokens *tokens
	routes [NumOps]*spec.Route
	// ver is the --verify model, nil without --verify.
	ver *verifier
}

// worker is one sending goroutine's state: its sender, recorder and the
// scratch it reuses for every request.
type worker struct {
	r     *run
	s     sender
	rec   *recorder
	ex    exchange
	kinds map[string]string
	rng   *rand.Rand
	hdr   http.Header
	// vs is the worker's side of the verifier, nil without --verify.
	vs *vstate
}

func (r *run) newWorker(i int, rec *recorder) *worker {
	w := &worker{r: r, s: r.pool.newSender(), rec: rec, kinds: map[string]string{},
		rng: rand.New(rand.NewPCG(r.cfg.Workload.Seed, uint64(i)+1)), hdr: http.Header{}}
	if r.ver != nil {
		w.vs = r.ver.newState()
	}
	return w
}

// do sends one request intended to leave at intended and records it.
// begin is when sending starts; zero means now (the closed loop passes the
// reading it just took, sparing a clock read per request).
//
// A client-credentials token is renewed here when its time has come, and
// after a 401 the request is sent once more with a renewed token: what a
// real client does, so its latency includes the renewal.
//
// With --verify the answer is checked against the model; a sublist walk
// then sends its further pages here, each recorded as a sublist request.
func (w *worker) do(ctx context.Context, req *request, intended, begin time.Time) {
	more := w.send(ctx, req, intended, begin)
	for more && ctx.Err() == nil {
		t := w.r.cfg.now()
		more = w.send(ctx, &w.vs.page, t, t)
	}
	if more { // interrupted mid-walk
		w.vs.abandon()
	}
}

// send sends one request and records it; it reports whether a walk goes
// on with w.vs.page.
func (w *worker) send(ctx context.Context, req *request, intended, begin time.Time) bool {
	now, tk := w.r.cfg.now, w.r.tokens
	if begin.IsZero() {
		begin = now()
	}
	if tk.renewable() {
		tk.beforeExpiry(ctx, begin)
	}
	auth := tk.current()
	if w.vs != nil {
		w.vs.begin(req)
	}
	err := w.s.send(req, auth, w.r.cfg.Timeout, &w.ex)
	if err == nil && w.ex.status == http.StatusUnauthorized && tk.renewable() && tk.refused(ctx, auth) == nil {
		err = w.s.send(req, tk.current(), w.r.cfg.Timeout, &w.ex)
	}
	end := now()
	service := end.Sub(begin)
	corrected := max(end.Sub(intended), service)
	var kind string
	if err != nil {
		kind = classify(err)
	} else {
		kind = statusKind(w.ex.status, w.ex.body, w.kinds)
	}
	w.rec.record(req.Op, corrected, service, w.ex.status, kind, begin.Sub(intended) > w.r.cfg.LateAfter)
	if err == nil && w.r.cfg.Validate > 0 && w.rng.Float64() < w.r.cfg.Validate && w.r.routes[req.Op] != nil {
		w.hdr.Set("Content-Type", w.ex.contentType)
		msg := ""
		if verr := w.r.cfg.Doc.ValidateResponseFor(ctx, w.r.routes[req.Op], w.ex.status, w.hdr, w.ex.body); verr != nil {
			msg = verr.Error()
		}
		w.rec.validated(req.Op, msg)
	}
	return w.vs != nil && w.vs.end(req, w.ex.status, w.ex.body, err != nil)
}

// closedLoop runs n workers that each send back to back until limit
// requests (0: no limit) or the deadline (zero: none) or ctx; done, if not
// nil, counts the requests completed.
func (r *run) closedLoop(ctx context.Context, recs []*recorder, limit uint64, deadline time.Time,
	done *atomic.Uint64, build func(b *builder, seq uint64, req *request)) {
	var next atomic.Uint64
	var wg sync.WaitGroup
	for i, rec := range recs {
		wg.Go(func() {
			w := r.newWorker(i, rec)
			b := r.cfg.Workload.newBuilder()
			var req request
			for ctx.Err() == nil {
				seq := next.Add(1) - 1
				if limit > 0 && seq >= limit {
					return
				}
				build(b, seq, &req)
				now := r.cfg.now()
				if !deadline.IsZero() && !now.Before(deadline) {
					return
				}
				w.do(ctx, &req, now, now)
				if done != nil {
					done.Add(1)
				}
			}
		})
	}
	wg.Wait()
}

// setup builds the subscription graph closed-loop over the connections.
func (r *run) setup(ctx context.Context) (*Phase, error) {
	recs := make([]*recorder, r.cfg.Connections)
	for i := range recs {
		recs[i] = newRecorder()
	}
	start := time.Now()
	size := uint64(r.cfg.Workload.SetupSize())
	var done atomic.Uint64
	stop := r.setupProgress(start, size, &done)
	r.closedLoop(ctx, recs, size, time.Time{}, &done,
		func(b *builder, seq uint64, req *request) { b.BuildSetup(int(seq), req) })
	elapsed := time.Since(start)
	stop(elapsed)
	var accs [NumOps]*opAcc
	for i := range accs {
		accs[i] = newOpAcc()
	}
	for _, rec := range recs {
		rec.drainInto(&accs, nil)
	}
	ph := &Phase{Elapsed: elapsed, Ops: map[string]*OpInterval{}}
	var enc histEncoder
	for o, a := range accs {
		if a.count == 0 {
			continue
		}
		oi, err := a.encode(&enc)
		if err != nil {
			return nil, err
		}
		ph.Ops[Op(o).ID()] = oi
	}
	return ph, nil
}

// measure runs the measured phase with a collector cutting intervals.
func (r *run) measure(ctx context.Context, res *Results) error {
	n := r.cfg.Workers
	if r.cfg.Concurrency > 0 {
		n = r.cfg.Concurrency
	}
	recs := make([]*recorder, n)
	for i := range recs {
		recs[i] = newRecorder()
	}
	pacer := r.cfg.Pacer
	if b, ok := pacer.(builtin); ok {
		pacer = b.fresh()
	}
	col := newCollector(recs, r.cfg, res, pacer)
	col.ver = r.ver
	start := time.Now()
	res.Started = start
	col.start = start
	stopCol := make(chan struct{})
	colDone := make(chan error, 1)
	go func() { colDone <- col.loop(stopCol) }()

	var dropped atomic.Uint64
	if pacer == nil {
		var deadline time.Time
		if r.cfg.Duration > 0 {
			deadline = start.Add(r.cfg.Duration)
		}
		r.closedLoop(ctx, recs, r.cfg.Requests, deadline, nil,
			func(b *builder, seq uint64, req *request) { b.Build(seq, req) })
	} else {
		res.Expected = r.openLoop(ctx, recs, pacer, start, &dropped)
	}
	res.Elapsed = time.Since(start)
	res.Dropped = dropped.Load()
	close(stopCol)
	if err := <-colDone; err != nil {
		return err
	}
	res.Validation = col.validation()
	for _, iv := range res.Intervals {
		for _, o := range iv.Ops {
			res.Sent += o.Count
		}
	}
	return nil
}

type job struct {
	req      request
	intended time.Time
}

// openLoop schedules hits by the pacer onto a fixed pool of workers and
// returns how many hits the pacer scheduled within the run.
func (r *run) openLoop(ctx context.Context, recs []*recorder, pacer Pacer, start time.Time, dropped *atomic.Uint64) uint64 {
	// Sending stops at the duration plus one timeout: hits queued behind a
	// stalled target are dropped (and counted) rather than sent forever.
	sendCtx, cancel := ctx, context.CancelFunc(func() {})
	if r.cfg.Duration > 0 {
		sendCtx, cancel = context.WithDeadline(ctx, start.Add(r.cfg.Duration+r.cfg.Timeout))
	}
	defer cancel()
	n := len(recs)
	jobs := make(chan *job, n)
	free := make(chan *job, 2*n+1)
	for range cap(free) {
		free <- &job{}
	}
	var wg sync.WaitGroup
	for i, rec := range recs {
		wg.Go(func() {
			w := r.newWorker(i, rec)
			for j := range jobs {
				if sendCtx.Err() != nil {
					dropped.Add(1)
				} else {
					w.do(sendCtx, &j.req, j.intended, time.Time{})
				}
				free <- j
			}
		})
	}

	b := r.cfg.Workload.newBuilder()
	var hits uint64
	var endAt time.Duration
loop:
	for {
		if r.cfg.Requests > 0 && hits >= r.cfg.Requests {
			break
		}
		wait, stop := pacer.Pace(time.Since(start), hits)
		intended := time.Since(start) + wait
		if stop || r.cfg.Duration > 0 && intended >= r.cfg.Duration {
			break
		}
		var j *job
		select {
		case j = <-free:
		case <-ctx.Done():
			break loop
		}
		// Build before waiting: preparing a request never delays its send.
		b.Build(hits, &j.req)
		j.intended = start.Add(intended)
		if time.Until(j.intended) > minSleep {
			sleepUntil(ctx, j.intended)
			if ctx.Err() != nil {
				free <- j
				break loop
			}
		}
		select {
		case jobs <- j:
		case <-ctx.Done():
			free <- j
			break loop
		}
		hits++
	}
	endAt = time.Since(start)
	if r.cfg.Duration > 0 && ctx.Err() == nil {
		endAt = r.cfg.Duration
	}
	close(jobs)
	wg.Wait()
	// Count what the pacer scheduled up to the end but was never sent, so
	// the achieved fraction of the target rate is honest.
	sent := hits
	for extra := 0; extra < 1<<26; extra++ {
		if r.cfg.Requests > 0 && hits >= r.cfg.Requests {
			break
		}
		wait, stop := pacer.Pace(endAt, hits)
		if stop || endAt+wait >= endAt {
			break
		}
		hits++
	}
	dropped.Add(hits - sent)
	return hits
}
