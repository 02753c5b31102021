package scimapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

func patchOp(ops ...map[string]any) map[string]any {
	list := make([]any, len(ops))
	for i, op := range ops {
		list[i] = op
	}
	return map[string]any{"schemas": []string{schema.PatchOpURN}, "Operations": list}
}

func sorted(s []string) []string {
	s = append([]string{}, s...)
	slices.Sort(s)
	return s
}

func TestCreateGroup(t *testing.T) {
	e := newEnv(t)
	u1, u2 := e.createUser("u1@example.com"), e.createUser("u2@example.com")

	t.Run("empty members (Okta, Entra)", func(t *testing.T) {
		r := e.do("POST", "Groups", map[string]any{"schemas": []string{schema.GroupURN}, "displayName": "Empty", "members": []any{}}).want(t, http.StatusCreated)
		if r.str("displayName") != "Empty" || !strings.HasPrefix(r.str("id"), "dirgroup_") {
			t.Errorf("created: %s", r.raw)
		}
		if r.header.Get("Location") != e.base+"/Groups/"+r.str("id") || r.header.Get("ETag") != `W/"1"` {
			t.Errorf("Location %q ETag %q", r.header.Get("Location"), r.header.Get("ETag"))
		}
		if r.get("members") != nil {
			t.Errorf("members of an empty group: %v", r.get("members"))
		}
	})
	t.Run("no members attribute, Entra's externalId", func(t *testing.T) {
		r := e.do("POST", "Groups", map[string]any{"displayName": "NoMembers", "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"}).want(t, http.StatusCreated)
		if r.str("externalId") != "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159" {
			t.Errorf("created: %s", r.raw)
		}
	})
	t.Run("pre-populated members", func(t *testing.T) {
		r := e.do("POST", "Groups", map[string]any{"displayName": "Full", "members": []any{
			map[string]any{"value": u1, "display": "u1"},
			map[string]any{"value": u2, "$ref": nil},
		}}).want(t, http.StatusCreated)
		if diff := cmp.Diff(sorted([]string{u1, u2}), sorted(memberIDs(r))); diff != "" {
			t.Errorf("members (-want +got):\n%s", diff)
		}
		if got := r.str("members.0.$ref"); got != e.base+"/Users/"+r.str("members.0.value") {
			t.Errorf("members.0.$ref = %q", got)
		}
		if r.str("members.0.type") != "User" {
			t.Errorf("members.0.type = %q", r.str("members.0.type"))
		}
	})
	t.Run("duplicate displayName, other case", func(t *testing.T) {
		e.do("POST", "Groups", map[string]any{"displayName": "FULL"}).want(t, http.StatusConflict, "uniqueness")
	})
	t.Run("displayName missing", func(t *testing.T) {
		e.do("POST", "Groups", map[string]any{"members": []any{}}).want(t, http.StatusBadRequest, "invalidValue")
	})
	t.Run("excludedAttributes=members on the POST response", func(t *testing.T) {
		r := e.do("POST", "Groups?excludedAttributes=members", map[string]any{"displayName": "Quiet", "members": []any{map[string]any{"value": u1}}}).want(t, http.StatusCreated)
		if r.get("members") != nil || r.str("displayName") != "Quiet" {
			t.Errorf("projected POST: %s", r.raw)
		}
	})
}

