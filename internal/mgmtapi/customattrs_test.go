package mgmtapi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// TestCustomAttributesAPI declares attributes, maps them in a directory
// whose users came from an Okta-shaped IdP, and reads the values back on
// user records and in the events feed. Every answer is checked against
// docs/openapi.yaml by the env.
func TestCustomAttributesAPI(t *testing.T) {
	e := newRoleEnv(t)
	ctx := context.Background()
	d, err := e.svc.Read().GetDirectory(ctx, e.dirID)
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.svc.CreateUser(ctx, d, map[string]any{
		"userName":     "dana@example.com",
		"phoneNumbers": []any{map[string]any{"type": "mobile", "value": "+1 555 0199"}},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"costCenter": "CC-7"},
		"urn:ietf:params:scim:schemas:extension:acmeapp:2.0:User":    map[string]any{"isContractor": "maybe"},
	})
	if err != nil {
		t.Fatal(err)
	}

	e.mustCall("POST", "/api/v1/custom_attributes", `{"key":"cost_center","type":"string","description":"Cost center"}`, 201)
	e.mustCall("POST", "/api/v1/custom_attributes", `{"key":"mobile","type":"string","default_source":"phoneNumbers[type eq \"mobile\"].value"}`, 201)
	e.mustCall("POST", "/api/v1/custom_attributes", `{"key":"contractor","type":"boolean"}`, 201)
	e.mustCall("POST", "/api/v1/custom_attributes", `{"key":"cost_center","type":"string"}`, 409)
	out := e.mustCall("POST", "/api/v1/custom_attributes", `{"key":"Bad Key","type":"string"}`, 400)
	if msg, _ := out["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "a-z") {
		t.Errorf("invalid key message: %v", out)
	}
	e.mustCall("POST", "/api/v1/custom_attributes", `{"key":"x","type":"text"}`, 400)
	list := e.mustCall("GET", "/api/v1/custom_attributes", "", 200)
	if data, _ := list["data"].([]any); len(data) != 3 {
		t.Errorf("list: %v", list)
	}
	e.mustCall("PATCH", "/api/v1/custom_attributes/cost_center", `{"description":"CC"}`, 200)
	e.mustCall("PATCH", "/api/v1/custom_attributes/cost_center", `{"type":"number"}`, 400)
	e.mustCall("PATCH", "/api/v1/custom_attributes/nope", `{"description":"x"}`, 404)

	src := e.mustCall("GET", "/api/v1/directories/"+e.dirID+"/attribute_sources", "", 200)
	found := false
	for _, a := range src["data"].([]any) {
		if a.(map[string]any)["source"] == `phoneNumbers[type eq "mobile"].value` {
			found = true
		}
	}
	if !found || src["sampled_users"].(float64) != 4 {
		t.Errorf("attribute_sources: %v", src)
	}
	defs := map[string]string{}
	for _, m := range src["provider_defaults"].([]any) {
		defs[m.(map[string]any)["key"].(string)] = m.(map[string]any)["source"].(string)
	}
	if defs["cost_center"] != "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter" || defs["contractor"] != directory.CustomAttributesURN+":contractor" {
		t.Errorf("provider defaults: %v", defs)
	}

	body := `{"mappings":[{"key":"cost_center","source":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter"},
		{"key":"mobile","source":"phoneNumbers[type eq \"mobile\"].value"},
		{"key":"contractor","source":"urn:ietf:params:scim:schemas:extension:acmeapp:2.0:User:isContractor"}]}`
	prev := e.mustCall("POST", "/api/v1/directories/"+e.dirID+"/attribute_mappings/preview", body, 200)
	if prev["users_changing"].(float64) != 1 {
		t.Errorf("preview: %v", prev)
	}
	first := prev["users"].([]any)[0].(map[string]any)
	if first["user_id"] != u.ID {
		t.Errorf("preview lists %v first, want dana (the only user with values)", first["user_id"])
	}
	for _, v := range first["values"].([]any) {
		v := v.(map[string]any)
		if v["key"] == "contractor" && (v["proposed"] != nil || !strings.Contains(v["error"].(string), "boolean")) {
			t.Errorf("preview of a type error: %v", v)
		}
	}
	if got := e.mustCall("GET", "/api/v1/directories/"+e.dirID+"/attribute_mappings", "", 200); len(got["mappings"].([]any)) != 0 {
		t.Errorf("the preview saved mappings: %v", got)
	}
	e.mustCall("PUT", "/api/v1/directories/"+e.dirID+"/attribute_mappings", `{"mappings":[{"key":"nope","source":"title"}]}`, 400)
	e.mustCall("PUT", "/api/v1/directories/"+e.dirID+"/attribute_mappings", `{}`, 400)
	e.mustCall("PUT", "/api/v1/directories/dir_nope/attribute_mappings", `{"mappings":[]}`, 404)
	put := e.mustCall("PUT", "/api/v1/directories/"+e.dirID+"/attribute_mappings", body, 200)
	if put["users_changed"].(float64) != 1 || put["version"].(float64) != 1 || put["pending_users"].(float64) != 0 {
		t.Errorf("PUT: %v", put)
	}

	rec := e.mustCall("GET", "/api/v1/directories/"+e.dirID+"/users/"+u.ID, "", 200)
	ca := rec["custom_attributes"].(map[string]any)
	if ca["cost_center"] != "CC-7" || ca["mobile"] != "+1 555 0199" || ca["contractor"] != nil || len(ca) != 3 {
		t.Errorf("custom_attributes: %v", ca)
	}
	evs := e.mustCall("GET", "/api/v1/events?directory_id="+e.dirID+"&types=organization.directory.user_updated", "", 200)
	n := 0
	for _, ev := range evs["data"].([]any) {
		ev := ev.(map[string]any)
		if p, ok := ev["previous_attributes"].(map[string]any); ok {
			if _, ok := p["custom_attributes"]; ok {
				n++
			}
		}
	}
	if n != 1 {
		t.Errorf("%d user_updated events with previous custom_attributes, want 1 (dana's; the others have no value): %v", n, evs)
	}
	e.mustCall("DELETE", "/api/v1/custom_attributes/mobile", "", 409)
	e.mustCall("PUT", "/api/v1/directories/"+e.dirID+"/attribute_mappings", `{"mappings":[]}`, 200)
	e.mustCall("DELETE", "/api/v1/custom_attributes/mobile", "", 204)
	e.mustCall("DELETE", "/api/v1/custom_attributes/mobile", "", 404)
}

