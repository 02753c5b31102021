package mgmtapi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// roleEnv is an organization with a directory holding users and groups,
// created through the Service (as SCIM would).
type roleEnv struct {
	*env
	orgID, dirID string
	users        map[string]string // userName → id
	groups       map[string]string // displayName → id
}

func newRoleEnv(t *testing.T) *roleEnv {
	t.Helper()
	e := &roleEnv{env: newEnv(t), users: map[string]string{}, groups: map[string]string{}}
	ctx := context.Background()
	org, err := e.svc.CreateOrganization(ctx, "Acme", "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.svc.CreateDirectory(ctx, org.ID, "okta", "")
	if err != nil {
		t.Fatal(err)
	}
	e.orgID, e.dirID = org.ID, d.ID
	for _, n := range []string{"alice", "bob", "carol"} {
		u, err := e.svc.CreateUser(ctx, d, map[string]any{"userName": n})
		if err != nil {
			t.Fatal(err)
		}
		e.users[n] = u.ID
	}
	for name, members := range map[string][]string{"eng": {"alice", "bob"}, "ops": {"bob"}} {
		var ms []any
		for _, m := range members {
			ms = append(ms, map[string]any{"value": e.users[m]})
		}
		g, err := e.svc.CreateGroup(ctx, d, map[string]any{"displayName": name, "members": ms})
		if err != nil {
			t.Fatal(err)
		}
		e.groups[name] = g.ID
	}
	return e
}

// effective returns each user's role, by userName.
func (e *roleEnv) effective() map[string]string {
	e.t.Helper()
	var ids []string
	for _, id := range e.users {
		ids = append(ids, id)
	}
	got, err := e.svc.EffectiveRoles(context.Background(), e.orgID, e.dirID, ids)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]string{}
	for n, id := range e.users {
		out[n] = got[id].Role
	}
	return out
}

func (e *roleEnv) mustCall(method, path, body string, want int) map[string]any {
	e.t.Helper()
	st, out := e.call(method, path, bootstrapKey, body)
	if st != want {
		e.t.Fatalf("%s %s %s: %d %v, want %d", method, path, body, st, out, want)
	}
	return out
}

func TestRolesCRUD(t *testing.T) {
	e := newRoleEnv(t)
	out := e.mustCall("GET", "/api/v1/roles", "", 200)
	if d := cmp.Diff([]any{
		map[string]any{"object": "role", "key": "admin", "name": "Administrator", "description": "", "default": true},
		map[string]any{"object": "role", "key": "member", "name": "Member", "description": "", "default": false},
	}, out["data"]); d != "" {
		t.Errorf("built-in roles (-want +got):\n%s", d)
	}
	e.mustCall("POST", "/api/v1/roles", `{"key":"billing","name":"Billing","description":"invoices"}`, 201)
	e.mustCall("PATCH", "/api/v1/roles/billing", `{"name":"Billing admin"}`, 200)
	got := e.mustCall("PATCH", "/api/v1/roles/member", `{"default":true}`, 200)
	if got["default"] != true {
		t.Errorf("PATCH default: %v", got)
	}
	out = e.mustCall("GET", "/api/v1/roles", "", 200)
	for _, r := range out["data"].([]any) {
		r := r.(map[string]any)
		if (r["key"] == "member") != (r["default"] == true) {
			t.Errorf("after making member the default: %v", r)
		}
	}
	e.mustCall("DELETE", "/api/v1/roles/billing", "", 204)
	e.mustCall("DELETE", "/api/v1/roles/billing", "", 404)
}