func TestGroupMembership(t *testing.T) {
	e := newEnv(t)
	var users []string
	for _, n := range []string{"a", "b", "c", "d"} {
		users = append(users, e.createUser(n+"@example.com"))
	}
	gid := e.createGroup("Engineering")
	members := func() []string {
		t.Helper()
		return sorted(memberIDs(e.do("GET", "Groups/"+gid, nil).want(t, http.StatusOK)))
	}
	check := func(want ...string) {
		t.Helper()
		if diff := cmp.Diff(sorted(want), members()); diff != "" {
			t.Errorf("members (-want +got):\n%s", diff)
		}
	}

	t.Run("okta add", func(t *testing.T) {
		r := e.do("PATCH", "Groups/"+gid, patchOp(map[string]any{"op": "add", "path": "members", "value": []any{
			map[string]any{"value": users[0], "display": "a@example.com"},
			map[string]any{"value": users[1], "display": "b@example.com"},
		}})).want(t, http.StatusNoContent)
		if len(r.raw) != 0 || r.header.Get("ETag") == "" {
			t.Errorf("204: body %q ETag %q", r.raw, r.header.Get("ETag"))
		}
		check(users[0], users[1])
	})
	t.Run("entra Add one member, again (idempotent)", func(t *testing.T) {
		for range 2 {
			e.do("PATCH", "Groups/"+gid, patchOp(map[string]any{"op": "Add", "path": "members", "value": []any{map[string]any{"value": users[2]}}})).want(t, http.StatusNoContent)
		}
		check(users[0], users[1], users[2])
	})
	t.Run("okta remove by filter", func(t *testing.T) {
		e.do("PATCH", "Groups/"+gid, patchOp(map[string]any{"op": "remove", "path": `members[value eq "` + users[0] + `"]`})).want(t, http.StatusNoContent)
		check(users[1], users[2])
	})
	t.Run("entra Remove by value list removes only those", func(t *testing.T) {
		e.do("PATCH", "Groups/"+gid, patchOp(map[string]any{"op": "Remove", "path": "members", "value": []any{map[string]any{"value": users[1]}}})).want(t, http.StatusNoContent)
		check(users[2])
	})
	t.Run("okta path-less rename with id", func(t *testing.T) {
		e.do("PATCH", "Groups/"+gid, patchOp(map[string]any{"op": "replace", "value": map[string]any{"id": gid, "displayName": "Eng"}})).want(t, http.StatusNoContent)
		if got := e.do("GET", "Groups/"+gid, nil).str("displayName"); got != "Eng" {
			t.Errorf("displayName = %q", got)
		}
	})
	t.Run("attributes asks for a 200 with the projected group", func(t *testing.T) {
		r := e.do("PATCH", "Groups/"+gid+"?attributes=members", patchOp(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": users[3]}}})).want(t, http.StatusOK)
		if diff := cmp.Diff(sorted([]string{users[2], users[3]}), sorted(memberIDs(r))); diff != "" {
			t.Errorf("members (-want +got):\n%s", diff)
		}
		if r.get("displayName") != nil || r.str("id") != gid {
			t.Errorf("projected: %s", r.raw)
		}
	})
	t.Run("excludedAttributes=members asks for a 200 without members", func(t *testing.T) {
		e.calls.reset()
		r := e.do("PATCH", "Groups/"+gid+"?excludedAttributes=members", patchOp(map[string]any{"op": "replace", "path": "displayName", "value": "Engineering"})).want(t, http.StatusOK)
		if r.get("members") != nil || r.str("displayName") != "Engineering" {
			t.Errorf("projected: %s", r.raw)
		}
		if n := e.calls.membersOf.Load() + e.calls.listMembers.Load(); n != 0 {
			t.Errorf("read members %d times though they are excluded", n)
		}
	})
	t.Run("okta PUT with the full member list replaces", func(t *testing.T) {
		r := e.do("PUT", "Groups/"+gid, map[string]any{"schemas": []string{schema.GroupURN}, "id": gid, "displayName": "Engineering", "members": []any{
			map[string]any{"value": users[0]}, map[string]any{"value": users[1]},
		}}).want(t, http.StatusOK)
		if diff := cmp.Diff(sorted([]string{users[0], users[1]}), sorted(memberIDs(r))); diff != "" {
			t.Errorf("PUT response members (-want +got):\n%s", diff)
		}
		check(users[0], users[1])
	})
	t.Run("PUT without members leaves them", func(t *testing.T) {
		e.do("PUT", "Groups/"+gid, map[string]any{"displayName": "Engineering", "externalId": "ext-1"}).want(t, http.StatusOK)
		check(users[0], users[1])
	})
	t.Run("a user shows its groups", func(t *testing.T) {
		r := e.do("GET", "Users/"+users[0], nil).want(t, http.StatusOK)
		if r.str("groups.0.value") != gid || r.str("groups.0.display") != "Engineering" || r.str("groups.0.type") != "direct" ||
			r.str("groups.0.$ref") != e.base+"/Groups/"+gid {
			t.Errorf("groups: %v", r.get("groups"))
		}
		e.calls.reset()
		r = e.do("GET", "Users/"+users[0]+"?excludedAttributes=groups", nil).want(t, http.StatusOK)
		if r.get("groups") != nil || e.calls.userGroups.Load() != 0 {
			t.Errorf("excluded groups: read %d times; %s", e.calls.userGroups.Load(), r.raw)
		}
	})
	t.Run("remove all with PUT members []", func(t *testing.T) {
		e.do("PUT", "Groups/"+gid, map[string]any{"displayName": "Engineering", "members": []any{}}).want(t, http.StatusOK)
		check()
	})
	t.Run("unknown group", func(t *testing.T) {
		e.do("PATCH", "Groups/dirgroup_nope", patchOp(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": users[0]}}})).want(t, http.StatusNotFound)
		e.do("GET", "Groups/0", nil).want(t, http.StatusNotFound)
		e.do("PUT", "Groups/0", map[string]any{"displayName": "x"}).want(t, http.StatusNotFound)
	})
	t.Run("delete", func(t *testing.T) {
		e.do("DELETE", "Groups/"+gid, nil).want(t, http.StatusNoContent)
		e.do("GET", "Groups/"+gid, nil).want(t, http.StatusNotFound)
		if r := e.do("GET", "Users/"+users[0], nil); r.get("groups") != nil {
			t.Errorf("groups after the group was deleted: %v", r.get("groups"))
		}
	})
}

// Concurrent membership PATCHes to one group (Entra sends one member per
// PATCH, in bursts) all land, and concurrent reads see consistent groups.
func TestConcurrentMembership(t *testing.T) {
	e := newEnv(t)
	gid := e.createGroup("Busy")
	var users []string
	for i := range 12 {
		users = append(users, e.createUser(fmt.Sprintf("c%02d@example.com", i)))
	}
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Add(2)
		go func() {
			defer wg.Done()
			// t.Errorf, not Fatalf: this is not the test's goroutine.
			if r := e.do("PATCH", "Groups/"+gid, patchOp(map[string]any{"op": "Add", "path": "members", "value": []any{map[string]any{"value": u}}})); r.status != http.StatusNoContent {
				t.Errorf("PATCH: %d %s", r.status, r.raw)
			}
		}()
		go func() {
			defer wg.Done()
			for _, p := range []string{"Groups/" + gid, "ServiceProviderConfig"} {
				if r := e.do("GET", p, nil); r.status != http.StatusOK {
					t.Errorf("GET %s: %d %s", p, r.status, r.raw)
				}
			}
		}()
	}
	wg.Wait()
	r := e.do("GET", "Groups/"+gid, nil).want(t, http.StatusOK)
	if diff := cmp.Diff(sorted(users), sorted(memberIDs(r))); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if r.header.Get("ETag") != `W/"13"` {
		t.Errorf("ETag = %q after 12 membership changes", r.header.Get("ETag"))
	}
}