// TestAttributeMappingsAccepted: a change the PUT cannot finish in its
// time budget is answered 202 with pending_users; the rest is applied in
// the background (here: by calling the background job's method).
func TestAttributeMappingsAccepted(t *testing.T) {
	e := newRoleEnv(t)
	ctx := context.Background()
	e.svc.AttributeApplyBudget = time.Nanosecond // one chunk, then answer
	d, err := e.svc.Read().GetDirectory(ctx, e.dirID)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 150; i++ {
		if _, err := e.svc.CreateUser(ctx, d, map[string]any{"userName": fmt.Sprintf("u%d@example.com", i), "title": "Engineer"}); err != nil {
			t.Fatal(err)
		}
	}
	e.mustCall("POST", "/api/v1/custom_attributes", `{"key":"title","type":"string"}`, 201)
	put := e.mustCall("PUT", "/api/v1/directories/"+e.dirID+"/attribute_mappings", `{"mappings":[{"key":"title","source":"title"}]}`, 202)
	if put["pending_users"].(float64) == 0 || put["users_changed"].(float64) == 0 {
		t.Errorf("202 answer: %v", put)
	}
	if _, err := e.svc.ApplyAttributeMappings(ctx, e.dirID); err != nil {
		t.Fatal(err)
	}
	if got := e.mustCall("GET", "/api/v1/directories/"+e.dirID+"/attribute_mappings", "", 200); got["pending_users"].(float64) != 0 {
		t.Errorf("after the background job: %v", got)
	}
}
