package storetest

import (
	"testing"

	"github.com/scimbridge/scimbridge/internal/directory"
)

func groupTests() []subtest {
	return []subtest{
		{"Group/CreateGet", testGroupCreateGet},
		{"Group/CreateWithMembers", testGroupCreateWithMembers},
		{"Group/NotFound", testGroupNotFound},
		{"Group/TenantIsolation", testGroupTenantIsolation},
		{"Group/DisplayNameUniqueCaseInsensitive", testGroupDisplayNameUnique},
		{"Group/UpdateDocument", testGroupUpdateDocument},
		{"Group/AddMembers", testGroupAddMembers},
		{"Group/RemoveMembers", testGroupRemoveMembers},
		{"Group/ReplaceMembers", testGroupReplaceMembers},
		{"Group/MemberChangesInOrder", testGroupChangesInOrder},
		{"Group/UpdateErrorRollsBack", testGroupUpdateError},
		{"Group/NestedGroups", testGroupNested},
		{"Group/ListMembersPagination", testGroupListMembersPagination},
		{"Group/MembersOf", testGroupMembersOf},
		{"Group/UserGroups", testGroupUserGroups},
		{"Group/Delete", testGroupDelete},
	}
}

func add(ids ...string) directory.MemberChange {
	return directory.MemberChange{Kind: directory.AddMembers, IDs: ids}
}
func remove(ids ...string) directory.MemberChange {
	return directory.MemberChange{Kind: directory.RemoveMembers, IDs: ids}
}
func replace(ids ...string) directory.MemberChange {
	return directory.MemberChange{Kind: directory.ReplaceMembers, IDs: ids}
}

func testGroupCreateGet(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	g, err := f.svc.CreateGroup(f.ctx, f.dir, map[string]any{"displayName": "Engineering", "externalId": "00gAbC"})
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	got := f.getGroup(f.dir.ID, g.ID)
	if d := diff(g, got); d != "" {
		t.Errorf("GetGroup mismatch (-want +got):\n%s", d)
	}
	if got.DisplayName != "Engineering" || got.ExternalID != "00gAbC" || got.Version != 1 {
		t.Errorf("GetGroup = %+v", got)
	}
	if ms := f.members(f.dir.ID, g.ID); len(ms) != 0 {
		t.Errorf("a group created without members has members %v", ms)
	}
}

func testGroupCreateWithMembers(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	other := f.newDir()
	alice := f.user(f.dir.ID, map[string]any{"userName": "alice@x.com", "displayName": "Alice L."})
	bob := f.userNamed(f.dir.ID, "bob@x.com")
	child := f.group(f.dir.ID, "Child")
	stranger := f.userNamed(other.ID, "stranger@x.com")
	g := directory.Group{ID: "dirgroup_parent", DirectoryID: f.dir.ID, DisplayName: "Parent",
		Doc: map[string]any{"displayName": "Parent"}, Version: 1, CreatedAt: f.clock.Now()}
	g.UpdatedAt = g.CreatedAt
	// Unknown ids, another directory's user, the group itself and a
	// duplicate are all in the list.
	unknown, err := s.CreateGroup(f.ctx, g, []string{bob.ID, "diruser_missing", child.ID, alice.ID, stranger.ID, g.ID, bob.ID})
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	if d := diff(sorted([]string{"diruser_missing", stranger.ID}), sorted(unknown)); d != "" {
		t.Errorf("unknown members (-want +got):\n%s", d)
	}
	// Users first in creation order, then groups; display is displayName,
	// else userName, for users and displayName for groups.
	want := []directory.Member{
		{ID: alice.ID, Type: directory.MemberUser, Display: "Alice L."},
		{ID: bob.ID, Type: directory.MemberUser, Display: "bob@x.com"},
		{ID: child.ID, Type: directory.MemberGroup, Display: "Child"},
	}
	if d := diff(want, f.members(f.dir.ID, g.ID)); d != "" {
		t.Errorf("ListMembers (-want +got):\n%s", d)
	}
	if got := f.getGroup(f.dir.ID, g.ID); got.Version != 1 {
		t.Errorf("Version = %d after create, want 1", got.Version)
	}
	// All members known: nothing unknown.
	g2 := g
	g2.ID, g2.DisplayName, g2.Doc = "dirgroup_two", "Two", map[string]any{"displayName": "Two"}
	unknown, err = s.CreateGroup(f.ctx, g2, []string{alice.ID, child.ID})
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	if len(unknown) != 0 {
		t.Errorf("unknown = %v, want none", unknown)
	}
}

