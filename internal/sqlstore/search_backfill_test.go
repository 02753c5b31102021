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
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// backfillChecks: migration 0007 fills the search columns of users that
// existed before it. The test empties them, runs the migration's UPDATE
// again and searches.
func backfillChecks(t *testing.T, s *Store) {
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
	u, err := svc.CreateUser(ctx, d, map[string]any{"userName": "ada", "displayName": "Ada Lovelace",
		"name":   map[string]any{"familyName": "Lovelace"},
		"emails": []any{map[string]any{"value": "home@example.com"}, map[string]any{"value": "Ada@Work.example", "primary": true}}})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := svc.CreateUser(ctx, d, map[string]any{"userName": "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.write.ExecContext(ctx, `UPDATE users SET email_fold = '', display_fold = '', family_fold = ''`); err != nil {
		t.Fatal(err)
	}
	b, err := migrationFiles.ReadFile("migrations/" + s.Dialect() + "/0007_portal.sql")
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	i := strings.Index(src, "UPDATE users SET")
	j := strings.Index(src[i:], ";")
	if _, err := s.write.ExecContext(ctx, src[i:i+j]); err != nil {
		t.Fatalf("the migration's backfill: %v", err)
	}
	for q, want := range map[string]string{"ada@work": u.ID, "ada lov": u.ID, "lovelace": u.ID, "bob": plain.ID} {
		pg, err := s.ListUsers(ctx, d.ID, directory.Query{Search: q, Limit: 5})
		if err != nil || len(pg.Users) != 1 || pg.Users[0].ID != want {
			t.Errorf("after the backfill, Search %q = %v (%v), want [%s]", q, userIDsOf(pg.Users), err, want)
		}
	}
	if pg, _ := s.ListUsers(ctx, d.ID, directory.Query{Search: "home@", Limit: 5}); len(pg.Users) != 0 {
		t.Errorf("the backfill took a non-primary email")
	}
}

func userIDsOf(us []directory.User) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.ID)
	}
	return out
}

func TestSearchBackfillSQLite(t *testing.T) {
	backfillChecks(t, openSQLiteTest(t, filepath.Join(t.TempDir(), "b.db")))
}

func TestSearchBackfillPostgres(t *testing.T) {
	backfillChecks(t, openPostgresTest(t, newPostgresSchema(t), true))
}
