package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/scimbridge/scimbridge/client"
)

// Organizations, their directories and the directories' SCIM tokens, for
// the API commands of api.go.

func orgRows(os ...client.Organization) func(io.Writer) {
	return func(w io.Writer) {
		for _, o := range os {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", o.ID, o.Name, dash(o.ExternalID), fmtTime(o.CreatedAt))
		}
	}
}

const orgHeader = "ID\tNAME\tEXTERNAL ID\tCREATED"

func orgsCommand() command {
	return command{name: "orgs", summary: "organizations: your customers", subs: []command{
		{name: "create", flagsHint: "--name NAME [--external-id ID]", required: []string{"name"},
			summary: "create an organization", api: orgsCreate},
		{name: "list", flagsHint: "[--external-id ID]", summary: "list organizations", api: orgsList},
		{name: "get", pos: []string{"ORG_ID"}, summary: "show an organization", api: orgsGet},
		{name: "update", pos: []string{"ORG_ID"}, flagsHint: "[--name NAME] [--external-id ID]", summary: "rename an organization", api: orgsUpdate},
		{name: "delete", pos: []string{"ORG_ID"}, summary: "delete an organization", api: orgsDelete},
		{name: "default-role", pos: []string{"ORG_ID", "ROLE"}, flagsHint: "| ORG_ID --clear",
			summary: "set or clear the organization's default role", api: orgsDefaultRole},
	}}
}

func orgsCreate(a *apiCmd) apiFunc {
	name := a.fs.String("name", "", "the organization's name (required)")
	ext := a.fs.String("external-id", "", "your id for the customer")
	return func(ctx context.Context, c *client.Client) error {
		o, err := c.CreateOrganization(ctx, *name, *ext)
		if err != nil {
			return err
		}
		return a.print(o, orgHeader, orgRows(o))
	}
}

func orgsList(a *apiCmd) apiFunc {
	ext := a.fs.String("external-id", "", "only the organization with this external id")
	return func(ctx context.Context, c *client.Client) error {
		if *ext == "" {
			os, err := collect(c.Organizations(ctx, client.ListOptions{PageSize: 100}))
			if err != nil {
				return err
			}
			return a.print(os, orgHeader, orgRows(os...))
		}
		os := []client.Organization{}
		o, err := c.LookupOrganizationByExternalID(ctx, *ext)
		if err != nil && !client.IsNotFound(err) {
			return err
		}
		if err == nil {
			os = append(os, o)
		}
		return a.print(os, orgHeader, orgRows(os...))
	}
}

func orgsGet(a *apiCmd) apiFunc {
	return func(ctx context.Context, c *client.Client) error {
		o, err := c.GetOrganization(ctx, a.args[0])
		if err != nil {
			return err
		}
		return a.print(o, orgHeader, orgRows(o))
	}
}

func orgsUpdate(a *apiCmd) apiFunc {
	var u client.OrganizationUpdate
	a.fs.Func("name", "new name", func(s string) error { u.Name = &s; return nil })
	a.fs.Func("external-id", `new external id ("" clears it)`, func(s string) error { u.ExternalID = &s; return nil })
	return func(ctx context.Context, c *client.Client) error {
		o, err := c.UpdateOrganization(ctx, a.args[0], u)
		if err != nil {
			return err
		}
		return a.print(o, orgHeader, orgRows(o))
	}
}

func orgsDelete(a *apiCmd) apiFunc {
	return func(ctx context.Context, c *client.Client) error {
		if err := c.DeleteOrganization(ctx, a.args[0]); err != nil {
			return err
		}
		fmt.Fprintf(a.env.Stdout, "deleted %s\n", a.args[0])
		return nil
	}
}

func orgsDefaultRole(a *apiCmd) apiFunc {
	clear := a.fs.Bool("clear", false, "remove the override: use the instance default role")
	if contains(a.raw, "--clear") || contains(a.raw, "-clear") {
		a.want = a.want[:1] // ORG_ID alone
	}
	return func(ctx context.Context, c *client.Client) error {
		var role string
		if !*clear {
			role = a.args[1]
		}
		r, err := c.SetOrganizationDefaultRole(ctx, a.args[0], role)
		if err != nil {
			return err
		}
		return a.print(r, "ORGANIZATION\tOVERRIDE\tEFFECTIVE DEFAULT", func(w io.Writer) {
			fmt.Fprintf(w, "%s\t%s\t%s\n", r.OrganizationID, dash(r.Role), r.EffectiveDefaultRole)
		})
	}
}

const dirHeader = "ID\tNAME\tPROVIDER\tENABLED\tSETUP\tSTATE\tUSERS\tGROUPS\tLAST REQUEST\tENDPOINT"

func dirRows(ds ...client.Directory) func(io.Writer) {
	return func(w io.Writer) {
		for _, d := range ds {
			fmt.Fprintf(w, "%s\t%s\t%s\t%t\t%s\t%s\t%d\t%d\t%s\t%s\n", d.ID, d.Name, d.Provider, d.Enabled, d.SetupState, d.State,
				d.UserCount, d.GroupCount, fmtTime(d.LastRequestAt), d.EndpointURL)
		}
	}
}