func testGroupNotFound(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	_, err := s.GetGroup(f.ctx, f.dir.ID, "dirgroup_missing")
	wantNotFound(t, err, "GetGroup of an unknown id")
	_, _, err = s.UpdateGroup(f.ctx, f.dir.ID, "dirgroup_missing", f.clock.Now(), func(*directory.Group) (bool, []directory.MemberChange, error) {
		t.Errorf("UpdateGroup called fn for a group that does not exist")
		return true, nil, nil
	})
	wantNotFound(t, err, "UpdateGroup of an unknown id")
	wantNotFound(t, s.DeleteGroup(f.ctx, f.dir.ID, "dirgroup_missing", nil), "DeleteGroup of an unknown id")
	_, err = s.ListMembers(f.ctx, f.dir.ID, "dirgroup_missing", "", 0)
	wantNotFound(t, err, "ListMembers of an unknown group")
	_, err = s.CreateGroup(f.ctx, directory.Group{ID: "dirgroup_x", DirectoryID: "dir_missing", DisplayName: "x", Doc: map[string]any{"displayName": "x"}, Version: 1, CreatedAt: ts(1), UpdatedAt: ts(1)}, nil)
	wantNotFound(t, err, "CreateGroup in an unknown directory")
}

func testGroupTenantIsolation(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	other := f.newDir()
	victim := f.userNamed(other.ID, "victim@x.com")
	theirs := f.group(other.ID, "Theirs", victim.ID)
	mine := f.group(f.dir.ID, "Mine")

	_, err := s.GetGroup(f.ctx, f.dir.ID, theirs.ID)
	wantNotFound(t, err, "GetGroup with another directory's group id")
	_, _, err = s.UpdateGroup(f.ctx, f.dir.ID, theirs.ID, f.clock.Now(), func(*directory.Group) (bool, []directory.MemberChange, error) {
		t.Errorf("UpdateGroup called fn with another directory's group")
		return true, []directory.MemberChange{replace()}, nil
	})
	wantNotFound(t, err, "UpdateGroup with another directory's group id")
	wantNotFound(t, s.DeleteGroup(f.ctx, f.dir.ID, theirs.ID, nil), "DeleteGroup with another directory's group id")
	_, err = s.ListMembers(f.ctx, f.dir.ID, theirs.ID, "", 0)
	wantNotFound(t, err, "ListMembers with another directory's group id")
	// Their group cannot be nested into ours.
	_, unknown := f.updateGroup(f.dir.ID, mine.ID, add(theirs.ID))
	if d := diff([]string{theirs.ID}, unknown); d != "" {
		t.Errorf("adding another directory's group (-want unknown +got):\n%s", d)
	}
	ms, err := s.MembersOf(f.ctx, f.dir.ID, []string{theirs.ID, mine.ID})
	if err != nil {
		t.Fatalf("MembersOf: %v", err)
	}
	if len(ms) != 0 {
		t.Errorf("MembersOf(my directory, [their group]) = %v, want none", ms)
	}
	if d := diff([]string{victim.ID}, f.memberIDs(other.ID, theirs.ID)); d != "" {
		t.Errorf("their group changed (-want +got):\n%s", d)
	}
	if p := f.listGroups(f.dir.ID, ""); p.Total != 1 || p.Groups[0].ID != mine.ID {
		t.Errorf("ListGroups = %+v, want only mine", p)
	}
}

