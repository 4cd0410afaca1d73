package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/presencekit/presencekit/client"
)

// tokenFetch gets a new token and its lifetime (0: the server did not say).
type tokenFetch func(ctx context.Context) (token string, life time.Duration, err error)

// tokens is the bearer token every sender sends. A static token (or none)
// never changes; a client-credentials token is renewed by the worker that
// first sees it near its expiry, and after a 401 by the first worker to
// report the refused token (others that saw the same refusal reuse the new
// one), so a burst of 401s costs one fetch. Reading the current header is
// one atomic load: the hot path takes no lock.
type tokens struct {
	fetch tokenFetch // nil: a static token
	now   func() time.Time

	header   atomic.Pointer[string] // "Bearer …" or ""
	renewAt  atomic.Int64           // unix ns; 0: no known expiry
	renewing atomic.Bool            // a pre-expiry renewal is under way
	mu       sync.Mutex             // serialises fetches

	lastFail        atomic.Int64 // unix ns of the last failed fetch
	lastFetch       atomic.Int64 // unix ns of the last successful fetch
	afterRefusal    atomic.Bool  // the current token replaced a refused one
	fetched, failed atomic.Uint64
}

// retryFetchAfter spaces fetches after a failed one, so a token endpoint
// that is down is not asked once per refused request.
const retryFetchAfter = time.Second

var errFetchBackoff = errors.New("token fetched or failed less than a second ago")

func staticTokens(tok string) *tokens {
	t := &tokens{now: time.Now}
	h := ""
	if tok != "" {
		h = "Bearer " + tok
	}
	t.header.Store(&h)
	return t
}

// credentialTokens fetches tokens with client credentials through the
// typed client's token call.
func credentialTokens(cfg *Config) (*tokens, error) {
	opts := []client.Option{client.WithHTTPClient(&http.Client{Timeout: cfg.Timeout})}
	if len(cfg.Tenant.Segments) > 0 {
		opts = append(opts, client.WithTenant(cfg.Tenant))
	}
	c, err := client.New(cfg.Target, cfg.Org, cfg.App, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	req := client.TokenRequest{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret}
	t := staticTokens("")
	t.now = cfg.now
	t.fetch = func(ctx context.Context) (string, time.Duration, error) {
		res, resp, err := c.GetAppToken(ctx, req)
		if err != nil {
			if resp != nil {
				return "", 0, fmt.Errorf("the token endpoint refused client ID %q: %w", cfg.ClientID, err)
			}
			return "", 0, err
		}
		if res.AccessToken == "" {
			return "", 0, errors.New("the token endpoint answered no access_token")
		}
		return res.AccessToken, time.Duration(min(res.ExpiresIn.Value, 10*365*24*3600)) * time.Second, nil
	}
	return t, nil
}

// current is the Authorization header to send now.
func (t *tokens) current() string { return *t.header.Load() }

// renewable reports whether the token can be renewed.
func (t *tokens) renewable() bool { return t.fetch != nil }

// renew fetches a token unless the current header is no longer stale (a
// concurrent caller already replaced it). stale "" forces a fetch.
// onRefusal records why, for refused's backoff.
func (t *tokens) renew(ctx context.Context, stale string, onRefusal bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.renewLocked(ctx, stale, onRefusal)
}

// renewLocked is renew with t.mu held.
func (t *tokens) renewLocked(ctx context.Context, stale string, onRefusal bool) error {
	if stale != "" && t.current() != stale {
		return nil
	}
	if last := t.lastFail.Load(); stale != "" && last != 0 && t.now().UnixNano() < last+int64(retryFetchAfter) {
		return errFetchBackoff
	}
	tok, life, err := t.fetch(ctx)
	if err != nil {
		t.failed.Add(1)
		t.lastFail.Store(t.now().UnixNano())
		return err
	}
	t.lastFail.Store(0)
	t.lastFetch.Store(t.now().UnixNano())
	t.afterRefusal.Store(onRefusal)
	t.fetched.Add(1)
	h := "Bearer " + tok
	t.header.Store(&h)
	at := int64(0)
	if life > 0 {
		// Renew a tenth early, so no request leaves with a token that
		// expires on the way.
		at = t.now().Add(life - life/10).UnixNano()
	}
	t.renewAt.Store(at)
	return nil
}

// refused renews the token after the server answered 401 to stale. A
// token that was itself fetched after a 401 less than retryFetchAfter ago
// is not renewed again: a server that refuses fresh tokens would
// otherwise get one fetch per refused request.
//
// The check holds t.mu, as renew does: read while a renewal was storing
// its results, the new fetch time and reason could be seen with the old
// header, and a request refused with that header was given up, not
// retried with the token being stored.
func (t *tokens) refused(ctx context.Context, stale string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if last := t.lastFetch.Load(); t.current() == stale && t.afterRefusal.Load() && t.now().UnixNano() < last+int64(retryFetchAfter) {
		return errFetchBackoff
	}
	return t.renewLocked(ctx, stale, true)
}

// beforeExpiry renews the token when its renewal time has come. One worker
// renews; the others go on with the current token, still valid.
func (t *tokens) beforeExpiry(ctx context.Context, now time.Time) {
	at := t.renewAt.Load()
	if at == 0 || now.UnixNano() < at || !t.renewing.CompareAndSwap(false, true) {
		return
	}
	defer t.renewing.Store(false)
	if t.renewAt.Load() == at { // not renewed while we got here
		_ = t.renew(ctx, t.current(), false) // a failure is counted; a 401 retries later
	}
}

// renewals is the number of tokens fetched after the first.
func (t *tokens) renewals() uint64 { return max(t.fetched.Load(), 1) - 1 }
