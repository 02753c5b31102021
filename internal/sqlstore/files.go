package sqlstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// prepareFiles makes the SQLite database private to the process's user,
// whatever the umask: the directory holding it is created with mode 0700,
// and one that exists with access for group or others is tightened to
// 0700 (a directory with the sticky bit, such as /tmp, is shared by
// design and refused instead); the database file is created with mode
// 0600 before SQLite opens it, so that SQLite creates its -wal and -shm
// files with the same mode, and existing files readable by others are
// tightened to 0600. Tightening rather than refusing lets an installation
// made before these rules upgrade in place. On Windows file modes do not
// express this, and nothing is checked.
func prepareFiles(path string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("creating data directory: %w", err)
		}
	case err != nil:
		return fmt.Errorf("data directory: %w", err)
	case !st.IsDir():
		return fmt.Errorf("data directory %s is not a directory", dir)
	case st.Mode().Perm()&0o077 != 0:
		if st.Mode()&fs.ModeSticky != 0 {
			return fmt.Errorf("data directory %s is shared with other users (mode %v, sticky): keep the database in a directory of its own (--data-dir)", dir, st.Mode().Perm())
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("data directory %s is accessible to other users (mode %v) and could not be tightened: chmod 700 it: %w", dir, st.Mode().Perm(), err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("creating database file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("creating database file: %w", err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		st, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("database file: %w", err)
		}
		if st.Mode().Perm()&0o077 == 0 {
			continue
		}
		if err := os.Chmod(p, st.Mode().Perm()&0o600); err != nil {
			return fmt.Errorf("database file %s is readable by other users (mode %v) and could not be tightened: chmod 600 it: %w", p, st.Mode().Perm(), err)
		}
	}
	return nil
}
