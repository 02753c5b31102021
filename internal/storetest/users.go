package storetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

func userTests() []subtest {
	return []subtest{
		{"User/CreateGet", testUserCreateGet},
		{"User/CreateUnknownDirectory", testUserCreateUnknownDirectory},
		{"User/NotFound", testUserNotFound},
		{"User/TenantIsolation", testUserTenantIsolation},
		{"User/UserNameUniqueCaseInsensitive", testUserNameUnique},
		{"User/SameUserNameInTwoDirectories", testUserNameTwoDirectories},
		{"User/RenameIntoTakenName", testUserRenameTaken},
		{"User/RenameChangingCaseOnly", testUserRenameCase},
		{"User/UpdateIncrementsVersion", testUserUpdateVersion},
		{"User/UpdateUnchangedWritesNothing", testUserUpdateUnchanged},
		{"User/UpdateErrorRollsBack", testUserUpdateError},
		{"User/UpdateReturnsGroups", testUserUpdateGroups},
		{"User/Delete", testUserDelete},
		{"User/DeleteRemovesMemberships", testUserDeleteMemberships},
		{"User/DeletePreconditionInTransaction", testDeletePrecondition},
		{"User/DeletedUserNameReusable", testUserNameReusable},
	}
}

func testUserCreateGet(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	u := f.user(f.dir.ID, map[string]any{
		"userName":    "Alice@Example.com",
		"externalId":  "00u1AbC",
		"displayName": "Alice Liddell",
		"name":        map[string]any{"givenName": "Alice", "familyName": "Liddell"},
		"emails": []any{
			map[string]any{"value": "Alice@Example.com", "type": "work", "primary": true},
			map[string]any{"value": "alice@home.example", "type": "home"},
		},
		"active": false,
		schema.EnterpriseUserURN: map[string]any{
			"employeeNumber": "1001",
			"manager":        map[string]any{"value": "diruser_boss"},
		},
	})
	if u.Version != 1 || u.UserName != "Alice@Example.com" || u.ExternalID != "00u1AbC" || u.Active {
		t.Fatalf("Service.CreateUser built %+v", u)
	}
	got := f.getUser(f.dir.ID, u.ID)
	if d := diff(u, got); d != "" {
		t.Errorf("GetUser mismatch (-want +got):\n%s", d)
	}
	// userName keeps its spelling; only comparisons fold case.
	if got.UserName != "Alice@Example.com" {
		t.Errorf("UserName = %q, want the spelling it was created with", got.UserName)
	}
	if got.CreatedAt.Location() != timeUTC || got.UpdatedAt.Location() != timeUTC {
		t.Errorf("times are not in UTC: %v, %v", got.CreatedAt, got.UpdatedAt)
	}
}

func testUserCreateUnknownDirectory(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	u := directory.User{ID: "diruser_1", DirectoryID: "dir_missing", UserName: "a", Active: true,
		Doc: schema.Resource{"userName": "a", "active": true}, Version: 1, CreatedAt: ts(1), UpdatedAt: ts(1)}
	err := s.CreateUser(f.ctx, u)
	wantNotFound(t, err, "CreateUser in an unknown directory")
}

func testUserNotFound(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	_, err := s.GetUser(f.ctx, f.dir.ID, "diruser_missing")
	wantNotFound(t, err, "GetUser of an unknown id")
	_, _, err = s.UpdateUser(f.ctx, f.dir.ID, "diruser_missing", f.clock.Now(), func(*directory.User) (bool, error) {
		t.Errorf("UpdateUser called fn for a user that does not exist")
		return true, nil
	})
	wantNotFound(t, err, "UpdateUser of an unknown id")
	wantNotFound(t, s.DeleteUser(f.ctx, f.dir.ID, "diruser_missing", nil), "DeleteUser of an unknown id")
}

