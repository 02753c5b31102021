package cli

import (
	"context"
	"database/sql"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scimbridge/scimbridge/internal/sqlstore"
	"github.com/scimbridge/scimbridge/internal/testpg"
)

// TestPostgresBackupWithPgDump exercises the PostgreSQL procedure of
// docs/operations.md ("Backup and restore"): pg_dump -Fc while 8 clients
// write, then pg_restore into an empty database (here: the schema dropped)
// and serve it. It is skipped when pg_dump or pg_restore is not installed.
func TestPostgresBackupWithPgDump(t *testing.T) {
	dsn := testpg.Schema(t)
	pgDump, err1 := exec.LookPath("pg_dump")
	pgRestore, err2 := exec.LookPath("pg_restore")
	if err1 != nil || err2 != nil {
		t.Skip("pg_dump or pg_restore is not installed: the PostgreSQL backup procedure is not exercised")
	}
	u, _ := url.Parse(dsn)
	schema := u.Query().Get("search_path")
	base := testpg.URL(t) // libpq accepts the URL as is (without search_path)
	dump := filepath.Join(t.TempDir(), "scimbridge.dump")
	ctx := context.Background()
	backupScenario(t, filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b"), dsn, dsn, func() {
		out, err := exec.CommandContext(ctx, pgDump, "--format=custom", "--schema="+schema, "--file="+dump, base).CombinedOutput()
		if err != nil {
			t.Fatalf("pg_dump: %v: %s", err, out)
		}
	}, func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Fatal(err)
		}
		out, err := exec.CommandContext(ctx, pgRestore, "--dbname="+base, "--exit-on-error", dump).CombinedOutput()
		if err != nil {
			t.Fatalf("pg_restore: %v: %s", err, out)
		}
		// The documented step after pg_restore (docs/operations.md).
		if _, err := db.ExecContext(ctx, strings.Replace(sqlstore.ReleaseLeasesSQL, "webhook_deliveries", schema+".webhook_deliveries", 1)); err != nil {
			t.Fatalf("releasing leases: %v", err)
		}
	}, func() map[string]bool {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		return userNames(t, db)
	})
}
