// Package mock is presencekit's stateful reference server for the presence
// API: an in-memory store sharded by user, a real or virtual clock, bearer
// auth with static and issued tokens, an admin API under /_mock/, faults for
// load tests, Prometheus metrics, and one --break mode per MUST and SHOULD
// rule of the catalogue that violates exactly that rule.
//
// Build a Server with New, serve its Handler or call ListenAndServe, and
// Close it when done to stop the background reclaimer.
package mock

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/presencekit/presencekit/internal/httpserve"
	"github.com/presencekit/presencekit/spec"
)

// Defaults used by DefaultConfig and when a Config field is left zero.
const (
	// DefaultToken is the static bearer token of DefaultConfig.
	DefaultToken = "presencekit-mock-token"
	// DefaultClientID and DefaultClientSecret are the client credentials
	// DefaultConfig accepts at POST /{org}/{app}/token.
	DefaultClientID = "presencekit-client"
	// DefaultClientSecret pairs with DefaultClientID.
	DefaultClientSecret = "presencekit-secret"
	// DefaultTokenTTL is the lifetime of an issued token when the request
	// names no positive ttl.
	DefaultTokenTTL = 24 * time.Hour
	// DefaultMaxTokenTTL caps the ttl a client may ask for.
	DefaultMaxTokenTTL = 365 * 24 * time.Hour
	// DefaultMaxTokens caps the issued tokens kept at once.
	DefaultMaxTokens = 10_000
	// DefaultMaxBodyBytes is the request body limit; larger bodies get 413.
	DefaultMaxBodyBytes = spec.MaxRequestBodyBytes
	// DefaultReclaimInterval is how often expired subscriptions are swept.
	DefaultReclaimInterval = time.Second
	// DefaultShards is the number of store shards (a power of two).
	DefaultShards = 64
	// DefaultReadHeaderTimeout, DefaultReadTimeout, DefaultWriteTimeout and
	// DefaultIdleTimeout are the http.Server timeouts of ListenAndServe,
	// shared with the proxy (internal/httpserve).
	DefaultReadHeaderTimeout = httpserve.DefaultReadHeaderTimeout
	// DefaultReadTimeout bounds reading a whole request.
	DefaultReadTimeout = httpserve.DefaultReadTimeout
	// DefaultWriteTimeout bounds writing a response (stalls included).
	DefaultWriteTimeout = httpserve.DefaultWriteTimeout
	// DefaultIdleTimeout bounds idle keep-alive connections.
	DefaultIdleTimeout = httpserve.DefaultIdleTimeout
	// DefaultShutdownTimeout bounds graceful shutdown in ListenAndServe.
	DefaultShutdownTimeout = httpserve.DefaultShutdownTimeout
)

// Config configures a Server. Zero durations and sizes take the Default*
// values; Limits must come from the spec (spec.Doc.Limits) so that editing
// openapi.yaml changes the mock.
type Config struct {
	// Limits are the contract's limits, read from openapi.yaml.
	Limits spec.Limits

	// Tenant is the path prefix the mock serves, from the spec
	// (spec.Doc.Tenant): /{org_name}/{app_name}, or a profile's own such as
	// /app-id/{app_id}. Zero means spec.DefaultTenant. The mock routes
	// two-segment prefixes.
	Tenant spec.Tenant
	// NotOffered are operationIds the profile's vendor does not offer
	// (spec.Profile.OperationsNotOffered): answered 404 like any unknown path.
	NotOffered []string
	// ErrorTexts maps the mock's error_description texts to a vendor's
	// own wording (a profile's error-descriptions); absent keys keep the
	// mock's text.
	ErrorTexts map[string]string
	// Org and App restrict the served org/app pair; empty accepts any. Org
	// means nothing under a tenant prefix without org_name.
	Org, App string
	// Tokens are static bearer tokens accepted on every presence operation.
	Tokens []string
	// ClientID and ClientSecret are the credentials the token endpoint
	// accepts; empty ClientID disables issuing tokens.
	ClientID, ClientSecret string
	// TokenTTL is the default lifetime of issued tokens; MaxTokenTTL caps
	// what a client may request.
	TokenTTL, MaxTokenTTL time.Duration
	// MaxTokens caps the issued tokens kept at once; issuing one more
	// revokes the oldest issued. Expired tokens are reclaimed.
	MaxTokens int
	// AdminToken guards /_mock/; empty disables the admin API (404),
	// except GET /_mock/clock, which is read-only and always answers.
	AdminToken string

	// VirtualClock freezes the presence clock at ClockStart (or the wall
	// time at New) until POST /_mock/clock moves it.
	VirtualClock bool
	// ClockStart is the virtual clock's first reading; zero means now.
	ClockStart time.Time
	// Now is the wall clock used for token expiry, faults and the real
	// presence clock; nil means time.Now. Tests inject a fake.
	Now func() time.Time

	// MaxSubscriptions is the per-subscriber cap (SUB-CAP).
	MaxSubscriptions int
	// MaxBodyBytes is the request body limit (413 above it).
	MaxBodyBytes int64
	// ReclaimInterval is the period of the background expiry sweep; a
	// negative value disables the sweeper (reads still hide expired
	// subscriptions).
	ReclaimInterval time.Duration
	// Shards is the number of store shards, rounded up to a power of two.
	Shards int

	// Breaks lists the break modes that are on: RULE:variant, RULE (its
	// default variant) or a RACE-… mode (see BreakModes, RaceModes).
	Breaks []Break
	// Faults injects latency, errors, stalls and rate limits.
	Faults Faults

	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
}

