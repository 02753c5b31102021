package client

import (
	"context"
	"iter"
	"net/http"
	"time"
)

// CreateOrganization creates an organization; externalID (your id for the
// customer) may be "".
func (c *Client) CreateOrganization(ctx context.Context, name, externalID string) (Organization, error) {
	in := map[string]string{"name": name}
	if externalID != "" {
		in["external_id"] = externalID
	}
	var o Organization
	err := c.do(ctx, http.MethodPost, "/organizations", nil, in, &o)
	return o, err
}

// GetOrganization returns one organization.
func (c *Client) GetOrganization(ctx context.Context, id string) (Organization, error) {
	var o Organization
	err := c.do(ctx, http.MethodGet, "/organizations/"+esc(id), nil, nil, &o)
	return o, err
}

// ListOrganizations returns one page of organizations in id order and the
// token of the next page ("" on the last).
func (c *Client) ListOrganizations(ctx context.Context, opts ListOptions) ([]Organization, string, error) {
	return getPage[Organization](ctx, c, "/organizations", opts.values())
}

// Organizations iterates over every organization, page by page.
func (c *Client) Organizations(ctx context.Context, opts ListOptions) iter.Seq2[Organization, error] {
	return all(func(token string) ([]Organization, string, error) {
		opts.PageToken = token
		return c.ListOrganizations(ctx, opts)
	})
}

// LookupOrganizationByExternalID returns the organization with that
// external id, or an APIError with status 404.
func (c *Client) LookupOrganizationByExternalID(ctx context.Context, externalID string) (Organization, error) {
	q := ListOptions{PageSize: 1}.values()
	q.Set("external_id", externalID)
	os, _, err := getPage[Organization](ctx, c, "/organizations", q)
	if err != nil {
		return Organization{}, err
	}
	if len(os) == 0 {
		return Organization{}, &APIError{Status: http.StatusNotFound, Code: "not_found", Message: "no organization has external_id " + externalID}
	}
	return os[0], nil
}

// UpdateOrganization changes an organization's name and/or external id.
func (c *Client) UpdateOrganization(ctx context.Context, id string, u OrganizationUpdate) (Organization, error) {
	var o Organization
	err := c.do(ctx, http.MethodPatch, "/organizations/"+esc(id), nil, u, &o)
	return o, err
}

// DeleteOrganization deletes an organization with its directories and
// their users, groups and tokens.
func (c *Client) DeleteOrganization(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/organizations/"+esc(id), nil, nil, nil)
}

// SetOrganizationDefaultRole makes role the default role of the
// organization's users that no mapped group gives a role; "" clears the
// override so the instance default applies.
func (c *Client) SetOrganizationDefaultRole(ctx context.Context, orgID, role string) (OrganizationDefaultRole, error) {
	in := map[string]any{"role": nil}
	if role != "" {
		in["role"] = role
	}
	var out struct {
		OrganizationID       string  `json:"organization_id"`
		Role                 *string `json:"role"`
		EffectiveDefaultRole string  `json:"effective_default_role"`
	}
	if err := c.do(ctx, http.MethodPut, "/organizations/"+esc(orgID)+"/default_role", nil, in, &out); err != nil {
		return OrganizationDefaultRole{}, err
	}
	r := OrganizationDefaultRole{OrganizationID: out.OrganizationID, EffectiveDefaultRole: out.EffectiveDefaultRole}
	if out.Role != nil {
		r.Role = *out.Role
	}
	return r, nil
}

// CreateDirectory creates a directory of an organization for an IdP
// (okta, entra_id, jumpcloud, onelogin, pingidentity, rippling or custom).
func (c *Client) CreateDirectory(ctx context.Context, orgID, provider, name string) (Directory, error) {
	var d Directory
	err := c.do(ctx, http.MethodPost, "/organizations/"+esc(orgID)+"/directories", nil,
		map[string]string{"provider": provider, "name": name}, &d)
	return d, err
}

// GetDirectory returns a directory with its counts and setup state.
func (c *Client) GetDirectory(ctx context.Context, id string) (Directory, error) {
	var d Directory
	err := c.do(ctx, http.MethodGet, "/directories/"+esc(id), nil, nil, &d)
	return d, err
}

// ListDirectories returns one page of an organization's directories.
func (c *Client) ListDirectories(ctx context.Context, orgID string, opts ListOptions) ([]Directory, string, error) {
	return getPage[Directory](ctx, c, "/organizations/"+esc(orgID)+"/directories", opts.values())
}

// Directories iterates over every directory of an organization.
func (c *Client) Directories(ctx context.Context, orgID string, opts ListOptions) iter.Seq2[Directory, error] {
	return all(func(token string) ([]Directory, string, error) {
		opts.PageToken = token
		return c.ListDirectories(ctx, orgID, opts)
	})
}

// UpdateDirectory changes a directory's name, provider, enabled flag or
// settings.
func (c *Client) UpdateDirectory(ctx context.Context, id string, u DirectoryUpdate) (Directory, error) {
	var d Directory
	err := c.do(ctx, http.MethodPatch, "/directories/"+esc(id), nil, u, &d)
	return d, err
}

// EnableDirectory lets the directory's IdP call again.
func (c *Client) EnableDirectory(ctx context.Context, id string) (Directory, error) {
	t := true
	return c.UpdateDirectory(ctx, id, DirectoryUpdate{Enabled: &t})
}

// DisableDirectory makes the directory answer SCIM requests with 403 until
// it is enabled again; its data is kept.
func (c *Client) DisableDirectory(ctx context.Context, id string) (Directory, error) {
	f := false
	return c.UpdateDirectory(ctx, id, DirectoryUpdate{Enabled: &f})
}

// DeleteDirectory deletes a directory with its users, groups and tokens.
func (c *Client) DeleteDirectory(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/directories/"+esc(id), nil, nil, nil)
}

// CreateToken creates a SCIM token of a directory; its secret is in
// Token.Token and is never returned again. A zero expiresAt never expires.
// A directory has at most two active tokens.
func (c *Client) CreateToken(ctx context.Context, dirID string, expiresAt time.Time) (Token, error) {
	in := map[string]any{}
	if !expiresAt.IsZero() {
		in["expires_at"] = expiresAt.UTC().Format(time.RFC3339Nano)
	}
	var t Token
	err := c.do(ctx, http.MethodPost, "/directories/"+esc(dirID)+"/tokens", nil, in, &t)
	return t, err
}

// ListTokens returns every token of a directory, without secrets.
func (c *Client) ListTokens(ctx context.Context, dirID string) ([]Token, error) {
	ts, _, err := getPage[Token](ctx, c, "/directories/"+esc(dirID)+"/tokens", nil)
	return ts, err
}

// RevokeToken revokes a directory token at once.
func (c *Client) RevokeToken(ctx context.Context, dirID, tokenID string) error {
	return c.do(ctx, http.MethodDelete, "/directories/"+esc(dirID)+"/tokens/"+esc(tokenID), nil, nil, nil)
}
