package client_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/client"
)

func TestPortalLinks(t *testing.T) {
	c, srv := newServer(t)
	ctx := context.Background()
	org, err := c.CreateOrganization(ctx, "Acme", "")
	if err != nil {
		t.Fatal(err)
	}
	l, err := c.CreatePortalLink(ctx, org.ID, client.PortalEmbed, "https://app.example.com/admin")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(l.Location, "http://scim.test/portal/open?token=scimb_pl_") || l.ExpireTime.Sub(l.CreatedAt) != 5*time.Minute ||
		l.ReturnURL != "https://app.example.com/admin" || l.Kind != client.PortalEmbed || !l.UsedAt.IsZero() {
		t.Errorf("CreatePortalLink = %+v", l)
	}
	// The location opens the portal once (the server's public URL is
	// scim.test, so open it on the test server's address).
	open := srv.URL + strings.TrimPrefix(l.Location, "http://scim.test")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(open)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/portal/scim" {
		t.Errorf("opening the link: %d → %q, want 303 → /portal/scim", resp.StatusCode, resp.Header.Get("Location"))
	}
	s, err := c.CreatePortalLink(ctx, org.ID, client.PortalShare, "")
	if err != nil {
		t.Fatal(err)
	}
	ls, err := c.ListPortalLinks(ctx, org.ID)
	if err != nil || len(ls) != 2 || ls[0].ID != s.ID || ls[1].UsedAt.IsZero() || ls[0].Location != "" {
		t.Fatalf("ListPortalLinks = %+v, %v; want the share link then the used embed link, no locations", ls, err)
	}
	if err := c.RevokePortalLink(ctx, org.ID, s.ID); err != nil {
		t.Fatal(err)
	}
	ls, _ = c.ListPortalLinks(ctx, org.ID)
	if ls[0].RevokedAt.IsZero() {
		t.Errorf("revoked link has no RevokedAt: %+v", ls[0])
	}
	if _, err := c.CreatePortalLink(ctx, org.ID, "forever", ""); err == nil {
		t.Errorf("CreatePortalLink with an unknown kind: no error")
	}
}
