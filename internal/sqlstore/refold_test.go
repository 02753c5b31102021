package sqlstore

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/filter"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// refoldChecks: migration 0009's Go step refolds rows folded before NFC
// folding. The test makes the folded columns stale (folded by plain
// lower-casing, as before), runs the step and filters with the other
// Unicode form; a pair of names the new folding makes equal keeps the old
// fold of one of them instead of failing the migration.
func refoldChecks(t *testing.T, s *Store) {
	ctx := context.Background()
	svc := &directory.Service{Store: s, Schemas: schema.New(), IDs: directory.IDs{Now: time.Now, Rand: rand.Reader},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	org, err := svc.CreateOrganization(ctx, "Acme", "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := svc.CreateDirectory(ctx, org.ID, "okta", "")
	if err != nil {
		t.Fatal(err)
	}
	const decomposed = "Rene\u0301@example.com"
	u, err := svc.CreateUser(ctx, d, map[string]any{"userName": decomposed, "displayName": "Rene\u0301 Zoe\u0308",
		"emails": []any{map[string]any{"value": decomposed, "primary": true}}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := svc.CreateGroup(ctx, d, map[string]any{"displayName": "Cafe\u0301"})
	if err != nil {
		t.Fatal(err)
	}
	x, err := svc.CreateUser(ctx, d, map[string]any{"userName": "xe\u0301"})
	if err != nil {
		t.Fatal(err)
	}
	y, err := svc.CreateUser(ctx, d, map[string]any{"userName": "placeholder"})
	if err != nil {
		t.Fatal(err)
	}
	// Stale folds, as plain lower-casing left them: the documents' folded
	// copies are the documents themselves (not NFC).
	stale := func(q string, args ...any) {
		t.Helper()
		if _, err := s.write.ExecContext(ctx, s.q(q), args...); err != nil {
			t.Fatal(err)
		}
	}
	stale(`UPDATE users SET user_name_fold = $2, doc_fold = doc, email_fold = $3, display_fold = $4 WHERE id = $1`,
		u.ID, strings.ToLower(decomposed), strings.ToLower(decomposed), strings.ToLower("Rene\u0301 Zoe\u0308"))
	stale(`UPDATE groups SET display_name_fold = $2, doc_fold = doc WHERE id = $1`, g.ID, "cafe\u0301")
	stale(`UPDATE users SET user_name_fold = $2 WHERE id = $1`, x.ID, "xe\u0301")
	// y now holds the precomposed form of x's name, as two rows could
	// before NFC folding.
	stale(`UPDATE users SET user_name = $2, user_name_fold = $2 WHERE id = $1`, y.ID, "x\u00e9")

	find := func(rt *schema.ResourceType, text string) int {
		t.Helper()
		e, err := filter.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		e, err = filter.Resolve(rt, e)
		if err != nil {
			t.Fatal(err)
		}
		if rt.ID == "Group" {
			p, err := s.ListGroups(ctx, d.ID, directory.Query{Filter: e, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			return len(p.Groups)
		}
		p, err := s.ListUsers(ctx, d.ID, directory.Query{Filter: e, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return len(p.Users)
	}
	schemas := schema.New()
	checks := []struct {
		rt   *schema.ResourceType
		text string
	}{
		{schemas.User, `userName eq "ren\u00e9@example.com"`},
		{schemas.User, `emails.value eq "REN\u00c9@example.com"`},
		{schemas.Group, `displayName eq "caf\u00e9"`},
	}
	for _, c := range checks {
		if n := find(c.rt, c.text); n != 0 {
			t.Fatalf("%s found %d before the refold: the folds are not stale", c.text, n)
		}
	}

	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.refold(ctx, tx); err != nil {
		tx.Rollback()
		t.Fatalf("refold: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if n := find(c.rt, c.text); n != 1 {
			t.Errorf("after the refold, %s found %d, want 1", c.text, n)
		}
	}
	if pg, err := s.ListUsers(ctx, d.ID, directory.Query{Search: "ren\u00e9 zo", Limit: 5}); err != nil || len(pg.Users) != 1 {
		t.Errorf("after the refold, search by display name: %v (%v)", userIDsOf(pg.Users), err)
	}
	// Both of the colliding names are still there.
	for _, id := range []string{x.ID, y.ID} {
		if _, err := s.GetUser(ctx, d.ID, id); err != nil {
			t.Errorf("GetUser(%s) after the refold: %v", id, err)
		}
	}
}

func TestRefoldSQLite(t *testing.T) {
	refoldChecks(t, openSQLiteTest(t, filepath.Join(t.TempDir(), "r.db")))
}

func TestRefoldPostgres(t *testing.T) {
	refoldChecks(t, openPostgresTest(t, newPostgresSchema(t), true))
}
