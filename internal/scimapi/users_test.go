package scimapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

const enterpriseURN = schema.EnterpriseUserURN

// oktaUser is the body Okta's OIN SCIM 2.0 app sends on create.
func oktaUser(userName string) map[string]any {
	return map[string]any{
		"schemas":     []string{schema.UserURN},
		"userName":    userName,
		"name":        map[string]any{"givenName": "Ada", "familyName": "Lovelace"},
		"emails":      []any{map[string]any{"primary": true, "value": userName, "type": "work"}},
		"displayName": "Ada Lovelace",
		"locale":      "en-US",
		"externalId":  "00u1abcdEFGH2345",
		"groups":      []any{},
		"password":    "hunter2-okta-placeholder",
		"active":      true,
	}
}

// entraUser is the body Entra ID's provisioning service sends on create.
func entraUser(userName string) map[string]any {
	return map[string]any{
		"schemas":    []string{schema.UserURN, enterpriseURN},
		"externalId": "1b5e7c7e-6d0c-4a3c-9c4e-5f1d2f0b9a11",
		"userName":   userName,
		"active":     true,
		"emails":     []any{map[string]any{"primary": true, "type": "work", "value": userName}},
		"meta":       map[string]any{"resourceType": "User"},
		"name":       map[string]any{"formatted": "Grace Hopper", "familyName": "Hopper", "givenName": "Grace"},
		"roles":      []any{},
		enterpriseURN: map[string]any{
			"employeeNumber": "701984",
			"department":     "Navy",
			"manager":        "26118915-6090-4610-87a4-49d0767e9d58",
		},
	}
}

// enterprise returns the enterprise extension object of a user response.
func enterprise(r *response) map[string]any {
	m, _ := r.body[enterpriseURN].(map[string]any)
	return m
}

func TestCreateUser(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "Users", oktaUser("ada@example.com")).want(t, http.StatusCreated)
	id := r.str("id")
	if !strings.HasPrefix(id, "diruser_") {
		t.Fatalf("id = %q", id)
	}
	wantLoc := e.base + "/Users/" + id
	if got := r.header.Get("Location"); got != wantLoc {
		t.Errorf("Location = %q, want %q", got, wantLoc)
	}
	if got := r.str("meta.location"); got != wantLoc {
		t.Errorf("meta.location = %q, want %q", got, wantLoc)
	}
	if got, want := r.header.Get("ETag"), `W/"1"`; got != want || r.str("meta.version") != want {
		t.Errorf("ETag = %q, meta.version = %q, want %q", got, r.str("meta.version"), want)
	}
	for path, want := range map[string]string{
		"schemas.0":         schema.UserURN,
		"userName":          "ada@example.com",
		"externalId":        "00u1abcdEFGH2345",
		"name.givenName":    "Ada",
		"emails.0.value":    "ada@example.com",
		"meta.resourceType": "User",
	} {
		if got := r.str(path); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	if r.get("active") != true {
		t.Errorf("active = %v", r.get("active"))
	}
	if r.get("schemas.1") != nil {
		t.Errorf("schemas lists an extension the user has no data for: %v", r.get("schemas"))
	}
	for _, ts := range []string{"meta.created", "meta.lastModified"} {
		if s := r.str(ts); !strings.HasSuffix(s, "Z") || len(s) < 20 {
			t.Errorf("%s = %q, want RFC 3339 UTC", ts, s)
		}
	}
	if r.get("password") != nil || r.get("groups") != nil {
		t.Errorf("password or empty groups returned: %s", r.raw)
	}

	t.Run("entra with enterprise extension and manager as a string", func(t *testing.T) {
		r := e.do("POST", "Users", entraUser("grace@example.com")).want(t, http.StatusCreated)
		if got := r.str("schemas.1"); got != enterpriseURN {
			t.Errorf("schemas = %v", r.get("schemas"))
		}
		ext := enterprise(r)
		if ext["employeeNumber"] != "701984" {
			t.Errorf("enterprise extension = %v", ext)
		}
		mgr, _ := ext["manager"].(map[string]any)
		if mgr["value"] != "26118915-6090-4610-87a4-49d0767e9d58" {
			t.Errorf("manager = %v, want {value: id}", ext["manager"])
		}
	})

	t.Run("inactive on creation (PingFederate)", func(t *testing.T) {
		body := oktaUser("inactive@example.com")
		body["active"] = false
		r := e.do("POST", "Users", body).want(t, http.StatusCreated)
		if r.get("active") != false {
			t.Errorf("active = %v", r.get("active"))
		}
	})

	t.Run("duplicate userName, other case", func(t *testing.T) {
		r := e.do("POST", "Users", oktaUser("ADA@Example.COM")).want(t, http.StatusConflict, "uniqueness")
		if !strings.Contains(r.str("detail"), "userName") {
			t.Errorf("detail = %q", r.str("detail"))
		}
	})

	t.Run("userName missing", func(t *testing.T) {
		e.do("POST", "Users", map[string]any{"name": map[string]any{"givenName": "x"}}).want(t, http.StatusBadRequest, "invalidValue")
	})

	t.Run("wrong type", func(t *testing.T) {
		e.do("POST", "Users", map[string]any{"userName": "typed@example.com", "active": "maybe"}).want(t, http.StatusBadRequest, "invalidValue")
	})
}

