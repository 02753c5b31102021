package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// IsPostgres reports whether dsn names a PostgreSQL database (as Open
// decides it).
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Backup writes a consistent snapshot of the SQLite database named by dsn
// to the new file to, while a server may be writing to the database.
//
// VACUUM INTO reads the database inside one read transaction: in WAL mode
// that sees exactly the transactions committed before it began (every
// commit is durable, synchronous=FULL), and it does not block the writer.
// The snapshot is written to a temporary file beside to, synced, and
// renamed into place, so to is either complete or absent. to must not
// exist. PostgreSQL databases are backed up with pg_dump
// (docs/operations.md, "Backup and restore").
func Backup(ctx context.Context, dsn, to string) error {
	if IsPostgres(dsn) {
		return errors.New("backup: the database is PostgreSQL: use pg_dump (see docs/operations.md, \"Backup and restore\")")
	}
	path := strings.TrimPrefix(dsn, "sqlite:")
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("backup: database %s: %w", path, err)
	}
	if _, err := os.Stat(to); err == nil {
		return fmt.Errorf("backup: %s exists: choose a new file", to)
	}
	tmp := to + ".partial"
	os.Remove(tmp)
	db, err := openPlainSQLite(path)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: writing snapshot: %w", err)
	}
	if err := releaseLeases(ctx, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	if err := syncAndRename(tmp, to); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// ReleaseLeasesSQL is the statement a restored database needs before a
// server uses it: a snapshot taken while a delivery was being sent holds
// that delivery's lease, owned by a process the restored server is not, and
// its stream would wait out the lease (minutes) before delivering again.
// The delivery is sent again, as after any crash (at-least-once).
const ReleaseLeasesSQL = `UPDATE webhook_deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL`

// releaseLeases clears the webhook delivery leases in the snapshot at path,
// which no server uses yet.
func releaseLeases(ctx context.Context, path string) error {
	db, err := openPlainSQLite(path)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, ReleaseLeasesSQL); err != nil {
		return fmt.Errorf("releasing webhook leases in the snapshot: %w", err)
	}
	return nil
}

// Restore puts the snapshot from (written by Backup) in place as the SQLite
// database named by dsn. It refuses when that database already exists: a
// server may be using it, and replacing its file under it would lose
// writes. Stop the server and move the old database files aside first.
// The snapshot is checked (integrity and schema) before it is copied.
func Restore(ctx context.Context, from, dsn string) error {
	if IsPostgres(dsn) {
		return errors.New("restore: the database is PostgreSQL: use pg_restore (see docs/operations.md, \"Backup and restore\")")
	}
	path := strings.TrimPrefix(dsn, "sqlite:")
	for _, p := range []string{path, path + "-wal"} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restore: %s exists: stop the server and move the old database files (%s, -wal, -shm) aside, or restore into a new --data-dir", p, filepath.Base(path))
		}
	}
	if err := checkSnapshot(ctx, from); err != nil {
		return err
	}
	// prepareFiles creates the data directory private and the file with
	// mode 0600; the copy then fills it.
	if err := prepareFiles(path); err != nil {
		return err
	}
	os.Remove(path) // the empty file prepareFiles made; the rename replaces it
	tmp := path + ".restoring"
	if err := copyFile(from, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("restore: %w", err)
	}
	if err := syncAndRename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("restore: %w", err)
	}
	return nil
}

// checkSnapshot opens the file read-only and checks it is an intact
// scimbridge database.
func checkSnapshot(ctx context.Context, from string) error {
	if _, err := os.Stat(from); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	q := url.Values{}
	q.Add("mode", "ro")
	db, err := sql.Open("sqlite", "file:"+from+"?"+q.Encode())
	if err != nil {
		return fmt.Errorf("restore: opening %s: %w", from, err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&res); err != nil {
		return fmt.Errorf("restore: %s is not an SQLite database: %w", from, err)
	}
	if res != "ok" {
		return fmt.Errorf("restore: %s is damaged: %s", from, res)
	}
	var v int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return fmt.Errorf("restore: %s is not a scimbridge database: %w", from, err)
	}
	return nil
}

// openPlainSQLite opens one connection to the SQLite file at path, waiting
// for the writer rather than failing when it is busy.
func openPlainSQLite(path string) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("opening sqlite: %w", err)
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// syncAndRename makes tmp durable, then renames it to path and syncs the
// directory, so that path is either absent or complete after a crash.
func syncAndRename(tmp, path string) error {
	f, err := os.OpenFile(tmp, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
