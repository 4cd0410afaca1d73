// Package client is a typed Go client of the Easemob IM presence REST API.
//
// Every method returns the typed answer together with the raw exchange
// (*Response), because its main users — the conformance suites, the load
// generator and the proxy tests — judge the wire, not only the values. The
// low-level Do sends arbitrary, even malformed, requests through the same
// auth and URL handling.
package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/presencekit/presencekit/spec"
)

// Defaults used by New when no option overrides them.
const (
	// DefaultUserAgent identifies the client to servers and in their logs.
	DefaultUserAgent = "presencekit-client/1"
	// DefaultTimeout bounds a whole exchange on the http.Client New creates.
	// It does not apply to a client given with WithHTTPClient.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxResponseBytes caps how much of a response body is read, so a
	// broken or hostile target cannot exhaust memory. Presence answers are a
	// few KiB; a sublist page of 500 entries is well under 64 KiB.
	DefaultMaxResponseBytes = 8 << 20
	// GrantClientCredentials is the only grant_type the token endpoint takes.
	GrantClientCredentials = "client_credentials"
)

// Client talks to one {org}/{app} of a presence server. It is safe for
// concurrent use; the token cache is shared by all goroutines.
type Client struct {
	base     *url.URL // scheme and host of the server
	prefix   string   // escaped path up to and including the tenant prefix
	tenant   spec.Tenant
	hc       *http.Client
	ua       string
	maxBody  int64
	creds    *TokenRequest // nil: never fetch tokens
	tokenTTL int64

	mu        sync.Mutex // guards token and expiresAt
	token     string
	expiresAt time.Time     // zero: no known expiry
	fetching  chan struct{} // one-slot semaphore: one token fetch at a time
	// onWait, when set (by tests), is called each time a caller starts
	// waiting for another caller's token fetch.
	onWait func()

	pacer Pacer        // nil: send at once
	retry *RetryPolicy // nil: never retry a throttled answer
	stats stats
}

// Option configures a Client in New. Options return an error instead of
// panicking so a bad flag value reaches the user as a message.
type Option func(*Client) error

// New returns a client of the server at baseURL (scheme, host and optional
// path prefix, e.g. "https://a1.easemob.com" or "http://gw/presence") for the
// given org and app. Without WithToken or WithClientCredentials requests are
// sent without Authorization, which is what auth tests want.
func New(baseURL, org, app string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("client: base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("client: base URL %q: scheme must be http or https", baseURL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("client: base URL %q: no host", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("client: base URL %q: must not have a query or fragment", baseURL)
	}
	c := &Client{
		base:     &url.URL{Scheme: u.Scheme, User: u.User, Host: u.Host},
		tenant:   spec.DefaultTenant(),
		hc:       &http.Client{Timeout: DefaultTimeout},
		ua:       DefaultUserAgent,
		maxBody:  DefaultMaxResponseBytes,
		fetching: make(chan struct{}, 1),
	}
	for _, opt := range opts {
		if err := opt(c); err != nil {
			return nil, fmt.Errorf("client: %w", err)
		}
	}
	if (org == "" && c.tenant.HasOrg()) || app == "" {
		return nil, errors.New("client: org and app must not be empty")
	}
	c.prefix = strings.TrimRight(u.EscapedPath(), "/") + c.tenant.Path(org, app)
	if c.creds != nil {
		c.creds.TTL = c.tokenTTL
	}
	return c, nil
}

// WithTenant sets the tenant prefix of the paths, from the spec
// (spec.Doc.Tenant): /{org_name}/{app_name} by default, a profile's own
// such as /app-id/{app_id} otherwise, where the app fills app_id and the
// org is not needed.
func WithTenant(t spec.Tenant) Option {
	return func(c *Client) error {
		if len(t.Segments) == 0 {
			return errors.New("tenant prefix is empty")
		}
		c.tenant = t
		return nil
	}
}

// WithToken sends tok as the bearer token. Alone it is never refreshed;
// together with WithClientCredentials it is used until the server rejects it.
func WithToken(tok string) Option {
	return func(c *Client) error {
		if tok == "" {
			return errors.New("WithToken: empty token")
		}
		c.token = tok
		return nil
	}
}

// WithClientCredentials makes the client get its token from the token
// endpoint on first use, cache it, and fetch a new one when the server
// answers 401 or the token's expires_in has nearly run out.
func WithClientCredentials(id, secret string) Option {
	return func(c *Client) error {
		if id == "" || secret == "" {
			return errors.New("WithClientCredentials: empty client id or secret")
		}
		c.creds = &TokenRequest{GrantType: GrantClientCredentials, ClientID: id, ClientSecret: secret}
		return nil
	}
}

// WithTokenTTL asks the token endpoint for tokens living ttl (whole seconds;
// at least one). Without it the server's default lifetime applies.
func WithTokenTTL(ttl time.Duration) Option {
	return func(c *Client) error {
		if ttl < time.Second {
			return fmt.Errorf("WithTokenTTL: %v is under one second", ttl)
		}
		c.tokenTTL = int64(ttl / time.Second)
		return nil
	}
}

// WithHTTPClient sends through hc, e.g. one with a transport tuned for load
// generation. DefaultTimeout does not apply to it.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("WithHTTPClient: nil client")
		}
		c.hc = hc
		return nil
	}
}

// WithUserAgent replaces DefaultUserAgent.
func WithUserAgent(ua string) Option {
	return func(c *Client) error {
		if ua == "" {
			return errors.New("WithUserAgent: empty user agent")
		}
		c.ua = ua
		return nil
	}
}

