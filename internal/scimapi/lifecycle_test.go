package scimapi_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// TestOktaLifecycle replays, in order, what Okta's OIN SCIM 2.0 app does
// for one user (docs/idp/okta.md): look the user up by userName, create
// it, read it back, push a profile update with PUT, deactivate with a
// path-less PATCH, and read it again.
func TestOktaLifecycle(t *testing.T) {
	e := newEnv(t)
	const userName = "isaac.brock@example.com"
	okta := []string{"User-Agent", "Okta SCIM Client 1.0.0", "Accept", "application/scim+json", "Content-Type", "application/scim+json; charset=utf-8"}

	// 1. GET /Users?filter=userName eq "…"&startIndex=1&count=100
	r := e.do("GET", "Users?filter="+url.QueryEscape(`userName eq "`+userName+`"`)+"&startIndex=1&count=100", nil, okta...)
	checkList(t, r, 0, 1, 0)

	// 2. POST /Users
	body := map[string]any{
		"schemas":     []string{schema.UserURN},
		"userName":    userName,
		"name":        map[string]any{"givenName": "Isaac", "familyName": "Brock"},
		"emails":      []any{map[string]any{"primary": true, "value": userName, "type": "work"}},
		"displayName": "Isaac Brock",
		"locale":      "en-US",
		"externalId":  "00ujl29u0le5T6Aj10h7",
		"groups":      []any{},
		"password":    "1mz050nq",
		"active":      true,
	}
	r = e.do("POST", "Users", body, okta...).want(t, http.StatusCreated)
	id := r.str("id")
	if r.str("userName") != userName || r.get("active") != true || r.get("password") != nil {
		t.Fatalf("POST: %s", r.raw)
	}

	// 3. GET /Users/{id}
	r = e.do("GET", "Users/"+id, nil, okta...).want(t, http.StatusOK)
	if r.str("id") != id || r.str("externalId") != "00ujl29u0le5T6Aj10h7" {
		t.Fatalf("GET: %s", r.raw)
	}

	// 4. PUT /Users/{id}: a profile update, the whole user.
	body["id"] = id
	body["name"] = map[string]any{"givenName": "Isaac", "familyName": "Brock-Smith"}
	delete(body, "password")
	r = e.do("PUT", "Users/"+id, body, okta...).want(t, http.StatusOK)
	if r.str("name.familyName") != "Brock-Smith" || r.str("meta.version") != `W/"2"` {
		t.Fatalf("PUT: %s", r.raw)
	}

	// 5. PATCH /Users/{id}: deactivate, path-less.
	r = e.do("PATCH", "Users/"+id, map[string]any{
		"schemas":    []string{schema.PatchOpURN},
		"Operations": []any{map[string]any{"op": "replace", "value": map[string]any{"active": false}}},
	}, okta...).want(t, http.StatusOK)
	if r.get("active") != false {
		t.Fatalf("PATCH: %s", r.raw)
	}

	// 6. GET /Users/{id} shows the user inactive, and the filter still finds it.
	r = e.do("GET", "Users/"+id, nil, okta...).want(t, http.StatusOK)
	if r.get("active") != false || r.str("name.familyName") != "Brock-Smith" {
		t.Fatalf("GET after deactivation: %s", r.raw)
	}
	r = e.do("GET", "Users?filter="+url.QueryEscape(`userName eq "`+userName+`"`)+"&startIndex=1&count=100", nil, okta...)
	checkList(t, r, 1, 1, 1)

	// Reactivation: the same PATCH with true.
	r = e.do("PATCH", "Users/"+id, map[string]any{
		"Operations": []any{map[string]any{"op": "replace", "value": map[string]any{"active": true}}},
	}, okta...).want(t, http.StatusOK)
	if r.get("active") != true {
		t.Fatalf("reactivation: %s", r.raw)
	}
}

// TestEntraLifecycle replays Entra ID's sequence (docs/idp/entra-id.md)
// in its default dialect: capitalised ops, string booleans, Remove with a
// value list, groups queried with excludedAttributes=members.
func TestEntraLifecycle(t *testing.T) {
	e := newEnv(t)
	entra := []string{"Content-Type", "application/scim+json", "User-Agent", "-"}
	q := func(f string) string { return url.QueryEscape(f) }

	checkList(t, e.do("GET", "Users?filter="+q(`userName eq "grace@example.com"`), nil, entra...), 0, 1, 0)
	uid := e.do("POST", "Users", entraUser("grace@example.com"), entra...).want(t, http.StatusCreated).str("id")
	checkList(t, e.do("GET", "Users?filter="+q(`userName eq "Grace@Example.com"`), nil, entra...), 1, 1, 1)

	e.do("PATCH", "Users/"+uid, map[string]any{"schemas": []string{schema.PatchOpURN}, "Operations": []any{
		map[string]any{"op": "Replace", "path": "displayName", "value": "Grace B. Hopper"},
		map[string]any{"op": "Add", "path": `emails[type eq "work"].value`, "value": "ghopper@example.com"},
		map[string]any{"op": "Add", "path": `phoneNumbers[type eq "mobile"].value`, "value": "+1 555 0100"},
	}}, entra...).want(t, http.StatusOK)

	checkList(t, e.do("GET", "Groups?excludedAttributes=members&filter="+q(`displayName eq "Admirals"`), nil, entra...), 0, 1, 0)
	gid := e.do("POST", "Groups", map[string]any{
		"schemas": []string{schema.GroupURN}, "externalId": "8aa1a0c0", "displayName": "Admirals", "members": []any{},
	}, entra...).want(t, http.StatusCreated).str("id")
	e.do("PATCH", "Groups/"+gid, map[string]any{"schemas": []string{schema.PatchOpURN}, "Operations": []any{
		map[string]any{"op": "Add", "path": "members", "value": []any{map[string]any{"value": uid}}},
	}}, entra...).want(t, http.StatusNoContent)
	r := e.do("GET", "Groups/"+gid, nil, entra...).want(t, http.StatusOK)
	if diff := cmp.Diff([]string{uid}, memberIDs(r)); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}

	r = e.do("PATCH", "Users/"+uid, map[string]any{"schemas": []string{schema.PatchOpURN}, "Operations": []any{
		map[string]any{"op": "Replace", "path": "active", "value": "False"},
	}}, entra...).want(t, http.StatusOK)
	if r.get("active") != false || r.str("groups.0.value") != gid {
		t.Errorf("soft delete keeps memberships: %s", r.raw)
	}
	e.do("PATCH", "Groups/"+gid, map[string]any{"schemas": []string{schema.PatchOpURN}, "Operations": []any{
		map[string]any{"op": "Remove", "path": "members", "value": []any{map[string]any{"value": uid}}},
	}}, entra...).want(t, http.StatusNoContent)
	e.do("DELETE", "Users/"+uid, nil, entra...).want(t, http.StatusNoContent)
	e.do("GET", "Users/"+uid, nil, entra...).want(t, http.StatusNotFound)
	checkList(t, e.do("GET", "Users?filter="+q(`userName eq "grace@example.com"`), nil, entra...), 0, 1, 0)
	e.do("DELETE", "Groups/"+gid, nil, entra...).want(t, http.StatusNoContent)
}