func testGroupDisplayNameUnique(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	f.group(f.dir.ID, "Engineering")
	for _, name := range []string{"Engineering", "engineering", "ENGINEERING"} {
		_, err := f.svc.CreateGroup(f.ctx, f.dir, map[string]any{"displayName": name})
		wantUniqueness(t, err, "displayName", "CreateGroup "+name+" next to Engineering")
	}
	if p := f.listGroups(f.dir.ID, ""); p.Total != 1 {
		t.Errorf("after rejected duplicates: %d groups", p.Total)
	}
	sales := f.group(f.dir.ID, "Sales")
	u := f.userNamed(f.dir.ID, "alice@x.com")
	_, _, err := s.UpdateGroup(f.ctx, f.dir.ID, sales.ID, f.clock.Now(), func(g *directory.Group) (bool, []directory.MemberChange, error) {
		g.DisplayName = "engineering"
		g.Doc["displayName"] = "engineering"
		return true, []directory.MemberChange{add(u.ID)}, nil
	})
	wantUniqueness(t, err, "displayName", "renaming Sales to engineering")
	if d := diff(sales, f.getGroup(f.dir.ID, sales.ID)); d != "" {
		t.Errorf("a rejected rename changed the group (-want +got):\n%s", d)
	}
	if ms := f.memberIDs(f.dir.ID, sales.ID); len(ms) != 0 {
		t.Errorf("a rejected rename kept its member changes: %v", ms)
	}
	// Changing only the case of its own name is fine.
	g, _, err := s.UpdateGroup(f.ctx, f.dir.ID, sales.ID, f.clock.Now(), func(g *directory.Group) (bool, []directory.MemberChange, error) {
		g.DisplayName = "SALES"
		g.Doc["displayName"] = "SALES"
		return true, nil, nil
	})
	if err != nil || g.DisplayName != "SALES" || g.Version != 2 {
		t.Errorf("renaming Sales to SALES: %+v, %v", g, err)
	}
}

func testGroupUpdateDocument(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	g := f.group(f.dir.ID, "Engineering")
	now := f.clock.Now()
	got, unknown, err := s.UpdateGroup(f.ctx, f.dir.ID, g.ID, now, func(g *directory.Group) (bool, []directory.MemberChange, error) {
		g.DisplayName = "R&D"
		g.ExternalID = "ext-rd"
		g.Doc["displayName"] = "R&D"
		g.Doc["externalId"] = "ext-rd"
		return true, nil, nil
	})
	if err != nil {
		t.Fatalf("UpdateGroup: %v", err)
	}
	if len(unknown) != 0 {
		t.Errorf("unknown = %v", unknown)
	}
	if got.Version != 2 || !got.UpdatedAt.Equal(now) || !got.CreatedAt.Equal(g.CreatedAt) || got.DisplayName != "R&D" {
		t.Errorf("UpdateGroup returned %+v", got)
	}
	if d := diff(got, f.getGroup(f.dir.ID, g.ID)); d != "" {
		t.Errorf("UpdateGroup returned something else than it stored (-returned +stored):\n%s", d)
	}
	if p := f.listGroups(f.dir.ID, `displayName eq "r&d" and externalId eq "ext-rd"`); p.Total != 1 {
		t.Errorf("filters after update: total %d", p.Total)
	}
	// No change: nothing written.
	got, _, err = s.UpdateGroup(f.ctx, f.dir.ID, g.ID, f.clock.Now(), func(g *directory.Group) (bool, []directory.MemberChange, error) {
		g.Doc["displayName"] = "ignored"
		return false, nil, nil
	})
	if err != nil {
		t.Fatalf("UpdateGroup: %v", err)
	}
	if stored := f.getGroup(f.dir.ID, g.ID); stored.Version != 2 || stored.DisplayName != "R&D" || stored.Doc["displayName"] != "R&D" {
		t.Errorf("UpdateGroup with changed=false wrote: %+v", stored)
	}
	// fn's error comes back as is and nothing is written.
	_, _, err = s.UpdateGroup(f.ctx, f.dir.ID, g.ID, f.clock.Now(), func(g *directory.Group) (bool, []directory.MemberChange, error) {
		g.DisplayName = "x"
		return true, nil, errSentinel
	})
	if err != errSentinel {
		t.Errorf("UpdateGroup returned %v, want fn's error as is", err)
	}
}

