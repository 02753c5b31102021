package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimbridge/scimbridge/internal/directory"
)

func roleTests() []subtest {
	return []subtest{
		{"Roles/BuiltIn", testRolesBuiltIn},
		{"Roles/CreateUpdateDefault", testRolesDefault},
		{"Roles/Delete", testRolesDelete},
		{"Roles/OrganizationDefault", testOrganizationDefaultRole},
		{"RoleMappings/PutAndRead", testRoleMappings},
		{"RoleMappings/Validation", testRoleMappingsValidation},
		{"RoleMappings/Cascades", testRoleMappingsCascade},
	}
}

func (f *fixture) roles() []directory.Role {
	f.t.Helper()
	rs, err := f.s.ListRoles(f.ctx)
	if err != nil {
		f.t.Fatalf("ListRoles: %v", err)
	}
	return rs
}

func (f *fixture) putMappings(dirID string, ms ...directory.RoleMapping) {
	f.t.Helper()
	if err := f.s.PutRoleMappings(f.ctx, dirID, ms); err != nil {
		f.t.Fatalf("PutRoleMappings: %v", err)
	}
}

func (f *fixture) userRoles(dirID string, ids ...string) map[string][]directory.RoleGrant {
	f.t.Helper()
	got, err := f.s.UserRoles(f.ctx, dirID, ids)
	if err != nil {
		f.t.Fatalf("UserRoles: %v", err)
	}
	return got
}

func testRolesBuiltIn(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	want := []directory.Role{
		{Key: "admin", Name: "Administrator", Default: true},
		{Key: "member", Name: "Member"},
	}
	if d := cmp.Diff(want, f.roles()); d != "" {
		t.Errorf("roles of a new database (-want +got):\n%s", d)
	}
	global, override, err := s.DefaultRoles(f.ctx, f.org.ID)
	if err != nil || global != "admin" || override != "" {
		t.Errorf("DefaultRoles = %q, %q, %v; want admin, \"\"", global, override, err)
	}
	_, err = s.GetRole(f.ctx, "nope")
	wantNotFound(t, err, "GetRole(nope)")
}

func testRolesDefault(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	if err := s.CreateRole(f.ctx, directory.Role{Key: "viewer", Name: "Viewer", Description: "reads"}); err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	wantKind(t, s.CreateRole(f.ctx, directory.Role{Key: "viewer", Name: "Again"}), directory.KindConflict, "CreateRole(duplicate)")
	// Becoming the default unsets the previous default.
	r, err := s.UpdateRole(f.ctx, "member", func(r *directory.Role) error { r.Default, r.Name = true, "Members"; return nil })
	if err != nil {
		t.Fatalf("UpdateRole(member default): %v", err)
	}
	if d := cmp.Diff(directory.Role{Key: "member", Name: "Members", Default: true}, r); d != "" {
		t.Errorf("UpdateRole result (-want +got):\n%s", d)
	}
	defaults := 0
	for _, r := range f.roles() {
		if r.Default {
			defaults++
			if r.Key != "member" {
				t.Errorf("role %s is still a default", r.Key)
			}
		}
	}
	if defaults != 1 {
		t.Errorf("%d default roles, want 1", defaults)
	}
	// The default cannot stop being the default by itself.
	_, err = s.UpdateRole(f.ctx, "member", func(r *directory.Role) error { r.Default = false; return nil })
	wantKind(t, err, directory.KindInvalid, "UpdateRole(default=false)")
	// Creating a role as the default moves the default too.
	if err := s.CreateRole(f.ctx, directory.Role{Key: "owner", Name: "Owner", Default: true}); err != nil {
		t.Fatalf("CreateRole(default): %v", err)
	}
	if g, _, _ := s.DefaultRoles(f.ctx, f.org.ID); g != "owner" {
		t.Errorf("default after creating owner as default = %q", g)
	}
	_, err = s.UpdateRole(f.ctx, "nope", func(*directory.Role) error { return nil })
	wantNotFound(t, err, "UpdateRole(nope)")
}

