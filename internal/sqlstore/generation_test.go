package sqlstore

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// TestGenerationsMoveWithWrites: every write to a directory's users,
// groups or memberships moves that directory's generation, and only
// that directory's; reads and other directories' writes do not.
func TestGenerationsMoveWithWrites(t *testing.T) {
	ctx := context.Background()
	s := openSQLiteTest(t, filepath.Join(t.TempDir(), "gens.db"))
	svc := &directory.Service{Store: s, Schemas: schema.New(), IDs: directory.IDs{Now: time.Now, Rand: rand.Reader},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	org, err := svc.CreateOrganization(ctx, "Gens", "")
	if err != nil {
		t.Fatal(err)
	}
	a, err := svc.CreateDirectory(ctx, org.ID, "okta", "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.CreateDirectory(ctx, org.ID, "okta", "")
	if err != nil {
		t.Fatal(err)
	}
	gen := func(d directory.Directory) uint64 {
		t.Helper()
		g, ok := s.Generation(d.ID)
		if !ok {
			t.Fatal("SQLite store has no generations")
		}
		return g
	}
	moves := func(what string, fn func() error) {
		t.Helper()
		beforeA, beforeB := gen(a), gen(b)
		if err := fn(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if gen(a) == beforeA {
			t.Errorf("%s: directory A's generation stayed at %d", what, beforeA)
		}
		if gen(b) != beforeB {
			t.Errorf("%s in A moved directory B's generation from %d to %d", what, beforeB, gen(b))
		}
	}
	var u directory.User
	moves("creating a user", func() (err error) {
		u, err = svc.CreateUser(ctx, a, map[string]any{"userName": "ada@example.com"})
		return err
	})
	var g directory.Group
	moves("creating a group", func() (err error) {
		g, err = svc.CreateGroup(ctx, a, map[string]any{"displayName": "Eng"})
		return err
	})
	moves("adding a member", func() error {
		_, err := svc.PatchGroup(ctx, a, g.ID, []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"`+u.ID+`"}]}]}`), "")
		return err
	})
	moves("renaming the group", func() error {
		_, err := svc.PatchGroup(ctx, a, g.ID, []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Engineering"}]}`), "")
		return err
	})
	moves("patching the user", func() error {
		_, _, err := svc.PatchUser(ctx, a, u.ID, []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Ada"}]}`), "")
		return err
	})
	moves("deleting the group", func() error { return svc.DeleteGroup(ctx, a, g.ID, "") })
	moves("deleting the user", func() error { return svc.DeleteUser(ctx, a, u.ID, "") })

	before := gen(a)
	if _, err := s.GetUser(ctx, a.ID, u.ID); !directory.IsNotFound(err) {
		t.Fatalf("GetUser of a deleted user: %v", err)
	}
	if _, err := s.ListUsers(ctx, a.ID, directory.Query{Limit: 10}); err != nil {
		t.Fatal(err)
	}
	if gen(a) != before {
		t.Errorf("reads moved the generation from %d to %d", before, gen(a))
	}
}