// DefaultConfig returns the configuration of an embedded mock (the one
// conform and load start without --target, and tests): the default
// credentials, cap and body limit, any org/app, the real clock. It sets no
// admin token: Start gives each embedded mock a random one, so no
// well-known token opens an admin API; served another way (New, or
// presencekit mock without --admin-token) the admin API is off. The caller
// sets Limits (from spec.Load().Limits()).
func DefaultConfig(limits spec.Limits) Config {
	return Config{
		Limits:       limits,
		Tokens:       []string{DefaultToken},
		ClientID:     DefaultClientID,
		ClientSecret: DefaultClientSecret,
	}
}

// ConfigFor is DefaultConfig for the document doc, a vendor profile
// applied: its limits, tenant prefix, error texts and the operations the
// vendor does not offer.
func ConfigFor(doc *spec.Doc) Config {
	c := DefaultConfig(doc.Limits())
	c.Tenant = doc.Tenant()
	c.ErrorTexts = doc.Profile().ErrorDescriptions
	c.NotOffered = doc.Profile().OperationsNotOffered
	return c
}

// ErrConfig is wrapped by every configuration error New returns.
var ErrConfig = errors.New("mock: invalid configuration")

func (c *Config) normalize() error {
	if len(c.Tenant.Segments) == 0 {
		c.Tenant = spec.DefaultTenant()
	}
	if len(c.Tenant.Segments) != 2 {
		return fmt.Errorf("%w: tenant prefix %s: the mock serves prefixes of two segments", ErrConfig, c.Tenant.Template())
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = DefaultTokenTTL
	}
	if c.MaxTokenTTL <= 0 {
		c.MaxTokenTTL = DefaultMaxTokenTTL
	}
	if c.MaxSubscriptions < 0 || c.MaxBodyBytes < 0 || c.MaxTokens < 0 {
		return fmt.Errorf("%w: negative limit (max subscriptions %d, max body %d, max tokens %d)",
			ErrConfig, c.MaxSubscriptions, c.MaxBodyBytes, c.MaxTokens)
	}
	if c.MaxSubscriptions == 0 {
		// The cap is the spec's, like every other limit (docs/contract.md#d4).
		c.MaxSubscriptions = c.Limits.MaxSubscriptions
	}
	if c.MaxSubscriptions == 0 {
		return fmt.Errorf("%w: no subscription cap: the spec has no x-max-subscriptions and MaxSubscriptions is 0", ErrConfig)
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxTokens == 0 {
		c.MaxTokens = DefaultMaxTokens
	}
	if c.ReclaimInterval == 0 {
		c.ReclaimInterval = DefaultReclaimInterval
	}
	if c.Shards <= 0 {
		c.Shards = DefaultShards
	}
	n := 1
	for n < c.Shards {
		n <<= 1
	}
	c.Shards = n
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	l := c.Limits
	switch {
	case l.MinUsers < 0 || l.SubscribeMaxUsers < 1 || l.GetMaxUsers < 1 || l.UnsubscribeMaxUsers < 1:
		return fmt.Errorf("%w: user-count limits %+v", ErrConfig, l)
	case l.ExpiryMax < 1 || l.ExpiryMin > l.ExpiryMax:
		return fmt.Errorf("%w: expiry limits %d..%d", ErrConfig, l.ExpiryMin, l.ExpiryMax)
	case l.PageSizeMin < 0 || l.PageSizeMax < 1 || l.PageSizeMin > l.PageSizeMax:
		return fmt.Errorf("%w: pageSize limits %d..%d", ErrConfig, l.PageSizeMin, l.PageSizeMax)
	case l.PageSizeDefault < 1 || l.PageNumDefault < 1:
		return fmt.Errorf("%w: page defaults %d/%d", ErrConfig, l.PageNumDefault, l.PageSizeDefault)
	case l.ExtMaxBytes < 0:
		return fmt.Errorf("%w: ext limit %d", ErrConfig, l.ExtMaxBytes)
	}
	if len(c.Tokens) == 0 && c.ClientID == "" {
		return fmt.Errorf("%w: no static token and no client credentials: nothing could authenticate", ErrConfig)
	}
	for _, t := range c.Tokens {
		if t == "" {
			return fmt.Errorf("%w: empty static token", ErrConfig)
		}
	}
	return c.Faults.validate()
}
