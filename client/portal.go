package client

import (
	"context"
	"net/http"
	"time"
)

// Portal link kinds.
const (
	// PortalEmbed links work once and expire 5 minutes after creation:
	// create one each time your app shows the Admin Portal.
	PortalEmbed = "embed"
	// PortalShare links work many times for 7 days, until revoked.
	PortalShare = "share"
)

// PortalLink is an Admin Portal link for an organization's IT admin.
type PortalLink struct {
	ID             string `json:"id"`
	OrganizationID string `json:"organization_id"`
	Kind           string `json:"kind"`
	// Location is the URL to open (it carries the link's secret token);
	// set only by CreatePortalLink.
	Location   string    `json:"location,omitempty"`
	ReturnURL  string    `json:"return_url"`
	CreatedAt  time.Time `json:"created_at"`
	ExpireTime time.Time `json:"expire_time"`
	UsedAt     time.Time `json:"used_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

// CreatePortalLink creates an Admin Portal link for an organization. kind
// is PortalEmbed or PortalShare; returnURL, when not empty, is where the
// portal's "Back to app" link goes. Location is returned this once.
func (c *Client) CreatePortalLink(ctx context.Context, orgID, kind, returnURL string) (PortalLink, error) {
	in := map[string]any{"kind": kind}
	if returnURL != "" {
		in["return_url"] = returnURL
	}
	var l PortalLink
	err := c.do(ctx, http.MethodPost, "/organizations/"+esc(orgID)+"/portal_links", nil, in, &l)
	return l, err
}

// ListPortalLinks returns an organization's portal links, newest first,
// without their locations.
func (c *Client) ListPortalLinks(ctx context.Context, orgID string) ([]PortalLink, error) {
	ls, _, err := getPage[PortalLink](ctx, c, "/organizations/"+esc(orgID)+"/portal_links", nil)
	return ls, err
}

// RevokePortalLink revokes a link: it stops opening, and the portal
// sessions it started end at once.
func (c *Client) RevokePortalLink(ctx context.Context, orgID, linkID string) error {
	return c.do(ctx, http.MethodDelete, "/organizations/"+esc(orgID)+"/portal_links/"+esc(linkID), nil, nil, nil)
}
