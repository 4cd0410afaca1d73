package mock

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/presencekit/presencekit/spec"
)

// TestMockServesProfile: under a profile the mock serves its tenant prefix
// (Shengwang's /app-id/{app_id}, where the literal must match), answers 404
// for the operations the profile does not offer, and words its errors as
// the vendor does.
func TestMockServesProfile(t *testing.T) {
	s := newTest(t, func(c *Config) {
		c.Tenant = spec.Tenant{Segments: []string{"app-id", "{app_id}"}}
		c.NotOffered = []string{spec.OpGroupOnline}
		c.ErrorTexts = map[string]string{descNotFound: "no such thing here"}
	})
	do := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+testToken)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec
	}
	if r := do("POST", "/app-id/a1/users/u1/presence", `{"usernames":["u2"]}`); r.Code != http.StatusOK {
		t.Errorf("/app-id/a1/...: %d %s", r.Code, r.Body)
	}
	if r := do("POST", "/org/a1/users/u1/presence", `{"usernames":["u2"]}`); r.Code != http.StatusNotFound {
		t.Errorf("/org/a1/... under /app-id/{app_id}: %d, want 404", r.Code)
	}
	r := do("GET", "/app-id/a1/presence/online/g1/type/1", "")
	if r.Code != http.StatusNotFound || !strings.Contains(r.Body.String(), "no such thing here") {
		t.Errorf("group count not offered: %d %s, want 404 with the vendor's text", r.Code, r.Body)
	}
	if _, err := New(Config{Tenant: spec.Tenant{Segments: []string{"a", "{b}", "{c}"}}}); err == nil {
		t.Error("a three-segment tenant prefix was accepted")
	}
}
