package suites_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/presencekit/presencekit/spec"
	"github.com/presencekit/presencekit/suites"
)

// answering serves every request with status and the vendor's envelope
// carrying code (no body for an empty code).
func answering(t *testing.T, status int, code string) string {
	t.Helper()
	return answeringDesc(t, status, code, "d")
}

func answeringDesc(t *testing.T, status int, code, desc string) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if code != "" {
			_, _ = w.Write([]byte(`{"error":"` + code + `","exception":"X","timestamp":1,"duration":0,"error_description":"` + desc + `"}`))
		}
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// TestProbeStopsBadSettings pins the start-up probe: before any spec, an
// unreachable target, a refused token or client secret and an unknown
// org/app are each a *ProbeError of their kind, with a line that names
// the fix and not the secret; a throttled probe is not a refusal.
func TestProbeStopsBadSettings(t *testing.T) {
	doc, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	const secret = "probe-secret-marker"
	cases := []struct {
		name   string
		target string
		creds  func(*suites.Config)
		kind   error // nil: the probe lets the run go on
		want   string
	}{
		{"refused token", answering(t, 401, "unauthorized"), func(c *suites.Config) { c.Token = secret },
			suites.ErrRefused, "refused the token (401 unauthorized)"},
		{"refused client secret", answering(t, 401, "unauthorized"), func(c *suites.Config) { c.ClientID, c.ClientSecret = "id", secret },
			suites.ErrRefused, "token endpoint of"},
		{"unknown org/app", answering(t, 404, "organization_application_not_found"), func(c *suites.Config) { c.Token = secret },
			suites.ErrNoTenant, "(404 organization_application_not_found): check --org and --app"},
		{"unreachable", closed.URL, func(c *suites.Config) { c.Token = secret },
			suites.ErrUnreachable, "is unreachable: "},
		{"no envelope on 404", answering(t, 404, ""), func(c *suites.Config) { c.Token = secret },
			suites.ErrNoTenant, "check --target, --org and --app"},
		{"unknown probe user", answeringDesc(t, 404, "service_resource_not_found", "Username pk-probe-1 doesn't exist"), func(c *suites.Config) { c.Token = secret }, nil, ""},
		{"throttled", answering(t, 429, "reach_limit"), func(c *suites.Config) { c.Token = secret }, nil, ""},
		{"server error", answering(t, 503, "service_unavailable"), func(c *suites.Config) { c.Token = secret }, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := suites.Defaults()
			cfg.Target = c.target
			c.creds(&cfg)
			_, err := suites.NewEnv(context.Background(), cfg, doc)
			if c.kind == nil {
				if err != nil {
					t.Fatalf("the probe stopped the run: %v", err)
				}
				return
			}
			var pe *suites.ProbeError
			if !errors.As(err, &pe) || !errors.Is(err, c.kind) {
				t.Fatalf("got %v, want a probe error of kind %v", err, c.kind)
			}
			if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("message %q: want one line containing %q", err, c.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the secret is in the message: %q", err)
			}
		})
	}
}

// TestLabelFilterErrorsArePlain pins that a filter Ginkgo cannot parse is
// a configuration error in plain text, refused before any request.
func TestLabelFilterErrorsArePlain(t *testing.T) {
	for _, f := range []string{"rule:(", "a &&", "((x)"} {
		err := suites.CheckLabelFilter(f)
		if !errors.Is(err, suites.ErrConfig) {
			t.Errorf("%q: got %v, want ErrConfig", f, err)
			continue
		}
		if msg := err.Error(); strings.ContainsAny(msg, "\x1b\n") || strings.Contains(msg, "{{") {
			t.Errorf("%q: message is not one plain line: %q", f, msg)
		}
	}
	if err := suites.CheckLabelFilter(suites.RuleLabel(spec.RuleSubLimitUsers) + " || op:listSubscriptions"); err != nil {
		t.Errorf("a valid filter was refused: %v", err)
	}
}