func testGroupAddMembers(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	a := f.userNamed(f.dir.ID, "a")
	b := f.userNamed(f.dir.ID, "b")
	c := f.userNamed(f.dir.ID, "c")
	g := f.group(f.dir.ID, "G", a.ID)
	before := f.getGroup(f.dir.ID, g.ID)

	// Adding an existing member is a no-op: no version bump, no write.
	got, unknown := f.updateGroup(f.dir.ID, g.ID, add(a.ID))
	if got.Version != 1 || len(unknown) != 0 {
		t.Errorf("re-adding a member: version %d, unknown %v; want 1, none", got.Version, unknown)
	}
	if d := diff(before, f.getGroup(f.dir.ID, g.ID)); d != "" {
		t.Errorf("re-adding a member wrote the group (-want +got):\n%s", d)
	}
	// New members bump the version once, whatever their number.
	now := f.clock.Now()
	got, unknown, err := s.UpdateGroup(f.ctx, f.dir.ID, g.ID, now, func(*directory.Group) (bool, []directory.MemberChange, error) {
		return false, []directory.MemberChange{add(b.ID, a.ID, "diruser_missing", c.ID, b.ID)}, nil
	})
	if err != nil {
		t.Fatalf("UpdateGroup: %v", err)
	}
	if got.Version != 2 || !got.UpdatedAt.Equal(now) {
		t.Errorf("after adding members: version %d, updated %v; want 2, %v", got.Version, got.UpdatedAt, now)
	}
	if d := diff([]string{"diruser_missing"}, unknown); d != "" {
		t.Errorf("unknown (-want +got):\n%s", d)
	}
	if d := diff(sorted([]string{a.ID, b.ID, c.ID}), f.memberIDs(f.dir.ID, g.ID)); d != "" {
		t.Errorf("members (-want +got):\n%s", d)
	}
	// Only unknown ids: nothing changes.
	got, unknown = f.updateGroup(f.dir.ID, g.ID, add("diruser_nope"))
	if got.Version != 2 || len(unknown) != 1 {
		t.Errorf("adding only unknown ids: version %d, unknown %v", got.Version, unknown)
	}
	// The group itself is never its own member, and is not unknown either.
	got, unknown = f.updateGroup(f.dir.ID, g.ID, add(g.ID))
	if got.Version != 2 || len(unknown) != 0 {
		t.Errorf("adding the group to itself: version %d, unknown %v; want 2, none", got.Version, unknown)
	}
	for _, m := range f.members(f.dir.ID, g.ID) {
		if m.ID == g.ID {
			t.Errorf("the group is its own member")
		}
	}
	// An empty change is no change.
	got, _ = f.updateGroup(f.dir.ID, g.ID, add())
	if got.Version != 2 {
		t.Errorf("an empty add bumped the version to %d", got.Version)
	}
}

func testGroupRemoveMembers(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	a := f.userNamed(f.dir.ID, "a")
	b := f.userNamed(f.dir.ID, "b")
	c := f.userNamed(f.dir.ID, "c")
	child := f.group(f.dir.ID, "child")
	g := f.group(f.dir.ID, "G", a.ID, b.ID, child.ID)

	// Removing a non-member (known or not) is a no-op.
	got, unknown := f.updateGroup(f.dir.ID, g.ID, remove(c.ID, "diruser_missing"))
	if got.Version != 1 || len(unknown) != 0 {
		t.Errorf("removing non-members: version %d, unknown %v; want 1, none", got.Version, unknown)
	}
	got, _ = f.updateGroup(f.dir.ID, g.ID, remove(a.ID, c.ID, child.ID))
	if got.Version != 2 {
		t.Errorf("removing members: version %d, want 2", got.Version)
	}
	if d := diff([]string{b.ID}, f.memberIDs(f.dir.ID, g.ID)); d != "" {
		t.Errorf("members (-want +got):\n%s", d)
	}
	// The removed objects still exist.
	f.getUser(f.dir.ID, a.ID)
	f.getGroup(f.dir.ID, child.ID)
}