func directoriesCommand() command {
	return command{name: "directories", summary: "an organization's directories: one per IdP connection", subs: []command{
		{name: "create", pos: []string{"ORG_ID"}, flagsHint: "--provider P [--name NAME]", required: []string{"provider"},
			summary: "create a directory", api: directoriesCreate},
		{name: "list", pos: []string{"ORG_ID"}, summary: "list an organization's directories", api: directoriesList},
		{name: "get", pos: []string{"DIR_ID"}, summary: "show a directory", api: directoryAction((*client.Client).GetDirectory)},
		{name: "update", pos: []string{"DIR_ID"}, flagsHint: "[--name N] [--unknown-members M] [--request-log-bodies B] [--strict B] [--on-delete D] [--on-deactivate D] [--guard on|off] …",
			summary: "change a directory's name, provider or settings", api: directoriesUpdate},
		{name: "enable", pos: []string{"DIR_ID"}, summary: "accept SCIM requests again", api: directoryAction((*client.Client).EnableDirectory)},
		{name: "disable", pos: []string{"DIR_ID"}, summary: "refuse SCIM requests", api: directoryAction((*client.Client).DisableDirectory)},
		{name: "delete", pos: []string{"DIR_ID"}, summary: "delete a directory", api: directoriesDelete},
	}}
}

func directoriesCreate(a *apiCmd) apiFunc {
	provider := a.fs.String("provider", "", "the IdP: okta, entra_id, jumpcloud, onelogin, pingidentity, rippling or custom (required)")
	name := a.fs.String("name", "", "a name for the directory")
	return func(ctx context.Context, c *client.Client) error {
		d, err := c.CreateDirectory(ctx, a.args[0], *provider, *name)
		if err != nil {
			return err
		}
		return a.print(d, dirHeader, dirRows(d))
	}
}

func directoriesList(a *apiCmd) apiFunc {
	return func(ctx context.Context, c *client.Client) error {
		ds, err := collect(c.Directories(ctx, a.args[0], client.ListOptions{PageSize: 100}))
		if err != nil {
			return err
		}
		return a.print(ds, dirHeader, dirRows(ds...))
	}
}

// directoryAction is a leaf that calls do with the directory id and prints
// the directory it returns.
func directoryAction(do func(*client.Client, context.Context, string) (client.Directory, error)) func(*apiCmd) apiFunc {
	return func(a *apiCmd) apiFunc {
		return func(ctx context.Context, c *client.Client) error {
			d, err := do(c, ctx, a.args[0])
			if err != nil {
				return err
			}
			return a.print(d, dirHeader, dirRows(d))
		}
	}
}

func directoriesUpdate(a *apiCmd) apiFunc {
	var u client.DirectoryUpdate
	settings := func() *client.DirectorySettingsUpdate {
		if u.Settings == nil {
			u.Settings = &client.DirectorySettingsUpdate{}
		}
		return u.Settings
	}
	a.fs.Func("name", "new name", func(s string) error { u.Name = &s; return nil })
	a.fs.Func("provider", "new provider", func(s string) error { u.Provider = &s; return nil })
	a.fs.Func("unknown-members", "ignore or reject group members that do not exist", func(s string) error {
		settings().UnknownMembers = &s
		return nil
	})
	a.fs.Func("request-log-bodies", "which request log entries keep their bodies: writes_and_failures, all or none", func(s string) error {
		settings().RequestLogBodies = &s
		return nil
	})
	a.fs.Func("strict", "true or false: reject attributes outside the schema", func(s string) error {
		if s != "true" && s != "false" {
			return errors.New("must be true or false")
		}
		b := s == "true"
		settings().Strict = &b
		return nil
	})
	deprovisionFlags(a, settings)
	return func(ctx context.Context, c *client.Client) error {
		d, err := c.UpdateDirectory(ctx, a.args[0], u)
		if err != nil {
			return err
		}
		return a.print(d, dirHeader, dirRows(d))
	}
}

func directoriesDelete(a *apiCmd) apiFunc {
	return func(ctx context.Context, c *client.Client) error {
		if err := c.DeleteDirectory(ctx, a.args[0]); err != nil {
			return err
		}
		fmt.Fprintf(a.env.Stdout, "deleted %s\n", a.args[0])
		return nil
	}
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

func tokensCommand() command {
	return command{name: "tokens", summary: "a directory's SCIM bearer tokens", subs: []command{
		{name: "create", pos: []string{"DIR_ID"}, flagsHint: "[--expires-in D]", summary: "create a SCIM token (printed once)", api: tokensCreate},
		{name: "list", pos: []string{"DIR_ID"}, summary: "list a directory's tokens", api: tokensList},
		{name: "revoke", pos: []string{"DIR_ID", "TOKEN_ID"}, summary: "revoke a token", api: tokensRevoke},
	}}
}

func tokensCreate(a *apiCmd) apiFunc {
	expires := a.fs.Duration("expires-in", 0, "lifetime of the token, e.g. 2160h; 0 never expires")
	return func(ctx context.Context, c *client.Client) error {
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
	}
}

func tokensList(a *apiCmd) apiFunc {
	return func(ctx context.Context, c *client.Client) error {
		ts, err := c.ListTokens(ctx, a.args[0])
		if err != nil {
			return err
		}
		return a.print(ts, tokenHeader, tokenRows(ts...))
	}
}

func tokensRevoke(a *apiCmd) apiFunc {
	return func(ctx context.Context, c *client.Client) error {
		if err := c.RevokeToken(ctx, a.args[0], a.args[1]); err != nil {
			return err
		}
		fmt.Fprintf(a.env.Stdout, "revoked %s\n", a.args[1])
		return nil
	}
}
