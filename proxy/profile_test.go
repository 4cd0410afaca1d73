package proxy_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/proxy"
	"github.com/presencekit/presencekit/spec"
)

// TestProxyFollowsProfile: in enforce mode the proxy judges by the
// profile's merged document: Shengwang's /app-id/{app_id} paths route and
// reach the server, /org/app ones do not; Agora Chat's 64-byte ext limit
// refuses a 100-byte ext that the easemob mock behind it would accept.
func TestProxyFollowsProfile(t *testing.T) {
	load := func(name string) *spec.Doc {
		d, err := spec.LoadProfile(name)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// serve runs a mock under mockDoc behind a proxy judging by doc.
	serve := func(doc, mockDoc *spec.Doc) string {
		mc := mock.DefaultConfig(mockDoc.Limits())
		mc.Tenant = mockDoc.Tenant()
		mc.Tokens = []string{strings.TrimPrefix(apiToken, "Bearer ")}
		srv, err := mock.New(mc)
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(func() { ts.Close(); _ = srv.Close() })
		px, _ := startProxy(t, ts.URL, doc, proxy.WithMode(proxy.ModeEnforce))
		return px
	}
	hdr := http.Header{"Content-Type": {"application/json"}}

	sw := serve(load("shengwang"), load("shengwang"))
	if a := send(t, "POST", sw+"/app-id/a1/users/u1/presence", `{"usernames":["u2"]}`, hdr); a.status != http.StatusOK {
		t.Errorf("shengwang path through the enforcing proxy: %d %s", a.status, a.body)
	}
	if a := send(t, "POST", sw+"/org/app/users/u1/presence", `{"usernames":["u2"]}`, hdr); a.status == http.StatusOK {
		t.Errorf("an /org/app path passed a shengwang proxy: %d", a.status)
	}

	ext := `{"ext":"` + strings.Repeat("x", 100) + `"}`
	if a := send(t, "POST", serve(load("easemob"), load("easemob"))+base+"/users/u1/presence/android/1", ext, hdr); a.status != http.StatusOK {
		t.Errorf("easemob: 100-byte ext: %d %s", a.status, a.body)
	}
	if a := send(t, "POST", serve(load("agora-chat"), load("easemob"))+base+"/users/u1/presence/android/1", ext, hdr); a.status != http.StatusBadRequest {
		t.Errorf("agora-chat: 100-byte ext: %d, want 400 from the enforcing proxy", a.status)
	}
}