// testUserTenantIsolation: a directory never sees or touches another
// directory's users, even knowing their ids.
func testUserTenantIsolation(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	other := f.newDir()
	theirs := f.userNamed(other.ID, "victim@x.com")
	mine := f.userNamed(f.dir.ID, "me@x.com")
	g := f.group(f.dir.ID, "mine")

	_, err := s.GetUser(f.ctx, f.dir.ID, theirs.ID)
	wantNotFound(t, err, "GetUser with another directory's user id")
	_, _, err = s.UpdateUser(f.ctx, f.dir.ID, theirs.ID, f.clock.Now(), func(u *directory.User) (bool, error) {
		t.Errorf("UpdateUser called fn with another directory's user")
		u.Doc["title"] = "pwned"
		return true, nil
	})
	wantNotFound(t, err, "UpdateUser with another directory's user id")
	wantNotFound(t, s.DeleteUser(f.ctx, f.dir.ID, theirs.ID, nil), "DeleteUser with another directory's user id")
	if got := f.getUser(other.ID, theirs.ID); got.Version != 1 {
		t.Errorf("another directory's user changed: %+v", got)
	}
	// Nor can it be made a member of one of our groups.
	_, unknown := f.updateGroup(f.dir.ID, g.ID, directory.MemberChange{Kind: directory.AddMembers, IDs: []string{theirs.ID, mine.ID}})
	if d := diff([]string{theirs.ID}, unknown); d != "" {
		t.Errorf("adding another directory's user: unknown ids (-want +got):\n%s", d)
	}
	if d := diff([]string{mine.ID}, f.memberIDs(f.dir.ID, g.ID)); d != "" {
		t.Errorf("members (-want +got):\n%s", d)
	}
	// Lists and membership lookups stay inside the directory.
	if p := f.listUsers(f.dir.ID, ""); p.Total != 1 || len(p.Users) != 1 || p.Users[0].ID != mine.ID {
		t.Errorf("ListUsers = %+v, want only %s", p, mine.ID)
	}
	ug, err := s.UserGroups(f.ctx, other.ID, []string{mine.ID, theirs.ID})
	if err != nil {
		t.Fatalf("UserGroups: %v", err)
	}
	if len(ug) != 0 {
		t.Errorf("UserGroups(other directory, [my user]) = %v, want none", ug)
	}
}

func testUserNameUnique(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	first := f.userNamed(f.dir.ID, "Alice@X.com")
	for _, name := range []string{"Alice@X.com", "alice@x.com", "ALICE@X.COM"} {
		_, err := f.svc.CreateUser(f.ctx, f.dir, map[string]any{"userName": name})
		wantUniqueness(t, err, "userName", "CreateUser "+name+" next to Alice@X.com")
	}
	p := f.listUsers(f.dir.ID, "")
	if p.Total != 1 || len(p.Users) != 1 || p.Users[0].ID != first.ID {
		t.Errorf("after rejected duplicates ListUsers = %+v, want only the first user", p)
	}
	// Unicode lower-casing counts too.
	f.userNamed(f.dir.ID, "ÉLODIE@exemple.fr")
	_, err := f.svc.CreateUser(f.ctx, f.dir, map[string]any{"userName": "élodie@EXEMPLE.FR"})
	wantUniqueness(t, err, "userName", "CreateUser élodie@EXEMPLE.FR next to ÉLODIE@exemple.fr")
}

func testUserNameTwoDirectories(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	other := f.newDir()
	a := f.userNamed(f.dir.ID, "alice@x.com")
	b := f.userNamed(other.ID, "ALICE@x.com")
	if a.ID == b.ID {
		t.Fatalf("two users share an id")
	}
	f.getUser(f.dir.ID, a.ID)
	f.getUser(other.ID, b.ID)
	// Groups: displayName is unique per directory too.
	f.group(f.dir.ID, "Engineering")
	f.group(other.ID, "engineering")
}

func renameTo(name string) func(*directory.User) (bool, error) {
	return func(u *directory.User) (bool, error) {
		u.UserName = name
		u.Doc["userName"] = name
		return true, nil
	}
}

func testUserRenameTaken(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	f.userNamed(f.dir.ID, "alice@x.com")
	bob := f.userNamed(f.dir.ID, "bob@x.com")
	_, _, err := s.UpdateUser(f.ctx, f.dir.ID, bob.ID, f.clock.Now(), renameTo("ALICE@x.com"))
	wantUniqueness(t, err, "userName", "renaming bob to ALICE@x.com")
	got := f.getUser(f.dir.ID, bob.ID)
	if d := diff(bob, got); d != "" {
		t.Errorf("a rejected rename changed the user (-want +got):\n%s", d)
	}
	// The name is still free for a user of another directory.
	other := f.newDir()
	carol := f.userNamed(other.ID, "carol@x.com")
	if _, _, err := s.UpdateUser(f.ctx, other.ID, carol.ID, f.clock.Now(), renameTo("Alice@X.com")); err != nil {
		t.Errorf("renaming into a name taken only in another directory: %v", err)
	}
}

