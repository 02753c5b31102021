package app

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/scimbridge/scimbridge/internal/config"
)

// errLocked is what lockFile reports when another process holds the lock.
var errLocked = errors.New("locked by another process")

// ClaimSQLite makes the calling process the only `scimbridge serve` on
// cfg's SQLite database, before it opens (and perhaps migrates) it:
// SQLite is one process only (docs/operations.md), and what a serving
// process keeps in memory (the authentication cache, the SCIM surface's
// rendered resources, valid while generations that only its own writes
// move stay the same) would go stale under a second writer. It takes an
// advisory lock on a file beside the database, <database>.serve-lock,
// held until the returned Closer is closed; the operating system drops it
// when the process ends, however it ends. On PostgreSQL it does nothing
// (several processes are supported there) and returns a no-op Closer.
func ClaimSQLite(cfg config.Config) (io.Closer, error) {
	dsn := cfg.DatabaseDSN()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return io.NopCloser(nil), nil
	}
	dbPath := strings.TrimPrefix(dsn, "sqlite:")
	if dbPath == ":memory:" || strings.HasPrefix(dbPath, "file:") {
		return io.NopCloser(nil), nil
	}
	path := dbPath + ".serve-lock"
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the data directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the SQLite lock file %s: %w", path, err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			return nil, fmt.Errorf("another scimbridge serve is already running on the SQLite database %s (lock file %s): "+
				"SQLite is served by one process only; stop the other process, or use PostgreSQL (--database) to run several", dbPath, path)
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return f, nil // closing the file drops its lock
}
