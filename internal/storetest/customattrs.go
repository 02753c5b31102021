package storetest

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// Custom attributes and attribute mappings (docs/custom-attributes.md),
// with documents shaped as Okta, Entra ID and OneLogin send custom
// attributes (/work/shared/reference/idp-behaviour.md §1, §2.3, §3).

func customAttrTests() []subtest {
	return []subtest{
		{"CustomAttributes/Declare", testCustomAttributesDeclare},
		{"CustomAttributes/Okta", testCustomAttributesOkta},
		{"CustomAttributes/EntraPatch", testCustomAttributesEntra},
		{"CustomAttributes/OneLoginTypeErrors", testCustomAttributesOneLogin},
		{"CustomAttributes/RemapChunks", testCustomAttributesChunks},
		{"CustomAttributes/StaleWriterRemapped", testCustomAttributesStaleWriter},
		{"CustomAttributes/BackgroundApply", testCustomAttributesBackground},
	}
}

const (
	enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	oktaCustomURN = "urn:ietf:params:scim:schemas:extension:acmeapp:2.0:User"
	entraURN      = "urn:ietf:params:scim:schemas:extension:8f2c1a7e-contoso:2.0:User"
	oneLoginURN   = "urn:ietf:params:scim:schemas:extension:onelogin:2.0:User"
)

func (f *fixture) declare(attrs ...directory.CustomAttribute) {
	f.t.Helper()
	for _, a := range attrs {
		if _, err := f.svc.CreateCustomAttribute(f.ctx, a); err != nil {
			f.t.Fatalf("CreateCustomAttribute(%s): %v", a.Key, err)
		}
	}
}

func (f *fixture) mapAttrs(dirID string, ms ...directory.AttributeMapping) (directory.AttributeMappingStatus, int) {
	f.t.Helper()
	st, n, err := f.svc.PutAttributeMappings(f.ctx, dirID, ms)
	if err != nil {
		f.t.Fatalf("PutAttributeMappings: %v", err)
	}
	if st.PendingUsers != 0 {
		f.t.Errorf("after PutAttributeMappings: %d users pending", st.PendingUsers)
	}
	return st, n
}

// dirNow reads the directory as a SCIM request would get it.
func (f *fixture) dirNow(id string) directory.Directory {
	f.t.Helper()
	d, err := f.s.GetDirectory(f.ctx, id)
	if err != nil {
		f.t.Fatalf("GetDirectory: %v", err)
	}
	return d
}

// customOf returns a user's stored values, as JSON for comparison.
func (f *fixture) customOf(dirID, id string) map[string]any {
	f.t.Helper()
	u := f.getUser(dirID, id)
	b, _ := json.Marshal(u.Custom.Values)
	var out map[string]any
	json.Unmarshal(b, &out)
	if out == nil {
		out = map[string]any{}
	}
	return out
}

// customEvents returns the previous and new custom_attributes of the
// directory's user_updated events about user id.
func (f *fixture) customEvents(dirID, id string) (prev, next []map[string]any) {
	f.t.Helper()
	for _, e := range f.events(directory.EventQuery{DirectoryID: dirID, Types: []string{directory.EventUserUpdated}}) {
		var data struct {
			ID     string         `json:"id"`
			Custom map[string]any `json:"custom_attributes"`
		}
		var p struct {
			Custom map[string]any `json:"custom_attributes"`
		}
		if err := json.Unmarshal(e.Data, &data); err != nil {
			f.t.Fatal(err)
		}
		if data.ID != id {
			continue
		}
		json.Unmarshal(e.Previous, &p)
		if p.Custom == nil {
			continue // an event about something else
		}
		prev, next = append(prev, p.Custom), append(next, data.Custom)
	}
	return prev, next
}

