package directory

import (
	"sort"
)

// Role is an app-defined role. Roles are global to the scimbridge instance;
// exactly one is the default, which users with no mapped group get (an
// organization may override it, see Store.SetOrganizationDefaultRole).
type Role struct {
	Key         string // lowercase [a-z0-9_-], 1–64 characters; never changes
	Name        string
	Description string
	Default     bool
}

// RoleMapping maps a directory group to a role. When a user's groups map to
// several roles, the mapping with the higher Priority wins; ties are broken
// by role key, ascending.
type RoleMapping struct {
	GroupID  string
	Role     string
	Priority int
}

// RoleGrant is one role a user gets from one of its direct groups.
type RoleGrant struct {
	Role     string
	Priority int
}

// Effective is a user's effective roles: Roles are all the roles its direct
// groups map to, highest priority first, and Role is the first of them. A
// user with no mapped group has the default role alone.
type Effective struct {
	Roles []string
	Role  string
}

// EffectiveRoles is the one rule that turns a user's grants into its
// effective roles:
//   - only direct group memberships grant roles (a nested group's members
//     do not inherit its mappings);
//   - each role counts once, at the highest priority any of the user's
//     groups maps it with;
//   - roles are ordered by priority, higher first, then by key;
//   - Role is the first of Roles;
//   - with no grants the user has defaultRole alone (the organization's
//     override when set, else the instance default).
//
// It is pure: effective roles are never stored but computed at read time
// from membership rows and the directory's mappings (Store.UserRoles), so a
// mapping change is one small write whatever the number of users it affects.
func EffectiveRoles(grants []RoleGrant, defaultRole string) Effective {
	if len(grants) == 0 {
		return Effective{Roles: []string{defaultRole}, Role: defaultRole}
	}
	best := make(map[string]int, len(grants))
	for _, g := range grants {
		if p, ok := best[g.Role]; !ok || g.Priority > p {
			best[g.Role] = g.Priority
		}
	}
	roles := make([]string, 0, len(best))
	for r := range best {
		roles = append(roles, r)
	}
	sort.Slice(roles, func(i, j int) bool {
		if best[roles[i]] != best[roles[j]] {
			return best[roles[i]] > best[roles[j]]
		}
		return roles[i] < roles[j]
	})
	return Effective{Roles: roles, Role: roles[0]}
}

// ValidRoleKey reports whether k is a valid role key: 1 to 64 characters
// from a-z, 0-9, "_" and "-".
func ValidRoleKey(k string) bool {
	if len(k) == 0 || len(k) > 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
