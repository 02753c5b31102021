package scimapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
	"github.com/scimbridge/scimbridge/internal/scimapi"
)

func TestServiceProviderConfig(t *testing.T) {
	e := newEnv(t, func(h *scimapi.Handler) {
		h.MaxResults = 200
		h.BulkMaxOperations = 50
		h.BulkMaxPayloadBytes = 1 << 20
	})
	r := e.do("GET", "ServiceProviderConfig", nil).want(t, http.StatusOK)
	got := map[string]any{
		"schemas":                  r.get("schemas"),
		"patch.supported":          r.get("patch.supported"),
		"bulk.supported":           r.get("bulk.supported"),
		"bulk.maxOperations":       r.num("bulk.maxOperations"),
		"bulk.maxPayloadSize":      r.num("bulk.maxPayloadSize"),
		"filter.supported":         r.get("filter.supported"),
		"filter.maxResults":        r.num("filter.maxResults"),
		"changePassword.supported": r.get("changePassword.supported"),
		"sort.supported":           r.get("sort.supported"),
		"etag.supported":           r.get("etag.supported"),
		"auth.0.type":              r.str("authenticationSchemes.0.type"),
		"auth.0.primary":           r.get("authenticationSchemes.0.primary"),
		"auth.1.type":              r.str("authenticationSchemes.1.type"),
		"meta.resourceType":        r.str("meta.resourceType"),
		"meta.location":            r.str("meta.location"),
	}
	want := map[string]any{
		"schemas":                  []any{schema.ServiceProviderConfigURN},
		"patch.supported":          true,
		"bulk.supported":           true,
		"bulk.maxOperations":       50,
		"bulk.maxPayloadSize":      1 << 20,
		"filter.supported":         true,
		"filter.maxResults":        200,
		"changePassword.supported": false,
		"sort.supported":           true,
		"etag.supported":           true,
		"auth.0.type":              "oauthbearertoken",
		"auth.0.primary":           true,
		"auth.1.type":              "httpbasic",
		"meta.resourceType":        "ServiceProviderConfig",
		"meta.location":            e.base + "/ServiceProviderConfig",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ServiceProviderConfig (-want +got):\n%s\n%s", diff, r.raw)
	}
	if r.str("documentationUri") == "" {
		t.Errorf("no documentationUri")
	}
	noNulls(t, r.raw)

	// bulk.maxOperations never exceeds what one PATCH accepts (authentik
	// sizes its PATCH requests by it).
	e2 := newEnv(t, func(h *scimapi.Handler) { h.Service.MaxPatchOperations = 10 })
	if n := e2.do("GET", "ServiceProviderConfig", nil).num("bulk.maxOperations"); n != 10 {
		t.Errorf("bulk.maxOperations = %d, want MaxPatchOperations 10", n)
	}
	e3 := newEnv(t)
	r3 := e3.do("GET", "ServiceProviderConfig", nil)
	if r3.num("bulk.maxOperations") != 1000 || r3.num("filter.maxResults") != 1000 || r3.num("bulk.maxPayloadSize") != 16<<20 {
		t.Errorf("defaults: %s", r3.raw)
	}
}

// noNulls fails when a JSON document holds a null anywhere (RFC 7643 §7
// documents must omit unassigned properties; Entra ID chokes on nulls).
func noNulls(t *testing.T, raw []byte) {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case nil:
			t.Errorf("null at %s", path)
		case map[string]any:
			for k, e := range x {
				walk(path+"."+k, e)
			}
		case []any:
			for i, e := range x {
				walk(path+"["+string(rune('0'+i%10))+"]", e)
			}
		}
	}
	walk("$", v)
}

func TestSchemas(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "Schemas", nil)
	checkList(t, r, 3, 1, 3)
	noNulls(t, r.raw)
	var gotIDs []string
	for _, s := range r.resources() {
		id, _ := s["id"].(string)
		gotIDs = append(gotIDs, id)
		if s["name"] == "" || s["description"] == nil {
			t.Errorf("schema %s: name %v description %v", id, s["name"], s["description"])
		}
		if diff := cmp.Diff([]any{schema.SchemaURN}, s["schemas"]); diff != "" {
			t.Errorf("schema %s schemas (-want +got):\n%s", id, diff)
		}
		meta, _ := s["meta"].(map[string]any)
		if meta["resourceType"] != "Schema" || meta["location"] != e.base+"/Schemas/"+id {
			t.Errorf("schema %s meta = %v", id, meta)
		}
		attrs, _ := s["attributes"].([]any)
		if len(attrs) == 0 {
			t.Errorf("schema %s has no attributes", id)
		}
		checkAttributes(t, id, attrs)
	}
	if diff := cmp.Diff([]string{schema.UserURN, schema.EnterpriseUserURN, schema.GroupURN}, gotIDs); diff != "" {
		t.Errorf("schema ids (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(r.raw), `"name":"userName"`) || strings.Contains(string(r.raw), `"canonicalValues":[]`) {
		t.Errorf("unexpected Schemas body")
	}

	for _, id := range gotIDs {
		one := e.do("GET", "Schemas/"+id, nil).want(t, http.StatusOK)
		if one.str("id") != id || one.str("meta.location") != e.base+"/Schemas/"+id {
			t.Errorf("GET Schemas/%s: %.200s", id, one.raw)
		}
		noNulls(t, one.raw)
	}
	e.do("GET", "Schemas/"+strings.ToLower(schema.GroupURN), nil).want(t, http.StatusOK)
	e.do("GET", "Schemas/urn:example:nope", nil).want(t, http.StatusNotFound)
	e.do("GET", "Schemas?filter="+url.QueryEscape(`id eq "x"`), nil).want(t, http.StatusForbidden)
	// Other query parameters are ignored (RFC 7644 §4).
	checkList(t, e.do("GET", "Schemas?count=1&startIndex=2", nil), 3, 1, 3)
}

