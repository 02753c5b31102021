package sqlstore

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/storetest"
)

// newSQLiteStore opens a fresh, migrated SQLite database in t's temporary
// directory and closes it when t ends.
func newSQLiteStore(t *testing.T) directory.Store {
	t.Helper()
	return openSQLiteTest(t, filepath.Join(t.TempDir(), "scimbridge.db"))
}

func openSQLiteTest(t *testing.T, path string) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

func TestSQLite(t *testing.T) {
	storetest.Run(t, newSQLiteStore)
}

// TestSQLiteSpillingEvents runs the conformance suite (feed replay,
// gapless sequences in commit order, writes failing in a shared commit)
// with a group commit that writes its events at every write instead of
// once before the commit (batcher.spill), as it does past spillEventBytes.
func TestSQLiteSpillingEvents(t *testing.T) {
	storetest.Run(t, func(t *testing.T) directory.Store {
		s := openSQLiteTest(t, filepath.Join(t.TempDir(), "scimbridge.db"))
		s.d.(*sqliteDialect).batch.spillAt = 1
		return s
	})
}

func TestSQLiteFilterDifferential(t *testing.T) {
	storetest.RunFilterDifferential(t, newSQLiteStore)
}

// TestSQLiteConcurrentStores races two Store values (two connection pools,
// as two processes would have) on one database file.
func TestSQLiteConcurrentStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	a := openSQLiteTest(t, path)
	b := openSQLiteTest(t, path)
	storetest.RunConcurrency(t, a, b)
}