func testGroupReplaceMembers(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	a := f.userNamed(f.dir.ID, "a")
	b := f.userNamed(f.dir.ID, "b")
	c := f.userNamed(f.dir.ID, "c")
	child := f.group(f.dir.ID, "child")
	g := f.group(f.dir.ID, "G", a.ID, b.ID)

	// The same set in another order changes nothing.
	got, unknown := f.updateGroup(f.dir.ID, g.ID, replace(b.ID, a.ID))
	if got.Version != 1 || len(unknown) != 0 {
		t.Errorf("replacing with the same set: version %d, unknown %v; want 1, none", got.Version, unknown)
	}
	// A diff: a stays, b goes, c and child come; unknown ids are reported.
	got, unknown = f.updateGroup(f.dir.ID, g.ID, replace(c.ID, a.ID, "diruser_missing", child.ID))
	if got.Version != 2 {
		t.Errorf("replacing: version %d, want 2", got.Version)
	}
	if d := diff([]string{"diruser_missing"}, unknown); d != "" {
		t.Errorf("unknown (-want +got):\n%s", d)
	}
	if d := diff(sorted([]string{a.ID, c.ID, child.ID}), f.memberIDs(f.dir.ID, g.ID)); d != "" {
		t.Errorf("members (-want +got):\n%s", d)
	}
	// Replacing with nothing empties the group.
	got, _ = f.updateGroup(f.dir.ID, g.ID, replace())
	if got.Version != 3 {
		t.Errorf("emptying: version %d, want 3", got.Version)
	}
	if ms := f.memberIDs(f.dir.ID, g.ID); len(ms) != 0 {
		t.Errorf("members after replacing with none: %v", ms)
	}
	// Emptying an empty group changes nothing.
	got, _ = f.updateGroup(f.dir.ID, g.ID, directory.MemberChange{Kind: directory.ReplaceMembers})
	if got.Version != 3 {
		t.Errorf("emptying an empty group: version %d, want 3", got.Version)
	}
}

func testGroupChangesInOrder(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	a := f.userNamed(f.dir.ID, "a")
	b := f.userNamed(f.dir.ID, "b")
	g := f.group(f.dir.ID, "G", a.ID)
	// remove a, add a: a is a member at the end.
	f.updateGroup(f.dir.ID, g.ID, remove(a.ID), add(a.ID, b.ID))
	if d := diff(sorted([]string{a.ID, b.ID}), f.memberIDs(f.dir.ID, g.ID)); d != "" {
		t.Errorf("remove then add (-want +got):\n%s", d)
	}
	// add b, replace with [a], remove a: empty.
	got, _ := f.updateGroup(f.dir.ID, g.ID, add(b.ID), replace(a.ID), remove(a.ID))
	if ms := f.memberIDs(f.dir.ID, g.ID); len(ms) != 0 {
		t.Errorf("add, replace, remove: members %v, want none", ms)
	}
	// A document change and member changes in one update: one version bump.
	v := got.Version
	got, _, err := s.UpdateGroup(f.ctx, f.dir.ID, g.ID, f.clock.Now(), func(g *directory.Group) (bool, []directory.MemberChange, error) {
		g.Doc["externalId"] = "e"
		g.ExternalID = "e"
		return true, []directory.MemberChange{add(a.ID), add(b.ID)}, nil
	})
	if err != nil {
		t.Fatalf("UpdateGroup: %v", err)
	}
	if got.Version != v+1 {
		t.Errorf("document and member change: version %d, want %d", got.Version, v+1)
	}
}

func testGroupUpdateError(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	a := f.userNamed(f.dir.ID, "a")
	b := f.userNamed(f.dir.ID, "b")
	g := f.group(f.dir.ID, "G", a.ID)
	_, _, err := s.UpdateGroup(f.ctx, f.dir.ID, g.ID, f.clock.Now(), func(g *directory.Group) (bool, []directory.MemberChange, error) {
		return true, []directory.MemberChange{replace(b.ID)}, errSentinel
	})
	if err != errSentinel {
		t.Errorf("UpdateGroup returned %v, want fn's error as is", err)
	}
	if d := diff([]string{a.ID}, f.memberIDs(f.dir.ID, g.ID)); d != "" {
		t.Errorf("member changes of a failed update were applied (-want +got):\n%s", d)
	}
	if got := f.getGroup(f.dir.ID, g.ID); got.Version != 1 {
		t.Errorf("failed update bumped the version to %d", got.Version)
	}
}

