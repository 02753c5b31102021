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
	"time"

	"github.com/scimbridge/scimbridge/client"
)

// The commands orgs, directories, tokens, users, groups, roles,
// role-mappings, events and portal-link drive a running server's management API through the
// public Go client; they never open the database.

const defaultServer = "http://127.0.0.1:8080"

// apiCommands maps each command to its subcommands, for usage messages.
var apiCommands = map[string]string{
	"orgs":          "create, list, get, update, delete or default-role",
	"directories":   "create, list, get, update, enable, disable or delete",
	"tokens":        "create, list or revoke",
	"users":         "list or get",
	"groups":        "list, get or members",
	"roles":         "list, create, update or delete",
	"role-mappings": "get, set or preview",
	"events":        "tail, list or get",
	"webhooks":      "list, create, get, update, delete, rotate, deliveries, retry, test or replay",
	"portal-link":   "create, list or revoke",
}

// apiCmd is one run of an API command: its flags, parsed arguments and
// output.
type apiCmd struct {
	env            Env
	fs             *flag.FlagSet
	server, apiKey string
	asJSON         bool
	args           []string
}

// apiRun dispatches "scimbridge COMMAND SUB …".
func apiRun(ctx context.Context, cmd string, args []string, env Env) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usageError{fmt.Sprintf("%s needs a subcommand: %s", cmd, apiCommands[cmd])}
	}
	sub := args[0]
	a := &apiCmd{env: env, fs: flag.NewFlagSet("scimbridge "+cmd+" "+sub, flag.ContinueOnError)}
	a.fs.SetOutput(env.Stderr)
	a.fs.StringVar(&a.server, "server", or(env.Getenv("SCIMBRIDGE_SERVER"), defaultServer), "base URL of the scimbridge server ($SCIMBRIDGE_SERVER)")
	a.fs.StringVar(&a.apiKey, "api-key", "", "management API key (default $SCIMBRIDGE_API_KEY)")
	a.fs.BoolVar(&a.asJSON, "json", false, "print JSON for scripts instead of a table")
	var err error
	switch cmd {
	case "orgs":
		err = orgsCmd(ctx, a, sub, args[1:])
	case "directories":
		err = directoriesCmd(ctx, a, sub, args[1:])
	case "tokens":
		err = tokensCmd(ctx, a, sub, args[1:])
	case "users":
		err = usersCmd(ctx, a, sub, args[1:])
	case "groups":
		err = groupsCmd(ctx, a, sub, args[1:])
	case "roles":
		err = rolesCmd(ctx, a, sub, args[1:])
	case "role-mappings":
		err = roleMappingsCmd(ctx, a, sub, args[1:])
	case "events":
		err = eventsCmd(ctx, a, sub, args[1:])
	case "webhooks":
		err = webhooksCmd(ctx, a, sub, args[1:])
	case "portal-link":
		err = portalLinkCmd(ctx, a, sub, args[1:])
	}
	var ae *client.APIError
	if errors.As(err, &ae) {
		return fmt.Errorf("%s (HTTP %d %s)", ae.Message, ae.Status, ae.Code)
	}
	return err
}

