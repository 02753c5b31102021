package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/client"
	"github.com/scimbridge/scimbridge/internal/app"
	"github.com/scimbridge/scimbridge/internal/config"
	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/testenv"
)

// fakeClock is a settable clock for the service and the store.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Millisecond) // distinct times, in order
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// policyEnv is an app on a backend, served by httptest (no background
// jobs: the tests run the policy job themselves), on a fake clock.
type policyEnv struct {
	t     *testing.T
	a     *app.App
	c     *client.Client
	clock *fakeClock
	base  string
}

func newPolicyEnv(t *testing.T, backend string) *policyEnv {
	cfg := config.Config{DataDir: t.TempDir(), APIKey: strings.Repeat("k", 40), LogLevel: "warn", LogFormat: "text"}
	if backend == "postgres" {
		cfg.Database = testenv.PostgresURL(t)
	}
	a, err := app.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: time.Date(2031, 3, 1, 9, 0, 0, 0, time.UTC)}
	a.Service.IDs.Now, a.Store.Now = clock.Now, clock.Now
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() { srv.Close(); a.Close() })
	return &policyEnv{t: t, a: a, c: client.New(srv.URL, cfg.APIKey), clock: clock, base: srv.URL}
}

// directory creates a directory with the settings and returns the IdP's
// client of it.
func (e *policyEnv) directory(set client.DeprovisionSettingsUpdate) (string, idp) {
	e.t.Helper()
	ctx := context.Background()
	org, err := e.c.CreateOrganization(ctx, "Org", "")
	if err != nil {
		e.t.Fatal(err)
	}
	d, err := e.c.CreateDirectory(ctx, org.ID, "okta", "Okta")
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.c.UpdateDirectory(ctx, d.ID, client.DirectoryUpdate{Settings: &client.DirectorySettingsUpdate{DeprovisionSettingsUpdate: set}}); err != nil {
		e.t.Fatal(err)
	}
	tok, err := e.c.CreateToken(ctx, d.ID, time.Time{})
	if err != nil {
		e.t.Fatal(err)
	}
	return d.ID, idp{t: e.t, base: e.base + "/scim/v2/" + d.ID, token: tok.Token}
}

func (p idp) create(name string) string {
	p.t.Helper()
	st, out := p.do("POST", "/Users", map[string]any{"userName": name, "active": true})
	if st != 201 {
		p.t.Fatalf("creating %s: %d %v", name, st, out)
	}
	return out["id"].(string)
}

func (p idp) setActive(id string, active bool) {
	p.t.Helper()
	v := "False"
	if active {
		v = "True"
	}
	if st, out := p.do("PATCH", "/Users/"+id, entraActive(v)); st != 200 {
		p.t.Fatalf("PATCH active %v: %d %v", active, st, out)
	}
}