func TestRolesBadInput(t *testing.T) {
	e := newRoleEnv(t)
	other, err := e.svc.CreateDirectory(context.Background(), e.orgID, "okta", "other")
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := e.svc.CreateGroup(context.Background(), other, map[string]any{"displayName": "theirs"})
	if err != nil {
		t.Fatal(err)
	}
	maps := "/api/v1/directories/" + e.dirID + "/role_mappings"
	for _, tc := range []struct {
		method, path, body string
		status             int
		code, message      string
	}{
		{"POST", "/api/v1/roles", `{"key":"Bad Key","name":"x"}`, 400, "invalid", "key"},
		{"POST", "/api/v1/roles", `{"key":"x"}`, 400, "invalid", "name is required"},
		{"POST", "/api/v1/roles", `{"key":"admin","name":"dup"}`, 409, "conflict", "already exists"},
		{"POST", "/api/v1/roles", `{"key":"x","name":"x","colour":"red"}`, 400, "invalid", "colour"},
		{"POST", "/api/v1/roles", `{"key":"x","name":"x","default":"yes"}`, 400, "invalid", "default"},
		{"PATCH", "/api/v1/roles/admin", `{"default":false}`, 400, "invalid", "make another role the default"},
		{"PATCH", "/api/v1/roles/nope", `{"name":"x"}`, 404, "not_found", "nope"},
		{"PATCH", "/api/v1/roles/admin", `{"name":""}`, 400, "invalid", "name"},
		{"DELETE", "/api/v1/roles/admin", ``, 409, "conflict", "make another role the default first"},
		{"PUT", maps, `{}`, 400, "invalid", "mappings"},
		{"PUT", maps, `{"mappings":[{"group_id":"` + e.groups["eng"] + `","role":"nope","priority":1}]}`, 400, "invalid", `role "nope" does not exist`},
		{"PUT", maps, `{"mappings":[{"group_id":"` + theirs.ID + `","role":"member","priority":1}]}`, 400, "invalid", theirs.ID},
		{"PUT", maps, `{"mappings":[{"group_id":"` + e.groups["eng"] + `","role":"member","priority":"high"}]}`, 400, "invalid", "priority"},
		{"PUT", maps, `{"mappings":[{"group_id":"` + e.groups["eng"] + `","role":"member","priority":1.5}]}`, 400, "invalid", "priority"},
		{"PUT", maps, `{"mappings":[{"group":"x"}]}`, 400, "invalid", "group"},
		{"PUT", maps, `{"mappings":[{"group_id":"` + e.groups["eng"] + `","role":"member"},{"group_id":"` + e.groups["eng"] + `","role":"member"}]}`, 400, "invalid", "second time"},
		{"PUT", "/api/v1/directories/dir_nope/role_mappings", `{"mappings":[]}`, 404, "not_found", "dir_nope"},
		{"GET", "/api/v1/directories/dir_nope/role_mappings", ``, 404, "not_found", "dir_nope"},
		{"POST", maps + "/preview", `{"mappings":[{"group_id":"` + theirs.ID + `","role":"member"}]}`, 400, "invalid", theirs.ID},
		{"POST", maps + "/preview", `{"mappings":[{"group_id":"` + e.users["alice"] + `","role":"member"}]}`, 400, "invalid", e.users["alice"]},
		{"POST", maps + "/preview", `{"mappings":[{"group_id":"` + e.groups["eng"] + `","role":"nope"}]}`, 400, "invalid", "nope"},
		{"PUT", "/api/v1/organizations/" + e.orgID + "/default_role", `{}`, 400, "invalid", "role"},
		{"PUT", "/api/v1/organizations/" + e.orgID + "/default_role", `{"role":5}`, 400, "invalid", "role"},
		{"PUT", "/api/v1/organizations/" + e.orgID + "/default_role", `{"role":"nope"}`, 400, "invalid", "nope"},
		{"PUT", "/api/v1/organizations/org_nope/default_role", `{"role":"member"}`, 404, "not_found", "org_nope"},
	} {
		t.Run(tc.method+" "+tc.body, func(t *testing.T) {
			st, out := e.call(tc.method, tc.path, bootstrapKey, tc.body)
			msg, _ := out["error"].(map[string]any)["message"].(string)
			if st != tc.status || errCode(out) != tc.code || !strings.Contains(msg, tc.message) {
				t.Errorf("%s %s %s: %d %v, want %d %s mentioning %q", tc.method, tc.path, tc.body, st, out, tc.status, tc.code, tc.message)
			}
		})
	}
	// Nothing was written by the refused PUTs.
	if out := e.mustCall("GET", maps, "", 200); len(out["mappings"].([]any)) != 0 {
		t.Errorf("mappings after refused PUTs: %v", out)
	}
	if st, _ := e.call("GET", "/api/v1/roles", "", ""); st != 401 {
		t.Errorf("GET /roles without a key: %d", st)
	}
}