func unknownSub(cmd, sub string) error {
	return usageError{fmt.Sprintf("unknown %s subcommand %q: want %s", cmd, sub, apiCommands[cmd])}
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

func orgRows(os ...client.Organization) func(io.Writer) {
	return func(w io.Writer) {
		for _, o := range os {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", o.ID, o.Name, dash(o.ExternalID), fmtTime(o.CreatedAt))
		}
	}
}

const orgHeader = "ID\tNAME\tEXTERNAL ID\tCREATED"

func orgsCmd(ctx context.Context, a *apiCmd, sub string, args []string) error {
	switch sub {
	case "create":
		name := a.fs.String("name", "", "the organization's name (required)")
		ext := a.fs.String("external-id", "", "your id for the customer")
		if err := a.parse(args); err != nil {
			return err
		}
		if *name == "" {
			return usageError{"orgs create needs --name"}
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		o, err := c.CreateOrganization(ctx, *name, *ext)
		if err != nil {
			return err
		}
		return a.print(o, orgHeader, orgRows(o))
	case "list":
		ext := a.fs.String("external-id", "", "only the organization with this external id")
		if err := a.parse(args); err != nil {
			return err
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		var os []client.Organization
		if *ext != "" {
			o, err := c.LookupOrganizationByExternalID(ctx, *ext)
			if err != nil && !client.IsNotFound(err) {
				return err
			}
			if err == nil {
				os = append(os, o)
			}
		} else if os, err = collect(c.Organizations(ctx, client.ListOptions{PageSize: 100})); err != nil {
			return err
		}
		if os == nil {
			os = []client.Organization{}
		}
		return a.print(os, orgHeader, orgRows(os...))
	case "get", "delete":
		if err := a.parse(args, "ORG_ID"); err != nil {
			return err
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		if sub == "delete" {
			if err := c.DeleteOrganization(ctx, a.args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.env.Stdout, "deleted %s\n", a.args[0])
			return nil
		}
		o, err := c.GetOrganization(ctx, a.args[0])
		if err != nil {
			return err
		}
		return a.print(o, orgHeader, orgRows(o))
	case "update":
		var u client.OrganizationUpdate
		a.fs.Func("name", "new name", func(s string) error { u.Name = &s; return nil })
		a.fs.Func("external-id", `new external id ("" clears it)`, func(s string) error { u.ExternalID = &s; return nil })
		if err := a.parse(args, "ORG_ID"); err != nil {
			return err
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		o, err := c.UpdateOrganization(ctx, a.args[0], u)
		if err != nil {
			return err
		}
		return a.print(o, orgHeader, orgRows(o))
	case "default-role":
		clear := a.fs.Bool("clear", false, "remove the override: use the instance default role")
		var role string
		names := []string{"ORG_ID", "ROLE"}
		if len(args) > 0 && (contains(args, "--clear") || contains(args, "-clear")) {
			names = names[:1]
		}
		if err := a.parse(args, names...); err != nil {
			return err
		}
		if !*clear {
			role = a.args[1]
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		r, err := c.SetOrganizationDefaultRole(ctx, a.args[0], role)
		if err != nil {
			return err
		}
		return a.print(r, "ORGANIZATION\tOVERRIDE\tEFFECTIVE DEFAULT", func(w io.Writer) {
			fmt.Fprintf(w, "%s\t%s\t%s\n", r.OrganizationID, dash(r.Role), r.EffectiveDefaultRole)
		})
	}
	return unknownSub("orgs", sub)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

const dirHeader = "ID\tNAME\tPROVIDER\tENABLED\tSETUP\tUSERS\tGROUPS\tLAST REQUEST\tENDPOINT"

func dirRows(ds ...client.Directory) func(io.Writer) {
	return func(w io.Writer) {
		for _, d := range ds {
			fmt.Fprintf(w, "%s\t%s\t%s\t%t\t%s\t%d\t%d\t%s\t%s\n", d.ID, d.Name, d.Provider, d.Enabled, d.SetupState,
				d.UserCount, d.GroupCount, fmtTime(d.LastRequestAt), d.EndpointURL)
		}
	}
}

func directoriesCmd(ctx context.Context, a *apiCmd, sub string, args []string) error {
	var names []string
	var u client.DirectoryUpdate
	var provider, name *string
	switch sub {
	case "create":
		provider = a.fs.String("provider", "", "the IdP: okta, entra_id, jumpcloud, onelogin, pingidentity, rippling or custom (required)")
		name = a.fs.String("name", "", "a name for the directory")
		names = []string{"ORG_ID"}
	case "list":
		names = []string{"ORG_ID"}
	case "get", "enable", "disable", "delete":
		names = []string{"DIR_ID"}
	case "update":
		a.fs.Func("name", "new name", func(s string) error { u.Name = &s; return nil })
		a.fs.Func("provider", "new provider", func(s string) error { u.Provider = &s; return nil })
		a.fs.Func("unknown-members", "ignore or reject group members that do not exist", func(s string) error {
			if u.Settings == nil {
				u.Settings = &client.DirectorySettingsUpdate{}
			}
			u.Settings.UnknownMembers = &s
			return nil
		})
		a.fs.Func("request-log-bodies", "which request log entries keep their bodies: writes_and_failures, all or none", func(s string) error {
			if u.Settings == nil {
				u.Settings = &client.DirectorySettingsUpdate{}
			}
			u.Settings.RequestLogBodies = &s
			return nil
		})
		a.fs.Func("strict", "true or false: reject attributes outside the schema", func(s string) error {
			b := s == "true"
			if s != "true" && s != "false" {
				return errors.New("must be true or false")
			}
			if u.Settings == nil {
				u.Settings = &client.DirectorySettingsUpdate{}
			}
			u.Settings.Strict = &b
			return nil
		})
		names = []string{"DIR_ID"}
	default:
		return unknownSub("directories", sub)
	}
	if err := a.parse(args, names...); err != nil {
		return err
	}
	if sub == "create" && *provider == "" {
		return usageError{"directories create needs --provider"}
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	id := a.args[0]
	var d client.Directory
	switch sub {
	case "create":
		d, err = c.CreateDirectory(ctx, id, *provider, *name)
	case "list":
		ds, err := collect(c.Directories(ctx, id, client.ListOptions{PageSize: 100}))
		if err != nil {
			return err
		}
		return a.print(ds, dirHeader, dirRows(ds...))
	case "get":
		d, err = c.GetDirectory(ctx, id)
	case "enable":
		d, err = c.EnableDirectory(ctx, id)
	case "disable":
		d, err = c.DisableDirectory(ctx, id)
	case "update":
		d, err = c.UpdateDirectory(ctx, id, u)
	case "delete":
		if err := c.DeleteDirectory(ctx, id); err != nil {
			return err
		}
		fmt.Fprintf(a.env.Stdout, "deleted %s\n", id)
		return nil
	}
	if err != nil {
		return err
	}
	return a.print(d, dirHeader, dirRows(d))
}

const tokenHeader = "ID\tSUFFIX\tACTIVE\tCREATED\tEXPIRES\tLAST USED\tREVOKED"

func tokenRows(ts ...client.Token) func(io.Writer) {
	return func(w io.Writer) {
		for _, t := range ts {
			fmt.Fprintf(w, "%s\t…%s\t%t\t%s\t%s\t%s\t%s\n", t.ID, t.Suffix, t.Active, fmtTime(t.CreatedAt),
				fmtTime(t.ExpiresAt), fmtTime(t.LastUsedAt), fmtTime(t.RevokedAt))
		}
	}
}

func tokensCmd(ctx context.Context, a *apiCmd, sub string, args []string) error {
	switch sub {
	case "create":
		expires := a.fs.Duration("expires-in", 0, "lifetime of the token, e.g. 2160h; 0 never expires")
		if err := a.parse(args, "DIR_ID"); err != nil {
			return err
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		var exp time.Time
		if *expires > 0 {
			exp = time.Now().Add(*expires)
		}
		t, err := c.CreateToken(ctx, a.args[0], exp)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.env.Stderr, "Created token %s for directory %s. This is the only time the secret is shown; give it to the IdP admin:\n", t.ID, t.DirectoryID)
		if a.asJSON {
			return a.print(t, "", nil)
		}
		fmt.Fprintln(a.env.Stdout, t.Token)
		return nil
	case "list":
		if err := a.parse(args, "DIR_ID"); err != nil {
			return err
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		ts, err := c.ListTokens(ctx, a.args[0])
		if err != nil {
			return err
		}
		return a.print(ts, tokenHeader, tokenRows(ts...))
	case "revoke":
		if err := a.parse(args, "DIR_ID", "TOKEN_ID"); err != nil {
			return err
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		if err := c.RevokeToken(ctx, a.args[0], a.args[1]); err != nil {
			return err
		}
		fmt.Fprintf(a.env.Stdout, "revoked %s\n", a.args[1])
		return nil
	}
	return unknownSub("tokens", sub)
}
