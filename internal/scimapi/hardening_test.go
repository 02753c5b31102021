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

// A (type, value) pair repeated in a multi-valued attribute is returned
// once (RFC 7643 §2.4), the primary one kept when one is; on POST, PUT and
// PATCH. It used to be returned as sent, twice.
func TestDuplicateMultiValuesCollapsed(t *testing.T) {
	e := newEnv(t)
	emails := func(r *response) []any { l, _ := r.get("emails").([]any); return l }
	id := e.createUser("dup@example.com", map[string]any{
		"emails": []any{
			map[string]any{"value": "dup@example.com", "type": "work"},
			map[string]any{"value": "other@example.com", "type": "home"},
			map[string]any{"value": "DUP@example.com", "type": "Work", "primary": true},
		},
		"phoneNumbers": []any{
			map[string]any{"value": "+1 555 0100", "type": "work"},
			map[string]any{"value": "+1 555 0100", "type": "work"},
			map[string]any{"value": "+1 555 0100", "type": "mobile"},
		},
	})
	got := e.do("GET", "Users/"+id, nil).want(t, http.StatusOK)
	if l := emails(got); len(l) != 2 || got.str("emails.0.value") != "DUP@example.com" || got.get("emails.0.primary") != true || got.str("emails.1.value") != "other@example.com" {
		t.Errorf("POST: emails = %v, want the primary DUP@example.com first, then other@example.com", l)
	}
	if l, _ := got.get("phoneNumbers").([]any); len(l) != 2 {
		t.Errorf("POST: phoneNumbers = %v, want work and mobile once each", l)
	}
	// PATCH add of a pair already there.
	e.do("PATCH", "Users/"+id, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "add", "path": "emails", "value": []any{
			map[string]any{"value": "other@example.com", "type": "home"}}}}}).want(t, http.StatusOK)
	if l := emails(e.do("GET", "Users/"+id, nil)); len(l) != 2 {
		t.Errorf("PATCH add: emails = %v, want 2", l)
	}
	// PUT with a repeated pair.
	e.do("PUT", "Users/"+id, map[string]any{"userName": "dup@example.com", "emails": []any{
		map[string]any{"value": "a@example.com", "type": "work"}, map[string]any{"value": "a@example.com", "type": "work"}}}).want(t, http.StatusOK)
	if l := emails(e.do("GET", "Users/"+id, nil)); len(l) != 1 {
		t.Errorf("PUT: emails = %v, want 1", l)
	}
}
