package suites

import (
	"context"
	"testing"
	"time"

	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/mock/mocktest"
)

// TestVirtualClockFoundWithoutAdminToken: a presencekit mock's virtual
// clock is found with no --admin-token (GET /_mock/clock needs none), read
// for Now, and known to be one the suite cannot move; with the token it
// can be moved.
func TestVirtualClockFoundWithoutAdminToken(t *testing.T) {
	doc := mocktest.Doc(t)
	mc := mocktest.Config(t)
	mc.VirtualClock = true
	m := mocktest.Start(t, mc)
	ctx := context.Background()

	cfg := Defaults()
	cfg.Target, cfg.Token = m.URL, mock.DefaultToken
	e, err := NewEnv(ctx, cfg, doc)
	if err != nil {
		t.Fatal(err)
	}
	if !e.ClockStopped() || e.Virtual() || e.HasAdmin() {
		t.Fatalf("without --admin-token: stopped %v, virtual %v, admin %v; want a stopped clock the suite cannot move",
			e.ClockStopped(), e.Virtual(), e.HasAdmin())
	}
	if err := e.Advance(ctx, time.Hour); err == nil {
		t.Error("Advance without the admin token succeeded")
	}

	cfg.AdminToken = m.AdminToken
	admin, err := NewEnv(ctx, cfg, doc)
	if err != nil {
		t.Fatal(err)
	}
	if admin.ClockStopped() || !admin.Virtual() {
		t.Fatalf("with --admin-token: stopped %v, virtual %v; want a clock the suite moves", admin.ClockStopped(), admin.Virtual())
	}
	before, err := e.Now(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.Advance(ctx, 48*time.Hour); err != nil {
		t.Fatal(err)
	}
	after, err := e.Now(ctx) // read without the admin token
	if err != nil {
		t.Fatal(err)
	}
	if d := after.Sub(before); d < 48*time.Hour || d > 49*time.Hour {
		t.Errorf("Now moved %v after advancing 48h; want the virtual clock read", d)
	}
}