// events returns the directory's events of the feed, after position after.
func (e *policyEnv) events(dirID string, after int64) []client.Event {
	e.t.Helper()
	evs, _, err := e.c.ListEvents(context.Background(), client.EventsOptions{After: fmt.Sprint(after), DirectoryID: dirID, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

func (e *policyEnv) last() int64 {
	n, err := e.a.Store.LastEventPosition(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func ptr[T any](v T) *T { return &v }

// TestPolicyOnDelete: on_delete=deactivate keeps a user the IdP deleted,
// inactive, for the app (user_updated, active false, no user_deleted),
// while the IdP sees it gone and can create its userName again; the
// default (delete) deletes.
func TestPolicyOnDelete(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			e := newPolicyEnv(t, backend)
			ctx := context.Background()

			dirID, p := e.directory(client.DeprovisionSettingsUpdate{OnDelete: ptr("deactivate")})
			id := p.create("ada@example.com")
			start := e.last()
			if st, _ := p.do("DELETE", "/Users/"+id, nil); st != 204 {
				t.Fatalf("IdP DELETE: %d", st)
			}
			if st, _ := p.do("GET", "/Users/"+id, nil); st != 404 {
				t.Fatalf("IdP GET after DELETE: %d, want 404 (RFC 7644 §3.6)", st)
			}
			evs := e.events(dirID, start)
			if len(evs) != 1 || evs[0].Type != directory.EventUserUpdated || !strings.Contains(string(evs[0].PreviousAttributes), `"active":true`) {
				t.Fatalf("events of the IdP's delete: %+v", evs)
			}
			u, err := e.c.GetUser(ctx, dirID, id, false)
			if err != nil || u.Active || u.UserName != "ada@example.com" {
				t.Fatalf("the app's view of the deleted user: %+v %v", u, err)
			}
			again := p.create("ada@example.com") // the IdP re-creates the userName
			if again == id {
				t.Fatal("the re-created user has the old id")
			}
			// A user already inactive: the IdP's delete changes nothing the
			// app sees.
			inactive := p.create("gone@example.com")
			p.setActive(inactive, false)
			start = e.last()
			if st, _ := p.do("DELETE", "/Users/"+inactive, nil); st != 204 {
				t.Fatalf("IdP DELETE: %d", st)
			}
			if evs := e.events(dirID, start); len(evs) != 0 {
				t.Fatalf("deleting an inactive user kept by on_delete=deactivate: events %+v, want none", evs)
			}
			if u, err := e.c.GetUser(ctx, dirID, inactive, false); err != nil || u.Active {
				t.Fatalf("the app's view of it: %+v %v", u, err)
			}
			got, _ := e.c.GetDirectory(ctx, dirID)
			if got.Settings.OnDelete != "deactivate" {
				t.Fatalf("settings.on_delete = %q", got.Settings.OnDelete)
			}

			dirID, p = e.directory(client.DeprovisionSettingsUpdate{})
			id = p.create("bob@example.com")
			start = e.last()
			if st, _ := p.do("DELETE", "/Users/"+id, nil); st != 204 {
				t.Fatalf("IdP DELETE: %d", st)
			}
			if evs := e.events(dirID, start); len(evs) != 1 || evs[0].Type != directory.EventUserDeleted {
				t.Fatalf("default on_delete: events %+v, want user_deleted", evs)
			}
			if _, err := e.c.GetUser(ctx, dirID, id, false); err == nil {
				t.Fatal("default on_delete: the app still sees the user")
			}
		})
	}
}

// TestPolicyDeleteAfter: on_deactivate=delete_after deletes users that
// stayed inactive N days (user_deleted), not those reactivated meanwhile,
// not before N days; with on_delete=deactivate it also forgets the users
// it kept; two jobs running at once delete each user once.
func TestPolicyDeleteAfter(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			e := newPolicyEnv(t, backend)
			ctx := context.Background()
			day := 24 * time.Hour
			job := e.a.Deprovision
			// The guard off: the 20 deactivations below would open a hold,
			// and the policy never deletes held users.
			dirID, p := e.directory(client.DeprovisionSettingsUpdate{OnDelete: ptr("deactivate"), OnDeactivate: ptr("delete_after"), DeleteAfterDays: ptr(30),
				DeprovisionGuard: &client.DeprovisionGuardUpdate{Enabled: ptr(false)}})
			a, b, c, d := p.create("a@example.com"), p.create("b@example.com"), p.create("c@example.com"), p.create("d@example.com")
			keep := p.create("keep@example.com")
			st, out := p.do("POST", "/Users", map[string]any{"userName": "born-inactive@example.com", "active": false})
			if st != 201 {
				t.Fatalf("creating an inactive user: %d %v", st, out)
			}
			bornInactive := out["id"].(string)
			p.setActive(a, false)
			p.setActive(b, false)
			if st, _ := p.do("DELETE", "/Users/"+d, nil); st != 204 { // kept by on_delete=deactivate
				t.Fatalf("DELETE: %d", st)
			}
			e.clock.advance(10 * day)
			p.setActive(b, true) // reactivated within 30 days
			e.clock.advance(10 * day)
			p.setActive(c, false)
			e.clock.advance(9 * day) // day 29
			if n, err := job.RunOnce(ctx); err != nil || n != 0 {
				t.Fatalf("day 29: deleted %d (%v), want 0", n, err)
			}
			e.clock.advance(2 * day) // day 31
			start := e.last()
			if n, err := job.RunOnce(ctx); err != nil || n != 3 {
				t.Fatalf("day 31: deleted %d (%v), want 3 (a, one created inactive, and d kept after the IdP's delete)", n, err)
			}
			deleted := map[string]bool{}
			for _, ev := range e.events(dirID, start) {
				var rec struct{ ID string }
				json.Unmarshal(ev.Data, &rec)
				if ev.Type != directory.EventUserDeleted {
					t.Fatalf("the job emitted %s", ev.Type)
				}
				deleted[rec.ID] = true
			}
			if !deleted[a] || !deleted[d] || !deleted[bornInactive] || len(deleted) != 3 {
				t.Fatalf("deleted %v, want a, d and the user created inactive", deleted)
			}
			for _, id := range []string{a, d} {
				if _, err := e.c.GetUser(ctx, dirID, id, false); err == nil {
					t.Fatalf("the app still sees %s", id)
				}
			}
			if st, _ := p.do("GET", "/Users/"+a, nil); st != 404 {
				t.Fatalf("IdP GET of the deleted user: %d", st)
			}
			for _, id := range []string{b, c, keep} {
				if _, err := e.c.GetUser(ctx, dirID, id, false); err != nil {
					t.Fatalf("%s was deleted: %v", id, err)
				}
			}
			if n, _ := job.RunOnce(ctx); n != 0 {
				t.Fatalf("a second run deleted %d", n)
			}
			e.clock.advance(20 * day) // day 51: c's 30 days are over
			if n, err := job.RunOnce(ctx); err != nil || n != 1 {
				t.Fatalf("day 51: deleted %d (%v), want 1 (c)", n, err)
			}
			if _, err := e.c.GetUser(ctx, dirID, b, false); err != nil {
				t.Fatalf("the reactivated user was deleted: %v", err)
			}

			// Two jobs at once (as two replicas): each user deleted once.
			var many []string
			for i := range 20 {
				id := p.create(fmt.Sprintf("many%d@example.com", i))
				p.setActive(id, false)
				many = append(many, id)
			}
			e.clock.advance(31 * day)
			start = e.last()
			var wg sync.WaitGroup
			counts := make([]int, 2)
			for i := range counts {
				wg.Add(1)
				go func() {
					defer wg.Done()
					n, err := job.RunOnce(ctx)
					if err != nil {
						t.Error(err)
					}
					counts[i] = n
				}()
			}
			wg.Wait()
			if counts[0]+counts[1] != 20 || len(e.events(dirID, start)) != 20 {
				t.Fatalf("two jobs deleted %v users with %d events, want 20 in all", counts, len(e.events(dirID, start)))
			}
		})
	}
}