func testUserRenameCase(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	u := f.userNamed(f.dir.ID, "alice@x.com")
	got, _, err := s.UpdateUser(f.ctx, f.dir.ID, u.ID, f.clock.Now(), renameTo("Alice@X.com"))
	if err != nil {
		t.Fatalf("changing the case of a user's own userName: %v", err)
	}
	if got.UserName != "Alice@X.com" || got.Version != 2 {
		t.Errorf("after rename: %+v", got)
	}
	if got := f.getUser(f.dir.ID, u.ID); got.UserName != "Alice@X.com" {
		t.Errorf("stored UserName = %q", got.UserName)
	}
	// The old spelling still finds it: userName filters fold case.
	if p := f.listUsers(f.dir.ID, `userName eq "alice@x.com"`); p.Total != 1 {
		t.Errorf("userName eq after rename: total %d", p.Total)
	}
}

func testUserUpdateVersion(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	u := f.userNamed(f.dir.ID, "alice@x.com")
	for i := 2; i <= 4; i++ {
		now := f.clock.Now()
		var calls int
		got, _, err := s.UpdateUser(f.ctx, f.dir.ID, u.ID, now, func(u *directory.User) (bool, error) {
			calls++
			u.Doc["title"] = "title " + string(rune('0'+i))
			u.ExternalID = "ext-" + string(rune('0'+i))
			u.Doc["externalId"] = u.ExternalID
			u.Active = i%2 == 0
			u.Doc["active"] = u.Active
			return true, nil
		})
		if err != nil {
			t.Fatalf("UpdateUser: %v", err)
		}
		if calls == 0 {
			t.Fatalf("UpdateUser did not call fn")
		}
		if got.Version != int64(i) {
			t.Errorf("Version = %d, want %d", got.Version, i)
		}
		if !got.UpdatedAt.Equal(now) {
			t.Errorf("UpdatedAt = %v, want now %v", got.UpdatedAt, now)
		}
		if !got.CreatedAt.Equal(u.CreatedAt) {
			t.Errorf("CreatedAt changed: %v, want %v", got.CreatedAt, u.CreatedAt)
		}
		stored := f.getUser(f.dir.ID, u.ID)
		if d := diff(got, stored); d != "" {
			t.Errorf("UpdateUser returned something else than it stored (-returned +stored):\n%s", d)
		}
	}
	// The indexed copies follow: externalId and active filters see the update.
	if p := f.listUsers(f.dir.ID, `externalId eq "ext-4" and active eq true`); p.Total != 1 {
		t.Errorf("filters after update: total %d, want 1", p.Total)
	}
	if p := f.listUsers(f.dir.ID, `title eq "TITLE 4"`); p.Total != 1 {
		t.Errorf("filters after update: total %d, want 1", p.Total)
	}
}

func testUserUpdateUnchanged(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	u := f.user(f.dir.ID, map[string]any{"userName": "alice@x.com", "title": "Engineer"})
	got, _, err := s.UpdateUser(f.ctx, f.dir.ID, u.ID, f.clock.Now(), func(*directory.User) (bool, error) {
		return false, nil
	})
	if err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	if d := diff(u, got); d != "" {
		t.Errorf("UpdateUser without change returned (-want +got):\n%s", d)
	}
	// Even a fn that touched its copy but reports no change writes nothing.
	_, _, err = s.UpdateUser(f.ctx, f.dir.ID, u.ID, f.clock.Now(), func(u *directory.User) (bool, error) {
		u.Doc["title"] = "Changed"
		u.Version = 99
		return false, nil
	})
	if err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	if d := diff(u, f.getUser(f.dir.ID, u.ID)); d != "" {
		t.Errorf("UpdateUser with changed=false wrote (-want +got):\n%s", d)
	}
}

