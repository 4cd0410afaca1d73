package suites

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/presencekit/presencekit/client"
)

// Errors of the start-up probe. Each means no rule can be judged, so the
// gate exits 2 and no spec runs: a wrong flag must not read as a broken
// server.
var (
	// ErrRefused means the server refused the suite's credentials (401).
	ErrRefused = errors.New("credentials refused")
	// ErrNoTenant means the server has no such org/app (404 on its path).
	ErrNoTenant = errors.New("no such org/app")
)

// ProbeError says why the start-up probe stopped the run, in one line
// that names the setting to fix and never a secret's value.
type ProbeError struct {
	// Kind is ErrUnreachable, ErrRefused or ErrNoTenant.
	Kind error
	// Credential is what the refused credential was: "token" or "client
	// credentials" (the CLI names the flag or variable it came from).
	Credential string
	Msg        string
}

func (p *ProbeError) Error() string { return p.Msg }

// Unwrap lets errors.Is find the kind.
func (p *ProbeError) Unwrap() error { return p.Kind }

// Credential names which credential the suite authenticates with, for the
// probe's messages.
const (
	CredentialToken  = "token"
	CredentialClient = "client credentials"
)

// credential is the kind of credential cfg authenticates with.
func credential(cfg Config) string {
	if cfg.Token != "" {
		return CredentialToken
	}
	return CredentialClient
}

// probe sends one authenticated read (the sublist of a fresh user) through
// the suite's own client, before any spec, and turns the answers that
// mean "the settings are wrong" into a *ProbeError: no answer at all, a
// refused token or client secret, an unknown org/app. A throttled probe
// (429) is a busy server, not a refusal: the run goes on and the specs
// meet the throttling themselves. So does any other answer: judging it
// is the specs' business.
func (e *Env) probe(ctx context.Context) error {
	target := e.Redactor.URL(e.Cfg.Target)
	tenant := fmt.Sprintf("org %q, app %q", e.Cfg.Org, e.Cfg.App)
	cred := credential(e.Cfg)
	user := e.User("probe")
	if len(e.Cfg.Users) > 0 {
		user = e.Cfg.Users[0] // a name a real tenant knows
	}
	_, r, err := e.Client.ListSubscriptions(ctx, user, client.Page(1, 1))
	var api *client.APIError
	switch {
	case r == nil && errors.As(err, &api):
		// The token fetch (client credentials) was answered, with an error.
		r = api.Response
		if r == nil {
			r = &client.Response{Status: api.Status}
		}
	case r == nil && err != nil:
		return &ProbeError{Kind: ErrUnreachable, Msg: fmt.Sprintf("%s is unreachable: %s", target, e.Redactor.String(transportReason(err)))}
	case r == nil:
		return &ProbeError{Kind: ErrUnreachable, Msg: fmt.Sprintf("%s gave no answer", target)}
	}
	where := "the presence API"
	if r.Request != nil && strings.HasSuffix(r.Request.URL.Path, "/token") {
		where = "the token endpoint"
	}
	switch r.Status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return &ProbeError{Kind: ErrRefused, Credential: cred, Msg: fmt.Sprintf("%s of %s refused the %s (%s)",
			where, target, cred, e.Redactor.String(answer(r)))}
	case http.StatusNotFound:
		code, desc := envelope(r)
		switch {
		case strings.Contains(strings.ToLower(code+" "+desc), "user"):
			// A server that does not know the probe user: the tenant is
			// there, and the specs judge the rest.
			return nil
		case code == "":
			return &ProbeError{Kind: ErrNoTenant, Msg: fmt.Sprintf("%s answered 404 for %s: check --target, --org and --app",
				target, tenant)}
		}
		return &ProbeError{Kind: ErrNoTenant, Msg: fmt.Sprintf("%s has no %s (%s): check --org and --app",
			target, tenant, e.Redactor.String(answer(r)))}
	}
	return nil
}

// envelope is the error code and description of an answer in the vendor's
// envelope, or "" and "".
func envelope(r *client.Response) (code, desc string) {
	var api *client.APIError
	if err := r.Err(); errors.As(err, &api) {
		return api.Envelope.Error, api.Envelope.Description
	}
	return "", ""
}

// answer is an HTTP status and, when the body is the vendor's envelope,
// its error code: "401 unauthorized".
func answer(r *client.Response) string {
	s := fmt.Sprint(r.Status)
	if code, _ := envelope(r); code != "" {
		s += " " + code
	}
	return s
}

// transportReason is the cause of a failed exchange without the method and
// URL the client and net/http wrap around it.
func transportReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
