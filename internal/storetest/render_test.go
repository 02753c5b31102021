package storetest

import (
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/filter"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

func TestRender(t *testing.T) {
	created := time.Date(2030, 1, 2, 3, 4, 5, 123456000, time.FixedZone("X", 3600))
	u := directory.User{ID: "diruser_1", Doc: schema.Resource{"userName": "a", "externalId": ""}, CreatedAt: created, UpdatedAt: created.Add(time.Second)}
	got := RenderUser(u, []directory.GroupRef{{ID: "dirgroup_1", DisplayName: "G"}})
	want := map[string]any{
		"id":       "diruser_1",
		"userName": "a",
		"meta":     map[string]any{"resourceType": "User", "created": "2030-01-02T02:04:05.123456Z", "lastModified": "2030-01-02T02:04:06.123456Z"},
		"groups":   []any{map[string]any{"value": "dirgroup_1", "display": "G", "type": "direct"}},
	}
	if d := diff(want, got); d != "" {
		t.Errorf("RenderUser (-want +got):\n%s", d)
	}
	if _, ok := u.Doc["id"]; ok {
		t.Errorf("RenderUser changed the stored document")
	}
	g := directory.Group{ID: "dirgroup_1", Doc: schema.Resource{"displayName": "G", "externalId": "e"}, CreatedAt: created, UpdatedAt: created}
	gotG := RenderGroup(g, []directory.Member{{ID: "diruser_1", Type: directory.MemberUser, Display: "a"}, {ID: "dirgroup_2", Type: directory.MemberGroup}})
	if gotG["externalId"] != "e" || len(gotG["members"].([]any)) != 2 {
		t.Errorf("RenderGroup = %v", gotG)
	}
	// The rendered form is what filter.Eval reads.
	sch := schema.New()
	for text, want := range map[string]bool{
		`meta.created eq "2030-01-02T03:04:05.123456+01:00"`: true,
		`groups.display eq "g"`:                              true,
		`externalId eq null`:                                 true,
	} {
		if got := filter.Eval(sch.User, mustFilter(t, sch.User, text), RenderUser(u, []directory.GroupRef{{ID: "dirgroup_1", DisplayName: "G"}})); got != want {
			t.Errorf("Eval(%s) = %v", text, got)
		}
	}
	if !filter.Eval(sch.Group, mustFilter(t, sch.Group, `members[type eq "group" and value eq "dirgroup_2"]`), gotG) {
		t.Errorf("members value filter does not match the rendered group")
	}
}
