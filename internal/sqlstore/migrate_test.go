package sqlstore

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// migrateChecks runs the migration checks on unmigrated stores made by open;
// each call of open must return a store on a fresh, empty database.
func migrateChecks(t *testing.T, open func(t *testing.T) *Store) {
	t.Run("TwiceAppliesNothing", func(t *testing.T) {
		ctx := context.Background()
		s := open(t)
		if err := s.Ping(ctx); err == nil {
			t.Errorf("Ping before Migrate: no error, want one saying the schema is missing or old")
		}
		want, err := latestVersion(s.Dialect())
		if err != nil {
			t.Fatal(err)
		}
		if want < 1 {
			t.Fatalf("no %s migrations", s.Dialect())
		}
		n, err := s.Migrate(ctx)
		if err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		if n != want {
			t.Errorf("first Migrate applied %d migrations, want %d", n, want)
		}
		n, err = s.Migrate(ctx)
		if err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
		if n != 0 {
			t.Errorf("second Migrate applied %d migrations, want 0", n)
		}
		if err := s.Ping(ctx); err != nil {
			t.Errorf("Ping after Migrate: %v", err)
		}
		var rows, maxVersion int
		if err := s.read.QueryRowContext(ctx, `SELECT count(*), max(version) FROM schema_migrations`).Scan(&rows, &maxVersion); err != nil {
			t.Fatalf("reading schema_migrations: %v", err)
		}
		if rows != want || maxVersion != want {
			t.Errorf("schema_migrations holds %d rows up to version %d, want %d", rows, maxVersion, want)
		}
	})
	t.Run("ChangedChecksumDetected", func(t *testing.T) {
		ctx := context.Background()
		s := open(t)
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		if _, err := s.write.ExecContext(ctx, s.q(`UPDATE schema_migrations SET checksum = $1 WHERE version = 1`), strings.Repeat("0", 64)); err != nil {
			t.Fatalf("tampering with schema_migrations: %v", err)
		}
		n, err := s.Migrate(ctx)
		if err == nil {
			t.Fatalf("Migrate after a migration's checksum changed: no error")
		}
		if !strings.Contains(err.Error(), "checksum") || !strings.Contains(err.Error(), "0001") {
			t.Errorf("Migrate error %q does not name the migration and the checksum", err)
		}
		if n != 0 {
			t.Errorf("Migrate applied %d migrations despite the mismatch", n)
		}
	})
	t.Run("NewerDatabase", func(t *testing.T) {
		ctx := context.Background()
		s := open(t)
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		latest, _ := latestVersion(s.Dialect())
		if _, err := s.write.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, 'future', 'x', 0)`), latest+1); err != nil {
			t.Fatalf("recording a future migration: %v", err)
		}
		n, err := s.Migrate(ctx)
		if s.Dialect() == "postgres" {
			// A rolling upgrade: the older binary runs on, applying nothing.
			if err != nil || n != 0 {
				t.Errorf("Migrate on a PostgreSQL database migrated by a newer binary: %d, %v; want 0, nil (rolling upgrade)", n, err)
			}
			if err := s.Ping(ctx); err != nil {
				t.Errorf("Ping on a newer database: %v, want ready", err)
			}
			db, bin, err := s.SchemaVersions(ctx)
			if err != nil || db != latest+1 || bin != latest {
				t.Errorf("SchemaVersions = %d, %d, %v; want %d, %d", db, bin, err, latest+1, latest)
			}
			// A newer migration marked breaking takes it out: not ready,
			// and refused at start.
			if _, err := s.write.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, 'x', 0)`),
				latest+2, fmt.Sprintf("%04d_contract.breaking", latest+2)); err != nil {
				t.Fatal(err)
			}
			if err := s.Ping(ctx); err == nil || !strings.Contains(err.Error(), "cannot run against") {
				t.Errorf("Ping on a database with a newer breaking migration: %v, want not ready", err)
			}
			if _, err := s.Migrate(ctx); err == nil || !strings.Contains(err.Error(), "contract.breaking") {
				t.Errorf("Migrate on a database with a newer breaking migration: %v, want an error naming it", err)
			}
			if _, err := s.write.ExecContext(ctx, s.q(`DELETE FROM schema_migrations WHERE version = $1`), latest+2); err != nil {
				t.Fatal(err)
			}
			// It still refuses a database missing one of its own migrations.
			if _, err := s.write.ExecContext(ctx, s.q(`DELETE FROM schema_migrations WHERE version = $1`), latest); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Migrate(ctx); err == nil || !strings.Contains(err.Error(), "lacks") {
				t.Errorf("Migrate on a newer database lacking migration %d: %v, want an error saying so", latest, err)
			}
		} else if err == nil || !strings.Contains(err.Error(), "newer") {
			t.Errorf("Migrate on a database migrated by a newer binary: err = %v, want one saying it is newer", err)
		}
	})
}

func TestMigrateSQLite(t *testing.T) {
	migrateChecks(t, func(t *testing.T) *Store {
		s, err := Open(context.Background(), filepath.Join(t.TempDir(), "m.db"))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestMigrateSQLiteReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "dir", "m.db") // Open creates the directories
	s := openSQLiteTest(t, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatalf("reopening: %v", err)
	}
	defer s2.Close()
	if err := s2.Ping(ctx); err != nil {
		t.Errorf("Ping after reopening a migrated database: %v", err)
	}
	if n, err := s2.Migrate(ctx); err != nil || n != 0 {
		t.Errorf("Migrate after reopening = %d, %v; want 0, nil", n, err)
	}
}

func TestMigratePostgres(t *testing.T) {
	postgresURL(t)
	migrateChecks(t, func(t *testing.T) *Store {
		return openPostgresTest(t, newPostgresSchema(t), false)
	})
}

// TestMigrationsMatch: both dialects carry the same migrations, numbered
// 1, 2, … without gaps, so that a version means the same schema on both.
func TestMigrationsMatch(t *testing.T) {
	lite, err := migrations("sqlite")
	if err != nil {
		t.Fatalf("sqlite migrations: %v", err)
	}
	pg, err := migrations("postgres")
	if err != nil {
		t.Fatalf("postgres migrations: %v", err)
	}
	if len(lite) == 0 {
		t.Fatal("no migrations")
	}
	var ln, pn []string
	for i, m := range lite {
		ln = append(ln, m.name)
		if m.version != i+1 {
			t.Errorf("sqlite migration %s has version %d, want %d", m.name, m.version, i+1)
		}
		if strings.TrimSpace(m.sql) == "" || len(m.checksum) != 64 {
			t.Errorf("sqlite migration %s: empty or unchecksummed", m.name)
		}
	}
	for _, m := range pg {
		pn = append(pn, m.name)
		if strings.TrimSpace(m.sql) == "" || len(m.checksum) != 64 {
			t.Errorf("postgres migration %s: empty or unchecksummed", m.name)
		}
	}
	if strings.Join(ln, ",") != strings.Join(pn, ",") {
		t.Errorf("migration names differ:\n  sqlite:   %v\n  postgres: %v", ln, pn)
	}
	if _, err := migrations("oracle"); err == nil {
		t.Errorf("migrations of an unknown dialect: no error")
	}
}
