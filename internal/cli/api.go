package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/scimbridge/scimbridge/client"
)

// The commands orgs, directories, tokens, users, groups, roles,
// role-mappings, events, webhooks and portal-link drive a running server's
// management API through the public Go client; they never open the database.

const defaultServer = "http://127.0.0.1:8080"

// apiCmd is one run of an API command: its flags, parsed arguments and
// output.
type apiCmd struct {
	env            Env
	fs             *flag.FlagSet
	server, apiKey string
	asJSON         bool
	// raw are the arguments after the subcommand; want names the
	// positional arguments parse takes (from the table; a leaf's setup may
	// change it).
	raw, want []string
	args      []string
	checks    []func() error
}

// runAPI runs the API leaf c, called as "scimbridge PATH", with the
// arguments after PATH: the leaf defines its flags, then the flags and
// positional arguments are parsed and checked, and the leaf runs with a
// client.
func runAPI(ctx context.Context, path string, c command, args []string, env Env) error {
	a := &apiCmd{env: env, fs: flag.NewFlagSet("scimbridge "+path, flag.ContinueOnError), raw: args, want: c.pos}
	a.fs.SetOutput(env.Stderr)
	a.fs.StringVar(&a.server, "server", or(env.Getenv("SCIMBRIDGE_SERVER"), defaultServer), "base URL of the scimbridge server ($SCIMBRIDGE_SERVER)")
	a.fs.StringVar(&a.apiKey, "api-key", "", "management API key (default $SCIMBRIDGE_API_KEY)")
	a.fs.BoolVar(&a.asJSON, "json", false, "print JSON for scripts instead of a table")
	run := c.api(a)
	if err := a.parse(args, a.want...); err != nil {
		return err
	}
	if err := a.checkRequired(path, c.required); err != nil {
		return err
	}
	for _, check := range a.checks {
		if err := check(); err != nil {
			return err
		}
	}
	cl, err := a.client()
	if err != nil {
		return err
	}
	err = run(ctx, cl)
	var ae *client.APIError
	if errors.As(err, &ae) {
		return fmt.Errorf("%s (HTTP %d %s)", ae.Message, ae.Status, ae.Code)
	}
	return err
}

// check adds a check of the parsed flags, run before the client is made.
func (a *apiCmd) check(f func() error) { a.checks = append(a.checks, f) }

// checkRequired fails unless every flag in names was given a value.
func (a *apiCmd) checkRequired(path string, names []string) error {
	for _, n := range names {
		if a.fs.Lookup(n).Value.String() == "" {
			return usageError{fmt.Sprintf("%s needs --%s", path, strings.Join(names, " and --"))}
		}
	}
	return nil
}

func or(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// parse parses flags and positional arguments in any order; names are the
// positional arguments it wants, exactly.
func (a *apiCmd) parse(args []string, names ...string) error {
	var pos []string
	for {
		if err := a.fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return usageError{err.Error()}
		}
		if a.fs.NArg() == 0 {
			break
		}
		pos = append(pos, a.fs.Arg(0))
		args = a.fs.Args()[1:]
	}
	if len(pos) != len(names) {
		want := "no arguments"
		if len(names) > 0 {
			want = strings.Join(names, " ")
		}
		return usageError{fmt.Sprintf("%s takes %s, got %q", strings.TrimPrefix(a.fs.Name(), "scimbridge "), want, pos)}
	}
	a.args = pos
	return nil
}

// client returns the API client; the key comes from --api-key or the
// environment and is never printed.
func (a *apiCmd) client() (*client.Client, error) {
	key := or(a.apiKey, a.env.Getenv("SCIMBRIDGE_API_KEY"))
	if key == "" {
		return nil, usageError{"no API key: pass --api-key or set SCIMBRIDGE_API_KEY (create one with: scimbridge apikeys create --name NAME)"}
	}
	return client.New(a.server, key), nil
}

// print writes v as JSON with --json, else a table of header and rows.
func (a *apiCmd) print(v any, header string, rows func(w io.Writer)) error {
	if a.asJSON {
		enc := json.NewEncoder(a.env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(a.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	rows(tw)
	return tw.Flush()
}

// collect drains an iterator.
func collect[T any](seq func(func(T, error) bool)) ([]T, error) {
	out := []T{}
	for v, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