func TestGetUser(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("get@example.com")
	r := e.do("GET", "Users/"+id, nil).want(t, http.StatusOK)
	if r.str("id") != id || r.header.Get("ETag") != `W/"1"` {
		t.Errorf("GET: id %q ETag %q", r.str("id"), r.header.Get("ETag"))
	}
	for _, bad := range []string{"0", "010101010101", "diruser_00000000000000000000000000", "%20", "Users"} {
		r := e.do("GET", "Users/"+bad, nil).want(t, http.StatusNotFound)
		if r.str("detail") == "" {
			t.Errorf("404 for %q has no detail", bad)
		}
	}
	// Another directory's user is not found.
	otherDir, otherToken := e.newDirectory()
	e.do("GET", "/scim/v2/"+otherDir+"/Users/"+id, nil, "Authorization", "Bearer "+otherToken).want(t, http.StatusNotFound)
}

func TestReplaceUser(t *testing.T) {
	e := newEnv(t)
	id := e.do("POST", "Users", oktaUser("put@example.com")).want(t, http.StatusCreated).str("id")
	body := oktaUser("put@example.com")
	body["id"] = id
	body["name"] = map[string]any{"givenName": "Augusta", "familyName": "King"}
	body["active"] = "False" // a string, as Entra ID sends
	r := e.do("PUT", "Users/"+id, body).want(t, http.StatusOK)
	if r.str("name.givenName") != "Augusta" || r.get("active") != false {
		t.Errorf("PUT result: %s", r.raw)
	}
	if r.header.Get("ETag") != `W/"2"` || r.str("meta.version") != `W/"2"` {
		t.Errorf("ETag after PUT = %q", r.header.Get("ETag"))
	}
	if r.header.Get("Location") != "" {
		t.Errorf("PUT answered with a Location header")
	}
	// PUT of an unknown user is 404, not a creation.
	e.do("PUT", "Users/diruser_unknown", body).want(t, http.StatusNotFound)
	// PUT renaming onto another user's userName conflicts.
	e.createUser("taken@example.com")
	body["userName"] = "TAKEN@example.com"
	e.do("PUT", "Users/"+id, body).want(t, http.StatusConflict, "uniqueness")
}

