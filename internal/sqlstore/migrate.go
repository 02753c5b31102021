package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationFiles embed.FS

type migration struct {
	version  int
	name     string
	sql      string
	checksum string
}

// migrations returns the dialect's migrations in order. File names are
// NNNN_name.sql; the files are append-only: a released file never changes
// (its checksum is recorded and checked).
func migrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("reading migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", name)
		}
		b, err := fs.ReadFile(migrationFiles, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("reading migration %s: %w", name, err)
		}
		sum := sha256.Sum256(b)
		out = append(out, migration{version: v, name: strings.TrimSuffix(name, ".sql"), sql: string(b), checksum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.name, i+1)
		}
	}
	return out, nil
}

// breakingSuffix ends the name of a migration that older binaries cannot
// run against (NNNN_name.breaking.sql): a release that cannot keep the
// previous one working. A database holding one refuses older binaries at
// start, and their readiness probe fails, so a rolling upgrade across it
// takes the older replicas out as soon as it is applied
// (docs/operations.md, "Running several replicas").
const breakingSuffix = ".breaking"

// SchemaVersions returns the newest migration recorded in the database and
// the newest this binary carries. During a rolling upgrade on PostgreSQL
// the database can be ahead of an older binary's.
func (s *Store) SchemaVersions(ctx context.Context) (database, binary int, err error) {
	if err := s.readRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&database); err != nil {
		return 0, 0, fmt.Errorf("reading schema version: %w", err)
	}
	binary, err = latestVersion(s.Dialect())
	return database, binary, err
}

func latestVersion(dialect string) (int, error) {
	ms, err := migrations(dialect)
	if err != nil {
		return 0, err
	}
	return len(ms), nil
}

// Migrate applies the migrations the database lacks, each in its own
// transaction, and returns how many it applied. On PostgreSQL an advisory
// lock keeps concurrent processes from migrating at once. A recorded
// migration whose checksum differs from the embedded file is an error. A
// database a newer binary migrated is refused on SQLite (a downgrade) and
// accepted on PostgreSQL, where it is a rolling upgrade in progress
// (SchemaVersions tells the caller).
func (s *Store) Migrate(ctx context.Context) (int, error) {
	ms, err := migrations(s.Dialect())
	if err != nil {
		return 0, err
	}
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	unlock, err := s.d.lockMigrations(ctx, conn)
	if err != nil {
		return 0, err
	}
	defer unlock()
	create := `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		checksum   TEXT NOT NULL,
		applied_at BIGINT NOT NULL
	)`
	if _, err := conn.ExecContext(ctx, create); err != nil {
		return 0, fmt.Errorf("migrate: creating schema_migrations: %w", err)
	}
	applied := map[int]string{}
	breaking := "" // the newest recorded migration older binaries cannot run against
	rows, err := conn.QueryContext(ctx, `SELECT version, name, checksum FROM schema_migrations ORDER BY version`)
	if err != nil {
		return 0, fmt.Errorf("migrate: reading schema_migrations: %w", err)
	}
	for rows.Next() {
		var v int
		var name, sum string
		if err := rows.Scan(&v, &name, &sum); err != nil {
			rows.Close()
			return 0, fmt.Errorf("migrate: reading schema_migrations: %w", err)
		}
		applied[v] = sum
		if v > len(ms) && strings.HasSuffix(name, breakingSuffix) {
			breaking = name
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("migrate: reading schema_migrations: %w", err)
	}
	newest := 0
	for v := range applied {
		newest = max(newest, v)
	}
	if newest > len(ms) {
		// A newer binary migrated this database. On PostgreSQL that is a
		// rolling upgrade in progress: this binary's migrations must all be
		// there, unchanged, and it runs on (migrations keep the previous
		// release working, docs/operations.md). SQLite has one process, so
		// an older binary there is a downgrade, which is refused.
		if s.Dialect() != "postgres" {
			return 0, fmt.Errorf("migrate: database has migration %d, newer than this binary (%d): upgrade scimbridge", newest, len(ms))
		}
		if breaking != "" {
			return 0, fmt.Errorf("migrate: database has migration %s, which older binaries cannot run against (this one knows up to %d): upgrade scimbridge", breaking, len(ms))
		}
		for _, m := range ms {
			sum, ok := applied[m.version]
			if !ok {
				return 0, fmt.Errorf("migrate: database has migration %d, newer than this binary (%d), but lacks %s: upgrade scimbridge", newest, len(ms), m.name)
			}
			if sum != m.checksum {
				return 0, fmt.Errorf("migrate: migration %s was changed after it was applied (checksum mismatch)", m.name)
			}
		}
		return 0, nil
	}
	n := 0
	for _, m := range ms {
		if sum, ok := applied[m.version]; ok {
			if sum != m.checksum {
				return n, fmt.Errorf("migrate: migration %s was changed after it was applied (checksum mismatch)", m.name)
			}
			continue
		}
		if err := s.apply(ctx, conn, m); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func (s *Store) apply(ctx context.Context, conn *sql.Conn, m migration) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		tx.Rollback()
		return fmt.Errorf("migrate %s: %w", m.name, err)
	}
	if step := s.goStep(m.name); step != nil {
		if err := step(ctx, tx); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)`),
		m.version, m.name, m.checksum, micros(nowUTC())); err != nil {
		tx.Rollback()
		return fmt.Errorf("migrate %s: recording: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate %s: %w", m.name, err)
	}
	return nil
}
