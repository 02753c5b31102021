package scimapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// TestCustomAttributesSchema: declared attributes are advertised as an
// extension schema of User (RFC 7643 §7, §8.7.1) and in the User resource
// type's schemaExtensions (RFC 7643 §6); a user an IdP sends with values
// under that URN gets them mapped (the default mapping of a directory
// created after the declaration).
func TestCustomAttributesSchema(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// Nothing declared: nothing advertised.
	r := e.do("GET", "Schemas", nil).want(t, http.StatusOK)
	for _, s := range r.resources() {
		if s["id"] == directory.CustomAttributesURN {
			t.Fatalf("advertised with no attribute declared")
		}
	}
	e.do("GET", "Schemas/"+directory.CustomAttributesURN, nil).want(t, http.StatusNotFound)

	for _, a := range []directory.CustomAttribute{
		{Key: "cost_center", Type: directory.AttrString, Description: "Cost center"},
		{Key: "contractor", Type: directory.AttrBoolean},
		{Key: "badges", Type: directory.AttrStringList},
		{Key: "start_date", Type: directory.AttrDateTime},
		{Key: "level", Type: directory.AttrNumber},
	} {
		if _, err := e.svc.CreateCustomAttribute(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	r = e.do("GET", "Schemas", nil).want(t, http.StatusOK)
	var custom map[string]any
	for _, s := range r.resources() {
		if s["id"] == directory.CustomAttributesURN {
			custom = s
		}
	}
	if custom == nil {
		t.Fatalf("/Schemas does not list %s: %s", directory.CustomAttributesURN, r.raw)
	}
	got := map[string]string{}
	for _, a := range custom["attributes"].([]any) {
		a := a.(map[string]any)
		got[a["name"].(string)] = a["type"].(string)
		if a["multiValued"] == true {
			got[a["name"].(string)] += "[]"
		}
	}
	want := map[string]string{"cost_center": "string", "contractor": "boolean", "badges": "string[]", "start_date": "dateTime", "level": "decimal"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("advertised attributes (-want +got):\n%s", d)
	}
	one := e.do("GET", "Schemas/"+directory.CustomAttributesURN, nil).want(t, http.StatusOK)
	if one.str("id") != directory.CustomAttributesURN || one.str("meta.resourceType") != "Schema" {
		t.Errorf("GET /Schemas/{urn}: %s", one.raw)
	}
	for _, path := range []string{"ResourceTypes/User", "ResourceTypes"} {
		rt := e.do("GET", path, nil).want(t, http.StatusOK)
		body := rt.body
		if path == "ResourceTypes" {
			for _, x := range rt.resources() {
				if x["id"] == "User" {
					body = x
				}
			}
		}
		var exts []string
		for _, x := range body["schemaExtensions"].([]any) {
			exts = append(exts, x.(map[string]any)["schema"].(string))
		}
		if d := cmp.Diff([]string{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", directory.CustomAttributesURN}, exts); d != "" {
			t.Errorf("%s schemaExtensions (-want +got):\n%s", path, d)
		}
	}

	// A directory created now maps every attribute to that extension; a
	// user with values there gets them.
	dirID, tok := e.newDirectory()
	u := e.do("POST", e.srv.URL+"/scim/v2/"+dirID+"/Users", map[string]any{
		"schemas":                     []any{"urn:ietf:params:scim:schemas:core:2.0:User", directory.CustomAttributesURN},
		"userName":                    "okta@example.com",
		directory.CustomAttributesURN: map[string]any{"cost_center": "CC-1", "contractor": true, "badges": []any{"a", "b"}, "start_date": "2025-01-02T03:04:05Z", "level": 3},
	}, "Authorization", "Bearer "+tok).want(t, http.StatusCreated)
	stored, err := e.svc.Read().GetUser(ctx, dirID, u.str("id"))
	if err != nil {
		t.Fatal(err)
	}
	if stored.Custom.Values["cost_center"] != "CC-1" || stored.Custom.Values["contractor"] != true || len(stored.Custom.Errors) != 0 {
		t.Errorf("stored values: %+v", stored.Custom)
	}
}
