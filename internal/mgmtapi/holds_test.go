package mgmtapi_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/scimbridge/scimbridge/internal/testenv"
)

// TestHoldsAPI: the guard's settings through PATCH and GET of a directory,
// a hold listed, released and (a second one) discarded, the app's view of
// held and diverged users, and the errors; every response is validated
// against docs/openapi.yaml.
func TestHoldsAPI(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testHoldsAPI(t, newEnv(t)) })
	t.Run("postgres", func(t *testing.T) { testHoldsAPI(t, newEnvStore(t, testenv.PostgresStore(t))) })
}

func testHoldsAPI(t *testing.T, e *env) {
	ctx := context.Background()
	_, org := e.call("POST", "/api/v1/organizations", bootstrapKey, `{"name":"Acme"}`)
	_, dir := e.call("POST", "/api/v1/organizations/"+org["id"].(string)+"/directories", bootstrapKey, `{"provider":"entra_id"}`)
	dirID := dir["id"].(string)
	set := dir["settings"].(map[string]any)
	if set["on_delete"] != "delete" || set["on_deactivate"] != "keep" || set["delete_after_days"] != nil {
		t.Fatalf("default settings: %v", set)
	}
	for _, bad := range []string{`{"settings":{"on_delete":"archive"}}`, `{"settings":{"on_deactivate":"delete_after"}}`,
		`{"settings":{"deprovision_guard":{"percent":101}}}`, `{"settings":{"delete_after_days":0}}`, `{"settings":{"deprovision_guard":{"colour":1}}}`} {
		if st, out := e.call("PATCH", "/api/v1/directories/"+dirID, bootstrapKey, bad); st != 400 {
			t.Errorf("PATCH %s: %d %v, want 400", bad, st, out)
		}
	}
	st, got := e.call("PATCH", "/api/v1/directories/"+dirID, bootstrapKey,
		`{"settings":{"on_deactivate":"delete_after","delete_after_days":30,"deprovision_guard":{"min_users":0,"percent":0}}}`)
	if st != 200 {
		t.Fatalf("PATCH settings: %d %v", st, got)
	}
	set = got["settings"].(map[string]any)
	guard := set["deprovision_guard"].(map[string]any)
	if set["on_deactivate"] != "delete_after" || set["delete_after_days"] != float64(30) || guard["min_users"] != float64(0) || guard["enabled"] != true {
		t.Fatalf("settings after PATCH: %v", set)
	}
	if st, _ := e.call("GET", "/api/v1/directories/"+dirID+"/holds", bootstrapKey, ""); st != 200 {
		t.Fatalf("GET holds: %d", st)
	}
	d, err := e.svc.Read().GetDirectory(ctx, dirID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 3 {
		u, err := e.svc.CreateUser(ctx, d, map[string]any{"userName": fmt.Sprintf("u%d@example.com", i),
			"emails": []any{map[string]any{"value": fmt.Sprintf("u%d@work.example.com", i), "primary": true}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	deactivate := []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`)
	if _, _, err := e.svc.PatchUser(ctx, d, ids[0], deactivate, ""); err != nil {
		t.Fatal(err)
	}
	st, holds := e.call("GET", "/api/v1/directories/"+dirID+"/holds", bootstrapKey, "")
	list := holds["data"].([]any)
	if st != 200 || len(list) != 1 {
		t.Fatalf("GET holds: %d %v", st, holds)
	}
	hold := list[0].(map[string]any)
	holdID := hold["id"].(string)
	if st, u := e.call("GET", "/api/v1/directories/"+dirID+"/users/"+ids[0], bootstrapKey, ""); st != 200 || u["active"] != true {
		t.Fatalf("a held user: %d %v", st, u)
	}
	if st, out := e.call("POST", "/api/v1/directories/"+dirID+"/holds/hold_nope/release", bootstrapKey, ""); st != 404 {
		t.Fatalf("release of an unknown hold: %d %v", st, out)
	}
	if st, out := e.call("POST", "/api/v1/directories/"+dirID+"/holds/"+holdID+"/release", bootstrapKey, ""); st != 200 || out["status"] != "released" {
		t.Fatalf("release: %d %v", st, out)
	}
	if st, out := e.call("POST", "/api/v1/directories/"+dirID+"/holds/"+holdID+"/discard", bootstrapKey, ""); st != 409 || errCode(out) != "conflict" {
		t.Fatalf("discard of a released hold: %d %v", st, out)
	}
	if st, u := e.call("GET", "/api/v1/directories/"+dirID+"/users/"+ids[0], bootstrapKey, ""); st != 200 || u["active"] != false {
		t.Fatalf("a released user: %d %v", st, u)
	}
	// A second hold, discarded: the users stay active for the app, diverged.
	grp, err := e.svc.CreateGroup(ctx, d, map[string]any{"displayName": "Eng",
		"members": []any{map[string]any{"value": ids[1]}, map[string]any{"value": ids[2]}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.PatchUser(ctx, d, ids[1], deactivate, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.PatchGroup(ctx, d, grp.ID, []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations":[{"op":"remove","path":"members[value eq \"`+ids[1]+`\"]"}]}`), ""); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteUser(ctx, d, ids[2], ""); err != nil {
		t.Fatal(err)
	}
	// While held (and after the discard), the management API's user and
	// group reads show the app's view: the deleted user is listed, the
	// filters select on the app's values, the group keeps both members.
	appView := func(when string) {
		t.Helper()
		if got := e.pageIDs("/api/v1/directories/"+dirID+"/users?page_size=1", "id"); !cmp.Equal(got, ids) {
			t.Errorf("%s: users listed one a page: %v, want %v", when, got, ids)
		}
		for query, want := range map[string][]string{
			"active=true": ids[1:], "active=false": {ids[0]}, "q=U2": {ids[2]}, "q=u1%40": {ids[1]}, "email=U2%40work.example.com": {ids[2]},
			"group_id=" + grp.ID: ids[1:], "updated_after=2000-01-01T00:00:00Z": ids,
		} {
			if got := e.pageIDs("/api/v1/directories/"+dirID+"/users?page_size=1&"+query, "id"); !cmp.Equal(got, want) {
				t.Errorf("%s: users?%s: %v, want %v", when, query, got, want)
			}
		}
		// Both are the app's members only: listed after the IdP's, by id.
		if got := e.pageIDs("/api/v1/directories/"+dirID+"/groups/"+grp.ID+"/members?page_size=1", "id"); !cmp.Equal(got, ids[1:], cmpopts.SortSlices(func(a, b string) bool { return a < b })) {
			t.Errorf("%s: group members: %v, want %v", when, got, ids[1:])
		}
		if st, g := e.call("GET", "/api/v1/directories/"+dirID+"/groups/"+grp.ID, bootstrapKey, ""); st != 200 || g["member_count"] != float64(2) {
			t.Errorf("%s: group: %d %v, want member_count 2", when, st, g)
		}
	}
	appView("held")
	_, holds = e.call("GET", "/api/v1/directories/"+dirID+"/holds", bootstrapKey, "")
	hold = holds["data"].([]any)[0].(map[string]any)
	if hold["status"] != "open" || hold["user_count"] != float64(2) {
		t.Fatalf("second hold: %v", hold)
	}
	if st, out := e.call("POST", "/api/v1/directories/"+dirID+"/holds/"+hold["id"].(string)+"/discard", bootstrapKey, ""); st != 200 || out["status"] != "discarded" {
		t.Fatalf("discard: %d %v", st, out)
	}
	st, page := e.call("GET", "/api/v1/directories/"+dirID+"/users", bootstrapKey, "")
	for _, item := range page["data"].([]any) {
		u := item.(map[string]any)
		if u["id"] == ids[1] && (u["active"] != true || u["diverged"] != true) {
			t.Fatalf("a diverged user in the list: %v", u)
		}
	}
	if st, u := e.call("GET", "/api/v1/directories/"+dirID+"/users/"+ids[2], bootstrapKey, ""); st != 200 || u["diverged"] != true || u["active"] != true {
		t.Fatalf("a diverged user the IdP deleted: %d %v", st, u)
	}
	appView("diverged")
}

// pageIDs follows a list's next_page_token and returns the key of every
// item, in order.
func (e *env) pageIDs(path, key string) []string {
	e.t.Helper()
	var out []string
	next := path
	for range 100 {
		st, page := e.call("GET", next, bootstrapKey, "")
		if st != 200 {
			e.t.Fatalf("GET %s: %d %v", next, st, page)
		}
		for _, item := range page["data"].([]any) {
			out = append(out, item.(map[string]any)[key].(string))
		}
		tok, _ := page["next_page_token"].(string)
		if tok == "" {
			return out
		}
		next = path + "&page_token=" + tok
	}
	e.t.Fatalf("GET %s: more than 100 pages", path)
	return nil
}