func testGroupNested(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	a := f.userNamed(f.dir.ID, "a")
	eng := f.group(f.dir.ID, "Engineering", a.ID)
	sales := f.group(f.dir.ID, "Sales")
	all := f.group(f.dir.ID, "All", eng.ID, sales.ID, a.ID)
	want := []directory.Member{
		{ID: a.ID, Type: directory.MemberUser, Display: "a"},
		{ID: eng.ID, Type: directory.MemberGroup, Display: "Engineering"},
		{ID: sales.ID, Type: directory.MemberGroup, Display: "Sales"},
	}
	if d := diff(want, f.members(f.dir.ID, all.ID)); d != "" {
		t.Errorf("ListMembers (-want +got):\n%s", d)
	}
	// Membership is direct only: a is in Engineering and All, not via nesting.
	ug, err := s.UserGroups(f.ctx, f.dir.ID, []string{a.ID})
	if err != nil {
		t.Fatalf("UserGroups: %v", err)
	}
	if d := diff(map[string][]directory.GroupRef{a.ID: {{ID: eng.ID, DisplayName: "Engineering"}, {ID: all.ID, DisplayName: "All"}}}, ug); d != "" {
		t.Errorf("UserGroups (-want +got):\n%s", d)
	}
	// A cycle is allowed by SCIM and must not break anything.
	f.updateGroup(f.dir.ID, eng.ID, add(all.ID))
	if d := diff(sorted([]string{a.ID, all.ID}), f.memberIDs(f.dir.ID, eng.ID)); d != "" {
		t.Errorf("Engineering members (-want +got):\n%s", d)
	}
	// Renaming a nested group shows in its parent's member list.
	if _, _, err := s.UpdateGroup(f.ctx, f.dir.ID, sales.ID, f.clock.Now(), func(g *directory.Group) (bool, []directory.MemberChange, error) {
		g.DisplayName, g.Doc["displayName"] = "Sales EMEA", "Sales EMEA"
		return true, nil, nil
	}); err != nil {
		t.Fatalf("UpdateGroup: %v", err)
	}
	// Deleting a nested group removes it from its parents.
	if err := s.DeleteGroup(f.ctx, f.dir.ID, eng.ID, nil); err != nil {
		t.Fatalf("DeleteGroup: %v", err)
	}
	want = []directory.Member{
		{ID: a.ID, Type: directory.MemberUser, Display: "a"},
		{ID: sales.ID, Type: directory.MemberGroup, Display: "Sales EMEA"},
	}
	if d := diff(want, f.members(f.dir.ID, all.ID)); d != "" {
		t.Errorf("ListMembers after deleting a nested group (-want +got):\n%s", d)
	}
}