// checkAttributes checks attribute definitions against RFC 7643 §7.
func checkAttributes(t *testing.T, where string, attrs []any) {
	t.Helper()
	for _, a := range attrs {
		m, _ := a.(map[string]any)
		name, _ := m["name"].(string)
		at := where + ":" + name
		for _, k := range []string{"name", "type", "multiValued", "required", "caseExact", "mutability", "returned", "uniqueness"} {
			if _, ok := m[k]; !ok {
				t.Errorf("%s: no %q", at, k)
			}
		}
		check := func(k string, allowed ...string) {
			if s, _ := m[k].(string); !slices.Contains(allowed, s) {
				t.Errorf("%s: %s = %v", at, k, m[k])
			}
		}
		check("type", "string", "boolean", "decimal", "integer", "dateTime", "binary", "reference", "complex")
		check("mutability", "readOnly", "readWrite", "immutable", "writeOnly")
		check("returned", "always", "never", "default", "request")
		check("uniqueness", "none", "server", "global")
		if v, ok := m["canonicalValues"].([]any); ok && len(v) == 0 {
			t.Errorf("%s: empty canonicalValues", at)
		}
		if m["type"] == "reference" {
			if v, _ := m["referenceTypes"].([]any); len(v) == 0 {
				t.Errorf("%s: reference without referenceTypes", at)
			}
		} else if _, ok := m["referenceTypes"]; ok {
			t.Errorf("%s: referenceTypes on a %v", at, m["type"])
		}
		subs, hasSubs := m["subAttributes"].([]any)
		if (m["type"] == "complex") != hasSubs {
			t.Errorf("%s: type %v with subAttributes %v", at, m["type"], hasSubs)
		}
		checkAttributes(t, at, subs)
	}
	// password is writeOnly and never returned.
	for _, a := range attrs {
		if m, _ := a.(map[string]any); m["name"] == "password" && (m["mutability"] != "writeOnly" || m["returned"] != "never") {
			t.Errorf("password: %v", m)
		}
	}
}

func TestResourceTypes(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "ResourceTypes", nil)
	checkList(t, r, 2, 1, 2)
	noNulls(t, r.raw)
	want := []any{
		map[string]any{
			"schemas": []any{schema.ResourceTypeURN}, "id": "User", "name": "User", "endpoint": "/Users",
			"description": "User Account", "schema": schema.UserURN,
			"schemaExtensions": []any{map[string]any{"schema": schema.EnterpriseUserURN, "required": false}},
			"meta":             map[string]any{"resourceType": "ResourceType", "location": e.base + "/ResourceTypes/User"},
		},
		map[string]any{
			"schemas": []any{schema.ResourceTypeURN}, "id": "Group", "name": "Group", "endpoint": "/Groups",
			"description": "Group", "schema": schema.GroupURN,
			"meta": map[string]any{"resourceType": "ResourceType", "location": e.base + "/ResourceTypes/Group"},
		},
	}
	if diff := cmp.Diff(want, r.get("Resources")); diff != "" {
		t.Errorf("ResourceTypes (-want +got):\n%s", diff)
	}
	for i, name := range []string{"User", "Group"} {
		one := e.do("GET", "ResourceTypes/"+name, nil).want(t, http.StatusOK)
		if diff := cmp.Diff(want[i], one.body); diff != "" {
			t.Errorf("ResourceTypes/%s (-want +got):\n%s", name, diff)
		}
	}
	e.do("GET", "ResourceTypes/user", nil).want(t, http.StatusOK)
	e.do("GET", "ResourceTypes/Device", nil).want(t, http.StatusNotFound)
	e.do("GET", "ResourceTypes?filter=name+eq+%22User%22", nil).want(t, http.StatusForbidden)
	e.do("GET", "ServiceProviderConfig?filter=x", nil).want(t, http.StatusForbidden)
}

// Discovery documents carry the directory of the request in meta.location,
// even though they are built once.
func TestDiscoveryPerDirectory(t *testing.T) {
	e := newEnv(t)
	otherDir, otherToken := e.newDirectory()
	a := e.do("GET", "ResourceTypes/User", nil).want(t, http.StatusOK)
	b := e.do("GET", "/scim/v2/"+otherDir+"/ResourceTypes/User", nil, "Authorization", "Bearer "+otherToken).want(t, http.StatusOK)
	if !strings.Contains(a.str("meta.location"), e.dir) || !strings.Contains(b.str("meta.location"), otherDir) {
		t.Errorf("locations: %q, %q", a.str("meta.location"), b.str("meta.location"))
	}
	// And again, to see that building meta did not touch the shared document.
	a2 := e.do("GET", "ResourceTypes/User", nil).want(t, http.StatusOK)
	if diff := cmp.Diff(a.body, a2.body); diff != "" {
		t.Errorf("document changed between requests (-first +second):\n%s", diff)
	}
}
