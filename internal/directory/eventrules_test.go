package directory_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// The event rules, without a database: one test per case docs/events.md
// lists.

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func alice(doc map[string]any) directory.User {
	u := directory.User{ID: "diruser_a", DirectoryID: "dir_1", UserName: "alice@acme.test", Active: true, Doc: doc, CreatedAt: t0, UpdatedAt: t0}
	if a, ok := doc["active"].(bool); ok {
		u.Active = a
	}
	return u
}

func userRec(u directory.User, role string) directory.UserRecord {
	eff := directory.Effective{Roles: []string{role}, Role: role}
	return directory.NewUserRecord(u, "org_1", []directory.GroupRef{{ID: "dirgroup_e", DisplayName: "Eng"}}, &eff)
}

// asJSON renders v as the feed stores it.
func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func types(es []directory.EventSpec) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Type+" "+e.Subject+" "+e.Member)
	}
	return out
}

func TestEventRuleDirectoryState(t *testing.T) {
	d := directory.Directory{ID: "dir_1", OrganizationID: "org_1", Name: "Okta", Provider: "okta", Enabled: false}
	e, ok := directory.DirectoryStateEvent(d, true)
	if !ok || e.Type != directory.EventDirectoryDisabled || e.Subject != "dir_1" {
		t.Errorf("disabling: %+v %v", e, ok)
	}
	if got := asJSON(t, e.Data); got != `{"object":"directory","id":"dir_1","organization_id":"org_1","name":"Okta","provider":"okta","enabled":false}` {
		t.Errorf("data %s", got)
	}
	d.Enabled = true
	if e, ok := directory.DirectoryStateEvent(d, false); !ok || e.Type != directory.EventDirectoryEnabled {
		t.Errorf("enabling: %+v", e)
	}
	if _, ok := directory.DirectoryStateEvent(d, true); ok {
		t.Error("an unchanged state produced an event")
	}
}

func TestEventRuleUserCreatedAndDeleted(t *testing.T) {
	rec := userRec(alice(map[string]any{"userName": "alice@acme.test"}), "member")
	c := directory.UserCreatedEvent(rec)
	if c.Type != directory.EventUserCreated || c.Subject != "diruser_a" || c.Previous != nil || !reflect.DeepEqual(c.Data, rec) {
		t.Errorf("created: %+v", c)
	}
	d := directory.UserDeletedEvent(rec)
	if d.Type != directory.EventUserDeleted || d.Subject != "diruser_a" || d.Previous != nil {
		t.Errorf("deleted: %+v", d)
	}
}

func TestEventRuleUserUpdatedPreviousAttributes(t *testing.T) {
	beforeDoc := map[string]any{"userName": "alice@acme.test", "title": "Engineer", "active": true, "meta": map[string]any{"version": "1"}}
	afterDoc := map[string]any{"userName": "alice@acme.test", "title": "Manager", "active": false, "nickName": "Al", "meta": map[string]any{"version": "2"}}
	before, after := alice(beforeDoc), alice(afterDoc)
	after.UpdatedAt = t0.Add(time.Minute)
	e, err := directory.UserUpdatedEvent(userRec(before, "member"), userRec(after, "member"), beforeDoc, afterDoc)
	if err != nil {
		t.Fatal(err)
	}
	if e.Type != directory.EventUserUpdated || e.Subject != "diruser_a" {
		t.Errorf("event %+v", e)
	}
	// Deactivation shows as active in previous_attributes; updated_at and
	// meta are never listed; an attribute that was absent is null.
	want := `{"active":true,"raw_attributes":{"active":true,"nickName":null,"title":"Engineer"},"title":"Engineer"}`
	if got := asJSON(t, e.Previous); got != want {
		t.Errorf("previous_attributes\n got %s\nwant %s", got, want)
	}
}

func TestEventRuleUserUpdatedNothingVisible(t *testing.T) {
	doc := map[string]any{"userName": "alice@acme.test"}
	rec := userRec(alice(doc), "member")
	e, err := directory.UserUpdatedEvent(rec, rec, doc, doc)
	if err != nil || len(e.Previous) != 0 {
		t.Errorf("an unchanged user: previous %v, %v", e.Previous, err)
	}
}

