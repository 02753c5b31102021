package directory

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEffectiveRoles covers the effective-roles rule. Each case states the
// situation as the grants it leaves the user with: the store derives grants
// from current membership rows and mappings at read time, so a removed
// membership, a deleted mapping or a deleted role (its mappings cascade)
// simply no longer yields a grant.
func TestEffectiveRoles(t *testing.T) {
	tests := []struct {
		name   string
		grants []RoleGrant
		def    string
		want   Effective
	}{
		{"no groups", nil, "admin", Effective{Roles: []string{"admin"}, Role: "admin"}},
		{"one mapped group", []RoleGrant{{"member", 0}}, "admin", Effective{Roles: []string{"member"}, Role: "member"}},
		{"two groups, higher priority wins", []RoleGrant{{"member", 1}, {"billing", 7}}, "admin",
			Effective{Roles: []string{"billing", "member"}, Role: "billing"}},
		{"negative priorities", []RoleGrant{{"member", -1}, {"billing", -7}}, "admin",
			Effective{Roles: []string{"member", "billing"}, Role: "member"}},
		{"tie broken by role key", []RoleGrant{{"viewer", 3}, {"editor", 3}}, "admin",
			Effective{Roles: []string{"editor", "viewer"}, Role: "editor"}},
		{"same role from two groups counts once at its best priority", []RoleGrant{{"member", 1}, {"viewer", 2}, {"member", 5}}, "admin",
			Effective{Roles: []string{"member", "viewer"}, Role: "member"}},
		{"user removed from the mapped group", nil, "admin", Effective{Roles: []string{"admin"}, Role: "admin"}},
		{"removed from one of two groups", []RoleGrant{{"member", 1}}, "admin", Effective{Roles: []string{"member"}, Role: "member"}},
		{"mapping deleted", nil, "admin", Effective{Roles: []string{"admin"}, Role: "admin"}},
		{"role deleted: falls back to the default", nil, "admin", Effective{Roles: []string{"admin"}, Role: "admin"}},
		{"default changed", nil, "member", Effective{Roles: []string{"member"}, Role: "member"}},
		{"organization override", nil, defaultRole("admin", "viewer"), Effective{Roles: []string{"viewer"}, Role: "viewer"}},
		{"override does not apply to mapped users", []RoleGrant{{"member", 0}}, defaultRole("admin", "viewer"),
			Effective{Roles: []string{"member"}, Role: "member"}},
		{"no override: global default", nil, defaultRole("admin", ""), Effective{Roles: []string{"admin"}, Role: "admin"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := EffectiveRoles(tc.grants, tc.def)
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("EffectiveRoles(%v, %q) (-want +got):\n%s", tc.grants, tc.def, d)
			}
		})
	}
}

func TestValidRoleKey(t *testing.T) {
	for k, want := range map[string]bool{
		"admin": true, "billing-admin": true, "role_2": true, "": false, "Admin": false, "a b": false,
		"x": true, string(make([]byte, 65)): false, "é": false,
	} {
		if got := ValidRoleKey(k); got != want {
			t.Errorf("ValidRoleKey(%q) = %v, want %v", k, got, want)
		}
	}
}