func TestPatchUser(t *testing.T) {
	e := newEnv(t)
	id := e.do("POST", "Users", entraUser("patch@example.com")).want(t, http.StatusCreated).str("id")
	patch := func(ops ...map[string]any) *response {
		t.Helper()
		list := make([]any, len(ops))
		for i, op := range ops {
			list[i] = op
		}
		return e.do("PATCH", "Users/"+id, map[string]any{"schemas": []string{schema.PatchOpURN}, "Operations": list})
	}

	t.Run("okta path-less deactivate", func(t *testing.T) {
		r := patch(map[string]any{"op": "replace", "value": map[string]any{"active": false}}).want(t, http.StatusOK)
		if r.get("active") != false || r.str("id") != id {
			t.Errorf("after deactivate: %s", r.raw)
		}
	})
	t.Run("entra Replace with the string True", func(t *testing.T) {
		r := patch(map[string]any{"op": "Replace", "path": "active", "value": "True"}).want(t, http.StatusOK)
		if r.get("active") != true {
			t.Errorf("active = %v", r.get("active"))
		}
	})
	t.Run("entra Add active False", func(t *testing.T) {
		r := patch(map[string]any{"op": "Add", "path": "active", "value": "False"}).want(t, http.StatusOK)
		if r.get("active") != false {
			t.Errorf("active = %v", r.get("active"))
		}
	})
	t.Run("entra filtered email path", func(t *testing.T) {
		r := patch(
			map[string]any{"op": "Replace", "path": `emails[type eq "work"].value`, "value": "patched@example.com"},
			map[string]any{"op": "Replace", "path": "name.givenName", "value": "Amazing"},
		).want(t, http.StatusOK)
		if r.str("emails.0.value") != "patched@example.com" || r.str("name.givenName") != "Amazing" {
			t.Errorf("after patch: %s", r.raw)
		}
	})
	t.Run("entra manager as a bare string", func(t *testing.T) {
		r := patch(map[string]any{"op": "Add", "path": enterpriseURN + ":manager", "value": "mgr-42"}).want(t, http.StatusOK)
		ext := enterprise(r)
		mgr, _ := ext["manager"].(map[string]any)
		if mgr["value"] != "mgr-42" {
			t.Errorf("manager = %v", ext["manager"])
		}
	})
	t.Run("entra aadOptscim062020 path-less dotted and URN keys", func(t *testing.T) {
		r := patch(map[string]any{"op": "replace", "value": map[string]any{
			"name.familyName":             "Hopper-Murray",
			enterpriseURN + ":department": "Computing",
		}}).want(t, http.StatusOK)
		if r.str("name.familyName") != "Hopper-Murray" || enterprise(r)["department"] != "Computing" {
			t.Errorf("after patch: %s", r.raw)
		}
	})
	t.Run("attributes on the PATCH response", func(t *testing.T) {
		r := e.do("PATCH", "Users/"+id+"?attributes=userName", map[string]any{"Operations": []any{
			map[string]any{"op": "replace", "path": "displayName", "value": "G. Hopper"},
		}}).want(t, http.StatusOK)
		if r.str("userName") != "patch@example.com" || r.get("displayName") != nil || r.get("name") != nil {
			t.Errorf("projected PATCH response: %s", r.raw)
		}
	})
	t.Run("invalid path", func(t *testing.T) {
		patch(map[string]any{"op": "replace", "path": `emails[type eq`, "value": "x"}).want(t, http.StatusBadRequest, "invalidPath")
	})
	t.Run("unknown op", func(t *testing.T) {
		r := patch(map[string]any{"op": "frobnicate", "path": "active", "value": true})
		if r.status != http.StatusBadRequest {
			t.Errorf("status %d", r.status)
		}
	})
	t.Run("unknown user", func(t *testing.T) {
		e.do("PATCH", "Users/nope", map[string]any{"Operations": []any{map[string]any{"op": "replace", "path": "active", "value": false}}}).want(t, http.StatusNotFound)
	})
	t.Run("GET shows the patched user", func(t *testing.T) {
		r := e.do("GET", "Users/"+id, nil).want(t, http.StatusOK)
		if r.get("active") != false || r.str("displayName") != "G. Hopper" {
			t.Errorf("GET after patches: %s", r.raw)
		}
	})
}

func TestDeleteUser(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("del@example.com")
	gid := e.createGroup("Deleters", id)
	r := e.do("DELETE", "Users/"+id, nil).want(t, http.StatusNoContent)
	if len(r.raw) != 0 {
		t.Errorf("204 with a body: %s", r.raw)
	}
	e.do("GET", "Users/"+id, nil).want(t, http.StatusNotFound)
	e.do("DELETE", "Users/"+id, nil).want(t, http.StatusNotFound)
	if got := memberIDs(e.do("GET", "Groups/"+gid, nil)); len(got) != 0 {
		t.Errorf("members after the user was deleted: %v", got)
	}
	// Its userName can be used again.
	e.createUser("del@example.com")
}

func TestETags(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("etag@example.com")
	gid := e.createGroup("Etags")
	replace := map[string]any{"Operations": []any{map[string]any{"op": "replace", "path": "displayName", "value": "E"}}}

	r := e.do("GET", "Users/"+id, nil, "If-None-Match", `W/"1"`).want(t, http.StatusNotModified)
	if len(r.raw) != 0 || r.header.Get("ETag") != `W/"1"` {
		t.Errorf("304: body %q ETag %q", r.raw, r.header.Get("ETag"))
	}
	e.do("GET", "Users/"+id, nil, "If-None-Match", `"1"`).want(t, http.StatusNotModified)
	e.do("GET", "Users/"+id, nil, "If-None-Match", `*`).want(t, http.StatusNotModified)
	e.do("GET", "Users/"+id, nil, "If-None-Match", `W/"7", W/"1"`).want(t, http.StatusNotModified)
	e.do("GET", "Users/"+id, nil, "If-None-Match", `W/"2"`).want(t, http.StatusOK)
	e.do("GET", "Groups/"+gid, nil, "If-None-Match", `W/"1"`).want(t, http.StatusNotModified)

	e.do("PATCH", "Users/"+id, replace, "If-Match", `W/"9"`).want(t, http.StatusPreconditionFailed)
	r = e.do("PATCH", "Users/"+id, replace, "If-Match", `W/"1"`).want(t, http.StatusOK)
	if r.header.Get("ETag") != `W/"2"` {
		t.Errorf("ETag after PATCH = %q", r.header.Get("ETag"))
	}
	e.do("PUT", "Users/"+id, map[string]any{"userName": "etag@example.com"}, "If-Match", `W/"1"`).want(t, http.StatusPreconditionFailed)
	e.do("PUT", "Groups/"+gid, map[string]any{"displayName": "Etags"}, "If-Match", `W/"5"`).want(t, http.StatusPreconditionFailed)
	e.do("PATCH", "Groups/"+gid, replace, "If-Match", `W/"5"`).want(t, http.StatusPreconditionFailed)
	e.do("DELETE", "Users/"+id, nil, "If-Match", `W/"1"`).want(t, http.StatusPreconditionFailed)
	e.do("DELETE", "Groups/"+gid, nil, "If-Match", `W/"5"`).want(t, http.StatusPreconditionFailed)
	e.do("DELETE", "Users/"+id, nil, "If-Match", `W/"2"`).want(t, http.StatusNoContent)
	e.do("DELETE", "Groups/"+gid, nil, "If-Match", `*`).want(t, http.StatusNoContent)
}

