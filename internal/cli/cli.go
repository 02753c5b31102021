package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/scimbridge/scimbridge/internal/app"
	"github.com/scimbridge/scimbridge/internal/config"
	"github.com/scimbridge/scimbridge/internal/simulate"
)

// Env is what a command run sees of the process.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

const usage = `scimbridge: SCIM 2.0 directory sync for B2B apps

Usage:
  scimbridge serve [flags]             run the server (SQLite in ./scimbridge-data by default)
  scimbridge migrate [flags]           apply database migrations and exit
  scimbridge apikeys create --name N   create a management API key (printed once)
  scimbridge apikeys list              list management API keys
  scimbridge apikeys revoke ID         revoke a management API key
  scimbridge simulate --idp I --endpoint URL --token T
                                       drive a SCIM endpoint the way an IdP does, then verify it
  scimbridge version                   print the version

Management commands (talk to a running server; --server or $SCIMBRIDGE_SERVER,
default http://127.0.0.1:8080; --api-key or $SCIMBRIDGE_API_KEY; --json for scripts):
  scimbridge orgs create|list|get|update|delete|default-role
  scimbridge directories create ORG|list ORG|get|update|enable|disable|delete DIR
  scimbridge tokens create|list DIR, tokens revoke DIR TOKEN
  scimbridge users list DIR, users get DIR USER
  scimbridge groups list DIR, groups get|members DIR GROUP
  scimbridge roles list|create|update|delete
  scimbridge role-mappings get DIR, role-mappings set|preview DIR --map GROUP=ROLE:PRIORITY …
  scimbridge events tail|list [--types T,…] [--directory DIR] [--after CURSOR], events get EVENT
  scimbridge webhooks list|create --url URL|get|update|delete|rotate|test|deliveries|replay ENDPOINT,
                      webhooks retry ENDPOINT DELIVERY
  scimbridge portal-link create ORG [--kind embed|share] [--return-url URL]   Admin Portal link for the org's IT admin
  scimbridge portal-link list ORG, portal-link revoke ORG LINK

Run "scimbridge COMMAND -h" for a command's flags. Every flag also has an
environment variable, shown in its help.
`

// Run runs the command in args (without the program name) and returns the
// process exit code.
func Run(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], env)
	case "migrate":
		err = migrate(ctx, args[1:], env)
	case "apikeys":
		err = apikeys(ctx, args[1:], env)
	case "simulate":
		err = simulateCmd(ctx, args[1:], env)
	case "orgs", "directories", "tokens", "users", "groups", "roles", "role-mappings", "events", "webhooks", "portal-link":
		err = apiRun(ctx, args[0], args[1:], env)
	case "version", "--version", "-version":
		fmt.Fprintln(env.Stdout, "scimbridge", version())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
		return 0
	default:
		fmt.Fprintf(env.Stderr, "scimbridge: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(env.Stderr, "scimbridge:", err)
		return 2
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "scimbridge:", err)
		return 1
	}
	return 0
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// loadConfig parses the server flags of a subcommand.
func loadConfig(name string, args []string, env Env) (config.Config, *flag.FlagSet, error) {
	var cfg config.Config
	fs := flag.NewFlagSet("scimbridge "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cfg.Register(fs, env.Getenv)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, fs, err
		}
		return cfg, fs, usageError{err.Error()}
	}
	if err := cfg.Finish(); err != nil {
		return cfg, fs, usageError{"invalid configuration:\n  " + strings.ReplaceAll(err.Error(), "\n", "\n  ")}
	}
	return cfg, fs, nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func serve(ctx context.Context, args []string, env Env) error {
	cfg, fs, err := loadConfig("serve", args, env)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("serve takes no arguments, got %q", fs.Args())}
	}
	logger := newLogger(cfg, env.Stderr)
	a, err := app.Open(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Addr, err)
	}
	if cfg.DebugAddr != "" {
		dln, err := net.Listen("tcp", cfg.DebugAddr)
		if err != nil {
			return fmt.Errorf("listening on %s: %w", cfg.DebugAddr, err)
		}
		return a.ServeWithDebug(ctx, ln, dln)
	}
	return a.Serve(ctx, ln)
}

