package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/storetest"
)

// postgresEnv names the variable holding the URL of a PostgreSQL server the
// tests may create schemas in, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const postgresEnv = "SCIMBRIDGE_TEST_POSTGRES_URL"

// postgresURL returns the test server's URL or skips the test.
func postgresURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv(postgresEnv)
	if u == "" {
		t.Skipf("PostgreSQL tests skipped: set %s to a postgres:// URL (a scratch database: each test creates and drops its own schema)", postgresEnv)
	}
	return u
}

// newPostgresSchema creates a uniquely named schema on the test server,
// drops it when t ends, and returns a DSN whose search_path is that schema.
func newPostgresSchema(t *testing.T) string {
	t.Helper()
	base := postgresURL(t)
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("connecting to %s: %v", postgresEnv, err)
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := "test_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+name); err != nil {
		admin.Close()
		t.Fatalf("creating schema %s: %v", name, err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+name+` CASCADE`); err != nil {
			t.Errorf("dropping schema %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", postgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", name) // pgx sends unknown parameters as run-time parameters
	u.RawQuery = q.Encode()
	return u.String()
}

// openPostgresTest opens a store on dsn, closes it when t ends (before the
// schema is dropped: cleanups run last-in first-out) and, if migrate, migrates it.
func openPostgresTest(t *testing.T, dsn string, migrate bool) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if s.Dialect() != "postgres" {
		t.Fatalf("Open(%s) opened %s", dsn, s.Dialect())
	}
	if migrate {
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
	return s
}

// newPostgresStore returns a fresh, migrated store in its own schema.
func newPostgresStore(t *testing.T) directory.Store {
	t.Helper()
	return openPostgresTest(t, newPostgresSchema(t), true)
}

func TestPostgres(t *testing.T) {
	postgresURL(t)
	storetest.Run(t, newPostgresStore)
}

func TestPostgresFilterDifferential(t *testing.T) {
	postgresURL(t)
	storetest.RunFilterDifferential(t, newPostgresStore)
}

// TestPostgresConcurrentStores races two Store values, each with its own
// connection pool as two scimbridge processes would have, on one schema.
func TestPostgresConcurrentStores(t *testing.T) {
	dsn := newPostgresSchema(t)
	a := openPostgresTest(t, dsn, true)
	b := openPostgresTest(t, dsn, true)
	storetest.RunConcurrency(t, a, b)
}

// TestPostgresSearchPath checks the isolation the other tests rely on: a
// store opened with search_path sees only its own schema's tables.
func TestPostgresSearchPath(t *testing.T) {
	ctx := context.Background()
	a := openPostgresTest(t, newPostgresSchema(t), true)
	b := openPostgresTest(t, newPostgresSchema(t), true)
	o := directory.Organization{ID: "org_sp", Name: "x"}
	if err := a.CreateOrganization(ctx, o); err != nil {
		t.Fatalf("CreateOrganization: %v", err)
	}
	if _, err := b.GetOrganization(ctx, o.ID); !directory.IsNotFound(err) {
		t.Fatalf("an organization created in one schema is visible in another (err = %v)", err)
	}
}
