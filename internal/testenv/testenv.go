// Package testenv builds what most tests start from: a migrated store (real
// SQLite in the test's temporary directory, or real PostgreSQL in a schema
// of its own) and a directory.Service over it. It is for tests only.
package testenv

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
	"github.com/scimbridge/scimbridge/internal/sqlstore"
	"github.com/scimbridge/scimbridge/internal/testpg"
)

// Store returns a migrated SQLite store in t's temporary directory, closed
// when t ends.
func Store(t testing.TB) *sqlstore.Store {
	t.Helper()
	return open(t, filepath.Join(t.TempDir(), "scimbridge.db"))
}

// PostgresStore returns a store on a migrated PostgreSQL schema of its own
// (see PostgresURL), closed when t ends; it skips t when no test server is
// configured.
func PostgresStore(t testing.TB) *sqlstore.Store {
	t.Helper()
	return open(t, PostgresURL(t))
}

// PostgresURL returns a DSN whose search_path is a migrated schema holding
// exactly what a freshly migrated one holds, for t alone (testpg resets
// and reuses schemas); it skips t when no test server is configured.
func PostgresURL(t testing.TB) string {
	t.Helper()
	return testpg.Migrated(t, "sqlstore", migrate)
}

func migrate(ctx context.Context, dsn string) error {
	s, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	_, err = s.Migrate(ctx)
	return err
}

func open(t testing.TB, dsn string) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("opening the store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrating the store: %v", err)
	}
	return st
}

// Service returns a Service over st with the schemas, the system clock,
// crypto/rand and a logger that discards; tests set other fields (a clock,
// a logger they read) on the result.
func Service(st directory.Store) *directory.Service {
	return &directory.Service{
		Store:   st,
		Schemas: schema.New(),
		IDs:     directory.IDs{Now: time.Now, Rand: rand.Reader},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}
