package mgmtapi_test

import (
	"context"
	"testing"
)

// TestEventsFeed reads the feed over HTTP as an app would: pages by
// cursor, filters, a single event, and the errors a wrong request gets.
func TestEventsFeed(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	org, err := e.svc.CreateOrganization(ctx, "Acme", "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.svc.CreateDirectory(ctx, org.ID, "okta", "")
	if err != nil {
		t.Fatal(err)
	}
	st, out := e.call("GET", "/api/v1/events?after=latest", bootstrapKey, "")
	if st != 200 || len(out["data"].([]any)) != 0 {
		t.Fatalf("after=latest on an empty feed: %d %v", st, out)
	}
	start := out["next_cursor"].(string)
	ann, _ := e.svc.CreateUser(ctx, d, map[string]any{"userName": "ann@example.com"})
	e.svc.CreateUser(ctx, d, map[string]any{"userName": "bob@example.com"})
	if _, err := e.svc.CreateGroup(ctx, d, map[string]any{"displayName": "Eng", "members": []any{map[string]any{"value": ann.ID}}}); err != nil {
		t.Fatal(err)
	}
	var types []string
	var ids []string
	cursor := start
	for i := 0; i < 10; i++ {
		st, out := e.call("GET", "/api/v1/events?limit=2&after="+cursor, bootstrapKey, "")
		if st != 200 {
			t.Fatalf("GET events: %d %v", st, out)
		}
		data := out["data"].([]any)
		for _, item := range data {
			ev := item.(map[string]any)
			types = append(types, ev["type"].(string))
			ids = append(ids, ev["id"].(string))
			if ev["directory_id"] != d.ID || ev["organization_id"] != org.ID || ev["object"] != "event" {
				t.Errorf("event %v", ev)
			}
		}
		next := out["next_cursor"].(string)
		if len(data) == 0 {
			if next != cursor {
				t.Errorf("an empty page moved the cursor from %s to %s", cursor, next)
			}
			break
		}
		cursor = next
	}
	want := []string{"organization.directory.user_created", "organization.directory.user_created", "organization.directory.group_created", "organization.directory.group_member_added"}
	if len(types) != len(want) {
		t.Fatalf("feed types %v, want %v", types, want)
	}
	for i := range want {
		if types[i] != want[i] {
			t.Errorf("event %d is %s, want %s", i, types[i], want[i])
		}
	}
	st, out = e.call("GET", "/api/v1/events?types=organization.directory.group_member_added&subject_id="+ann.ID+"&directory_id="+d.ID, bootstrapKey, "")
	if st != 200 || len(out["data"].([]any)) != 1 {
		t.Errorf("filtered feed: %d %v", st, out)
	}
	st, out = e.call("GET", "/api/v1/events/"+ids[0], bootstrapKey, "")
	if st != 200 || out["id"] != ids[0] || out["data"].(map[string]any)["user_name"] != "ann@example.com" {
		t.Errorf("GET one event: %d %v", st, out)
	}
	for _, c := range []struct {
		path string
		code int
	}{
		{"/api/v1/events?types=user.created", 400},
		{"/api/v1/events?after=abc", 400},
		{"/api/v1/events?limit=0", 400},
		{"/api/v1/events?directory_id=org_x", 400},
		{"/api/v1/events?cursor=1", 400},
		{"/api/v1/events/evt_missing", 404},
	} {
		if st, out := e.call("GET", c.path, bootstrapKey, ""); st != c.code || out["error"] == nil {
			t.Errorf("GET %s: %d %v, want %d with an error body", c.path, st, out, c.code)
		}
	}
	if st, _ := e.call("GET", "/api/v1/events", "", ""); st != 401 {
		t.Errorf("the feed without an API key: %d, want 401", st)
	}
}
