package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/scimbridge/scimbridge/client"
)

const portalLinkHeader = "ID\tKIND\tCREATED\tEXPIRES\tUSED\tREVOKED\tRETURN URL"

func portalLinkRows(ls ...client.PortalLink) func(w io.Writer) {
	t := func(v time.Time) string {
		if v.IsZero() {
			return "-"
		}
		return v.UTC().Format(time.RFC3339)
	}
	return func(w io.Writer) {
		for _, l := range ls {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l.ID, l.Kind, t(l.CreatedAt), t(l.ExpireTime), t(l.UsedAt), t(l.RevokedAt), dash(l.ReturnURL))
		}
	}
}

func portalLinkCommand() command {
	return command{name: "portal-link", summary: "Admin Portal links for an organization's IT admin", subs: []command{
		{name: "create", pos: []string{"ORG_ID"}, flagsHint: "[--kind embed|share] [--return-url URL]",
			summary: "create an Admin Portal link for the org's IT admin (printed once)", api: portalLinkCreate},
		{name: "list", pos: []string{"ORG_ID"}, summary: "list an organization's portal links", api: portalLinkList},
		{name: "revoke", pos: []string{"ORG_ID", "LINK_ID"}, summary: "revoke a portal link", api: portalLinkRevoke},
	}}
}

func portalLinkCreate(a *apiCmd) apiFunc {
	kind := a.fs.String("kind", client.PortalShare, "embed (single use, 5 minutes) or share (7 days, revocable)")
	ret := a.fs.String("return-url", "", "your app's URL for the portal's \"Back to app\" link")
	return func(ctx context.Context, c *client.Client) error {
		l, err := c.CreatePortalLink(ctx, a.args[0], *kind, *ret)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.env.Stderr, "Created %s portal link %s for organization %s, valid until %s. Give this URL to the organization's IT admin (it is shown only now):\n",
			l.Kind, l.ID, l.OrganizationID, l.ExpireTime.UTC().Format(time.RFC3339))
		if a.asJSON {
			return a.print(l, "", nil)
		}
		fmt.Fprintln(a.env.Stdout, l.Location)
		return nil
	}
}

func portalLinkList(a *apiCmd) apiFunc {
	return func(ctx context.Context, c *client.Client) error {
		ls, err := c.ListPortalLinks(ctx, a.args[0])
		if err != nil {
			return err
		}
		return a.print(ls, portalLinkHeader, portalLinkRows(ls...))
	}
}

func portalLinkRevoke(a *apiCmd) apiFunc {
	return func(ctx context.Context, c *client.Client) error {
		if err := c.RevokePortalLink(ctx, a.args[0], a.args[1]); err != nil {
			return err
		}
		fmt.Fprintf(a.env.Stdout, "revoked %s\n", a.args[1])
		return nil
	}
}
