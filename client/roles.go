package client

import (
	"context"
	"net/http"
)

// ListRoles returns every role the app defines.
func (c *Client) ListRoles(ctx context.Context) ([]Role, error) {
	rs, _, err := getPage[Role](ctx, c, "/roles", nil)
	return rs, err
}

// CreateRole creates a role; with Default set it becomes the default.
func (c *Client) CreateRole(ctx context.Context, r Role) (Role, error) {
	var out Role
	err := c.do(ctx, http.MethodPost, "/roles", nil, r, &out)
	return out, err
}

// UpdateRole renames a role, changes its description or makes it the
// default.
func (c *Client) UpdateRole(ctx context.Context, key string, u RoleUpdate) (Role, error) {
	var out Role
	err := c.do(ctx, http.MethodPatch, "/roles/"+esc(key), nil, u, &out)
	return out, err
}

// DeleteRole deletes a role; its users fall back to the default role.
func (c *Client) DeleteRole(ctx context.Context, key string) error {
	return c.do(ctx, http.MethodDelete, "/roles/"+esc(key), nil, nil, nil)
}

type mappings struct {
	Mappings []RoleMapping `json:"mappings"`
}

// GetRoleMappings returns a directory's group-to-role mappings.
func (c *Client) GetRoleMappings(ctx context.Context, dirID string) ([]RoleMapping, error) {
	var out mappings
	err := c.do(ctx, http.MethodGet, "/directories/"+esc(dirID)+"/role_mappings", nil, nil, &out)
	return out.Mappings, err
}

// PutRoleMappings replaces a directory's mappings (nil or empty removes
// them all) and returns them as stored.
func (c *Client) PutRoleMappings(ctx context.Context, dirID string, ms []RoleMapping) ([]RoleMapping, error) {
	if ms == nil {
		ms = []RoleMapping{}
	}
	var out mappings
	err := c.do(ctx, http.MethodPut, "/directories/"+esc(dirID)+"/role_mappings", nil, mappings{ms}, &out)
	return out.Mappings, err
}

// PreviewRoleMappings tells how many users would change role if ms
// replaced the directory's mappings, without applying them.
func (c *Client) PreviewRoleMappings(ctx context.Context, dirID string, ms []RoleMapping) (Preview, error) {
	if ms == nil {
		ms = []RoleMapping{}
	}
	var out Preview
	err := c.do(ctx, http.MethodPost, "/directories/"+esc(dirID)+"/role_mappings/preview", nil, mappings{ms}, &out)
	return out, err
}
