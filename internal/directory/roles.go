package directory

import (
	"context"
	"sort"
	"strings"
)

// Role mappings limits.
const (
	// MaxRoleMappings caps the mappings of one directory.
	MaxRoleMappings = 1000
	// previewSample is how many changes PreviewRoleMappings lists.
	previewSample = 20
)

// ListRoles returns every role, ordered by key.
func (s *Service) ListRoles(ctx context.Context) ([]Role, error) {
	return s.Store.ListRoles(ctx)
}

// CreateRole creates a role. Creating it as the default makes it the only
// default.
func (s *Service) CreateRole(ctx context.Context, r Role) (Role, error) {
	if !ValidRoleKey(r.Key) {
		return Role{}, Errorf(KindInvalid, "key %q is not valid: use 1 to 64 characters from a-z, 0-9, _ and -", r.Key)
	}
	r.Name = strings.TrimSpace(r.Name)
	if r.Name == "" {
		return Role{}, Errorf(KindInvalid, "name is required")
	}
	if err := s.Store.CreateRole(ctx, r); err != nil {
		return Role{}, err
	}
	return r, nil
}

// RoleUpdate is a partial update of a role: nil fields are left alone.
type RoleUpdate struct {
	Name        *string
	Description *string
	Default     *bool
}

// UpdateRole changes a role's name, description or default flag. Setting
// default=true unsets the previous default in the same transaction;
// default=false on the default role is refused.
func (s *Service) UpdateRole(ctx context.Context, key string, u RoleUpdate) (Role, error) {
	if u.Name != nil && strings.TrimSpace(*u.Name) == "" {
		return Role{}, Errorf(KindInvalid, "name must not be empty")
	}
	return s.Store.UpdateRole(ctx, key, func(r *Role) error {
		if u.Name != nil {
			r.Name = strings.TrimSpace(*u.Name)
		}
		if u.Description != nil {
			r.Description = *u.Description
		}
		if u.Default != nil {
			r.Default = *u.Default
		}
		return nil
	})
}

// DeleteRole deletes a role and its mappings; users mapped only to it fall
// back to the default role. The default role cannot be deleted.
func (s *Service) DeleteRole(ctx context.Context, key string) error {
	return s.Store.DeleteRole(ctx, key)
}

// SetOrganizationDefaultRole overrides the default role for one
// organization; role "" clears the override.
func (s *Service) SetOrganizationDefaultRole(ctx context.Context, orgID, role string) error {
	return s.Store.SetOrganizationDefaultRole(ctx, orgID, role)
}

// GetRoleMappings returns a directory's role mappings.
func (s *Service) GetRoleMappings(ctx context.Context, dirID string) ([]RoleMapping, error) {
	return s.Store.RoleMappings(ctx, dirID)
}

// PutRoleMappings replaces a directory's role mappings. It writes only the
// mapping rows: users' effective roles are computed when read, so a change
// that affects 50,000 users costs the same as one that affects one.
func (s *Service) PutRoleMappings(ctx context.Context, dirID string, ms []RoleMapping) error {
	if err := checkMappings(ms); err != nil {
		return err
	}
	return s.Store.PutRoleMappings(ctx, dirID, ms)
}

func checkMappings(ms []RoleMapping) error {
	if len(ms) > MaxRoleMappings {
		return Errorf(KindInvalid, "a directory can have at most %d role mappings, got %d", MaxRoleMappings, len(ms))
	}
	seen := map[[2]string]bool{}
	for i, m := range ms {
		if m.GroupID == "" {
			return Errorf(KindInvalid, "mappings[%d].group_id is required", i)
		}
		if m.Role == "" {
			return Errorf(KindInvalid, "mappings[%d].role is required", i)
		}
		k := [2]string{m.GroupID, m.Role}
		if seen[k] {
			return Errorf(KindInvalid, "mappings[%d] maps group %s to role %q a second time", i, m.GroupID, m.Role)
		}
		seen[k] = true
	}
	return nil
}

// RoleChange is one user whose role a mapping change would change.
type RoleChange struct {
	UserID   string
	Display  string
	FromRole string
	ToRole   string
}

// RolePreview is what a mapping change would do.
type RolePreview struct {
	UsersChangingRole int
	Sample            []RoleChange // up to 20, ordered by user id
}