func TestEventRuleGroupCreatedWithMembers(t *testing.T) {
	rec := directory.GroupRecord{Object: "directory_group", ID: "dirgroup_e", DirectoryID: "dir_1", OrganizationID: "org_1", Name: "Eng"}
	es := directory.GroupCreatedEvents(rec, []directory.MemberBrief{{Type: "user", ID: "diruser_a", DisplayName: "alice"}, {Type: "group", ID: "dirgroup_n", DisplayName: "Nested"}})
	want := []string{directory.EventGroupCreated + " dirgroup_e ", directory.EventGroupMemberAdded + " dirgroup_e diruser_a", directory.EventGroupMemberAdded + " dirgroup_e dirgroup_n"}
	if got := types(es); !reflect.DeepEqual(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
	if got := asJSON(t, es[2].Data); got != `{"object":"directory_group_membership","group":{"id":"dirgroup_e","name":"Eng"},"member":{"type":"group","id":"dirgroup_n","display_name":"Nested"}}` {
		t.Errorf("membership data %s", got)
	}
}

func TestEventRuleGroupUpdated(t *testing.T) {
	before := directory.GroupRecord{Object: "directory_group", ID: "dirgroup_e", Name: "Eng"}
	after := before
	after.Name = "Engineering"
	bdoc := map[string]any{"displayName": "Eng", "members": []any{"x"}}
	adoc := map[string]any{"displayName": "Engineering", "members": []any{"y"}}
	deltas := []directory.MemberDelta{
		{Added: false, Members: []directory.MemberBrief{{Type: "user", ID: "diruser_b"}}},
		{Added: true, Members: []directory.MemberBrief{{Type: "user", ID: "diruser_c"}}},
	}
	es, err := directory.GroupUpdatedEvents(before, after, bdoc, adoc, true, deltas)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{directory.EventGroupUpdated + " dirgroup_e ", directory.EventGroupMemberRemoved + " dirgroup_e diruser_b", directory.EventGroupMemberAdded + " dirgroup_e diruser_c"}
	if got := types(es); !reflect.DeepEqual(got, want) {
		t.Errorf("rename and members: %q, want %q", got, want)
	}
	// members never appear in raw_attributes: they have their own events.
	if got := asJSON(t, es[0].Previous); got != `{"name":"Eng","raw_attributes":{"displayName":"Eng"}}` {
		t.Errorf("previous_attributes %s", got)
	}
	// A PATCH that only touched members has no group_updated.
	es, err = directory.GroupUpdatedEvents(before, before, bdoc, map[string]any{"displayName": "Eng", "members": []any{"y"}}, true, deltas[1:])
	if err != nil {
		t.Fatal(err)
	}
	if got := types(es); !reflect.DeepEqual(got, want[2:]) {
		t.Errorf("members only: %q", got)
	}
	// Nothing changed at all: no events.
	if es, _ := directory.GroupUpdatedEvents(before, before, bdoc, bdoc, false, nil); len(es) != 0 {
		t.Errorf("no change: %q", types(es))
	}
}

func TestEventRuleGroupDeleted(t *testing.T) {
	e := directory.GroupDeletedEvent(directory.GroupRecord{ID: "dirgroup_e", Name: "Eng"})
	if e.Type != directory.EventGroupDeleted || e.Subject != "dirgroup_e" || e.Member != "" {
		t.Errorf("%+v", e)
	}
}

func TestEventRuleRoleChangeEvent(t *testing.T) {
	rec := userRec(alice(map[string]any{}), "admin")
	e := directory.RoleChangeEvent(rec, directory.Effective{Roles: []string{"member"}, Role: "member"})
	if e.Type != directory.EventUserUpdated || asJSON(t, e.Previous) != `{"role":"member","roles":["member"]}` {
		t.Errorf("%+v %s", e, asJSON(t, e.Previous))
	}
}

func TestEventRuleMembershipRoleChanges(t *testing.T) {
	admin := []directory.RoleGrant{{Role: "admin", Priority: 10}}
	// a joins, b leaves, c leaves but keeps admin through another group,
	// d was and is a member (no flip).
	was := map[string]bool{"a": false, "b": true, "c": true, "d": true}
	is := map[string]bool{"a": true, "b": false, "c": false, "d": true}
	ids := directory.MembershipFlips(was, is)
	if !reflect.DeepEqual(ids, []string{"a", "b", "c"}) {
		t.Fatalf("flips %v", ids)
	}
	others := map[string][]directory.RoleGrant{"c": {{Role: "admin", Priority: 5}}}
	changed, before := directory.MembershipRoleChanges(admin, ids, others, was, is, "member")
	if !reflect.DeepEqual(changed, []string{"a", "b"}) {
		t.Errorf("changed %v, want a (joined) and b (left); c keeps admin", changed)
	}
	if before["a"].Role != "member" || before["b"].Role != "admin" {
		t.Errorf("roles before %+v", before)
	}
	// A group with no mappings changes nobody's roles.
	if changed, _ := directory.MembershipRoleChanges(nil, ids, others, was, is, "member"); len(changed) != 0 {
		t.Errorf("unmapped group: %v", changed)
	}
}

func TestEventRuleRoleSnapshots(t *testing.T) {
	before := directory.RoleSnapshot{Default: "member", Grants: map[string][]directory.RoleGrant{"a": {{Role: "admin"}}, "b": {{Role: "viewer"}}}}
	after := directory.RoleSnapshot{Default: "member", Grants: map[string][]directory.RoleGrant{"a": {{Role: "admin"}}, "c": {{Role: "viewer"}}}}
	ids, all := directory.RoleChangeCandidates(before, after)
	if all || !reflect.DeepEqual(ids, []string{"a", "b", "c"}) {
		t.Fatalf("candidates %v all=%v", ids, all)
	}
	changed, prev := directory.RoleChanges(before, after, ids)
	if !reflect.DeepEqual(changed, []string{"b", "c"}) || prev["b"].Role != "viewer" || prev["c"].Role != "member" {
		t.Errorf("mapping change: %v %+v", changed, prev)
	}
	// The default role changes: every user is a candidate, and those with
	// no grants change.
	after.Default = "guest"
	if _, all := directory.RoleChangeCandidates(before, after); !all {
		t.Error("a default role change does not consider every user")
	}
	changed, _ = directory.RoleChanges(before, after, []string{"a", "b", "c", "z"})
	if !reflect.DeepEqual(changed, []string{"b", "c", "z"}) {
		t.Errorf("default change: %v", changed)
	}
}
