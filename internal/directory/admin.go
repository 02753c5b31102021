package directory

import (
	"context"
	"strings"
)

// OrganizationChange is a partial update of an organization: nil fields
// are left as they are. An empty ExternalID clears it.
type OrganizationChange struct {
	Name       *string
	ExternalID *string
}

// UpdateOrganization renames an organization or changes its external id
// (unique when set: a clash is KindConflict).
func (s *Service) UpdateOrganization(ctx context.Context, id string, c OrganizationChange) (Organization, error) {
	if c.Name != nil && strings.TrimSpace(*c.Name) == "" {
		return Organization{}, Errorf(KindInvalid, "name must not be empty")
	}
	if c.ExternalID != nil {
		if err := checkIdentifier("external_id", *c.ExternalID); err != nil {
			return Organization{}, err
		}
	}
	return s.Store.UpdateOrganization(ctx, id, s.now(), func(o *Organization) error {
		if c.Name != nil {
			o.Name = strings.TrimSpace(*c.Name)
		}
		if c.ExternalID != nil {
			o.ExternalID = *c.ExternalID
		}
		return nil
	})
}

// DeleteOrganization deletes an organization with its directories and all
// their data, in one transaction. Its tokens stop authenticating at once:
// the next SCIM request with one gets 401.
func (s *Service) DeleteOrganization(ctx context.Context, id string) error {
	defer s.AuthCache.Invalidate()
	return s.Store.DeleteOrganization(ctx, id)
}

// DeleteDirectory deletes a directory with its users, groups, tokens and
// request log, in one transaction; its tokens stop authenticating at once.
func (s *Service) DeleteDirectory(ctx context.Context, id string) error {
	defer s.AuthCache.Invalidate()
	return s.Store.DeleteDirectory(ctx, id)
}
