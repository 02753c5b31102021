package sqlstore

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// TestPostgresCreateUserOneTrip: a create in one round trip
// (createUserOneTrip) makes its event with the organization and default
// role read by an earlier write; when the default role changed since, the
// create still records the new one, in the right order, and the next
// create takes one round trip again.
func TestPostgresCreateUserOneTrip(t *testing.T) {
	dsn, proxy := proxied(t, newPostgresMigrated(t), 0)
	s := openPostgresTest(t, dsn, false)
	ctx := context.Background()
	svc := &directory.Service{Store: s, Schemas: schema.New(), IDs: directory.IDs{Now: time.Now, Rand: rand.Reader},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	org, err := svc.CreateOrganization(ctx, "One trip", "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := svc.CreateDirectory(ctx, org.ID, "okta", "one-trip")
	if err != nil {
		t.Fatal(err)
	}
	create := func(name string) (directory.User, int64) {
		t.Helper()
		before := proxy.RoundTrips()
		u, err := svc.CreateUser(ctx, d, map[string]any{"userName": name})
		if err != nil {
			t.Fatalf("creating %s: %v", name, err)
		}
		return u, proxy.RoundTrips() - before
	}
	role := func(u directory.User) string {
		t.Helper()
		es, err := s.ListEvents(ctx, directory.EventQuery{DirectoryID: d.ID, Subject: u.ID, Types: []string{directory.EventUserCreated}})
		if err != nil || len(es) != 1 {
			t.Fatalf("events of %s: %v %v", u.UserName, es, err)
		}
		var rec struct {
			Role string `json:"role"`
		}
		if err := json.Unmarshal(es[0].Data, &rec); err != nil {
			t.Fatal(err)
		}
		return rec.Role
	}
	a, _ := create("a") // reads the directory
	create("a2")        // prepares the one-trip statements (pgx's cache)
	b, trips := create("b")
	if trips != 1 {
		t.Errorf("second create: %d round trips, want 1", trips)
	}
	was := role(a)
	if got := role(b); got != was {
		t.Errorf("b's role %q, a's %q", got, was)
	}
	next := "member"
	if was == next {
		next = "admin"
	}
	// Changed by another process (replica), which s does not hear of.
	other := openPostgresTest(t, dsn, false)
	if err := other.SetOrganizationDefaultRole(ctx, org.ID, next); err != nil {
		t.Fatal(err)
	}
	c, _ := create("c") // its check fails: created the slower way
	// pgx forgets the statement that failed: prepared again.
	e, _ := create("e")
	f, trips := create("f")
	if trips != 1 {
		t.Errorf("create after the check failed: %d round trips, want 1", trips)
	}
	for _, u := range []directory.User{c, e, f} {
		if got := role(u); got != next {
			t.Errorf("%s created after the default role became %q has role %q", u.UserName, next, got)
		}
	}
	if _, err := svc.CreateUser(ctx, d, map[string]any{"userName": "E"}); directory.KindOf(err) != directory.KindConflict {
		t.Errorf("a taken userName in one round trip: %v, want a conflict", err)
	}
}