func testGroupListMembersPagination(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	var ids []string
	var users, groups []string
	for _, n := range []string{"u1", "u2", "u3", "u4", "u5"} {
		users = append(users, f.userNamed(f.dir.ID, n).ID)
	}
	for _, n := range []string{"g1", "g2", "g3"} {
		groups = append(groups, f.group(f.dir.ID, n).ID)
	}
	f.userNamed(f.dir.ID, "not a member")
	// Added in a scrambled order: the listing order is creation order,
	// users before groups.
	g := f.group(f.dir.ID, "G", groups[2], users[3], users[0], groups[0], users[4], users[1], groups[1], users[2])
	ids = append(append(ids, users...), groups...)

	all := f.members(f.dir.ID, g.ID)
	var got []string
	for _, m := range all {
		got = append(got, m.ID)
	}
	if d := diff(ids, got); d != "" {
		t.Fatalf("ListMembers order (-want +got):\n%s", d)
	}
	for _, limit := range []int{1, 2, 3, 5, 7, 8, 100} {
		pages := memberPages(t, f, s, g.ID, limit)
		var flat []string
		for _, p := range pages {
			flat = append(flat, p...)
		}
		if d := diff(ids, flat); d != "" {
			t.Errorf("paging with limit %d (pages %v) (-want +got):\n%s", limit, pages, d)
		}
		wantPages := (len(ids) + limit - 1) / limit
		if len(pages) != wantPages {
			t.Errorf("paging with limit %d: %d non-empty pages, want %d", limit, len(pages), wantPages)
		}
	}
	// A page ending exactly at the last user continues with the groups.
	ms, err := s.ListMembers(f.ctx, f.dir.ID, g.ID, users[4], 2)
	if err != nil {
		t.Fatalf("ListMembers: %v", err)
	}
	if len(ms) != 2 || ms[0].ID != groups[0] || ms[1].ID != groups[1] || ms[0].Type != directory.MemberGroup {
		t.Errorf("after the last user: %+v, want g1, g2", ms)
	}
	// After the last member: nothing.
	ms, err = s.ListMembers(f.ctx, f.dir.ID, g.ID, groups[2], 0)
	if err != nil || len(ms) != 0 {
		t.Errorf("after the last member: %v, %v; want nothing", ms, err)
	}
	// A cursor naming nothing of the directory is refused, not read as
	// "from the start" (which would repeat pages forever).
	stranger := f.userNamed(f.newDir().ID, "stranger")
	for _, after := range []string{"diruser_missing", stranger.ID} {
		ms, err := s.ListMembers(f.ctx, f.dir.ID, g.ID, after, 3)
		if err == nil {
			t.Errorf("ListMembers(after %s) = %v, want an error", after, ms)
		} else if directory.KindOf(err) == directory.KindInternal {
			t.Errorf("ListMembers(after %s): internal error %v, want a client error", after, err)
		}
	}
}

// memberPages pages through group gid's members, limit at a time.
func memberPages(t *testing.T, f *fixture, s directory.Store, gid string, limit int) [][]string {
	t.Helper()
	var pages [][]string
	after := ""
	for i := 0; i < 20; i++ {
		ms, err := s.ListMembers(f.ctx, f.dir.ID, gid, after, limit)
		if err != nil {
			t.Fatalf("ListMembers(after %q, limit %d): %v", after, limit, err)
		}
		if len(ms) > limit {
			t.Fatalf("ListMembers(limit %d) returned %d members", limit, len(ms))
		}
		if len(ms) == 0 {
			break
		}
		var page []string
		for _, m := range ms {
			page = append(page, m.ID)
		}
		pages = append(pages, page)
		after = ms[len(ms)-1].ID
	}
	return pages
}