var errSentinel = errors.New("storetest: fn refuses")

func testUserUpdateError(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	u := f.user(f.dir.ID, map[string]any{"userName": "alice@x.com", "title": "Engineer"})
	_, _, err := s.UpdateUser(f.ctx, f.dir.ID, u.ID, f.clock.Now(), func(u *directory.User) (bool, error) {
		u.Doc["title"] = "Changed"
		u.UserName = "mallory@x.com"
		return true, errSentinel
	})
	if err != errSentinel {
		t.Errorf("UpdateUser returned %v (%T), want fn's error as is", err, err)
	}
	if d := diff(u, f.getUser(f.dir.ID, u.ID)); d != "" {
		t.Errorf("UpdateUser whose fn failed wrote (-want +got):\n%s", d)
	}
	// A domain error from fn (an If-Match failure) comes back as is, too.
	pre := &directory.Error{Kind: directory.KindPrecondition, Message: "version mismatch"}
	_, _, err = s.UpdateUser(f.ctx, f.dir.ID, u.ID, f.clock.Now(), func(*directory.User) (bool, error) { return false, pre })
	if err != pre {
		t.Errorf("UpdateUser returned %v, want fn's *directory.Error as is", err)
	}
	// The store still works afterwards.
	if _, _, err := s.UpdateUser(f.ctx, f.dir.ID, u.ID, f.clock.Now(), renameTo("alice2@x.com")); err != nil {
		t.Fatalf("UpdateUser after a failed one: %v", err)
	}
}

func testUserDelete(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	a := f.userNamed(f.dir.ID, "alice@x.com")
	b := f.userNamed(f.dir.ID, "bob@x.com")
	if err := s.DeleteUser(f.ctx, f.dir.ID, a.ID, nil); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, err := s.GetUser(f.ctx, f.dir.ID, a.ID)
	wantNotFound(t, err, "GetUser of a deleted user")
	wantNotFound(t, s.DeleteUser(f.ctx, f.dir.ID, a.ID, nil), "DeleteUser of a deleted user")
	p := f.listUsers(f.dir.ID, "")
	if d := diff([]string{b.ID}, userIDs(p.Users)); d != "" || p.Total != 1 {
		t.Errorf("ListUsers after delete: total %d (-want +got):\n%s", p.Total, d)
	}
}

func testUserDeleteMemberships(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	a := f.userNamed(f.dir.ID, "alice@x.com")
	b := f.userNamed(f.dir.ID, "bob@x.com")
	g1 := f.group(f.dir.ID, "g1", a.ID, b.ID)
	g2 := f.group(f.dir.ID, "g2", a.ID)
	if err := s.DeleteUser(f.ctx, f.dir.ID, a.ID, nil); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if d := diff([]string{b.ID}, f.memberIDs(f.dir.ID, g1.ID)); d != "" {
		t.Errorf("g1 members after deleting alice (-want +got):\n%s", d)
	}
	if got := f.memberIDs(f.dir.ID, g2.ID); len(got) != 0 {
		t.Errorf("g2 members after deleting its only member: %v", got)
	}
	ug, err := s.UserGroups(f.ctx, f.dir.ID, []string{a.ID, b.ID})
	if err != nil {
		t.Fatalf("UserGroups: %v", err)
	}
	want := map[string][]directory.GroupRef{b.ID: {{ID: g1.ID, DisplayName: "g1"}}}
	if d := diff(want, ug); d != "" {
		t.Errorf("UserGroups after delete (-want +got):\n%s", d)
	}
	if p := f.listGroups(f.dir.ID, `members.value eq "`+a.ID+`"`); p.Total != 0 {
		t.Errorf("a deleted user is still found as a member by filters")
	}
}

func testUserNameReusable(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	a := f.userNamed(f.dir.ID, "alice@x.com")
	if err := s.DeleteUser(f.ctx, f.dir.ID, a.ID, nil); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	b := f.userNamed(f.dir.ID, "Alice@X.com")
	if b.ID == a.ID {
		t.Fatalf("ids were reused")
	}
	g := f.group(f.dir.ID, "Team")
	if err := s.DeleteGroup(f.ctx, f.dir.ID, g.ID, nil); err != nil {
		t.Fatalf("DeleteGroup: %v", err)
	}
	f.group(f.dir.ID, "team")
}

