package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/presencekit/presencekit/spec"
)

// maxTokenLifetime clamps expires_in so a silly value cannot overflow a
// time.Duration; the vendor's tokens live days, not decades.
const maxTokenLifetime = 10 * 365 * 24 * time.Hour

// GetAppToken asks the token endpoint for an app token with req. It is sent
// without Authorization and does not touch the client's cached token, so
// suites can probe the endpoint freely. An empty GrantType is sent as
// GrantClientCredentials.
func (c *Client) GetAppToken(ctx context.Context, req TokenRequest) (*TokenResult, *Response, error) {
	if req.GrantType == "" {
		req.GrantType = GrantClientCredentials
	}
	return call[TokenResult](ctx, c, spec.OpToken, http.MethodPost, "/token", nil, req, nil, []CallOption{WithoutAuth()})
}

// Token returns the bearer token the client would send now, fetching one
// with the client credentials if none is cached. Callers that build their
// own requests (e.g. a load generator on another HTTP stack) use it.
func (c *Client) Token(ctx context.Context) (string, error) {
	return c.currentToken(ctx, "")
}

// currentToken returns the token to send; "" means send none. stale is a
// token the server just rejected: if the cache still holds it a new one is
// fetched, but if another goroutine has already replaced it that one is
// reused, so a burst of 401s costs one fetch, not one per request.
func (c *Client) currentToken(ctx context.Context, stale string) (string, error) {
	if c.creds == nil {
		return c.staticToken(), nil
	}
	if tok, ok := c.cached(stale); ok {
		return tok, nil
	}
	// A channel rather than a mutex so waiters give up when their own
	// context ends instead of queueing behind a slow fetch.
	select {
	case c.fetching <- struct{}{}:
	default:
		if c.onWait != nil {
			c.onWait()
		}
		select {
		case c.fetching <- struct{}{}:
		case <-ctx.Done():
			return "", fmt.Errorf("client: waiting for token: %w", ctx.Err())
		}
	}
	defer func() { <-c.fetching }()
	if tok, ok := c.cached(stale); ok {
		return tok, nil
	}
	res, _, err := c.GetAppToken(ctx, *c.creds)
	if err != nil {
		return "", fmt.Errorf("client: fetch token: %w", err)
	}
	if res.AccessToken == "" {
		return "", errors.New("client: fetch token: empty access_token")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.token = res.AccessToken
	c.expiresAt = time.Time{}
	if s := res.ExpiresIn.Value; s > 0 {
		life := maxTokenLifetime
		if s < int64(maxTokenLifetime/time.Second) {
			life = time.Duration(s) * time.Second
		}
		// Renew a tenth early so a request does not leave with a token that
		// expires on the way.
		c.expiresAt = time.Now().Add(life - life/10)
	}
	return c.token, nil
}

// cached returns the cached token unless it is missing, stale or expired.
func (c *Client) cached(stale string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == "" || c.token == stale {
		return "", false
	}
	if !c.expiresAt.IsZero() && !time.Now().Before(c.expiresAt) {
		return "", false
	}
	return c.token, true
}

func (c *Client) staticToken() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}
