package suites

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/spec"
)

// ErrUnreachable means the target did not answer at all: exit 2, since no
// rule can be judged.
var ErrUnreachable = errors.New("target unreachable")

// Env is what every spec works with: a client, the contract, the clock,
// user names, and the subscriptions to remove afterwards. It holds no
// Ginkgo state, so it is unit-tested with plain go test.
type Env struct {
	Cfg    Config
	Doc    *spec.Doc
	Limits spec.Limits
	Client *client.Client
	// Redactor masks the run's secrets in everything it prints or writes.
	Redactor *client.Redactor

	console io.Writer // where Run prints one line per failed spec; nil under go test
	http    *http.Client
	virtual bool // the target's clock is a presencekit mock's virtual one
	movable bool // and the admin token to move it was given
	seq     atomic.Int64

	mu   sync.Mutex
	subs map[string]map[string]bool // subscriber -> targets, for cleanup
	last *client.Response           // last exchange, for failure reports
	// specStart is the client's Stats when the current spec began;
	// lastThrottle the last request of it still throttled (throttle.go).
	specStart    client.Stats
	lastThrottle string
}

// NewEnv connects to the target: it builds the client (pacing and retrying
// as cfg says; extra options come last, so a worker of a --concurrency run
// shares its parent's pacer), runs the start-up probe (an authenticated
// read: a *ProbeError when the target is unreachable, refuses the
// credentials or has no such org/app) and finds out whether the target
// offers the mock's virtual clock.
func NewEnv(ctx context.Context, cfg Config, doc *spec.Doc, extra ...client.Option) (*Env, error) {
	e, err := newEnv(cfg, doc, extra...)
	if err != nil {
		return nil, err
	}
	if err := e.probe(ctx); err != nil {
		return nil, err
	}
	e.learnToken(ctx)
	// GET /_mock/clock needs no token: a presencekit mock is found by
	// itself. Its clock moves only through the admin API, so without
	// --admin-token the suite knows it cannot wait for it.
	var answer struct {
		Virtual bool `json:"virtual"`
	}
	if err := e.admin(ctx, http.MethodGet, "/clock", nil, &answer); err == nil && answer.Virtual {
		e.virtual = true
		e.movable = cfg.AdminToken != ""
	}
	return e, nil
}

// newEnv builds the client and the Env without a request: NewEnv's first
// half, and all a --concurrency worker needs, since its parent has probed
// the target and found its clock already.
func newEnv(cfg Config, doc *spec.Doc, extra ...client.Option) (*Env, error) {
	if cfg.Target == "" {
		return nil, fmt.Errorf("%w: no --target", ErrConfig)
	}
	if err := CheckLabelFilter(cfg.LabelFilter); err != nil {
		return nil, err
	}
	red := Redactor(cfg)
	hc := &http.Client{Timeout: cfg.Timeout}
	opts := []client.Option{client.WithHTTPClient(hc), client.WithUserAgent("presencekit-conform")}
	switch {
	case cfg.Token != "":
		opts = append(opts, client.WithToken(cfg.Token))
	case cfg.ClientID != "" && cfg.ClientSecret != "":
		opts = append(opts, client.WithClientCredentials(cfg.ClientID, cfg.ClientSecret))
	default:
		return nil, fmt.Errorf("%w: give --token or --client-id and --client-secret", ErrConfig)
	}
	opts = append(opts, client.WithTenant(doc.Tenant()))
	opts = append(append(opts, pacingOptions(cfg)...), extra...)
	c, err := client.New(cfg.Target, cfg.Org, cfg.App, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrConfig, red.Error(err))
	}
	e := &Env{Cfg: cfg.WithUserPrefix(), Doc: doc, Limits: doc.Limits(), Client: c, Redactor: red, http: hc, subs: map[string]map[string]bool{}}
	if e.Cfg.MaxSubs == 0 {
		// SUB-CAP checks the spec's cap unless the tenant has another.
		e.Cfg.MaxSubs = e.Limits.MaxSubscriptions
	}
	return e, nil
}

// learnToken adds a token the client fetched with client credentials to
// the secrets the Redactor masks.
func (e *Env) learnToken(ctx context.Context) {
	if e.Cfg.Token != "" {
		return
	}
	if tok, err := e.Client.Token(ctx); err == nil {
		e.Redactor.Add(tok)
	}
}

// Virtual reports whether the suite can move the target's clock: a
// presencekit mock's virtual clock, and --admin-token to move it.
func (e *Env) Virtual() bool { return e.movable }

// ClockStopped reports whether the target's clock is virtual but the suite
// cannot move it (no --admin-token): time-dependent specs cannot wait for
// it and skip, saying so.
func (e *Env) ClockStopped() bool { return e.virtual && !e.movable }

// HasAdmin reports whether the target offers the mock's admin API.
func (e *Env) HasAdmin() bool { return e.movable }

// User returns a fresh user name under the run's prefix: specs never share
// users, so they cannot disturb each other, even with ginkgo -p.
func (e *Env) User(role string) string {
	return e.Cfg.UserPrefix + "-" + role + "-" + strconv.FormatInt(e.seq.Add(1), 10)
}