// testDeletePrecondition: the check a delete is given sees the current
// version, and an error from it leaves the user or group (and its events)
// as they were.
func testDeletePrecondition(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	a := f.userNamed(f.dir.ID, "alice@x.com")
	g := f.group(f.dir.ID, "g1", a.ID)
	refuse := errors.New("precondition failed")
	var seen []int64
	check := func(v int64) error { seen = append(seen, v); return refuse }
	if err := s.DeleteUser(f.ctx, f.dir.ID, a.ID, check); !errors.Is(err, refuse) {
		t.Errorf("DeleteUser with a failing check: %v, want the check's error", err)
	}
	if err := s.DeleteGroup(f.ctx, f.dir.ID, g.ID, check); !errors.Is(err, refuse) {
		t.Errorf("DeleteGroup with a failing check: %v, want the check's error", err)
	}
	if want := []int64{a.Version, g.Version}; !equalInts(seen, want) {
		t.Errorf("check saw versions %v, want %v", seen, want)
	}
	if _, err := s.GetUser(f.ctx, f.dir.ID, a.ID); err != nil {
		t.Errorf("user after a refused delete: %v", err)
	}
	if got := f.memberIDs(f.dir.ID, g.ID); len(got) != 1 || got[0] != a.ID {
		t.Errorf("group members after refused deletes: %v", got)
	}
	pass := func(int64) error { return nil }
	if err := s.DeleteUser(f.ctx, f.dir.ID, a.ID, pass); err != nil {
		t.Errorf("DeleteUser with a passing check: %v", err)
	}
	if err := s.DeleteGroup(f.ctx, f.dir.ID, g.ID, pass); err != nil {
		t.Errorf("DeleteGroup with a passing check: %v", err)
	}
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// testUserUpdateGroups: UpdateUser returns the user's groups (what a PUT
// or PATCH response shows, RFC 7643 §4.1.2), in the order UserGroups
// gives them, whether or not anything changed.
func testUserUpdateGroups(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	u := f.userNamed(f.dir.ID, "alice@x.com")
	lone := f.userNamed(f.dir.ID, "bob@x.com")
	b := f.group(f.dir.ID, "Beta", u.ID)
	a := f.group(f.dir.ID, "Alpha", u.ID)
	f.group(f.dir.ID, "Other", lone.ID)
	want := []directory.GroupRef{{ID: b.ID, DisplayName: "Beta"}, {ID: a.ID, DisplayName: "Alpha"}}
	if got, err := s.UserGroups(f.ctx, f.dir.ID, []string{u.ID}); err != nil || !slices.Equal(got[u.ID], want) {
		t.Fatalf("UserGroups = %v, %v; want %v", got[u.ID], err, want)
	}
	for _, tc := range []struct {
		name string
		fn   func(*directory.User) (bool, error)
	}{
		{"changed", renameTo("alice2@x.com")},
		{"unchanged", func(*directory.User) (bool, error) { return false, nil }},
	} {
		got, groups, err := s.UpdateUser(f.ctx, f.dir.ID, u.ID, f.clock.Now(), tc.fn)
		if err != nil || got.ID != u.ID {
			t.Fatalf("%s: UpdateUser = %s, %v", tc.name, got.ID, err)
		}
		if !slices.Equal(groups, want) {
			t.Errorf("%s: groups %v, want %v", tc.name, groups, want)
		}
	}
	if _, groups, err := s.UpdateUser(f.ctx, f.dir.ID, lone.ID, f.clock.Now(), renameTo("bob2@x.com")); err != nil || len(groups) != 1 || groups[0].DisplayName != "Other" {
		t.Errorf("bob: groups %v, %v; want [Other]", groups, err)
	}
	nobody := f.userNamed(f.dir.ID, "carol@x.com")
	if _, groups, err := s.UpdateUser(f.ctx, f.dir.ID, nobody.ID, f.clock.Now(), renameTo("carol2@x.com")); err != nil || len(groups) != 0 {
		t.Errorf("carol: groups %v, %v; want none", groups, err)
	}
}
