package storetest

import (
	"fmt"
	"testing"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/filter"
)

// adminTests cover what the management API needs: keyset pagination,
// organization and directory listing, updates and cascading deletes, and
// member counts.
func adminTests() []subtest {
	return []subtest{
		{"AdminKeysetUsers", testAdminKeysetUsers},
		{"AdminKeysetGroups", testAdminKeysetGroups},
		{"AdminOrganizations", testAdminOrganizations},
		{"AdminDeleteDirectoryCascades", testAdminDeleteDirectory},
		{"AdminCountMembers", testAdminCountMembers},
		{"AdminMemberOf", testAdminMemberOf},
		{"AdminCountLimit", testAdminCountLimit},
	}
}

func testAdminKeysetUsers(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	other := f.newDir()
	var want []string
	for i := 0; i < 7; i++ {
		want = append(want, f.userNamed(f.dir.ID, fmt.Sprintf("u%d", 6-i)).ID) // userName order is not creation order
	}
	foreign := f.userNamed(other.ID, "x")
	var got []string
	after := ""
	for pages := 0; pages < 10; pages++ {
		p, err := s.ListUsers(f.ctx, f.dir.ID, directory.Query{After: after, Limit: 3, SkipTotal: true})
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != 0 {
			t.Errorf("SkipTotal: Total = %d", p.Total)
		}
		for _, u := range p.Users {
			got = append(got, u.ID)
		}
		if len(p.Users) < 3 {
			break
		}
		after = p.Users[len(p.Users)-1].ID
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("keyset pages: %v, want %v", got, want)
	}
	// Descending, with a filter, and with Total counted.
	e, err := filter.Parse(`userName ne "u3"`)
	if err != nil {
		t.Fatal(err)
	}
	if e, err = filter.Resolve(f.svc.Schemas.User, e); err != nil {
		t.Fatal(err)
	}
	p, err := s.ListUsers(f.ctx, f.dir.ID, directory.Query{Filter: e, After: want[4], Descending: true, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, u := range p.Users {
		ids = append(ids, u.ID)
	}
	if w := []string{want[2], want[1], want[0]}; fmt.Sprint(ids) != fmt.Sprint(w) {
		t.Errorf("descending after %s without u3: %v, want %v", want[4], ids, w)
	}
	// A cursor of another directory or an unknown id is KindInvalid.
	for _, after := range []string{foreign.ID, "diruser_nope"} {
		if _, err := s.ListUsers(f.ctx, f.dir.ID, directory.Query{After: after, Limit: 3}); directory.KindOf(err) != directory.KindInvalid {
			t.Errorf("After %s: %v, want KindInvalid", after, err)
		}
	}
}

func testAdminKeysetGroups(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	var want []string
	for i := 0; i < 5; i++ {
		want = append(want, f.group(f.dir.ID, fmt.Sprintf("g%d", 4-i)).ID)
	}
	p, err := s.ListGroups(f.ctx, f.dir.ID, directory.Query{After: want[1], Limit: 2, SkipTotal: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Groups) != 2 || p.Groups[0].ID != want[2] || p.Groups[1].ID != want[3] {
		t.Errorf("groups after %s: %v", want[1], p.Groups)
	}
	if _, err := s.ListGroups(f.ctx, f.dir.ID, directory.Query{After: "dirgroup_nope", Limit: 2}); directory.KindOf(err) != directory.KindInvalid {
		t.Errorf("unknown cursor: %v", err)
	}
}

func testAdminOrganizations(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	o2, err := f.svc.CreateOrganization(f.ctx, "Globex", "globex")
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.ListOrganizations(f.ctx, directory.OrgQuery{})
	if err != nil || len(all) != 2 || all[0].ID > all[1].ID {
		t.Fatalf("ListOrganizations: %v %v", all, err)
	}
	rest, err := s.ListOrganizations(f.ctx, directory.OrgQuery{After: all[0].ID, Limit: 5})
	if err != nil || len(rest) != 1 || rest[0].ID != all[1].ID {
		t.Errorf("after: %v %v", rest, err)
	}
	one, err := s.ListOrganizations(f.ctx, directory.OrgQuery{ExternalID: "globex"})
	if err != nil || len(one) != 1 || one[0].ID != o2.ID {
		t.Errorf("by external id: %v %v", one, err)
	}
	name := "Acme Inc"
	ext := "globex"
	if _, err := f.svc.UpdateOrganization(f.ctx, f.org.ID, directory.OrganizationChange{ExternalID: &ext}); directory.KindOf(err) != directory.KindConflict {
		t.Errorf("duplicate external id: %v", err)
	}
	ext = "acme"
	o, err := f.svc.UpdateOrganization(f.ctx, f.org.ID, directory.OrganizationChange{Name: &name, ExternalID: &ext})
	if err != nil || o.Name != name || o.ExternalID != "acme" || !o.UpdatedAt.After(f.org.UpdatedAt) {
		t.Errorf("update: %+v %v", o, err)
	}
	if got, err := s.GetOrganization(f.ctx, f.org.ID); err != nil || got != o {
		t.Errorf("stored %+v %v, want %+v", got, err, o)
	}
	if _, err := f.svc.UpdateOrganization(f.ctx, "org_nope", directory.OrganizationChange{Name: &name}); !directory.IsNotFound(err) {
		t.Errorf("update unknown: %v", err)
	}
	d2 := f.newDir()
	ds, err := s.ListDirectories(f.ctx, f.org.ID, "", 0)
	if err != nil || len(ds) != 2 {
		t.Fatalf("ListDirectories: %v %v", ds, err)
	}
	if ds, err := s.ListDirectories(f.ctx, f.org.ID, ds[0].ID, 1); err != nil || len(ds) != 1 {
		t.Errorf("ListDirectories after: %v %v", ds, err)
	}
	if ds, err := s.ListDirectories(f.ctx, o2.ID, "", 0); err != nil || len(ds) != 0 {
		t.Errorf("ListDirectories of another org: %v %v", ds, err)
	}
	if _, err := s.ListDirectories(f.ctx, "org_nope", "", 0); !directory.IsNotFound(err) {
		t.Errorf("ListDirectories unknown org: %v", err)
	}
	u := f.userNamed(d2.ID, "a")
	if err := f.svc.DeleteOrganization(f.ctx, f.org.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetDirectory(f.ctx, d2.ID); !directory.IsNotFound(err) {
		t.Errorf("directory after org delete: %v", err)
	}
	if _, err := s.GetUser(f.ctx, d2.ID, u.ID); !directory.IsNotFound(err) {
		t.Errorf("user after org delete: %v", err)
	}
	if err := s.DeleteOrganization(f.ctx, f.org.ID); !directory.IsNotFound(err) {
		t.Errorf("second delete: %v", err)
	}
	if _, err := s.GetOrganization(f.ctx, o2.ID); err != nil {
		t.Errorf("other org: %v", err)
	}
}

func testAdminDeleteDirectory(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	keep := f.newDir()
	u := f.userNamed(f.dir.ID, "a")
	g := f.group(f.dir.ID, "G", u.ID)
	ku := f.userNamed(keep.ID, "a")
	tok, _, err := f.svc.CreateToken(f.ctx, f.dir.ID, f.clock.Now().AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteDirectory(f.ctx, f.dir.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetGroup(f.ctx, f.dir.ID, g.ID); !directory.IsNotFound(err) {
		t.Errorf("group: %v", err)
	}
	if _, err := s.TokenByHash(f.ctx, tok.Hash); !directory.IsNotFound(err) {
		t.Errorf("token: %v", err)
	}
	if _, err := s.GetUser(f.ctx, keep.ID, ku.ID); err != nil {
		t.Errorf("other directory's user: %v", err)
	}
	if err := s.DeleteDirectory(f.ctx, f.dir.ID); !directory.IsNotFound(err) {
		t.Errorf("second delete: %v", err)
	}
}

func testAdminCountMembers(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	a, b := f.userNamed(f.dir.ID, "a"), f.userNamed(f.dir.ID, "b")
	inner := f.group(f.dir.ID, "inner", a.ID)
	outer := f.group(f.dir.ID, "outer", a.ID, b.ID, inner.ID)
	for _, tc := range []struct {
		id   string
		want int
	}{{inner.ID, 1}, {outer.ID, 3}} {
		if n, err := s.CountMembers(f.ctx, f.dir.ID, tc.id, 0); err != nil || n != tc.want {
			t.Errorf("CountMembers(%s) = %d %v, want %d", tc.id, n, err, tc.want)
		}
	}
	// A limit stops the count there; above the count it changes nothing.
	for limit, want := range map[int]int{1: 1, 2: 2, 3: 3, 4: 3} {
		if n, err := s.CountMembers(f.ctx, f.dir.ID, outer.ID, limit); err != nil || n != want {
			t.Errorf("CountMembers(outer, limit %d) = %d %v, want %d", limit, n, err, want)
		}
	}
	other := f.newDir()
	for _, limit := range []int{0, 5} {
		if _, err := s.CountMembers(f.ctx, other.ID, outer.ID, limit); !directory.IsNotFound(err) {
			t.Errorf("another directory's group (limit %d): %v", limit, err)
		}
	}
}

func testAdminMemberOf(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	other := f.newDir()
	var us []string
	for i := 0; i < 5; i++ {
		us = append(us, f.userNamed(f.dir.ID, fmt.Sprintf("u%d", i)).ID)
	}
	g := f.group(f.dir.ID, "G", us[4], us[1], us[3])
	f.group(f.dir.ID, "H", us[0])
	og := f.group(other.ID, "G", f.userNamed(other.ID, "x").ID)
	list := func(q directory.Query) []string {
		t.Helper()
		q.Limit = 100
		p, err := s.ListUsers(f.ctx, f.dir.ID, q)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, u := range p.Users {
			ids = append(ids, u.ID)
		}
		return ids
	}
	if got, want := list(directory.Query{MemberOf: g.ID}), []string{us[1], us[3], us[4]}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("MemberOf: %v, want %v", got, want)
	}
	if got, want := list(directory.Query{MemberOf: g.ID, After: us[1]}), []string{us[3], us[4]}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("MemberOf after: %v, want %v", got, want)
	}
	if got := list(directory.Query{MemberOf: og.ID}); len(got) != 0 {
		t.Errorf("another directory's group: %v", got)
	}
	p, err := s.ListUsers(f.ctx, f.dir.ID, directory.Query{MemberOf: g.ID, Limit: 1})
	if err != nil || p.Total != 3 || len(p.Users) != 1 {
		t.Errorf("Total with MemberOf: %d %d %v", p.Total, len(p.Users), err)
	}
}

// testAdminCountLimit: Query.CountLimit stops the count at that many
// matches and leaves the page itself alone; below the limit the count is
// exact.
func testAdminCountLimit(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	other := f.newDir()
	for i := 0; i < 5; i++ {
		f.userNamed(f.dir.ID, fmt.Sprintf("u%d", i))
		f.group(f.dir.ID, fmt.Sprintf("g%d", i))
	}
	f.userNamed(other.ID, "x")
	for _, tc := range []struct{ limit, pageLimit, total, page int }{
		{3, 2, 3, 2}, {3, 10, 3, 5}, {5, 10, 5, 5}, {6, 10, 5, 5}, {0, 10, 5, 5}, {1, 0, 1, 0},
	} {
		q := directory.Query{Limit: tc.pageLimit, CountLimit: tc.limit}
		up, err := s.ListUsers(f.ctx, f.dir.ID, q)
		if err != nil {
			t.Fatal(err)
		}
		gp, err := s.ListGroups(f.ctx, f.dir.ID, q)
		if err != nil {
			t.Fatal(err)
		}
		if up.Total != tc.total || len(up.Users) != tc.page || gp.Total != tc.total || len(gp.Groups) != tc.page {
			t.Errorf("CountLimit %d, Limit %d: users total %d page %d, groups total %d page %d; want total %d, page %d",
				tc.limit, tc.pageLimit, up.Total, len(up.Users), gp.Total, len(gp.Groups), tc.total, tc.page)
		}
	}
}
