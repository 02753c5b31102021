package client

import (
	"context"
	"net/http"
)

// Custom attribute types.
const (
	AttrString     = "string"
	AttrBoolean    = "boolean"
	AttrNumber     = "number"
	AttrDateTime   = "datetime"
	AttrStringList = "string_list"
)

// CustomAttribute is an attribute the app declares once; each directory
// maps it to an attribute its IdP sends (docs/custom-attributes.md).
type CustomAttribute struct {
	Key         string `json:"key"`
	Type        string `json:"type"` // one of the Attr* constants
	Description string `json:"description,omitempty"`
	// DefaultSource is the SCIM path new directories map it to; empty:
	// the attribute under the advertised extension schema.
	DefaultSource string `json:"default_source,omitempty"`
}

// CustomAttributeUpdate changes an attribute's description or default
// source; nil fields are left alone (key and type never change).
type CustomAttributeUpdate struct {
	Description   *string `json:"description,omitempty"`
	DefaultSource *string `json:"default_source,omitempty"`
}

// AttributeMapping maps a declared attribute to a SCIM attribute path,
// e.g. `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter`
// or `phoneNumbers[type eq "mobile"].value`.
type AttributeMapping struct {
	Key    string `json:"key"`
	Type   string `json:"type,omitempty"` // set in answers
	Source string `json:"source"`
}

// AttributeMappings is a directory's mappings as stored.
type AttributeMappings struct {
	DirectoryID string             `json:"directory_id"`
	Mappings    []AttributeMapping `json:"mappings"`
	// Version increments with every change; PendingUsers is how many
	// users still hold values of an older version (0 once applied).
	Version      int64 `json:"version"`
	PendingUsers int   `json:"pending_users"`
	// UsersChanged is set by PutAttributeMappings: users whose values
	// changed (each got a user_updated event).
	UsersChanged int `json:"users_changed"`
}

// AttributePreview is what proposed mappings would do to a directory's
// first 500 users.
type AttributePreview struct {
	SampledUsers  int `json:"sampled_users"`
	UsersChanging int `json:"users_changing"`
	Users         []struct {
		UserID      string `json:"user_id"`
		DisplayName string `json:"display_name"`
		Values      []struct {
			Key      string `json:"key"`
			Current  any    `json:"current"`
			Proposed any    `json:"proposed"`
			Error    string `json:"error"` // why Proposed is nil, for a value of the wrong type
			Changes  bool   `json:"changes"`
		} `json:"values"`
	} `json:"users"`
}

// AttributeSources lists the attributes seen in a directory's users and
// the provider's suggested mappings.
type AttributeSources struct {
	Provider     string `json:"provider"`
	SampledUsers int    `json:"sampled_users"`
	TotalUsers   int    `json:"total_users"`
	Data         []struct {
		Source  string   `json:"source"`
		Users   int      `json:"users"`
		Samples []string `json:"samples"`
	} `json:"data"`
	ProviderDefaults []AttributeMapping `json:"provider_defaults"`
}

// ListCustomAttributes returns the declared attributes, by key.
func (c *Client) ListCustomAttributes(ctx context.Context) ([]CustomAttribute, error) {
	as, _, err := getPage[CustomAttribute](ctx, c, "/custom_attributes", nil)
	return as, err
}

// CreateCustomAttribute declares an attribute.
func (c *Client) CreateCustomAttribute(ctx context.Context, a CustomAttribute) (CustomAttribute, error) {
	var out CustomAttribute
	err := c.do(ctx, http.MethodPost, "/custom_attributes", nil, a, &out)
	return out, err
}

// UpdateCustomAttribute changes an attribute's description or default
// source.
func (c *Client) UpdateCustomAttribute(ctx context.Context, key string, u CustomAttributeUpdate) (CustomAttribute, error) {
	var out CustomAttribute
	err := c.do(ctx, http.MethodPatch, "/custom_attributes/"+esc(key), nil, u, &out)
	return out, err
}

// DeleteCustomAttribute deletes an attribute; one that a directory maps is
// a 409 APIError (remove the mapping first).
func (c *Client) DeleteCustomAttribute(ctx context.Context, key string) error {
	return c.do(ctx, http.MethodDelete, "/custom_attributes/"+esc(key), nil, nil, nil)
}

type attrMappings struct {
	Mappings []AttributeMapping `json:"mappings"`
}

// GetAttributeMappings returns a directory's attribute mappings.
func (c *Client) GetAttributeMappings(ctx context.Context, dirID string) (AttributeMappings, error) {
	var out AttributeMappings
	err := c.do(ctx, http.MethodGet, "/directories/"+esc(dirID)+"/attribute_mappings", nil, nil, &out)
	return out, err
}

// PutAttributeMappings replaces a directory's attribute mappings (nil or
// empty removes them all) and applies them to its users: for up to 10
// seconds, after which PendingUsers > 0 says how many the server still
// re-maps in the background (GetAttributeMappings shows it going to 0).
func (c *Client) PutAttributeMappings(ctx context.Context, dirID string, ms []AttributeMapping) (AttributeMappings, error) {
	if ms == nil {
		ms = []AttributeMapping{}
	}
	var out AttributeMappings
	err := c.do(ctx, http.MethodPut, "/directories/"+esc(dirID)+"/attribute_mappings", nil, attrMappings{ms}, &out)
	return out, err
}

// PreviewAttributeMappings evaluates proposed mappings on the directory's
// first 500 users without saving them.
func (c *Client) PreviewAttributeMappings(ctx context.Context, dirID string, ms []AttributeMapping) (AttributePreview, error) {
	if ms == nil {
		ms = []AttributeMapping{}
	}
	var out AttributePreview
	err := c.do(ctx, http.MethodPost, "/directories/"+esc(dirID)+"/attribute_mappings/preview", nil, attrMappings{ms}, &out)
	return out, err
}

// AttributeSources returns the attributes seen in the directory's first
// 500 users (with counts and sample values) and the provider's suggested
// mappings for the declared attributes.
func (c *Client) AttributeSources(ctx context.Context, dirID string) (AttributeSources, error) {
	var out AttributeSources
	err := c.do(ctx, http.MethodGet, "/directories/"+esc(dirID)+"/attribute_sources", nil, nil, &out)
	return out, err
}
