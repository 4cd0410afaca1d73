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
// refuses a 100-byte ext that the easemob mock behind it would accept, and
// its report states the limit it judged by, not the embedded document's.
func TestProxyFollowsProfile(t *testing.T) {
	load := func(name string) *spec.Doc {
		d, err := spec.LoadProfile(name)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// serve runs a mock under mockDoc behind a proxy judging by doc.
	serve := func(doc, mockDoc *spec.Doc) (string, *proxy.Proxy) {
		mc := mock.DefaultConfig(mockDoc.Limits())
		mc.Tenant = mockDoc.Tenant()
		mc.Tokens = []string{strings.TrimPrefix(apiToken, "Bearer ")}
		srv, err := mock.New(mc)
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(func() { ts.Close(); _ = srv.Close() })
		return startProxy(t, ts.URL, doc, proxy.WithMode(proxy.ModeEnforce))
	}
	hdr := http.Header{"Content-Type": {"application/json"}}

	sw, _ := serve(load("shengwang"), load("shengwang"))
	if a := send(t, "POST", sw+"/app-id/a1/users/u1/presence", `{"usernames":["u2"]}`, hdr); a.status != http.StatusOK {
		t.Errorf("shengwang path through the enforcing proxy: %d %s", a.status, a.body)
	}
	if a := send(t, "POST", sw+"/org/app/users/u1/presence", `{"usernames":["u2"]}`, hdr); a.status == http.StatusOK {
		t.Errorf("an /org/app path passed a shengwang proxy: %d", a.status)
	}

	ext := `{"ext":"` + strings.Repeat("x", 100) + `"}`
	em, _ := serve(load("easemob"), load("easemob"))
	if a := send(t, "POST", em+base+"/users/u1/presence/android/1", ext, hdr); a.status != http.StatusOK {
		t.Errorf("easemob: 100-byte ext: %d %s", a.status, a.body)
	}
	agora := load("agora-chat")
	ag, apx := serve(agora, load("easemob"))
	if a := send(t, "POST", ag+base+"/users/u1/presence/android/1", ext, hdr); a.status != http.StatusBadRequest {
		t.Errorf("agora-chat: 100-byte ext: %d, want 400 from the enforcing proxy", a.status)
	}
	want, _ := agora.Rule(spec.RuleSetExtMax)
	embedded, _ := spec.RuleByID(spec.RuleSetExtMax)
	if want.Statement == embedded.Statement {
		t.Fatalf("agora-chat's ext statement is the embedded one (%q): the check below could not fail", want.Statement)
	}
	found := false
	for _, g := range apx.Snapshot().Groups {
		if g.Rule == spec.RuleSetExtMax {
			found = true
			if g.Statement != want.Statement {
				t.Errorf("agora-chat proxy's report states %q, want the profile's %q", g.Statement, want.Statement)
			}
		}
	}
	if !found {
		t.Errorf("agora-chat proxy reported no %s group: %+v", spec.RuleSetExtMax, apx.Snapshot().Groups)
	}
}