// TestHoldDefaultThreshold: with the default settings, a directory of
// 1,000 users tolerates max(10, 10 %) = 100 deactivations within an hour;
// the 101st opens a hold, which keeps the rest. Turned off, the guard
// keeps nothing.
func TestHoldDefaultThreshold(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			e := newPolicyEnv(t, backend)
			ctx := context.Background()
			dirID, p := e.directory(client.DeprovisionSettingsUpdate{})
			dir, err := e.a.Service.Read().GetDirectory(ctx, dirID)
			if err != nil {
				t.Fatal(err)
			}
			ids := createUsers(t, e.a.Service, dir, 1000, func(i int) map[string]any {
				return map[string]any{"userName": fmt.Sprintf("u%d@example.com", i)}
			})
			start := e.last()
			for _, id := range ids[:150] {
				p.setActive(id, false)
			}
			flowed := 0
			for _, ev := range e.events(dirID, start) {
				if ev.Type == directory.EventUserUpdated {
					flowed++
				}
			}
			holds, err := e.c.ListHolds(ctx, dirID)
			if err != nil {
				t.Fatal(err)
			}
			if flowed != 100 || len(holds) != 1 || holds[0].Threshold != 100 || len(holds[0].Users) != 50 {
				t.Fatalf("%d deactivations reached the app, holds %+v; want 100 and one hold of 50 (threshold 100)", flowed, holds)
			}
			// A held user deleted and re-created by the IdP: the IdP sees
			// the new one, the app still the held one.
			if st, _ := p.do("DELETE", "/Users/"+ids[149], nil); st != 204 {
				t.Fatalf("DELETE: %d", st)
			}
			again := p.create("u149@example.com")
			if u, err := e.c.GetUser(ctx, dirID, ids[149], false); err != nil || !u.Active {
				t.Fatalf("the app's view of a held, deleted user: %+v %v", u, err)
			}
			if u, err := e.c.GetUser(ctx, dirID, again, false); err != nil || !u.Active {
				t.Fatalf("the re-created user: %+v %v", u, err)
			}
			if _, err := e.c.DiscardHold(ctx, dirID, holds[0].ID); err != nil {
				t.Fatal(err)
			}
			if _, err := e.c.UpdateDirectory(ctx, dirID, client.DirectoryUpdate{Settings: &client.DirectorySettingsUpdate{
				DeprovisionSettingsUpdate: client.DeprovisionSettingsUpdate{DeprovisionGuard: &client.DeprovisionGuardUpdate{Enabled: ptr(false)}}}}); err != nil {
				t.Fatal(err)
			}
			start = e.last()
			for _, id := range ids[200:400] {
				p.setActive(id, false)
			}
			if n := len(e.events(dirID, start)); n != 200 {
				t.Fatalf("guard off: %d events reached the app, want 200", n)
			}
		})
	}
}
