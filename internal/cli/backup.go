package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/scimbridge/scimbridge/internal/sqlstore"
)

// backupCmd writes a consistent snapshot of the SQLite database while the
// server may be serving (docs/operations.md, "Backup and restore").
func backupCmd(ctx context.Context, args []string, env Env) error {
	var to string
	cfg, fs, err := loadConfig("backup", args, env, func(fs *flag.FlagSet) {
		fs.StringVar(&to, "to", "", "the new file to write the snapshot to")
	})
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("backup takes no arguments, got %q", fs.Args())}
	}
	if to == "" {
		return usageError{"backup needs --to FILE"}
	}
	if err := sqlstore.Backup(ctx, cfg.DatabaseDSN(), to); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "backed up %s to %s\n", cfg.DatabaseDSN(), to)
	fmt.Fprintf(env.Stdout, "keep a copy of %s with it: without it webhook secrets cannot be decrypted\n", secretKeyFile(cfg.SecretKeyFile, cfg.DataDir))
	return nil
}

// restoreCmd puts a snapshot in place as the database of a stopped server.
func restoreCmd(ctx context.Context, args []string, env Env) error {
	var from string
	cfg, fs, err := loadConfig("restore", args, env, func(fs *flag.FlagSet) {
		fs.StringVar(&from, "from", "", "the snapshot written by scimbridge backup")
	})
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("restore takes no arguments, got %q", fs.Args())}
	}
	if from == "" {
		return usageError{"restore needs --from FILE"}
	}
	if err := sqlstore.Restore(ctx, from, cfg.DatabaseDSN()); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "restored %s to %s\n", from, cfg.DatabaseDSN())
	if key := secretKeyFile(cfg.SecretKeyFile, cfg.DataDir); !exists(key) {
		fmt.Fprintf(env.Stdout, "put the secret.key saved with the backup at %s before serve: without it webhook secrets cannot be decrypted\n", key)
	}
	return nil
}

func secretKeyFile(configured, dataDir string) string {
	if configured != "" {
		return configured
	}
	return filepath.Join(dataDir, "secret.key")
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
