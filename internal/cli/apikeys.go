package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"text/tabwriter"
	"time"

	"github.com/scimbridge/scimbridge/internal/app"
	"github.com/scimbridge/scimbridge/internal/config"
)

// The apikeys commands open the database themselves (they work before any
// key exists), so they take the server's flags.

func apikeysCommand() command {
	return command{name: "apikeys", summary: "management API keys, in the database of this host", subs: []command{
		{name: "create", flagsHint: "--name N", summary: "create a management API key (printed once)", local: apikeysCreate},
		{name: "list", summary: "list management API keys", local: apikeysList},
		{name: "revoke", pos: []string{"ID"}, summary: "revoke a management API key", local: apikeysRevoke},
	}}
}

// openApp parses the server flags of "scimbridge NAME" (and those extra
// defines) and opens the app; check, if not nil, runs on the parsed flags
// before the database is opened.
func openApp(ctx context.Context, name string, args []string, env Env, extra func(*flag.FlagSet), check func(*flag.FlagSet) error) (*app.App, error) {
	cfg, fs, err := loadConfig(name, args, env, extra)
	if err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(fs); err != nil {
			return nil, err
		}
	}
	if err := databaseExists(cfg); err != nil {
		return nil, err
	}
	if env.Stderr != nil {
		fmt.Fprintf(env.Stderr, "Using the database %s.\n", describeDatabase(cfg))
	}
	return app.Open(ctx, cfg, newLogger(cfg, env.Stderr))
}

// describeDatabase names the database a command uses, without a
// PostgreSQL URL's password.
func describeDatabase(cfg config.Config) string {
	if cfg.Database == "" {
		return cfg.DatabaseDSN()
	}
	if u, err := url.Parse(cfg.Database); err == nil {
		u.User = nil
		return u.Redacted()
	}
	return "from --database"
}

// databaseExists refuses to go on when the SQLite database the flags name
// does not exist: an apikeys command run in the wrong directory would
// otherwise create an empty database of its own, and its keys would open
// nothing. (A PostgreSQL database is checked when it is opened.)
func databaseExists(cfg config.Config) error {
	if cfg.Database != "" {
		return nil
	}
	path := cfg.DatabaseDSN()
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("there is no scimbridge database at %s (from --data-dir %s). Run this command with the server's "+
			"--data-dir (SCIMBRIDGE_DATA_DIR), or its --database (SCIMBRIDGE_DATABASE) for PostgreSQL; to start a new "+
			"database here, run `scimbridge migrate --data-dir %s` first", path, cfg.DataDir, cfg.DataDir)
	}
	return nil
}

func apikeysCreate(ctx context.Context, args []string, env Env) error {
	name := ""
	a, err := openApp(ctx, "apikeys create", args, env, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", "", "a name for the key, e.g. the app that uses it")
	}, func(*flag.FlagSet) error {
		if name == "" {
			return usageError{"apikeys create needs --name"}
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer a.Close()
	k, secret, err := a.Service.CreateAPIKey(ctx, name)
	if err != nil {
		return err
	}
	recordLocal(ctx, a, "apikeys create", "api_key.create", "api_key", k.ID)
	fmt.Fprintf(env.Stderr, "Created API key %s (%s). This is the only time the key is shown:\n", k.ID, k.Name)
	fmt.Fprintln(env.Stdout, secret)
	return nil
}

func apikeysList(ctx context.Context, args []string, env Env) error {
	a, err := openApp(ctx, "apikeys list", args, env, nil, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	keys, err := a.Store.ListAPIKeys(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSUFFIX\tCREATED\tLAST USED\tSTATUS")
	for _, k := range keys {
		status := "active"
		if !k.RevokedAt.IsZero() {
			status = "revoked " + k.RevokedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t…%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Suffix, k.CreatedAt.Format(time.RFC3339), fmtTime(k.LastUsedAt), status)
	}
	return tw.Flush()
}

func apikeysRevoke(ctx context.Context, args []string, env Env) error {
	var id string
	a, err := openApp(ctx, "apikeys revoke", args, env, nil, func(fs *flag.FlagSet) error {
		if fs.NArg() != 1 {
			return usageError{"apikeys revoke takes one key id"}
		}
		id = fs.Arg(0)
		return nil
	})
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Store.RevokeAPIKey(ctx, id, time.Now()); err != nil {
		return err
	}
	recordLocal(ctx, a, "apikeys revoke", "api_key.revoke", "api_key", id)
	fmt.Fprintf(env.Stdout, "revoked %s\n", id)
	return nil
}
