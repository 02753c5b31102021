package directory

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// jsonMembers must name every member of UserRecord's encoding, in order,
// with omitempty where the struct's tags have it.
func TestUserRecordJSONMembers(t *testing.T) {
	s := "x"
	full := UserRecord{Object: "o", ID: "i", DirectoryID: "d", OrganizationID: "g", UserName: "u", Email: &s, FirstName: &s,
		LastName: &s, DisplayName: &s, Active: true, ExternalID: &s, Title: &s, Department: &s, EmployeeNumber: &s,
		ManagerID: &s, Groups: []GroupBrief{{ID: "g"}}, CreatedAt: &s, UpdatedAt: &s, CustomAttributes: map[string]any{"a": 1},
		Roles: []string{"r"}, Role: "r", RawAttributes: json.RawMessage(`{}`), Diverged: true}
	var zero UserRecord
	typ := reflect.TypeFor[UserRecord]()
	zm, fm := zero.jsonMembers(), full.jsonMembers()
	if len(zm) != typ.NumField() {
		t.Fatalf("jsonMembers lists %d members, UserRecord has %d fields", len(zm), typ.NumField())
	}
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if zm[i].name != name {
			t.Errorf("member %d is %q, field %s is encoded as %q", i, zm[i].name, f.Name, name)
		}
		if omit := strings.Contains(opts, "omitempty"); zm[i].omitted != omit {
			t.Errorf("%s: omitted %v when empty, the tag says omitempty %v", name, zm[i].omitted, omit)
		}
		if fm[i].omitted {
			t.Errorf("%s: omitted when set", name)
		}
		if !reflect.DeepEqual(fm[i].value, reflect.ValueOf(full).Field(i).Interface()) {
			t.Errorf("%s: value %v is not field %s", name, fm[i].value, f.Name)
		}
	}
}

// previousUserFields returns what comparing the encoded records returns.
func TestPreviousUserFieldsMatchesEncoding(t *testing.T) {
	a, b := "a", "b"
	base := UserRecord{Object: "directory_user", ID: "diruser_a", DirectoryID: "dir_1", OrganizationID: "org_1", UserName: "alice",
		Email: &a, Active: true, CustomAttributes: map[string]any{}, Roles: []string{"member"}, Role: "member"}
	changes := []func(*UserRecord){
		func(r *UserRecord) {},
		func(r *UserRecord) { r.UserName = "bob" },
		func(r *UserRecord) { r.Email = nil },
		func(r *UserRecord) { r.Email = &b },
		func(r *UserRecord) { a2 := "a"; r.Email = &a2 },
		func(r *UserRecord) { r.DisplayName = &b },
		func(r *UserRecord) { r.Active = false },
		func(r *UserRecord) { r.Title, r.Department, r.ManagerID = &a, &b, &a },
		func(r *UserRecord) { r.Groups = []GroupBrief{{ID: "g", Name: "G"}} },
		func(r *UserRecord) { r.UpdatedAt, r.CreatedAt = &a, &b },
		func(r *UserRecord) { r.CustomAttributes = nil },
		func(r *UserRecord) { r.CustomAttributes = map[string]any{"n": json.Number("1")} },
		func(r *UserRecord) { r.CustomAttributes = map[string]any{"n": float64(1)} },
		func(r *UserRecord) { r.CustomAttributes = map[string]any{"n": "<&>"} },
		func(r *UserRecord) { r.Roles, r.Role = nil, "" },
		func(r *UserRecord) { r.Roles = []string{} },
		func(r *UserRecord) { r.Roles, r.Role = []string{"admin", "member"}, "admin" },
		func(r *UserRecord) { r.RawAttributes = json.RawMessage(`{"userName": "alice"}`) },
		func(r *UserRecord) { r.Diverged = true },
	}
	for i, ci := range changes {
		for j, cj := range changes {
			before, after := base, base
			before.CustomAttributes = map[string]any{}
			ci(&before)
			cj(&after)
			want, err := previousFields(before, after)
			if err != nil {
				t.Fatal(err)
			}
			got, err := previousUserFields(&before, &after)
			if err != nil {
				t.Fatal(err)
			}
			wj, _ := json.Marshal(want)
			gj, _ := json.Marshal(got)
			if string(wj) != string(gj) {
				t.Errorf("changes %d → %d: got %s, want %s", i, j, gj, wj)
			}
		}
	}
}
