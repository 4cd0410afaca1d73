package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/spec"
)

// TestWithTenant: the client builds its paths from the spec's tenant
// prefix: Shengwang's /app-id/{app_id} takes the app and needs no org; the
// default stays /{org}/{app}.
func TestWithTenant(t *testing.T) {
	var got string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.EscapedPath()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"result":[]}`))
	}))
	defer ts.Close()
	sw := spec.Tenant{Segments: []string{"app-id", "{app_id}"}}
	c, err := client.New(ts.URL+"/gw", "", "my app", client.WithTenant(sw))
	if err != nil {
		t.Fatal(err)
	}
	_, _, _ = c.GetPresence(context.Background(), "u1", []string{"u2"})
	if got != "/gw/app-id/my%20app/users/u1/presence" {
		t.Errorf("shengwang path = %q", got)
	}
	if _, err := client.New(ts.URL, "", "app"); err == nil {
		t.Error("the default tenant accepted an empty org")
	}
	c, err = client.New(ts.URL, "o", "a")
	if err != nil {
		t.Fatal(err)
	}
	_, _, _ = c.GetPresence(context.Background(), "u1", []string{"u2"})
	if got != "/o/a/users/u1/presence" {
		t.Errorf("default path = %q", got)
	}
}