// Users returns n fresh user names.
func (e *Env) Users(role string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = e.User(role)
	}
	return out
}

// Known returns n users the server knows (docs/contract.md#d11): fresh names when
// the server knows every name (the mock), else names from --users. ok is
// false when --users has fewer than n.
func (e *Env) Known(role string, n int) ([]string, bool) {
	if len(e.Cfg.Users) == 0 {
		return e.Users(role, n), true
	}
	if n > len(e.Cfg.Users) {
		return nil, false
	}
	return append([]string(nil), e.Cfg.Users[:n]...), true
}

// Now is the server's clock: the mock's virtual clock when it has one,
// else ours (the clock-skew tolerance covers the difference).
func (e *Env) Now(ctx context.Context) (time.Time, error) {
	if !e.virtual {
		return time.Now(), nil
	}
	var answer struct {
		Now int64 `json:"now"`
	}
	if err := e.admin(ctx, http.MethodGet, "/clock", nil, &answer); err != nil {
		return time.Time{}, err
	}
	return time.Unix(answer.Now, 0), nil
}

// Advance moves the virtual clock forward.
func (e *Env) Advance(ctx context.Context, d time.Duration) error {
	if !e.movable {
		return errors.New("the target has no virtual clock the suite can move (--admin-token)")
	}
	return e.admin(ctx, http.MethodPost, "/clock", map[string]string{"advance": d.String()}, nil)
}

// PrepareGroup makes a group on a mock target through its admin API:
// members, of which the first online are connected. It returns the group ID.
func (e *Env) PrepareGroup(ctx context.Context, members []string, online int) (string, error) {
	if !e.HasAdmin() {
		return "", errors.New("the target has no admin API")
	}
	id := e.User("group")
	if err := e.admin(ctx, http.MethodPut, "/groups/"+id, map[string][]string{"members": members}, nil); err != nil {
		return "", err
	}
	return id, e.admin(ctx, http.MethodPost, "/connections", map[string][]string{"connect": members[:online]}, nil)
}

// admin calls the mock's admin API at the target's root.
func (e *Env) admin(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(e.Cfg.Target, "/")+"/_mock"+path, body)
	if err != nil {
		return err
	}
	if e.Cfg.AdminToken != "" {
		req.Header.Set("Authorization", "Bearer "+e.Cfg.AdminToken)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("admin %s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(data))
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// Track records subscriptions the suite made, for Cleanup.
func (e *Env) Track(subscriber string, targets []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	set := e.subs[subscriber]
	if set == nil {
		set = map[string]bool{}
		e.subs[subscriber] = set
	}
	for _, t := range targets {
		set[t] = true
	}
}

// Cleanup removes every subscription subscriber made through the suite, in
// batches the contract allows: a real tenant is left as it was found.
// Batches go through the client, so they are paced and retried like any
// request.
func (e *Env) Cleanup(ctx context.Context, subscriber string) error {
	e.mu.Lock()
	set := e.subs[subscriber]
	delete(e.subs, subscriber)
	e.mu.Unlock()
	targets := make([]string, 0, len(set))
	for t := range set {
		targets = append(targets, t)
	}
	sort.Strings(targets)
	batch := max(e.Limits.UnsubscribeMaxUsers, 1)
	var batches [][]string
	for len(targets) > 0 {
		n := min(batch, len(targets))
		batches = append(batches, targets[:n])
		targets = targets[n:]
	}
	// In flight together (fanOut): a subscriber with thousands of
	// subscriptions (SUB-CAP) is not removed one round trip at a time.
	return fanOut(len(batches), func(i int) error {
		if _, _, err := e.Client.Unsubscribe(ctx, subscriber, batches[i], client.UnsubscribeObject); err != nil {
			return fmt.Errorf("cleanup of %s: %w", subscriber, err)
		}
		return nil
	})
}

// record keeps the last exchange for the failure report.
func (e *Env) record(r *client.Response) {
	if r == nil {
		return
	}
	e.mu.Lock()
	e.last = r
	e.mu.Unlock()
}

// LastExchange is the last request and answer, shortened and without the
// Authorization header, for a failure's report entry.
func (e *Env) LastExchange() string {
	e.mu.Lock()
	r := e.last
	e.mu.Unlock()
	if r == nil || r.Request == nil {
		return ""
	}
	var b strings.Builder
	// Masked before shortening, so a cut cannot leave half a secret.
	red := e.Redactor
	fmt.Fprintf(&b, "%s %s\n", r.Request.Method, red.String(r.Request.URL.RequestURI()))
	if len(r.RequestBody) > 0 {
		b.WriteString(excerpt(red.Bytes(r.RequestBody)) + "\n")
	}
	fmt.Fprintf(&b, "→ %d %s\n%s", r.Status, r.Header.Get("Content-Type"), excerpt(red.Bytes(r.Body)))
	return red.String(b.String())
}

func excerpt(b []byte) string {
	const limit = 400
	if len(b) > limit {
		return string(b[:limit]) + fmt.Sprintf("… (%d bytes)", len(b))
	}
	return string(b)
}
