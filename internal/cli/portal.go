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

// portalLinkCmd is "scimbridge portal-link create|list|revoke".
func portalLinkCmd(ctx context.Context, a *apiCmd, sub string, args []string) error {
	switch sub {
	case "create":
		kind := a.fs.String("kind", client.PortalShare, "embed (single use, 5 minutes) or share (7 days, revocable)")
		ret := a.fs.String("return-url", "", "your app's URL for the portal's \"Back to app\" link")
		if err := a.parse(args, "ORG_ID"); err != nil {
			return err
		}
		c, err := a.client()
		if err != nil {
			return err
		}
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
	case "list":
		if err := a.parse(args, "ORG_ID"); err != nil {
			return err
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		ls, err := c.ListPortalLinks(ctx, a.args[0])
		if err != nil {
			return err
		}
		return a.print(ls, portalLinkHeader, portalLinkRows(ls...))
	case "revoke":
		if err := a.parse(args, "ORG_ID", "LINK_ID"); err != nil {
			return err
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		if err := c.RevokePortalLink(ctx, a.args[0], a.args[1]); err != nil {
			return err
		}
		fmt.Fprintf(a.env.Stdout, "revoked %s\n", a.args[1])
		return nil
	}
	return unknownSub("portal-link", sub)
}