func testCustomAttributesDeclare(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	f.declare(directory.CustomAttribute{Key: "cost_center", Type: directory.AttrString, Description: "Cost center"},
		directory.CustomAttribute{Key: "badges", Type: directory.AttrStringList, DefaultSource: "urn:ietf:params:scim:schemas:extension:acme:2.0:User:badges"})
	if _, err := f.svc.CreateCustomAttribute(f.ctx, directory.CustomAttribute{Key: "cost_center", Type: directory.AttrString}); !directory.IsConflict(err) {
		t.Errorf("declaring cost_center twice: %v, want a conflict", err)
	}
	for _, bad := range []directory.CustomAttribute{{Key: "Cost", Type: "string"}, {Key: "x", Type: "text"}, {Key: "y", Type: "string", DefaultSource: "emails[type eq"}, {Key: "z", Type: "string", DefaultSource: "nosuch"}} {
		if _, err := f.svc.CreateCustomAttribute(f.ctx, bad); directory.KindOf(err) != directory.KindInvalid {
			t.Errorf("CreateCustomAttribute(%+v) = %v, want invalid", bad, err)
		}
	}
	got, err := f.svc.ListCustomAttributes(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []directory.CustomAttribute{
		{Key: "badges", Type: directory.AttrStringList, DefaultSource: "urn:ietf:params:scim:schemas:extension:acme:2.0:User:badges"},
		{Key: "cost_center", Type: directory.AttrString, Description: "Cost center"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ListCustomAttributes (-want +got):\n%s", d)
	}
	desc := "The cost center"
	a, err := f.svc.UpdateCustomAttribute(f.ctx, "cost_center", directory.CustomAttributeUpdate{Description: &desc})
	if err != nil || a.Description != desc || a.Type != directory.AttrString {
		t.Errorf("UpdateCustomAttribute = %+v, %v", a, err)
	}
	if _, err := f.svc.UpdateCustomAttribute(f.ctx, "nope", directory.CustomAttributeUpdate{Description: &desc}); !directory.IsNotFound(err) {
		t.Errorf("updating an undeclared attribute: %v", err)
	}

	// A new directory starts with the default mappings.
	d := f.newDir()
	wantMaps := []directory.TypedMapping{
		{Key: "badges", Type: directory.AttrStringList, Source: "urn:ietf:params:scim:schemas:extension:acme:2.0:User:badges"},
		{Key: "cost_center", Type: directory.AttrString, Source: directory.CustomAttributesURN + ":cost_center"},
	}
	if diff := cmp.Diff(wantMaps, f.dirNow(d.ID).Attributes.Mappings); diff != "" {
		t.Errorf("a new directory's mappings (-want +got):\n%s", diff)
	}
	if err := f.svc.DeleteCustomAttribute(f.ctx, "cost_center"); !directory.IsConflict(err) {
		t.Errorf("deleting a mapped attribute: %v, want a conflict", err)
	}
	f.mapAttrs(d.ID, directory.AttributeMapping{Key: "badges", Source: "urn:ietf:params:scim:schemas:extension:acme:2.0:User:badges"})
	if err := f.svc.DeleteCustomAttribute(f.ctx, "cost_center"); err != nil {
		t.Errorf("deleting an attribute no directory maps: %v", err)
	}
	if err := f.svc.DeleteCustomAttribute(f.ctx, "cost_center"); !directory.IsNotFound(err) {
		t.Errorf("deleting it again: %v, want not found", err)
	}
	// Mapping validation.
	for _, ms := range [][]directory.AttributeMapping{
		{{Key: "undeclared", Source: "title"}},
		{{Key: "badges", Source: "name[givenName"}},
		{{Key: "badges", Source: "title"}, {Key: "badges", Source: "nickName"}},
	} {
		if _, _, err := f.svc.PutAttributeMappings(f.ctx, d.ID, ms); directory.KindOf(err) != directory.KindInvalid {
			t.Errorf("PutAttributeMappings(%+v) = %v, want invalid", ms, err)
		}
	}
	if _, _, err := f.svc.PutAttributeMappings(f.ctx, "dir_nope", nil); !directory.IsNotFound(err) {
		t.Errorf("PutAttributeMappings on an unknown directory: %v", err)
	}
}

// oktaUser is a user as Okta pushes it with app profile attributes mapped
// to the Enterprise extension and to a custom extension of the app.
func oktaUser(name, costCenter, contractor string) map[string]any {
	return map[string]any{
		"schemas":  []any{"urn:ietf:params:scim:schemas:core:2.0:User", enterpriseURN, oktaCustomURN},
		"userName": name,
		"name":     map[string]any{"givenName": "A", "familyName": "B"},
		"emails":   []any{map[string]any{"primary": true, "value": name, "type": "work"}},
		"phoneNumbers": []any{
			map[string]any{"value": "+1 555 0100", "type": "work"},
			map[string]any{"value": "+1 555 0199", "type": "mobile"},
		},
		"active":      true,
		enterpriseURN: map[string]any{"costCenter": costCenter, "department": "R&D", "employeeNumber": "1042"},
		oktaCustomURN: map[string]any{"isContractor": contractor, "startDate": "2024-03-01", "badges": []any{"lab", "hq"}},
	}
}

func testCustomAttributesOkta(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	f.declare(
		directory.CustomAttribute{Key: "cost_center", Type: directory.AttrString},
		directory.CustomAttribute{Key: "mobile", Type: directory.AttrString},
		directory.CustomAttribute{Key: "contractor", Type: directory.AttrBoolean},
		directory.CustomAttribute{Key: "start_date", Type: directory.AttrDateTime},
		directory.CustomAttribute{Key: "badges", Type: directory.AttrStringList},
		directory.CustomAttribute{Key: "employee_number", Type: directory.AttrNumber},
	)
	dirID := f.dir.ID
	alice := f.user(dirID, oktaUser("alice@example.com", "CC-1", "false"))
	bob := f.user(dirID, oktaUser("bob@example.com", "CC-2", "true"))
	if got := f.customOf(dirID, alice.ID); len(got) != 0 {
		t.Errorf("before any mapping alice has %v", got)
	}
	st, changed := f.mapAttrs(dirID,
		directory.AttributeMapping{Key: "cost_center", Source: enterpriseURN + ":costCenter"},
		directory.AttributeMapping{Key: "mobile", Source: `phoneNumbers[type eq "mobile"].value`},
		directory.AttributeMapping{Key: "contractor", Source: oktaCustomURN + ":isContractor"},
		directory.AttributeMapping{Key: "start_date", Source: oktaCustomURN + ":startDate"},
		directory.AttributeMapping{Key: "badges", Source: oktaCustomURN + ":badges"},
		directory.AttributeMapping{Key: "employee_number", Source: enterpriseURN + ":employeeNumber"},
	)
	if changed != 2 || st.Version != 1 || len(st.Mappings) != 6 {
		t.Errorf("PutAttributeMappings: %d changed, version %d, %d mappings; want 2, 1, 6", changed, st.Version, len(st.Mappings))
	}
	want := map[string]any{"cost_center": "CC-1", "mobile": "+1 555 0199", "contractor": false,
		"start_date": "2024-03-01T00:00:00Z", "badges": []any{"lab", "hq"}, "employee_number": 1042.0}
	if d := cmp.Diff(want, f.customOf(dirID, alice.ID)); d != "" {
		t.Errorf("alice's custom attributes (-want +got):\n%s", d)
	}
	prev, next := f.customEvents(dirID, bob.ID)
	if len(prev) != 1 || len(prev[0]) != 0 || next[0]["contractor"] != true {
		t.Errorf("bob's mapping events: previous %v, new %v; want one event from {}", prev, next)
	}

	// A user created after the change is mapped on creation (and its
	// user_created event carries the values).
	carol := f.user(dirID, oktaUser("carol@example.com", "CC-3", "true"))
	if got := f.customOf(dirID, carol.ID)["cost_center"]; got != "CC-3" {
		t.Errorf("carol's cost_center = %v", got)
	}
	// An IdP change of a mapped value: user_updated with the old value.
	d := f.dirNow(dirID)
	body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter","value":"CC-9"}]}`
	if _, _, err := f.svc.PatchUser(f.ctx, d, alice.ID, []byte(body), ""); err != nil {
		t.Fatal(err)
	}
	prev, next = f.customEvents(dirID, alice.ID)
	if len(prev) != 2 || prev[1]["cost_center"] != "CC-1" || next[1]["cost_center"] != "CC-9" {
		t.Errorf("alice's events: previous %v, new %v; want the second from CC-1 to CC-9", prev, next)
	}

	// Changing one mapping emits events only for users whose value
	// changes: everyone's mobile becomes the work number.
	_, changed = f.mapAttrs(dirID,
		directory.AttributeMapping{Key: "cost_center", Source: enterpriseURN + ":costCenter"},
		directory.AttributeMapping{Key: "mobile", Source: `phoneNumbers[type eq "work"].value`},
	)
	if changed != 3 {
		t.Errorf("remapping mobile changed %d users, want 3", changed)
	}
	if d := cmp.Diff(map[string]any{"cost_center": "CC-9", "mobile": "+1 555 0100"}, f.customOf(dirID, alice.ID)); d != "" {
		t.Errorf("alice after remapping (-want +got):\n%s", d)
	}
	// The same mappings again change nothing and emit nothing.
	before := len(f.events(directory.EventQuery{DirectoryID: dirID}))
	if _, changed = f.mapAttrs(dirID,
		directory.AttributeMapping{Key: "mobile", Source: `phoneNumbers[type eq "work"].value`},
		directory.AttributeMapping{Key: "cost_center", Source: enterpriseURN + ":costCenter"},
	); changed != 0 {
		t.Errorf("re-sending the same mappings changed %d users", changed)
	}
	if after := len(f.events(directory.EventQuery{DirectoryID: dirID})); after != before {
		t.Errorf("re-sending the same mappings appended %d events", after-before)
	}
	if v := f.dirNow(dirID).Attributes.Version; v != 2 {
		t.Errorf("version after an unchanged PUT = %d, want 2", v)
	}
	// Removing every mapping empties the values, with events.
	if _, changed = f.mapAttrs(dirID); changed != 3 {
		t.Errorf("removing the mappings changed %d users, want 3", changed)
	}
	if got := f.customOf(dirID, bob.ID); len(got) != 0 {
		t.Errorf("bob after removing the mappings: %v", got)
	}
}

// Entra ID sends custom extension attributes as PATCH paths under its
// tenant's extension URN, without listing the URN in "schemas", and its
// work email through a filtered path.
func testCustomAttributesEntra(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	f.declare(directory.CustomAttribute{Key: "cost_center", Type: directory.AttrString},
		directory.CustomAttribute{Key: "work_email", Type: directory.AttrString},
		directory.CustomAttribute{Key: "level", Type: directory.AttrNumber})
	dirID := f.dir.ID
	f.mapAttrs(dirID,
		directory.AttributeMapping{Key: "cost_center", Source: entraURN + ":CostCenter"},
		directory.AttributeMapping{Key: "work_email", Source: `emails[type eq "work"].value`},
		directory.AttributeMapping{Key: "level", Source: entraURN + ":jobLevel"},
	)
	d := f.dirNow(dirID)
	u, err := f.svc.CreateUser(f.ctx, d, map[string]any{
		"schemas":    []any{"urn:ietf:params:scim:schemas:core:2.0:User", enterpriseURN},
		"externalId": "a1b2", "userName": "dana@contoso.example", "active": true,
		"emails": []any{map[string]any{"primary": true, "type": "work", "value": "dana@contoso.example"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"Add","path":"` + entraURN + `:CostCenter","value":"4711"},
		{"op":"Add","path":"` + entraURN + `:jobLevel","value":"7"},
		{"op":"Replace","path":"emails[type eq \"work\"].value","value":"dana.w@contoso.example"}]}`
	if _, _, err := f.svc.PatchUser(f.ctx, d, u.ID, []byte(body), ""); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"cost_center": "4711", "work_email": "dana.w@contoso.example", "level": 7.0}
	if diff := cmp.Diff(want, f.customOf(dirID, u.ID)); diff != "" {
		t.Errorf("custom attributes after Entra's PATCH (-want +got):\n%s", diff)
	}
	prev, _ := f.customEvents(dirID, u.ID)
	if len(prev) != 1 || prev[0]["cost_center"] != nil || prev[0]["work_email"] != "dana@contoso.example" {
		t.Errorf("previous custom_attributes: %v", prev)
	}
	// The mapping's URN and attribute name match case-insensitively.
	f.mapAttrs(dirID, directory.AttributeMapping{Key: "cost_center", Source: "URN:ietf:params:scim:schemas:extension:8F2C1A7E-CONTOSO:2.0:User:costcenter"})
	if got := f.customOf(dirID, u.ID)["cost_center"]; got != "4711" {
		t.Errorf("case-insensitive source: cost_center = %v", got)
	}
}

// OneLogin's admin-written templates send strings for everything,
// sometimes ones that do not fit: the user is stored, the value is null
// and the reason kept.
func testCustomAttributesOneLogin(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	f.declare(directory.CustomAttribute{Key: "department", Type: directory.AttrString},
		directory.CustomAttribute{Key: "remote", Type: directory.AttrBoolean},
		directory.CustomAttribute{Key: "hired", Type: directory.AttrDateTime},
		directory.CustomAttribute{Key: "seats", Type: directory.AttrNumber})
	dirID := f.dir.ID
	f.mapAttrs(dirID,
		directory.AttributeMapping{Key: "department", Source: enterpriseURN + ":department"},
		directory.AttributeMapping{Key: "remote", Source: oneLoginURN + ":remote"},
		directory.AttributeMapping{Key: "hired", Source: oneLoginURN + ":hireDate"},
		directory.AttributeMapping{Key: "seats", Source: oneLoginURN + ":seats"},
	)
	u, err := f.svc.CreateUser(f.ctx, f.dirNow(dirID), map[string]any{
		"schemas":  []any{"urn:scim:schemas:core:1.0"},
		"userName": "erin@example.com", "id": nil, "meta": map[string]any{"resourceType": "User"},
		enterpriseURN: map[string]any{"department": "Sales"},
		oneLoginURN:   map[string]any{"remote": "sometimes", "hireDate": "last tuesday", "seats": "3"},
	})
	if err != nil {
		t.Fatalf("a user with values of the wrong type must be accepted: %v", err)
	}
	got := f.getUser(dirID, u.ID)
	want := map[string]any{"department": "Sales", "remote": nil, "hired": nil, "seats": json.Number("3")}
	if d := cmp.Diff(want, got.Custom.Values); d != "" {
		t.Errorf("values (-want +got):\n%s", d)
	}
	if len(got.Custom.Errors) != 2 || got.Custom.Errors["remote"] == "" || got.Custom.Errors["hired"] == "" {
		t.Errorf("errors: %v; want reasons for remote and hired", got.Custom.Errors)
	}
}

func testCustomAttributesChunks(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	f.declare(directory.CustomAttribute{Key: "title", Type: directory.AttrString})
	dirID := f.dir.ID
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, f.user(dirID, map[string]any{"userName": string(rune('a'+i)) + "@example.com", "title": "T" + string(rune('0'+i))}).ID)
	}
	typed := []directory.TypedMapping{{Key: "title", Type: directory.AttrString, Source: "title"}}
	v, err := s.PutAttributeMappings(f.ctx, dirID, typed, f.clock.Now())
	if err != nil || v != 1 {
		t.Fatalf("PutAttributeMappings = %d, %v", v, err)
	}
	if n, err := s.PendingAttributeUsers(f.ctx, dirID, v); err != nil || n != 5 {
		t.Errorf("pending = %d, %v; want 5", n, err)
	}
	mapFn := func(m directory.AttributeMap, doc map[string]any) directory.CustomValues {
		return directory.MapAttributes(f.svc.Schemas.User, m, doc)
	}
	var after int64
	var chunks []directory.RemapResult
	for i := 0; i < 10; i++ {
		r, err := s.RemapUsers(f.ctx, dirID, after, 2, mapFn)
		if err != nil {
			t.Fatal(err)
		}
		chunks = append(chunks, r)
		if r.Done {
			break
		}
		after = r.Next
	}
	if len(chunks) != 3 || chunks[0].Changed != 2 || chunks[1].Changed != 2 || chunks[2].Changed != 1 || !chunks[2].Done {
		t.Errorf("chunks: %+v; want 2, 2, 1 changed, the last done", chunks)
	}
	if n, _ := s.PendingAttributeUsers(f.ctx, dirID, v); n != 0 {
		t.Errorf("pending after the chunks = %d", n)
	}
	for i, id := range ids {
		if got := f.customOf(dirID, id)["title"]; got != "T"+string(rune('0'+i)) {
			t.Errorf("user %d title = %v", i, got)
		}
	}
	// Gapless sequences across the chunks.
	es := f.events(directory.EventQuery{DirectoryID: dirID})
	for i := 1; i < len(es); i++ {
		if es[i].Sequence != es[i-1].Sequence+1 {
			t.Errorf("event %d has sequence %d after %d", i, es[i].Sequence, es[i-1].Sequence)
		}
	}
	if _, err := s.RemapUsers(f.ctx, "dir_nope", 0, 2, mapFn); !directory.IsNotFound(err) {
		t.Errorf("RemapUsers on an unknown directory: %v", err)
	}
}

// A write authenticated before a mapping change (its directory carries the
// old version) is re-mapped with the current mappings when it commits.
func testCustomAttributesStaleWriter(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	f.declare(directory.CustomAttribute{Key: "nick", Type: directory.AttrString})
	dirID := f.dir.ID
	stale := f.dirNow(dirID)
	f.mapAttrs(dirID, directory.AttributeMapping{Key: "nick", Source: "nickName"})
	u, err := f.svc.CreateUser(f.ctx, stale, map[string]any{"userName": "f@example.com", "nickName": "Eff"})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.getUser(dirID, u.ID); got.Custom.Values["nick"] != "Eff" || got.AttrVersion != 1 {
		t.Errorf("created with a stale directory: %+v, version %d", got.Custom, got.AttrVersion)
	}
	body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"nickName","value":"Effie"}]}`
	if _, _, err := f.svc.PatchUser(f.ctx, stale, u.ID, []byte(body), ""); err != nil {
		t.Fatal(err)
	}
	if got := f.getUser(dirID, u.ID); got.Custom.Values["nick"] != "Effie" {
		t.Errorf("patched with a stale directory: %+v", got.Custom)
	}
	prev, next := f.customEvents(dirID, u.ID)
	if len(prev) != 1 || prev[0]["nick"] != "Eff" || next[0]["nick"] != "Effie" {
		t.Errorf("events: previous %v, new %v", prev, next)
	}
}

// A mapping change its PUT did not finish (here: saved through the store
// only, as if the process stopped) is finished by the background job once
// the PUT's time is over, and marked applied.
func testCustomAttributesBackground(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	f.declare(directory.CustomAttribute{Key: "title", Type: directory.AttrString})
	other := f.newDir()
	var ids []string
	for i := 0; i < 3; i++ {
		ids = append(ids, f.user(f.dir.ID, map[string]any{"userName": string(rune('a'+i)) + "@example.com", "title": "Boss"}).ID)
	}
	typed := []directory.TypedMapping{{Key: "title", Type: directory.AttrString, Source: "title"}}
	if _, err := s.PutAttributeMappings(f.ctx, f.dir.ID, typed, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if n, err := f.svc.ApplyPendingAttributes(f.ctx); err != nil || n != 0 {
		t.Errorf("right after the change: ApplyPendingAttributes = %d, %v; want it left to its PUT", n, err)
	}
	for i := 0; i < 20; i++ {
		f.clock.Now()
	}
	got, err := s.AttributeDirectoriesToApply(f.ctx, f.clock.Now(), 10)
	if err != nil || len(got) != 1 || got[0] != f.dir.ID {
		t.Errorf("AttributeDirectoriesToApply = %v, %v; want [%s] (not %s)", got, err, f.dir.ID, other.ID)
	}
	if n, err := f.svc.ApplyPendingAttributes(f.ctx); err != nil || n != 3 {
		t.Errorf("ApplyPendingAttributes = %d, %v; want 3 users changed", n, err)
	}
	if got := f.customOf(f.dir.ID, ids[2])["title"]; got != "Boss" {
		t.Errorf("title after the background job: %v", got)
	}
	if got, err := s.AttributeDirectoriesToApply(f.ctx, f.clock.Now(), 10); err != nil || len(got) != 0 {
		t.Errorf("after applying: %v, %v; want none", got, err)
	}
	if n, err := f.svc.ApplyPendingAttributes(f.ctx); err != nil || n != 0 {
		t.Errorf("again: %d, %v", n, err)
	}
	if err := s.MarkAttributesApplied(f.ctx, "dir_nope", 1); err != nil {
		t.Errorf("MarkAttributesApplied on a deleted directory: %v", err)
	}
}