// PreviewRoleMappings reports how many users would change role if the
// directory's mappings became ms, without changing anything. Only members
// of groups in the current or the proposed mappings can change role.
func (s *Service) PreviewRoleMappings(ctx context.Context, dirID string, ms []RoleMapping) (RolePreview, error) {
	if err := checkMappings(ms); err != nil {
		return RolePreview{}, err
	}
	d, err := s.Store.GetDirectory(ctx, dirID)
	if err != nil {
		return RolePreview{}, err
	}
	if err := s.checkMappingTargets(ctx, dirID, ms); err != nil {
		return RolePreview{}, err
	}
	old, err := s.Store.RoleMappings(ctx, dirID)
	if err != nil {
		return RolePreview{}, err
	}
	global, override, err := s.Store.DefaultRoles(ctx, d.OrganizationID)
	if err != nil {
		return RolePreview{}, err
	}
	def := defaultRole(global, override)
	var groups []string
	seen := map[string]bool{}
	for _, m := range append(append([]RoleMapping(nil), old...), ms...) {
		if !seen[m.GroupID] {
			seen[m.GroupID] = true
			groups = append(groups, m.GroupID)
		}
	}
	members, err := s.Store.MembersOf(ctx, dirID, groups)
	if err != nil {
		return RolePreview{}, err
	}
	userGroups := map[string][]string{}
	display := map[string]string{}
	for g, mems := range members {
		for _, m := range mems {
			if m.Type == MemberUser {
				userGroups[m.ID] = append(userGroups[m.ID], g)
				display[m.ID] = m.Display
			}
		}
	}
	before, after := grantsByGroup(old), grantsByGroup(ms)
	var p RolePreview
	for uid, gs := range userGroups {
		from := EffectiveRoles(collect(before, gs), def).Role
		to := EffectiveRoles(collect(after, gs), def).Role
		if from != to {
			p.UsersChangingRole++
			p.Sample = append(p.Sample, RoleChange{UserID: uid, Display: display[uid], FromRole: from, ToRole: to})
		}
	}
	sort.Slice(p.Sample, func(i, j int) bool { return p.Sample[i].UserID < p.Sample[j].UserID })
	if len(p.Sample) > previewSample {
		p.Sample = p.Sample[:previewSample]
	}
	return p, nil
}

// checkMappingTargets checks, without writing, what PutRoleMappings checks
// in its transaction: every group is a group of the directory and every
// role exists.
func (s *Service) checkMappingTargets(ctx context.Context, dirID string, ms []RoleMapping) error {
	roles, err := s.Store.ListRoles(ctx)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, r := range roles {
		known[r.Key] = true
	}
	var ids []string
	for _, m := range ms {
		if !known[m.Role] {
			return Errorf(KindInvalid, "role %q does not exist", m.Role)
		}
		if !strings.HasPrefix(m.GroupID, PrefixGroup+"_") {
			return Errorf(KindInvalid, "group %q is not a group of directory %s", m.GroupID, dirID)
		}
		ids = append(ids, m.GroupID)
	}
	unknown, err := s.Store.UnknownMembers(ctx, dirID, ids)
	if err != nil {
		return err
	}
	if len(unknown) > 0 {
		return Errorf(KindInvalid, "group %q is not a group of directory %s", unknown[0], dirID)
	}
	return nil
}

func grantsByGroup(ms []RoleMapping) map[string][]RoleGrant {
	out := map[string][]RoleGrant{}
	for _, m := range ms {
		out[m.GroupID] = append(out[m.GroupID], RoleGrant{Role: m.Role, Priority: m.Priority})
	}
	return out
}

func collect(by map[string][]RoleGrant, groups []string) []RoleGrant {
	var out []RoleGrant
	for _, g := range groups {
		out = append(out, by[g]...)
	}
	return out
}

func defaultRole(global, override string) string {
	if override != "" {
		return override
	}
	return global
}

// EffectiveRoles returns the effective roles of the listed users of a
// directory of organization orgID, with two queries whatever the number of
// users: the defaults and the users' grants (Store.UserRoles). Users that do
// not exist get the default role.
func (s *Service) EffectiveRoles(ctx context.Context, orgID, dirID string, userIDs []string) (map[string]Effective, error) {
	global, override, err := s.Store.DefaultRoles(ctx, orgID)
	if err != nil {
		return nil, err
	}
	grants, err := s.Store.UserRoles(ctx, dirID, userIDs)
	if err != nil {
		return nil, err
	}
	def := defaultRole(global, override)
	out := make(map[string]Effective, len(userIDs))
	for _, id := range userIDs {
		out[id] = EffectiveRoles(grants[id], def)
	}
	return out, nil
}