// WithMaxResponseBytes replaces DefaultMaxResponseBytes.
func WithMaxResponseBytes(n int64) Option {
	return func(c *Client) error {
		if n <= 0 {
			return fmt.Errorf("WithMaxResponseBytes: %d is not positive", n)
		}
		c.maxBody = n
		return nil
	}
}

// CallOption changes how one request authenticates. Auth tests use them to
// send no token or a chosen one without building a second client.
type CallOption func(*callConfig)

type callConfig struct {
	noAuth   bool
	bearer   string
	noRetry  bool
	noPacing bool
}

// WithoutAuth sends the request with no Authorization header and no retry.
func WithoutAuth() CallOption {
	return func(cc *callConfig) { cc.noAuth = true }
}

// WithBearer sends tok as the bearer token for this call only, bypassing the
// cache; a 401 is returned as is, not retried.
func WithBearer(tok string) CallOption {
	return func(cc *callConfig) { cc.bearer = tok }
}

// Response is one HTTP exchange as it happened on the wire. Request.Header
// carries the bearer token: do not log it.
type Response struct {
	// Request is the last request sent (the retry, after a token refresh);
	// its body has been consumed, RequestBody holds a copy.
	Request     *http.Request
	RequestBody []byte // nil when no body was sent
	Status      int    // HTTP status code
	Header      http.Header
	Body        []byte // the whole body, up to the client's size cap
}

// Do sends method to path, which is relative to /{org}/{app} and already
// escaped as it should appear on the wire (e.g. "/users/u%2F1/presence").
// It returns an error only when no complete response arrived (then the
// Response is nil, or holds what came before the failure) or, with
// WithRetry, when the answer was still throttled after the last try (a
// *ThrottledError, returned with that answer): any other status, 2xx or
// not, is a success here (use Response.Err for an *APIError).
//
// Every send first waits on the client's Pacer (WithLimiter). Do adds
// Accept: application/json, the User-Agent, Content-Type:
// application/json when body is not nil, and the bearer token. Entries in
// header replace those defaults; a key with no values removes the default.
// An Authorization entry in header is sent as given and never retried.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body []byte, header http.Header, opts ...CallOption) (*Response, error) {
	var cc callConfig
	for _, o := range opts {
		o(&cc)
	}
	// Replaying is safe because the body is our own byte slice.
	return c.retrying(ctx, cc, func() (*Response, error) {
		return c.exchange(ctx, method, path, query, body, header, cc)
	})
}

// exchange sends once with the current token and, when the server rejects
// a managed token, once more with a fresh one.
func (c *Client) exchange(ctx context.Context, method, path string, query url.Values, body []byte, header http.Header, cc callConfig) (*Response, error) {
	_, fixedAuth := header[http.CanonicalHeaderKey("Authorization")]
	managed := !cc.noAuth && cc.bearer == "" && !fixedAuth

	var tok string
	if managed {
		var err error
		if tok, err = c.currentToken(ctx, ""); err != nil {
			return nil, err
		}
	} else if cc.bearer != "" {
		tok = cc.bearer
	}
	resp, err := c.send(ctx, method, path, query, body, header, tok, cc)
	if err != nil || resp.Status != http.StatusUnauthorized || !managed || c.creds == nil {
		return resp, err
	}
	// The token was rejected (revoked, expired early, server restarted):
	// fetch a new one unless another goroutine already has, and retry once.
	fresh, err := c.currentToken(ctx, tok)
	if err != nil {
		return resp, err
	}
	return c.send(ctx, method, path, query, body, header, fresh, cc)
}

// send waits on the pacer and performs one exchange with token tok ("" for none).
func (c *Client) send(ctx context.Context, method, path string, query url.Values, body []byte, header http.Header, tok string, cc callConfig) (*Response, error) {
	if err := c.pace(ctx, cc); err != nil {
		return nil, err
	}
	req, err := c.newRequest(ctx, method, path, query, body, header, tok)
	if err != nil {
		return nil, err
	}
	hr, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", method, req.URL.Path, err)
	}
	defer hr.Body.Close()
	data, err := io.ReadAll(io.LimitReader(hr.Body, c.maxBody+1))
	resp := &Response{Request: req, RequestBody: body, Status: hr.StatusCode, Header: hr.Header, Body: data}
	// A cut-off body is still returned: the status and headers are real and
	// a suite may want to report what did arrive.
	if err != nil {
		return resp, fmt.Errorf("client: %s %s: read body: %w", method, req.URL.Path, err)
	}
	if int64(len(data)) > c.maxBody {
		resp.Body = data[:c.maxBody]
		return resp, fmt.Errorf("client: %s %s: response body over %d bytes", method, req.URL.Path, c.maxBody)
	}
	return resp, nil
}

// newRequest builds the request. Path and RawPath are both set so escaped
// segments such as %2F in a username survive instead of being re-split.
func (c *Client) newRequest(ctx context.Context, method, path string, query url.Values, body []byte, header http.Header, tok string) (*http.Request, error) {
	if path != "" && !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	raw := c.prefix + path
	unescaped, err := url.PathUnescape(raw)
	if err != nil {
		return nil, fmt.Errorf("client: path %q: %w", path, err)
	}
	u := *c.base
	u.Path, u.RawPath = unescaped, raw
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	// u.String() re-derives the URL; keep ours so RawPath is exactly raw.
	req.URL = &u
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, vs := range header {
		k = http.CanonicalHeaderKey(k)
		if len(vs) == 0 {
			req.Header.Del(k)
			continue
		}
		req.Header[k] = append([]string(nil), vs...)
	}
	return req, nil
}