// TestRoleMappingsFlow drives effective roles through the API: mappings,
// preview, priorities, role deletion, default change, organization override.
func TestRoleMappingsFlow(t *testing.T) {
	e := newRoleEnv(t)
	maps := "/api/v1/directories/" + e.dirID + "/role_mappings"
	want := map[string]string{"alice": "admin", "bob": "admin", "carol": "admin"}
	if d := cmp.Diff(want, e.effective()); d != "" {
		t.Fatalf("no mappings: everyone has the default (-want +got):\n%s", d)
	}
	e.mustCall("POST", "/api/v1/roles", `{"key":"viewer","name":"Viewer"}`, 201)
	body := fmt.Sprintf(`{"mappings":[{"group_id":%q,"role":"member","priority":1},{"group_id":%q,"role":"viewer","priority":5}]}`, e.groups["eng"], e.groups["ops"])
	prev := e.mustCall("POST", maps+"/preview", body, 200)
	if prev["users_changing_role"] != float64(2) || len(prev["sample"].([]any)) != 2 {
		t.Errorf("preview: %v, want 2 users changing", prev)
	}
	if d := cmp.Diff(want, e.effective()); d != "" {
		t.Errorf("preview changed something (-want +got):\n%s", d)
	}
	out := e.mustCall("PUT", maps, body, 200)
	if len(out["mappings"].([]any)) != 2 {
		t.Errorf("PUT answer: %v", out)
	}
	want = map[string]string{"alice": "member", "bob": "viewer", "carol": "admin"}
	if d := cmp.Diff(want, e.effective()); d != "" {
		t.Errorf("after PUT (-want +got):\n%s", d)
	}
	// Bob has both roles, highest priority first.
	got, _ := e.svc.EffectiveRoles(context.Background(), e.orgID, e.dirID, []string{e.users["bob"]})
	if d := cmp.Diff([]string{"viewer", "member"}, got[e.users["bob"]].Roles); d != "" {
		t.Errorf("bob's roles (-want +got):\n%s", d)
	}
	// Same mappings again: nobody changes.
	if prev := e.mustCall("POST", maps+"/preview", body, 200); prev["users_changing_role"] != float64(0) {
		t.Errorf("preview of the current mappings: %v", prev)
	}
	// Deleting a role: its users fall back.
	e.mustCall("DELETE", "/api/v1/roles/viewer", "", 204)
	want = map[string]string{"alice": "member", "bob": "member", "carol": "admin"}
	if d := cmp.Diff(want, e.effective()); d != "" {
		t.Errorf("after deleting viewer (-want +got):\n%s", d)
	}
	// Changing the default, then overriding it for the organization.
	e.mustCall("POST", "/api/v1/roles", `{"key":"guest","name":"Guest","default":true}`, 201)
	if got := e.effective()["carol"]; got != "guest" {
		t.Errorf("carol after the default changed: %s", got)
	}
	out = e.mustCall("PUT", "/api/v1/organizations/"+e.orgID+"/default_role", `{"role":"member"}`, 200)
	if out["role"] != "member" || out["effective_default_role"] != "member" {
		t.Errorf("override answer: %v", out)
	}
	if got := e.effective()["carol"]; got != "member" {
		t.Errorf("carol with the organization override: %s", got)
	}
	out = e.mustCall("PUT", "/api/v1/organizations/"+e.orgID+"/default_role", `{"role":null}`, 200)
	if out["role"] != nil || out["effective_default_role"] != "guest" {
		t.Errorf("clearing the override: %v", out)
	}
	// Removing alice from eng: back to the default.
	if _, _, err := e.svc.Store.UpdateGroup(context.Background(), e.dirID, e.groups["eng"], e.svc.IDs.Now(), func(*directory.Group) (bool, []directory.MemberChange, error) {
		return false, []directory.MemberChange{{Kind: directory.RemoveMembers, IDs: []string{e.users["alice"]}}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := e.effective()["alice"]; got != "guest" {
		t.Errorf("alice after leaving eng: %s", got)
	}
	// Clearing the mappings.
	if out := e.mustCall("PUT", maps, `{"mappings":[]}`, 200); len(out["mappings"].([]any)) != 0 {
		t.Errorf("clearing: %v", out)
	}
}