func testRolesDelete(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	wantKind(t, s.DeleteRole(f.ctx, "admin"), directory.KindConflict, "DeleteRole(default)")
	wantNotFound(t, s.DeleteRole(f.ctx, "nope"), "DeleteRole(nope)")
	if err := s.DeleteRole(f.ctx, "member"); err != nil {
		t.Fatalf("DeleteRole(member): %v", err)
	}
	if got := len(f.roles()); got != 1 {
		t.Errorf("%d roles after deleting member, want 1", got)
	}
}

func testOrganizationDefaultRole(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	if err := s.SetOrganizationDefaultRole(f.ctx, f.org.ID, "member"); err != nil {
		t.Fatalf("SetOrganizationDefaultRole: %v", err)
	}
	if g, o, _ := s.DefaultRoles(f.ctx, f.org.ID); g != "admin" || o != "member" {
		t.Errorf("DefaultRoles = %q, %q; want admin, member", g, o)
	}
	wantKind(t, s.SetOrganizationDefaultRole(f.ctx, f.org.ID, "nope"), directory.KindInvalid, "override with unknown role")
	wantNotFound(t, s.SetOrganizationDefaultRole(f.ctx, "org_missing", "member"), "override of unknown organization")
	// Deleting the role drops the override: users fall back to the global default.
	if err := s.DeleteRole(f.ctx, "member"); err != nil {
		t.Fatal(err)
	}
	if _, o, _ := s.DefaultRoles(f.ctx, f.org.ID); o != "" {
		t.Errorf("override after deleting its role = %q, want none", o)
	}
	if err := s.SetOrganizationDefaultRole(f.ctx, f.org.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetOrganizationDefaultRole(f.ctx, f.org.ID, ""); err != nil {
		t.Fatalf("clearing: %v", err)
	}
	if _, o, _ := s.DefaultRoles(f.ctx, f.org.ID); o != "" {
		t.Errorf("override after clearing = %q", o)
	}
}

func testRoleMappings(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	alice, bob, carol := f.userNamed(f.dir.ID, "alice"), f.userNamed(f.dir.ID, "bob"), f.userNamed(f.dir.ID, "carol")
	eng := f.group(f.dir.ID, "eng", alice.ID, bob.ID)
	ops := f.group(f.dir.ID, "ops", bob.ID)
	if got := f.userRoles(f.dir.ID, alice.ID, bob.ID, carol.ID); len(got) != 0 {
		t.Errorf("UserRoles with no mappings = %v", got)
	}
	f.putMappings(f.dir.ID,
		directory.RoleMapping{GroupID: eng.ID, Role: "member", Priority: 1},
		directory.RoleMapping{GroupID: ops.ID, Role: "admin", Priority: 5})
	want := []directory.RoleMapping{{GroupID: ops.ID, Role: "admin", Priority: 5}, {GroupID: eng.ID, Role: "member", Priority: 1}}
	got, err := s.RoleMappings(f.ctx, f.dir.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("RoleMappings (-want +got):\n%s", d)
	}
	grants := f.userRoles(f.dir.ID, alice.ID, bob.ID, carol.ID, "diruser_missing")
	sortGrants := cmp.Transformer("sort", func(gs []directory.RoleGrant) map[string]int {
		m := map[string]int{}
		for _, g := range gs {
			m[g.Role] = g.Priority
		}
		return m
	})
	wantGrants := map[string][]directory.RoleGrant{
		alice.ID: {{Role: "member", Priority: 1}},
		bob.ID:   {{Role: "member", Priority: 1}, {Role: "admin", Priority: 5}},
	}
	if d := cmp.Diff(wantGrants, grants, sortGrants); d != "" {
		t.Errorf("UserRoles (-want +got):\n%s", d)
	}
	// Another directory's users get nothing from these mappings.
	other := f.newDir()
	if got := f.userRoles(other.ID, alice.ID); len(got) != 0 {
		t.Errorf("UserRoles through another directory = %v", got)
	}
	// PUT replaces the whole list.
	f.putMappings(f.dir.ID, directory.RoleMapping{GroupID: eng.ID, Role: "admin", Priority: 0})
	if got, _ := s.RoleMappings(f.ctx, f.dir.ID); len(got) != 1 || got[0].Role != "admin" {
		t.Errorf("RoleMappings after replace = %v", got)
	}
	f.putMappings(f.dir.ID)
	if got, _ := s.RoleMappings(f.ctx, f.dir.ID); len(got) != 0 {
		t.Errorf("RoleMappings after clearing = %v", got)
	}
	_, err = s.RoleMappings(f.ctx, "dir_missing")
	wantNotFound(t, err, "RoleMappings(unknown directory)")
}

func testRoleMappingsValidation(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	g := f.group(f.dir.ID, "eng")
	other := f.newDir()
	og := f.group(other.ID, "theirs")
	f.putMappings(f.dir.ID, directory.RoleMapping{GroupID: g.ID, Role: "member", Priority: 1})
	for _, tc := range []struct {
		name string
		ms   []directory.RoleMapping
		kind directory.Kind
	}{
		{"other directory's group", []directory.RoleMapping{{GroupID: og.ID, Role: "member"}}, directory.KindInvalid},
		{"unknown group", []directory.RoleMapping{{GroupID: "dirgroup_nope", Role: "member"}}, directory.KindInvalid},
		{"unknown role", []directory.RoleMapping{{GroupID: g.ID, Role: "nope"}}, directory.KindInvalid},
		{"duplicate", []directory.RoleMapping{{GroupID: g.ID, Role: "admin"}, {GroupID: g.ID, Role: "admin", Priority: 2}}, directory.KindInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantKind(t, s.PutRoleMappings(f.ctx, f.dir.ID, tc.ms), tc.kind, "PutRoleMappings")
			// Nothing changed: the PUT is atomic.
			if got, _ := s.RoleMappings(f.ctx, f.dir.ID); len(got) != 1 || got[0].Role != "member" {
				t.Errorf("mappings after a refused PUT = %v", got)
			}
		})
	}
	wantNotFound(t, s.PutRoleMappings(f.ctx, "dir_missing", nil), "PutRoleMappings(unknown directory)")
}

