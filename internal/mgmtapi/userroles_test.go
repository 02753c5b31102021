package mgmtapi_test

import (
	"context"
	"testing"
)

// TestUsersCarryEffectiveRoles provisions users and groups as an IdP would,
// maps a group to a role, and reads the users' roles through the API: users
// in the mapped group get it, the others the default, and a change of
// mapping shows at once.
func TestUsersCarryEffectiveRoles(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	org, err := e.svc.CreateOrganization(ctx, "Acme", "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.svc.CreateDirectory(ctx, org.ID, "okta", "")
	if err != nil {
		t.Fatal(err)
	}
	ann, _ := e.svc.CreateUser(ctx, d, map[string]any{"userName": "ann@example.com"})
	bob, _ := e.svc.CreateUser(ctx, d, map[string]any{"userName": "bob@example.com"})
	eng, err := e.svc.CreateGroup(ctx, d, map[string]any{"displayName": "Engineering", "members": []any{map[string]any{"value": ann.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	roleOf := func(id string) (string, []any) {
		t.Helper()
		st, u := e.call("GET", "/api/v1/directories/"+d.ID+"/users/"+id, bootstrapKey, "")
		if st != 200 {
			t.Fatalf("GET user: %d %v", st, u)
		}
		roles, _ := u["roles"].([]any)
		role, _ := u["role"].(string)
		return role, roles
	}
	if r, _ := roleOf(ann.ID); r != "admin" {
		t.Errorf("before any mapping ann has role %q, want the default admin", r)
	}
	if st, out := e.call("PUT", "/api/v1/directories/"+d.ID+"/role_mappings", bootstrapKey,
		`{"mappings":[{"group_id":"`+eng.ID+`","role":"member","priority":10}]}`); st != 200 {
		t.Fatalf("PUT role_mappings: %d %v", st, out)
	}
	if r, rs := roleOf(ann.ID); r != "member" || len(rs) != 1 {
		t.Errorf("ann in the mapped group: role %q roles %v, want member", r, rs)
	}
	if r, _ := roleOf(bob.ID); r != "admin" {
		t.Errorf("bob in no mapped group: role %q, want the default admin", r)
	}
	st, list := e.call("GET", "/api/v1/directories/"+d.ID+"/users?page_size=10", bootstrapKey, "")
	if st != 200 {
		t.Fatalf("list users: %d %v", st, list)
	}
	got := map[string]string{}
	for _, item := range list["data"].([]any) {
		u := item.(map[string]any)
		got[u["user_name"].(string)], _ = u["role"].(string)
	}
	if got["ann@example.com"] != "member" || got["bob@example.com"] != "admin" {
		t.Errorf("roles in the user list: %v", got)
	}
	// Removing ann from the group over SCIM takes her back to the default.
	if _, err := e.svc.PatchGroup(ctx, d, eng.ID, []byte(`{"Operations":[{"op":"remove","path":"members[value eq \"`+ann.ID+`\"]"}]}`), ""); err != nil {
		t.Fatal(err)
	}
	if r, _ := roleOf(ann.ID); r != "admin" {
		t.Errorf("after leaving the group ann has role %q, want admin", r)
	}
}