func migrate(ctx context.Context, args []string, env Env) error {
	cfg, _, err := loadConfig("migrate", args, env)
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg, newLogger(cfg, env.Stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	fmt.Fprintf(env.Stdout, "database (%s) is up to date\n", a.Store.Dialect())
	return nil
}

func apikeys(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return usageError{"apikeys needs a subcommand: create, list or revoke"}
	}
	sub := args[0]
	var cfg config.Config
	fs := flag.NewFlagSet("scimbridge apikeys "+sub, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cfg.Register(fs, env.Getenv)
	name := ""
	if sub == "create" {
		fs.StringVar(&name, "name", "", "a name for the key, e.g. the app that uses it")
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if err := cfg.Finish(); err != nil {
		return usageError{"invalid configuration:\n  " + strings.ReplaceAll(err.Error(), "\n", "\n  ")}
	}
	a, err := app.Open(ctx, cfg, newLogger(cfg, env.Stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	switch sub {
	case "create":
		if name == "" {
			return usageError{"apikeys create needs --name"}
		}
		k, secret, err := a.Service.CreateAPIKey(ctx, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "Created API key %s (%s). This is the only time the key is shown:\n", k.ID, k.Name)
		fmt.Fprintln(env.Stdout, secret)
		return nil
	case "list":
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
	case "revoke":
		if fs.NArg() != 1 {
			return usageError{"apikeys revoke takes one key id"}
		}
		if err := a.Store.RevokeAPIKey(ctx, fs.Arg(0), time.Now()); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "revoked %s\n", fs.Arg(0))
		return nil
	default:
		return usageError{fmt.Sprintf("unknown apikeys subcommand %q: want create, list or revoke", sub)}
	}
}

// errSimulationFailed makes a FAIL verdict exit 1; the verdict is already printed.
var errSimulationFailed = errors.New("simulation failed")

// simulateCmd drives a SCIM endpoint the way one IdP does (docs/simulate.md).
func simulateCmd(ctx context.Context, args []string, env Env) error {
	cfg := simulate.Config{}
	fs := flag.NewFlagSet("scimbridge simulate", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.StringVar(&cfg.IdP, "idp", "", "the IdP to behave like: "+strings.Join(simulate.IdPs(), ", "))
	fs.StringVar(&cfg.Endpoint, "endpoint", "", "SCIM base URL of the directory (http or https), e.g. http://127.0.0.1:8080/scim/v2/dir_…")
	fs.StringVar(&cfg.Token, "token", "", "the directory's SCIM token (default $SCIMBRIDGE_SIMULATE_TOKEN)")
	fs.IntVar(&cfg.Users, "users", 100, "users to provision")
	fs.IntVar(&cfg.Groups, "groups", 10, "groups to push")
	fs.IntVar(&cfg.Members, "members", -1, "members of the largest group; -1 means min(users, 50)")
	fs.IntVar(&cfg.Concurrency, "concurrency", 4, "concurrent workers")
	fs.DurationVar(&cfg.Timeout, "timeout", 60*time.Second, "timeout of each request")
	asJSON := fs.Bool("json", false, "print a JSON summary on stdout (progress goes to stderr)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("simulate takes no arguments, got %q", fs.Args())}
	}
	if cfg.Members < 0 {
		cfg.Members = min(cfg.Users, 50)
	}
	if cfg.Token == "" {
		cfg.Token = env.Getenv("SCIMBRIDGE_SIMULATE_TOKEN")
	}
	if err := cfg.Validate(); err != nil {
		return usageError{"simulate:\n  " + strings.ReplaceAll(err.Error(), "\n", "\n  ")}
	}
	progress := env.Stdout
	if *asJSON {
		progress = env.Stderr
	}
	s, err := simulate.Run(ctx, cfg, progress)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(s); err != nil {
			return err
		}
	}
	if !s.Pass {
		return errSimulationFailed
	}
	return nil
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Format(time.RFC3339)
}

// OSEnv is the Env of the running process.
func OSEnv() Env { return Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv} }