func testRoleMappingsCascade(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	if err := s.CreateRole(f.ctx, directory.Role{Key: "viewer", Name: "Viewer"}); err != nil {
		t.Fatal(err)
	}
	u := f.userNamed(f.dir.ID, "alice")
	a := f.group(f.dir.ID, "a", u.ID)
	b := f.group(f.dir.ID, "b", u.ID)
	f.putMappings(f.dir.ID,
		directory.RoleMapping{GroupID: a.ID, Role: "viewer", Priority: 3},
		directory.RoleMapping{GroupID: b.ID, Role: "member", Priority: 1})
	// Deleting a role deletes its mappings.
	if err := s.DeleteRole(f.ctx, "viewer"); err != nil {
		t.Fatal(err)
	}
	if got := f.userRoles(f.dir.ID, u.ID)[u.ID]; len(got) != 1 || got[0].Role != "member" {
		t.Errorf("grants after deleting viewer = %v, want member only", got)
	}
	// Removing the user from a group removes what the group granted.
	f.updateGroup(f.dir.ID, b.ID, directory.MemberChange{Kind: directory.RemoveMembers, IDs: []string{u.ID}})
	if got := f.userRoles(f.dir.ID, u.ID); len(got) != 0 {
		t.Errorf("grants after leaving b = %v", got)
	}
	// Deleting a group deletes its mappings.
	if err := s.DeleteGroup(f.ctx, f.dir.ID, b.ID, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.RoleMappings(f.ctx, f.dir.ID); len(got) != 0 {
		t.Errorf("mappings after deleting their groups = %v", got)
	}
}
