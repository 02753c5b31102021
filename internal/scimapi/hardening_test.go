package scimapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// An unknown path under the Okta-style "dir-…" base URL is authenticated
// against the directory it maps to, then answered 404 or 405 like the same
// path under "dir_…" (it used to be 401: the raw segment was looked up).
func TestHyphenAliasUnknownPath(t *testing.T) {
	e := newEnv(t)
	alias := strings.Replace(e.base, "dir_", "dir-", 1)
	e.do("GET", alias+"/NoSuchThing", nil).want(t, http.StatusNotFound)
	res := e.do("DELETE", alias+"/Users", nil).want(t, http.StatusMethodNotAllowed)
	if got := res.header.Get("Allow"); !strings.Contains(got, "POST") {
		t.Errorf("Allow = %q, want it to list POST", got)
	}
	// A wrong token is still refused.
	e.do("GET", alias+"/NoSuchThing", nil, "Authorization", "Bearer nope").want(t, http.StatusUnauthorized)
}

// /Me is not supported: 501 with a SCIM error and no scimType, for every
// method, after authentication (RFC 7644 §3.11).
func TestMeNotImplemented(t *testing.T) {
	e := newEnv(t)
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		var body any
		if m != "GET" && m != "DELETE" {
			body = `{}`
		}
		res := e.do(m, "Me", body).want(t, http.StatusNotImplemented)
		if res.str("scimType") != "" {
			t.Errorf("%s /Me: scimType %q, want none", m, res.str("scimType"))
		}
		if !strings.Contains(res.str("detail"), "/Me") {
			t.Errorf("%s /Me: detail %q should say /Me is not supported", m, res.str("detail"))
		}
	}
	e.do("GET", "Me/whatever", nil).want(t, http.StatusNotImplemented)
	e.do("GET", "Me", nil, "Authorization", "Bearer nope").want(t, http.StatusUnauthorized)
}

// PATCH "remove" of active makes it unassigned (RFC 7644 §3.5.2.2): GET
// omits it, meta.version changes once (a second remove changes nothing),
// and the app-facing record reads the user as active. It used to stay
// true in the document, with a new version on every remove.
func TestPatchRemoveActive(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	remove := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "remove", "path": "active"}}}
	for _, start := range []bool{true, false} {
		id := e.createUser(fmt.Sprintf("remove.active.%v@example.com", start), map[string]any{"active": start})
		v0 := e.do("GET", "Users/"+id, nil).want(t, http.StatusOK).str("meta.version")
		res := e.do("PATCH", "Users/"+id, remove).want(t, http.StatusOK)
		if _, ok := res.body["active"]; ok {
			t.Errorf("active=%v, PATCH remove active: the response still has active: %s", start, res.raw)
		}
		got := e.do("GET", "Users/"+id, nil).want(t, http.StatusOK)
		if _, ok := got.body["active"]; ok {
			t.Errorf("active=%v, after remove: GET still has active: %s", start, got.raw)
		}
		v1 := got.str("meta.version")
		if v1 == v0 {
			t.Errorf("active=%v: removing active changed nothing (version %s)", start, v1)
		}
		if v2 := e.do("PATCH", "Users/"+id, remove).want(t, http.StatusOK).str("meta.version"); v2 != v1 {
			t.Errorf("active=%v: a second remove changed the version %s → %s", start, v1, v2)
		}
		u, err := e.store.GetUser(ctx, e.dir, id)
		if err != nil {
			t.Fatal(err)
		}
		if !u.Active {
			t.Errorf("active=%v: after remove, the app-facing record reads active=false", start)
		}
		// A PUT without active keeps it unassigned.
		e.do("PUT", "Users/"+id, map[string]any{"userName": u.UserName}).want(t, http.StatusOK)
		if got := e.do("GET", "Users/"+id, nil); got.body["active"] != nil {
			t.Errorf("active=%v: a PUT without active assigned it: %s", start, got.raw)
		}
	}
}
