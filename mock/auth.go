package mock

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/presencekit/presencekit/spec"
)

// auth checks bearer tokens: the static ones of the Config (an immutable
// map, no lock) and those issued by the token endpoint (a sync.Map, whose
// reads take no lock). Issued tokens expire on the wall clock, not the
// presence clock: jumping the virtual clock 30 days must not log suites out.
//
// The issued tokens are bounded: expired ones are forgotten when presented
// and by the reclaimer's sweep, and at most Config.MaxTokens live at once —
// issuing one more revokes the oldest issued (a client that renews its
// token before expiry loses only tokens it no longer uses).
type auth struct {
	cfg    *Config
	brk    *breakSet
	static map[string]struct{}
	issued sync.Map // token → expiry (time.Time)
	live   atomic.Int64

	mu    sync.Mutex // guards order
	order []string   // issued tokens, oldest first; may hold forgotten ones
}

func newAuth(cfg *Config, brk *breakSet) *auth {
	a := &auth{cfg: cfg, brk: brk, static: make(map[string]struct{}, len(cfg.Tokens))}
	for _, t := range cfg.Tokens {
		a.static[t] = struct{}{}
	}
	return a
}

// issue stores a new token valid until exp, revoking the oldest ones
// beyond the cap.
func (a *auth) issue(tok string, exp time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for a.live.Load() >= int64(a.cfg.MaxTokens) && len(a.order) > 0 {
		a.forget(a.order[0])
		a.order[0] = ""
		a.order = a.order[1:]
	}
	if len(a.order) >= 2*a.cfg.MaxTokens {
		a.compactLocked()
	}
	a.order = append(a.order, tok)
	a.issued.Store(tok, exp)
	a.live.Add(1)
}

// forget drops tok if it is still issued.
func (a *auth) forget(tok string) {
	if _, ok := a.issued.LoadAndDelete(tok); ok {
		a.live.Add(-1)
	}
}

// compactLocked drops forgotten tokens from order into a new array, so
// the old one's memory is freed; a.mu is held.
func (a *auth) compactLocked() {
	order := make([]string, 0, a.live.Load()+1)
	for _, t := range a.order {
		if _, ok := a.issued.Load(t); ok {
			order = append(order, t)
		}
	}
	a.order = order
}

// issuedCount returns how many issued tokens are kept.
func (a *auth) issuedCount() int64 { return a.live.Load() }

// bearer extracts the token of an "Authorization: Bearer x" header.
func bearer(h string) (string, bool) {
	const p = "bearer "
	if len(h) <= len(p) {
		return "", false
	}
	for i := 0; i < len(p); i++ {
		c := h[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != p[i] {
			return "", false
		}
	}
	return h[len(p):], true
}

// check returns nil when the Authorization header is acceptable.
func (a *auth) check(header, op string) *apiError {
	read := op == spec.OpSublist || op == spec.OpGroupOnline
	if header == "" {
		if a.brk.authRequired || (a.brk.authReadsOpen && read) || (a.brk.authSetOpen && op == spec.OpSetStatus) {
			return nil
		}
		return errMissingAuth
	}
	tok, ok := bearer(header)
	if !ok && a.brk.tokenNonBearer {
		return nil
	}
	if !ok || tok == "" {
		return errUnauthorized
	}
	if a.brk.authInvalidToken || (a.brk.tokenReadsOpen && read) {
		return nil
	}
	if _, ok := a.static[tok]; ok {
		return nil
	}
	if v, ok := a.issued.Load(tok); ok {
		if a.cfg.Now().Before(v.(time.Time)) {
			return nil
		}
		a.forget(tok)
	}
	return errUnauthorized
}

// sweep forgets expired issued tokens.
func (a *auth) sweep() {
	now := a.cfg.Now()
	a.issued.Range(func(k, v any) bool {
		if !now.Before(v.(time.Time)) {
			a.forget(k.(string))
		}
		return true
	})
	a.mu.Lock()
	if len(a.order) > int(a.live.Load()) {
		a.compactLocked()
	}
	a.mu.Unlock()
}

// tokenRequest is the token endpoint's body. ttl may be a number or a
// string of digits.
type tokenRequest struct {
	GrantType    string          `json:"grant_type"`
	ClientID     string          `json:"client_id"`
	ClientSecret string          `json:"client_secret"`
	TTL          json.RawMessage `json:"ttl"`
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, rs *reqState, org, app string) int {
	if e := s.readBody(r, rs); e != nil {
		return s.writeError(w, rs, e)
	}
	var req tokenRequest
	d := json.NewDecoder(bytes.NewReader(rs.body))
	if err := d.Decode(&req); err != nil || d.More() {
		return s.writeError(w, rs, errJSON)
	}
	if req.GrantType != "client_credentials" {
		return s.writeError(w, rs, errIllegal(descGrantType))
	}
	ttl := s.cfg.TokenTTL
	if raw := bytes.Trim(req.TTL, `"`); len(raw) > 0 && string(raw) != "null" {
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil || n < 0 {
			return s.writeError(w, rs, errIllegal("ttl must be a non-negative integer"))
		}
		if n > 0 {
			ttl = min(time.Duration(min(n, int64(s.cfg.MaxTokenTTL/time.Second)))*time.Second, s.cfg.MaxTokenTTL)
		}
	}
	a := s.auth
	idOK := a.cfg.ClientID != "" && subtle.ConstantTimeCompare([]byte(req.ClientID), []byte(a.cfg.ClientID)) == 1
	secretOK := subtle.ConstantTimeCompare([]byte(req.ClientSecret), []byte(a.cfg.ClientSecret)) == 1
	if !secretOK {
		secretOK = s.brk.tokenBadSecret ||
			(s.brk.tokenSecretPrefix && len(req.ClientSecret) > len(a.cfg.ClientSecret) && req.ClientSecret[:len(a.cfg.ClientSecret)] == a.cfg.ClientSecret) ||
			(s.brk.tokenSecretTrimmed && strings.TrimSpace(req.ClientSecret) == a.cfg.ClientSecret)
	}
	if !idOK || !secretOK {
		return s.writeError(w, rs, errBadCreds)
	}
	tok := newToken()
	switch {
	case s.brk.tokenGrant:
	case s.brk.tokenInstantExpiry:
		a.issue(tok, a.cfg.Now())
	default:
		a.issue(tok, a.cfg.Now().Add(ttl))
	}
	if s.brk.tokenZeroExpiry {
		ttl = 0
	}
	b := append(rs.out[:0], `{"access_token":`...)
	b = appendJSONString(b, tok)
	b = append(b, `,"expires_in":`...)
	b = strconv.AppendInt(b, int64(ttl/time.Second), 10)
	b = append(b, `,"application":`...)
	b = appendJSONString(b, s.appID)
	rs.out = append(b, '}')
	s.log.Info("token issued", "org", org, "app", app, "ttl", ttl)
	return s.writeJSON(w, 200, rs.out)
}

// newToken returns 32 random bytes, base64url: unguessable.
func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return "YWMt" + base64.RawURLEncoding.EncodeToString(b[:])
}

// newAppID returns a random UUID-shaped application ID.
func newAppID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
