package client

import (
	"io"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Redacted replaces every secret a Redactor masks.
const Redacted = "REDACTED"

// minSecretLen is the shortest configured secret masked by value. A one- or
// two-byte "secret" would mask every occurrence of a common letter and make
// the output unreadable; such values are still masked wherever they appear
// in a known secret position (bearer token, client_secret, URL password).
const minSecretLen = 3

// secretShapes are the places a secret sits whatever its value: a bearer
// token, a client secret or access token in JSON or form encoding, an admin
// token header, a URL's password.
var secretShapes = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`(?i)(authorization\W{0,4}(?:bearer|basic)\s+)[^\s"',;<>\]]+`), "${1}" + Redacted},
	{regexp.MustCompile(`(?i)("(?:client_secret|access_token|password|admin_token|token)"\s*:\s*")(?:[^"\\]|\\.)*"`), `${1}` + Redacted + `"`},
	{regexp.MustCompile(`(?i)\b((?:client_secret|access_token|password|admin_token)=)[^&\s"']+`), "${1}" + Redacted},
	{regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)([^/@\s:"'<>]*):([^/@\s"'<>]*)@`), "${1}${2}:" + Redacted + "@"},
}

// Redactor masks secrets in any text bound for output: console lines,
// reports, logs, results files, help defaults and error texts all pass
// through one, so no writer can forget a case. It masks the known shapes
// (Authorization values, client_secret and access_token fields, URL
// passwords) and every configured secret value, also where it sits inside
// a longer string (a refused secret with a suffix). A nil *Redactor masks
// the shapes only. It is safe for concurrent use.
type Redactor struct {
	mu      sync.RWMutex
	secrets []string // longest first, so a secret containing another wins
}

// NewRedactor returns a Redactor masking the given secret values; empty
// values are ignored.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// Add registers more secret values, e.g. a token fetched at run time.
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if len(s) < minSecretLen || contains(r.secrets, s) {
			continue
		}
		r.secrets = append(r.secrets, s)
		// Also mask the escaped forms a secret takes in a URL or a
		// JSON string, where its bytes differ from the raw value.
		for _, alt := range []string{url.QueryEscape(s), url.PathEscape(s)} {
			if alt != s && !contains(r.secrets, alt) {
				r.secrets = append(r.secrets, alt)
			}
		}
	}
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// String returns s with every secret masked.
func (r *Redactor) String(s string) string {
	if r != nil {
		r.mu.RLock()
		for _, sec := range r.secrets {
			if strings.Contains(s, sec) {
				s = strings.ReplaceAll(s, sec, Redacted)
			}
		}
		r.mu.RUnlock()
	}
	for _, sh := range secretShapes {
		s = sh.re.ReplaceAllString(s, sh.repl)
	}
	return s
}

// Bytes is String for byte slices; b is not modified.
func (r *Redactor) Bytes(b []byte) []byte { return []byte(r.String(string(b))) }

// Error returns err's text masked, or "" for a nil error.
func (r *Redactor) Error(err error) string {
	if err == nil {
		return ""
	}
	return r.String(err.Error())
}

// URL returns raw with its password masked, for a URL that is shown
// whole (a report's target). A raw value that does not parse is masked
// as text.
func (r *Redactor) URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return r.String(raw)
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), Redacted)
	}
	return r.String(u.String())
}

// Writer returns a writer that masks what it forwards to w. Each Write is
// masked on its own, so a caller must write whole lines or documents (as
// fmt.Fprintf and the report encoders do): a secret split across two
// writes would pass.
func (r *Redactor) Writer(w io.Writer) io.Writer { return &redactWriter{r: r, w: w} }

type redactWriter struct {
	r *Redactor
	w io.Writer
}

func (rw *redactWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(rw.w, rw.r.String(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