func testGroupMembersOf(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	a := f.user(f.dir.ID, map[string]any{"userName": "a@x.com", "displayName": "A"})
	b := f.userNamed(f.dir.ID, "b@x.com")
	empty := f.group(f.dir.ID, "Empty")
	g1 := f.group(f.dir.ID, "G1", b.ID, a.ID)
	g2 := f.group(f.dir.ID, "G2", g1.ID, a.ID, empty.ID)
	got, err := s.MembersOf(f.ctx, f.dir.ID, []string{g1.ID, g2.ID, empty.ID, "dirgroup_missing"})
	if err != nil {
		t.Fatalf("MembersOf: %v", err)
	}
	want := map[string][]directory.Member{
		g1.ID: {
			{ID: a.ID, Type: directory.MemberUser, Display: "A"},
			{ID: b.ID, Type: directory.MemberUser, Display: "b@x.com"},
		},
		g2.ID: {
			{ID: a.ID, Type: directory.MemberUser, Display: "A"},
			{ID: empty.ID, Type: directory.MemberGroup, Display: "Empty"},
			{ID: g1.ID, Type: directory.MemberGroup, Display: "G1"},
		},
	}
	if d := diff(want, got); d != "" {
		t.Errorf("MembersOf (-want +got):\n%s", d)
	}
	got, err = s.MembersOf(f.ctx, f.dir.ID, nil)
	if err != nil || len(got) != 0 {
		t.Errorf("MembersOf(no ids) = %v, %v", got, err)
	}
	// CountUsersIn counts distinct direct user members, not nested
	// groups' members, nor groups of another directory.
	other := f.newDir()
	f.userNamed(f.dir.ID, "c@x.com") // in no group
	theirs := f.group(other.ID, "Theirs", f.userNamed(other.ID, "d@x.com").ID)
	for _, tc := range []struct {
		ids  []string
		want int
	}{
		{[]string{g1.ID, g2.ID}, 2}, {[]string{g2.ID}, 1}, {[]string{empty.ID}, 0}, {nil, 0},
		{[]string{g1.ID, "dirgroup_missing", theirs.ID}, 2},
	} {
		if n, err := s.CountUsersIn(f.ctx, f.dir.ID, tc.ids); err != nil || n != tc.want {
			t.Errorf("CountUsersIn(%v) = %d, %v; want %d", tc.ids, n, err, tc.want)
		}
	}
	// MembersOf agrees with ListMembers.
	for _, id := range []string{g1.ID, g2.ID} {
		if d := diff(want[id], f.members(f.dir.ID, id)); d != "" {
			t.Errorf("ListMembers(%s) (-want +got):\n%s", id, d)
		}
	}
}

func testGroupUserGroups(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	a := f.userNamed(f.dir.ID, "a")
	b := f.userNamed(f.dir.ID, "b")
	c := f.userNamed(f.dir.ID, "c")
	g1 := f.group(f.dir.ID, "G1", a.ID)
	g2 := f.group(f.dir.ID, "G2", b.ID)
	g3 := f.group(f.dir.ID, "G3", a.ID, b.ID)
	// Added later, created earlier: creation order wins.
	f.updateGroup(f.dir.ID, g1.ID, add(b.ID))
	got, err := s.UserGroups(f.ctx, f.dir.ID, []string{a.ID, b.ID, c.ID, "diruser_missing"})
	if err != nil {
		t.Fatalf("UserGroups: %v", err)
	}
	want := map[string][]directory.GroupRef{
		a.ID: {{ID: g1.ID, DisplayName: "G1"}, {ID: g3.ID, DisplayName: "G3"}},
		b.ID: {{ID: g1.ID, DisplayName: "G1"}, {ID: g2.ID, DisplayName: "G2"}, {ID: g3.ID, DisplayName: "G3"}},
	}
	if d := diff(want, got); d != "" {
		t.Errorf("UserGroups (-want +got):\n%s", d)
	}
	got, err = s.UserGroups(f.ctx, f.dir.ID, nil)
	if err != nil || len(got) != 0 {
		t.Errorf("UserGroups(no ids) = %v, %v", got, err)
	}
}

func testGroupDelete(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	a := f.userNamed(f.dir.ID, "a")
	g := f.group(f.dir.ID, "G", a.ID)
	keep := f.group(f.dir.ID, "Keep", a.ID)
	if err := s.DeleteGroup(f.ctx, f.dir.ID, g.ID, nil); err != nil {
		t.Fatalf("DeleteGroup: %v", err)
	}
	_, err := s.GetGroup(f.ctx, f.dir.ID, g.ID)
	wantNotFound(t, err, "GetGroup of a deleted group")
	wantNotFound(t, s.DeleteGroup(f.ctx, f.dir.ID, g.ID, nil), "DeleteGroup of a deleted group")
	ug, err := s.UserGroups(f.ctx, f.dir.ID, []string{a.ID})
	if err != nil {
		t.Fatalf("UserGroups: %v", err)
	}
	if d := diff(map[string][]directory.GroupRef{a.ID: {{ID: keep.ID, DisplayName: "Keep"}}}, ug); d != "" {
		t.Errorf("UserGroups after deleting a group (-want +got):\n%s", d)
	}
	// The member user is untouched.
	if u := f.getUser(f.dir.ID, a.ID); u.Version != 1 {
		t.Errorf("deleting a group changed its member: %+v", u)
	}
}
