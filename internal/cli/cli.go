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

// Run runs the command in args (without the program name) and returns the
// process exit code: 0 on success, 1 on an error, 2 on a usage error.
func Run(ctx context.Context, args []string, env Env) int {
	cmds := commands()
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage(cmds))
		return 2
	}
	if args[0] == "help" || isHelpFlag(args[0]) {
		fmt.Fprint(env.Stdout, usage(cmds))
		return 0
	}
	c, ok := find(cmds, args[0])
	if !ok {
		fmt.Fprintf(env.Stderr, "scimbridge: unknown command %q\n\n%s", args[0], usage(cmds))
		return 2
	}
	return exitCode(c.exec(ctx, c.name, args[1:], env), env)
}

// exitCode prints err, if any, and returns the exit code for it.
func exitCode(err error, env Env) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(env.Stderr, "scimbridge:", err)
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func printVersion(_ context.Context, _ []string, env Env) error {
	fmt.Fprintln(env.Stdout, "scimbridge", version())
	return nil
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// loadConfig parses the server flags of a subcommand, and the flags extra
// (if not nil) defines.
func loadConfig(name string, args []string, env Env, extra func(*flag.FlagSet)) (config.Config, *flag.FlagSet, error) {
	var cfg config.Config
	fs := flag.NewFlagSet("scimbridge "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cfg.Register(fs, env.Getenv)
	if extra != nil {
		extra(fs)
	}
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
	cfg, fs, err := loadConfig("serve", args, env, nil)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("serve takes no arguments, got %q", fs.Args())}
	}
	logger := newLogger(cfg, env.Stderr)
	lock, err := app.ClaimSQLite(cfg)
	if err != nil {
		return err
	}
	defer lock.Close()
	a, err := app.Open(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.LogStartupNotes(ctx); err != nil {
		return err
	}
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
	cfg, _, err := loadConfig("migrate", args, env, nil)
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

// errSimulationFailed makes a FAIL verdict exit 1; the verdict is already printed.
var errSimulationFailed = errors.New("simulation failed")

// simulateFlags defines the flags of simulate on fs.
func simulateFlags(fs *flag.FlagSet, cfg *simulate.Config) (asJSON *bool) {
	fs.StringVar(&cfg.IdP, "idp", "", "the IdP to behave like: "+strings.Join(simulate.IdPs(), ", "))
	fs.StringVar(&cfg.Endpoint, "endpoint", "", "SCIM base URL of the directory (http or https), e.g. http://127.0.0.1:8080/scim/v2/dir_…")
	fs.StringVar(&cfg.Token, "token", "", "the directory's SCIM token (default $SCIMBRIDGE_SIMULATE_TOKEN)")
	fs.IntVar(&cfg.Users, "users", 100, "users to provision")
	fs.IntVar(&cfg.Groups, "groups", 10, "groups to push")
	fs.IntVar(&cfg.Members, "members", -1, "members of the largest group; -1 means min(users, 50)")
	fs.IntVar(&cfg.Concurrency, "concurrency", 4, "concurrent workers")
	fs.DurationVar(&cfg.Timeout, "timeout", 60*time.Second, "timeout of each request")
	return fs.Bool("json", false, "print a JSON summary on stdout (progress goes to stderr)")
}

// simulateCmd drives a SCIM endpoint the way one IdP does (docs/simulate.md).
func simulateCmd(ctx context.Context, args []string, env Env) error {
	cfg := simulate.Config{}
	fs := flag.NewFlagSet("scimbridge simulate", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	asJSON := simulateFlags(fs, &cfg)
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