// A password sent by the IdP is never stored, so it never comes back, in
// any response.
func TestPasswordNeverReturned(t *testing.T) {
	e := newEnv(t)
	const secret = "S3cr3t-Pa55w0rd"
	body := oktaUser("pw@example.com")
	body["password"] = secret
	body["urn:example:custom:1.0:User"] = map[string]any{"password": secret}
	var responses []*response
	r := e.do("POST", "Users", body).want(t, http.StatusCreated)
	id := r.str("id")
	responses = append(responses, r)
	body["password"] = secret
	responses = append(responses,
		e.do("PUT", "Users/"+id, body).want(t, http.StatusOK),
		e.do("PATCH", "Users/"+id, map[string]any{"Operations": []any{
			map[string]any{"op": "replace", "value": map[string]any{"password": secret}},
			map[string]any{"op": "replace", "path": "password", "value": secret},
		}}).want(t, http.StatusOK),
		e.do("GET", "Users/"+id, nil).want(t, http.StatusOK),
		e.do("GET", "Users/"+id+"?attributes=password", nil).want(t, http.StatusOK),
		e.do("GET", "Users", nil).want(t, http.StatusOK),
		e.do("POST", ".search", map[string]any{"attributes": []string{"password", "userName"}}).want(t, http.StatusOK),
		e.do("POST", "Bulk", map[string]any{"Operations": []any{
			map[string]any{"method": "POST", "bulkId": "p", "path": "/Users", "data": map[string]any{"userName": "pw2@example.com", "password": secret}},
		}}).want(t, http.StatusOK),
		e.do("POST", "Users", map[string]any{"userName": "pw3@example.com", "password": map[string]any{"nested": secret}}),
	)
	for i, r := range responses {
		if strings.Contains(string(r.raw), secret) {
			t.Errorf("response %d reveals the password: %s", i, r.raw)
		}
	}
}

func TestPutWithoutActiveKeepsDeactivation(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("kept.inactive@example.com")
	if res := e.do("PATCH", "Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`); res.status != 200 {
		t.Fatalf("deactivate: %d %s", res.status, res.raw)
	}
	res := e.do("PUT", "Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"kept.inactive@example.com","displayName":"Kept"}`)
	if res.status != 200 {
		t.Fatalf("PUT: %d %s", res.status, res.raw)
	}
	if !strings.Contains(string(res.raw), `"active":false`) {
		t.Errorf("PUT without active reactivated the user: %s", res.raw)
	}
	res = e.do("PUT", "Users/"+id, `{"userName":"kept.inactive@example.com","active":true}`)
	if !strings.Contains(string(res.raw), `"active":true`) {
		t.Errorf("PUT with active true did not reactivate: %s", res.raw)
	}
}

func TestDirectorySettingsApplyToSCIM(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	g := e.createGroup("Engineering")
	unknown := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"diruser_nobody"}]}]}`
	e.do("PATCH", "Groups/"+g, unknown).want(t, http.StatusNoContent)
	yes := true
	if _, err := e.svc.UpdateDirectory(ctx, e.dir, directory.DirectoryChange{Strict: &yes, RejectUnknownMembers: &yes}); err != nil {
		t.Fatal(err)
	}
	e.do("PATCH", "Groups/"+g, unknown).want(t, http.StatusBadRequest, "invalidValue")
	e.do("POST", "Users", `{"userName":"strict@example.com","active":"True"}`).want(t, http.StatusBadRequest, "invalidValue")
	e.do("POST", "Users", `{"userName":"strict@example.com","active":true}`).want(t, http.StatusCreated)
}
