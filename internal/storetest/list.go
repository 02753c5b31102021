package storetest

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

func listTests() []subtest {
	return []subtest{
		{"List/Pagination", testListPagination},
		{"List/GroupPagination", testListGroupPagination},
		{"List/CreationOrderIsStable", testListStableOrder},
		{"List/SortByUserName", testListSortUserName},
		{"List/SortByEmails", testListSortEmails},
		{"List/SortBySubAttribute", testListSortSubAttribute},
		{"List/SortGroups", testListSortGroups},
		{"List/UserFilters", testListUserFilters},
		{"List/GroupFilters", testListGroupFilters},
		{"List/FilterValuesAreNotSQL", testListInjection},
		{"List/Fields", testListFields},
		{"List/CursorWithOffset", testListCursorOffset},
	}
}

// testListFields: RenderFields and KeyFields pages hold the same
// resources, in the same order, as full pages, with the fields they name.
func testListFields(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	for i := 0; i < 9; i++ {
		f.user(f.dir.ID, map[string]any{"userName": fmt.Sprintf("user%02d@x.com", 8-i), "externalId": fmt.Sprint(i),
			"name": map[string]any{"givenName": "G", "familyName": fmt.Sprint(i)}, "emails": []any{map[string]any{"value": fmt.Sprintf("e%d@x.com", i)}}})
		f.group(f.dir.ID, fmt.Sprintf("g%d", i))
	}
	sortBy := &schema.Path{Name: "userName"}
	for _, q := range []directory.Query{{Limit: 4}, {Offset: 3, Limit: 5}, {SortBy: sortBy, Offset: 2, Limit: 3}, {Limit: 100, Descending: true}} {
		all, err := s.ListUsers(f.ctx, f.dir.ID, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, fields := range []directory.Fields{directory.RenderFields, directory.KeyFields} {
			fq := q
			fq.Fields = fields
			p, err := s.ListUsers(f.ctx, f.dir.ID, fq)
			if err != nil {
				t.Fatal(err)
			}
			if p.Total != all.Total || len(p.Users) != len(all.Users) {
				t.Fatalf("fields %d, %+v: total %d, %d users; want %d, %d", fields, q, p.Total, len(p.Users), all.Total, len(all.Users))
			}
			for i, u := range p.Users {
				w := all.Users[i]
				if u.ID != w.ID || u.Version != w.Version || u.DirectoryID != w.DirectoryID {
					t.Errorf("fields %d, %+v: user %d = %s v%d, want %s v%d", fields, q, i, u.ID, u.Version, w.ID, w.Version)
				}
				switch fields {
				case directory.RenderFields:
					if !u.CreatedAt.Equal(w.CreatedAt) || !u.UpdatedAt.Equal(w.UpdatedAt) || diff(w.Doc, u.Doc) != "" {
						t.Errorf("fields %d: user %s: %+v, want %+v", fields, u.ID, u, w)
					}
				case directory.KeyFields:
					if u.Doc != nil {
						t.Errorf("KeyFields: user %s has a document", u.ID)
					}
				}
			}
		}
		gq := q
		gq.SortBy = nil
		allGroups, err := s.ListGroups(f.ctx, f.dir.ID, gq)
		if err != nil {
			t.Fatal(err)
		}
		gq.Fields = directory.RenderFields
		p, err := s.ListGroups(f.ctx, f.dir.ID, gq)
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != allGroups.Total || len(p.Groups) != len(allGroups.Groups) {
			t.Fatalf("groups %+v: total %d, %d; want %d, %d", gq, p.Total, len(p.Groups), allGroups.Total, len(allGroups.Groups))
		}
		for i, g := range p.Groups {
			if w := allGroups.Groups[i]; g.ID != w.ID || g.Version != w.Version || !g.UpdatedAt.Equal(w.UpdatedAt) || diff(w.Doc, g.Doc) != "" {
				t.Errorf("group %d: %+v, want %+v", i, g, w)
			}
		}
	}
}

// testListCursorOffset: a page after a cursor skipping Offset resources
// is the page at the cursor's position plus Offset, both directions.
func testListCursorOffset(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	var ids, gids []string
	for i := 0; i < 12; i++ {
		ids = append(ids, f.userNamed(f.dir.ID, fmt.Sprintf("u%02d", 11-i)).ID)
		gids = append(gids, f.group(f.dir.ID, fmt.Sprintf("g%02d", i)).ID)
	}
	for _, desc := range []bool{false, true} {
		for cur := 0; cur < 12; cur++ {
			for off := 0; off < 6; off++ {
				order, gorder := slices.Clone(ids), slices.Clone(gids)
				if desc {
					slices.Reverse(order)
					slices.Reverse(gorder)
				}
				q := directory.Query{After: order[cur], Offset: off, Limit: 3, SkipTotal: true, Descending: desc, Fields: directory.RenderFields}
				p, err := s.ListUsers(f.ctx, f.dir.ID, q)
				if err != nil {
					t.Fatal(err)
				}
				want := order[min(cur+1+off, 12):min(cur+1+off+3, 12)]
				if got := userIDs(p.Users); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("users after %d skipping %d (desc %v): %v, want %v", cur, off, desc, got, want)
				}
				q.After = gorder[cur]
				g, err := s.ListGroups(f.ctx, f.dir.ID, q)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, x := range g.Groups {
					got = append(got, x.ID)
				}
				if want := gorder[min(cur+1+off, 12):min(cur+1+off+3, 12)]; fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("groups after %d skipping %d (desc %v): %v, want %v", cur, off, desc, got, want)
				}
			}
		}
	}
	// A cursor that names no user is KindInvalid, with an offset too,
	// and when asking for the total only.
	for _, q := range []directory.Query{{After: "diruser_nope", Offset: 2, Limit: 3}, {After: "diruser_nope"}} {
		if _, err := s.ListUsers(f.ctx, f.dir.ID, q); directory.KindOf(err) != directory.KindInvalid {
			t.Errorf("%+v: %v, want KindInvalid", q, err)
		}
	}
}

func testListPagination(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	var all []string
	for i := 0; i < 25; i++ {
		u := f.user(f.dir.ID, map[string]any{"userName": fmt.Sprintf("user%02d@x.com", 24-i), "active": i%3 != 0})
		all = append(all, u.ID)
	}
	// Another directory's users never count.
	other := f.newDir()
	for i := 0; i < 5; i++ {
		f.userNamed(other.ID, fmt.Sprintf("user%02d@x.com", i))
	}
	for _, limit := range []int{1, 7, 10, 25, 100} {
		var got []string
		for off := 0; off < 30; off += limit {
			p, err := s.ListUsers(f.ctx, f.dir.ID, directory.Query{Offset: off, Limit: limit})
			if err != nil {
				t.Fatalf("ListUsers(offset %d, limit %d): %v", off, limit, err)
			}
			if p.Total != 25 {
				t.Errorf("ListUsers(offset %d, limit %d): Total = %d, want 25", off, limit, p.Total)
			}
			wantLen := min(limit, max(0, 25-off))
			if len(p.Users) != wantLen {
				t.Errorf("ListUsers(offset %d, limit %d): %d users, want %d", off, limit, len(p.Users), wantLen)
			}
			got = append(got, userIDs(p.Users)...)
		}
		if d := diff(all, got); d != "" {
			t.Errorf("pages of %d in creation order (-want +got):\n%s", limit, d)
		}
	}
	// Limit 0 counts only.
	p, err := s.ListUsers(f.ctx, f.dir.ID, directory.Query{})
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	if p.Total != 25 || len(p.Users) != 0 {
		t.Errorf("ListUsers(limit 0) = %d users, total %d; want 0, 25", len(p.Users), p.Total)
	}
	// With a filter Total counts the matches, not the page.
	q := directory.Query{Filter: mustFilter(t, schema.New().User, "active eq false"), Offset: 3, Limit: 2}
	p, err = s.ListUsers(f.ctx, f.dir.ID, q)
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	if d := diff([]string{all[9], all[12]}, userIDs(p.Users)); d != "" || p.Total != 9 {
		t.Errorf("filtered page: total %d, want 9 (-want +got):\n%s", p.Total, d)
	}
	q.Limit = 0
	if p, err = s.ListUsers(f.ctx, f.dir.ID, q); err != nil || p.Total != 9 || len(p.Users) != 0 {
		t.Errorf("filtered count: %+v, %v; want total 9", p, err)
	}
	// Newest first, unfiltered and filtered, with and without counting:
	// every page at every offset is the slice of the full order.
	inactive := []string{all[0], all[3], all[6], all[9], all[12], all[15], all[18], all[21], all[24]}
	for _, tc := range []struct {
		q    directory.Query
		want []string
	}{
		{directory.Query{Descending: true}, all},
		{directory.Query{Descending: true, SkipTotal: true}, all},
		{directory.Query{Descending: true, Filter: mustFilter(t, schema.New().User, "active eq false")}, inactive},
		{directory.Query{Filter: mustFilter(t, schema.New().User, "active eq false"), SkipTotal: true}, inactive},
	} {
		want := append([]string(nil), tc.want...)
		if tc.q.Descending {
			slices.Reverse(want)
		}
		for off := 0; off <= len(want)+1; off++ {
			q := tc.q
			q.Offset, q.Limit = off, 4
			p, err := s.ListUsers(f.ctx, f.dir.ID, q)
			if err != nil {
				t.Fatalf("ListUsers(%+v): %v", q, err)
			}
			if d := diff(want[min(off, len(want)):min(off+4, len(want))], userIDs(p.Users)); d != "" {
				t.Errorf("descending %v, filtered %v, offset %d (-want +got):\n%s", q.Descending, q.Filter != nil, off, d)
			}
		}
	}
	// Past the end: empty page, exact total.
	p, err = s.ListUsers(f.ctx, f.dir.ID, directory.Query{Offset: 25, Limit: 10})
	if err != nil || p.Total != 25 || len(p.Users) != 0 {
		t.Errorf("offset 25: %d users, total %d, %v; want none, 25", len(p.Users), p.Total, err)
	}
	// An empty directory.
	p, err = s.ListUsers(f.ctx, f.newDir().ID, directory.Query{Limit: 10})
	if err != nil || p.Total != 0 || len(p.Users) != 0 {
		t.Errorf("empty directory: %+v, %v", p, err)
	}
}

func testListGroupPagination(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	var all []string
	for i := 0; i < 12; i++ {
		all = append(all, f.group(f.dir.ID, fmt.Sprintf("group %02d", 11-i)).ID)
	}
	var got []string
	for off := 0; off < 12; off += 5 {
		p, err := s.ListGroups(f.ctx, f.dir.ID, directory.Query{Offset: off, Limit: 5})
		if err != nil {
			t.Fatalf("ListGroups: %v", err)
		}
		if p.Total != 12 {
			t.Errorf("Total = %d, want 12", p.Total)
		}
		got = append(got, groupIDs(p.Groups)...)
	}
	if d := diff(all, got); d != "" {
		t.Errorf("group pages (-want +got):\n%s", d)
	}
	p, err := s.ListGroups(f.ctx, f.dir.ID, directory.Query{})
	if err != nil || p.Total != 12 || len(p.Groups) != 0 {
		t.Errorf("ListGroups(limit 0) = %+v, %v", p, err)
	}
}

func testListStableOrder(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	var all []string
	for i := 0; i < 5; i++ {
		all = append(all, f.userNamed(f.dir.ID, fmt.Sprintf("u%d", 4-i)).ID)
	}
	// Updating a user does not move it.
	if _, _, err := s.UpdateUser(f.ctx, f.dir.ID, all[1], f.clock.Now(), renameTo("zzz")); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	if d := diff(all, userIDs(f.listUsers(f.dir.ID, "").Users)); d != "" {
		t.Errorf("order after update (-want +got):\n%s", d)
	}
	// Deleting one leaves the others in order.
	if err := s.DeleteUser(f.ctx, f.dir.ID, all[2], nil); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	want := []string{all[0], all[1], all[3], all[4]}
	if d := diff(want, userIDs(f.listUsers(f.dir.ID, "").Users)); d != "" {
		t.Errorf("order after delete (-want +got):\n%s", d)
	}
}

// sortedQuery lists all users sorted by path.
func listSorted(t *testing.T, f *fixture, rt *schema.ResourceType, path string, desc bool) []string {
	t.Helper()
	urn, rest := rt.SplitURN(path)
	name, sub, _ := strings.Cut(rest, ".")
	res, ok := rt.Resolve(urn, name, sub)
	if !ok {
		t.Fatalf("sortBy %q does not resolve", path)
	}
	p := res.Path
	q := directory.Query{SortBy: &p, Descending: desc, Limit: 1000}
	if rt.ID == "Group" {
		page, err := f.s.ListGroups(f.ctx, f.dir.ID, q)
		if err != nil {
			t.Fatalf("ListGroups(sortBy %s): %v", path, err)
		}
		return groupIDs(page.Groups)
	}
	page, err := f.s.ListUsers(f.ctx, f.dir.ID, q)
	if err != nil {
		t.Fatalf("ListUsers(sortBy %s): %v", path, err)
	}
	return userIDs(page.Users)
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

func testListSortUserName(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	names := []string{"bob@x.com", "Alice@x.com", "carol@x.com", "alice2@x.com", "ÉLODIE@x.com", "zed@x.com", "Bob2@x.com", "émile@x.com", "Zoë@x.com", "_under@x.com", "0digit@x.com"}
	byName := map[string]string{}
	for _, n := range names {
		byName[n] = f.userNamed(f.dir.ID, n).ID
	}
	// userName is caseExact=false: it sorts by its folded value, byte-wise.
	sortedNames := append([]string{}, names...)
	sort.Slice(sortedNames, func(i, j int) bool { return strings.ToLower(sortedNames[i]) < strings.ToLower(sortedNames[j]) })
	var want []string
	for _, n := range sortedNames {
		want = append(want, byName[n])
	}
	if d := diff(want, listSorted(t, f, schema.New().User, "userName", false)); d != "" {
		t.Errorf("sortBy userName ascending (want %v) (-want +got):\n%s", sortedNames, d)
	}
	if d := diff(reversed(want), listSorted(t, f, schema.New().User, "userName", true)); d != "" {
		t.Errorf("sortBy userName descending (-want +got):\n%s", d)
	}
	// Sorting and paging together: pages of the sorted list.
	p := schema.Path{Name: "userName"}
	var got []string
	for off := 0; off < len(names); off += 3 {
		page, err := s.ListUsers(f.ctx, f.dir.ID, directory.Query{SortBy: &p, Offset: off, Limit: 3})
		if err != nil {
			t.Fatalf("ListUsers: %v", err)
		}
		got = append(got, userIDs(page.Users)...)
	}
	if d := diff(want, got); d != "" {
		t.Errorf("sorted pages (-want +got):\n%s", d)
	}
	// Sorting a filtered list.
	q := directory.Query{SortBy: &p, Descending: true, Limit: 10, Filter: mustFilter(t, schema.New().User, `userName sw "b" or userName sw "a"`)}
	page, err := s.ListUsers(f.ctx, f.dir.ID, q)
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	// Descending: "bob@" > "bob2@" ('@' is 0x40, '2' is 0x32).
	wantF := []string{byName["bob@x.com"], byName["Bob2@x.com"], byName["Alice@x.com"], byName["alice2@x.com"]}
	if d := diff(wantF, userIDs(page.Users)); d != "" || page.Total != 4 {
		t.Errorf("filtered and sorted: total %d (-want +got):\n%s", page.Total, d)
	}
}

func testListSortEmails(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	mk := func(name string, emails ...string) string {
		doc := map[string]any{"userName": name}
		if len(emails) > 0 {
			var es []any
			for _, e := range emails {
				es = append(es, map[string]any{"value": e, "type": "work"})
			}
			doc["emails"] = es
		}
		return f.user(f.dir.ID, doc).ID
	}
	none1 := mk("none1")
	c := mk("c", "Charlie@x.com", "aaa@x.com") // the first element counts, not the smallest
	a := mk("a", "alpha@x.com")
	none2 := mk("none2")
	b := mk("b", "BRAVO@x.com", "zzz@x.com")
	d := mk("d", "delta@x.com")
	want := []string{a, b, c, d}
	got := listSorted(t, f, schema.New().User, "emails", false)
	if df := diff(want, got[:4]); df != "" {
		t.Errorf("sortBy emails ascending (-want +got):\n%s", df)
	}
	if df := diff(sorted([]string{none1, none2}), sorted(got[4:])); df != "" {
		t.Errorf("sortBy emails ascending: users without emails must come last (-want +got):\n%s", df)
	}
	got = listSorted(t, f, schema.New().User, "emails.value", true)
	if df := diff(reversed(want), got[:4]); df != "" {
		t.Errorf("sortBy emails.value descending (-want +got):\n%s", df)
	}
	if df := diff(sorted([]string{none1, none2}), sorted(got[4:])); df != "" {
		t.Errorf("sortBy emails descending: users without emails must come last (-want +got):\n%s", df)
	}
}

func testListSortSubAttribute(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	mk := func(name, given string) string {
		doc := map[string]any{"userName": name}
		if given != "" {
			doc["name"] = map[string]any{"givenName": given}
		}
		return f.user(f.dir.ID, doc).ID
	}
	z := mk("1", "zoë")
	none := mk("2", "")
	a := mk("3", "Anna")
	b := mk("4", "bea")
	e := mk("5", "ÉMILE")
	got := listSorted(t, f, schema.New().User, "name.givenName", false)
	// Byte-wise on folded values: "anna" < "bea" < "zoë" < "émile" (é is 0xC3).
	if df := diff([]string{a, b, z, e, none}, got); df != "" {
		t.Errorf("sortBy name.givenName ascending (-want +got):\n%s", df)
	}
	got = listSorted(t, f, schema.New().User, "name.givenName", true)
	if df := diff([]string{e, z, b, a, none}, got); df != "" {
		t.Errorf("sortBy name.givenName descending (-want +got):\n%s", df)
	}
}

func testListSortGroups(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	b := f.group(f.dir.ID, "beta").ID
	a := f.group(f.dir.ID, "Alpha").ID
	c := f.group(f.dir.ID, "CHARLIE").ID
	if df := diff([]string{a, b, c}, listSorted(t, f, schema.New().Group, "displayName", false)); df != "" {
		t.Errorf("sortBy displayName (-want +got):\n%s", df)
	}
	if df := diff([]string{c, b, a}, listSorted(t, f, schema.New().Group, "displayName", true)); df != "" {
		t.Errorf("sortBy displayName descending (-want +got):\n%s", df)
	}
	// Sorting by creation time in reverse.
	if df := diff([]string{c, a, b}, listSorted(t, f, schema.New().Group, "meta.created", true)); df != "" {
		t.Errorf("sortBy meta.created descending (-want +got):\n%s", df)
	}
}

// filterFixture is a small directory whose filter results are written out
// by hand below.
type filterFixture struct {
	*fixture
	ids    map[string]string // userName or displayName → id
	mid    time.Time         // between the creation of the users and the update of carol
	groups map[string]string
}

func newFilterFixture(t *testing.T, s directory.Store) *filterFixture {
	f := &filterFixture{fixture: newFixture(t, s), ids: map[string]string{}, groups: map[string]string{}}
	mk := func(doc map[string]any) {
		u := f.user(f.dir.ID, doc)
		f.ids[u.UserName] = u.ID
	}
	mk(map[string]any{
		"userName": "Alice@X.com", "externalId": "EXT-1", "title": "Engineer", "active": true,
		"name": map[string]any{"givenName": "Alice", "familyName": "Liddell"},
		"emails": []any{
			map[string]any{"value": "alice@x.com", "type": "work", "primary": true},
			map[string]any{"value": "alice@home.org", "type": "home"},
		},
		schema.EnterpriseUserURN: map[string]any{"employeeNumber": "1001", "department": "R&D"},
	})
	mk(map[string]any{
		"userName": "bob@Y.com", "externalId": "ext-1", "nickName": "bobby", "active": false,
		"name": map[string]any{"givenName": "Bob"},
		"emails": []any{
			map[string]any{"value": "bob@x.com", "type": "home"},
			map[string]any{"value": "bob@y.com", "type": "work"},
		},
		schema.EnterpriseUserURN: map[string]any{"employeeNumber": "1002", "manager": map[string]any{"value": f.ids["Alice@X.com"]}},
	})
	mk(map[string]any{
		"userName": "carol@x.com", "title": "",
		"emails":                 []any{map[string]any{"value": "Carol@X.COM", "type": "work"}},
		schema.EnterpriseUserURN: map[string]any{"manager": f.ids["Alice@X.com"]}, // Entra's bare manager id
	})
	mk(map[string]any{"userName": "Dave@z.org", "externalId": "EXT-2", "active": "False"})
	mk(map[string]any{
		"userName": "zoë@x.com", "title": "engineering manager",
		"name":   map[string]any{"givenName": "Zoë"},
		"emails": []any{map[string]any{"value": "zoe@example.org", "type": "other"}},
	})
	f.mid = f.clock.Now()
	if _, _, err := s.UpdateUser(f.ctx, f.dir.ID, f.ids["carol@x.com"], f.clock.Now(), func(u *directory.User) (bool, error) {
		u.Doc["nickName"] = "caz"
		return true, nil
	}); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	eng := f.group(f.dir.ID, "Eng", f.ids["Alice@X.com"], f.ids["carol@x.com"])
	admins := f.group(f.dir.ID, "Admins", f.ids["bob@Y.com"])
	all := f.group(f.dir.ID, "All", eng.ID, f.ids["Dave@z.org"])
	f.group(f.dir.ID, "Empty")
	f.groups["Eng"], f.groups["Admins"], f.groups["All"] = eng.ID, admins.ID, all.ID
	// A twin directory with the same data must never leak into results.
	other := f.newDir()
	tw := f.userNamed(other.ID, "Alice@X.com")
	f.group(other.ID, "Eng", tw.ID)
	return f
}

func (f *filterFixture) expand(s string) string {
	r := strings.NewReplacer(
		"{alice}", f.ids["Alice@X.com"],
		"{eng}", f.groups["Eng"],
		"{mid}", f.mid.Format(time.RFC3339Nano),
	)
	return r.Replace(s)
}

func testListUserFilters(t *testing.T, s directory.Store) {
	f := newFilterFixture(t, s)
	const (
		alice = "Alice@X.com"
		bob   = "bob@Y.com"
		carol = "carol@x.com"
		dave  = "Dave@z.org"
		zoe   = "zoë@x.com"
	)
	tests := []struct {
		filter string
		want   []string
	}{
		{`userName eq "alice@x.com"`, []string{alice}},
		{`userName eq "ALICE@X.COM"`, []string{alice}},
		{`UserName EQ "ZOË@X.COM"`, []string{zoe}},
		{`externalId eq "EXT-1"`, []string{alice}},
		{`externalId eq "ext-1"`, []string{bob}},
		{`externalId pr`, []string{alice, bob, dave}},
		{`userName co "@X.COM"`, []string{alice, carol, zoe}},
		{`userName sw "B"`, []string{bob}},
		{`userName ew ".ORG"`, []string{dave}},
		{`emails[type eq "work" and value co "@x.com"]`, []string{alice, carol}},
		{`emails[type eq "home" and value co "@x.com"]`, []string{bob}},
		{`emails.value co "@x.com"`, []string{alice, bob, carol}},
		{`emails.value eq "CAROL@x.com"`, []string{carol}},
		{`emails co "example"`, []string{zoe}},
		{`emails.type eq "other"`, []string{zoe}},
		{`emails.primary eq true`, []string{alice}},
		{`emails pr`, []string{alice, bob, carol, zoe}},
		{`emails eq null`, []string{dave}},
		{`name.givenName eq "zoë"`, []string{zoe}},
		{`name.givenName sw "b"`, []string{bob}},
		{`name.givenName pr`, []string{alice, bob, zoe}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "{alice}"`, []string{bob, carol}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq "{alice}"`, []string{bob, carol}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "1002"`, []string{bob}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber pr`, []string{alice, bob}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "r&d"`, []string{alice}},
		{`active eq false`, []string{bob, dave}},
		{`active eq true`, []string{alice, carol, zoe}},
		{`active ne true`, []string{bob, dave}},
		{`meta.lastModified gt "{mid}"`, []string{carol}},
		{`meta.created lt "{mid}"`, []string{alice, bob, carol, dave, zoe}},
		{`meta.created gt "{mid}"`, nil},
		{`groups.value eq "{eng}"`, []string{alice, carol}},
		{`groups eq "{eng}"`, []string{alice, carol}},
		{`groups.display eq "admins"`, []string{bob}},
		{`groups pr`, []string{alice, bob, carol, dave}},
		{`not (groups pr)`, []string{zoe}},
		{`not (active eq true)`, []string{bob, dave}},
		{`not (title eq "engineer")`, []string{bob, carol, dave, zoe}},
		{`userName sw "a" or userName sw "b"`, []string{alice, bob}},
		{`active eq true and emails pr`, []string{alice, carol, zoe}},
		{`active eq true and (title co "engineer" or nickName pr)`, []string{alice, carol, zoe}},
		{`title pr`, []string{alice, zoe}},
		{`title co "ENGINEER"`, []string{alice, zoe}},
		{`nickName ne "bobby"`, []string{alice, carol, dave, zoe}},
		{`nickName eq null`, []string{alice, dave, zoe}},
		{`title eq null`, []string{bob, dave}},
		{`title ne null`, []string{alice, carol, zoe}},
		{`title eq ""`, []string{carol}},
		{`displayName pr`, nil},
		{`displayName ne "x"`, []string{alice, bob, carol, dave, zoe}},
	}
	for _, tc := range tests {
		text := f.expand(tc.filter)
		p := f.listUsers(f.dir.ID, text)
		var got []string
		for _, u := range p.Users {
			got = append(got, u.UserName)
		}
		if d := diff(sorted(tc.want), sorted(got)); d != "" {
			t.Errorf("filter %s (-want +got):\n%s", tc.filter, d)
		}
		if p.Total != len(p.Users) {
			t.Errorf("filter %s: Total %d for %d users", tc.filter, p.Total, len(p.Users))
		}
	}
}

func testListGroupFilters(t *testing.T, s directory.Store) {
	f := newFilterFixture(t, s)
	tests := []struct {
		filter string
		want   []string
	}{
		{`displayName eq "eng"`, []string{"Eng"}},
		{`displayName sw "A"`, []string{"Admins", "All"}},
		{`members.value eq "{alice}"`, []string{"Eng"}},
		{`members eq "{eng}"`, []string{"All"}},
		{`members[type eq "Group"]`, []string{"All"}},
		{`members[type eq "user" and value eq "{alice}"]`, []string{"Eng"}},
		{`members.type eq "User"`, []string{"Eng", "Admins", "All"}},
		{`members pr`, []string{"Eng", "Admins", "All"}},
		{`not (members pr)`, []string{"Empty"}},
		{`members eq null`, []string{"Empty"}},
		{`members.value ne "{alice}"`, []string{"Admins", "All", "Empty"}},
		{`meta.resourceType eq "Group"`, []string{"Eng", "Admins", "All", "Empty"}},
		{`externalId pr`, nil},
	}
	for _, tc := range tests {
		p := f.listGroups(f.dir.ID, f.expand(tc.filter))
		var got []string
		for _, g := range p.Groups {
			got = append(got, g.DisplayName)
		}
		if d := diff(sorted(tc.want), sorted(got)); d != "" {
			t.Errorf("filter %s (-want +got):\n%s", tc.filter, d)
		}
		if p.Total != len(p.Groups) {
			t.Errorf("filter %s: Total %d for %d groups", tc.filter, p.Total, len(p.Groups))
		}
	}
}

// testListInjection: filter values are data, never SQL.
func testListInjection(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	evil := []string{
		`x' OR '1'='1`,
		`x") OR 1=1 --`,
		`'; DROP TABLE users; --`,
		`%`,
		`_`,
		`\`,
		`$1`,
		`?1`,
	}
	for i, v := range evil {
		f.user(f.dir.ID, map[string]any{"userName": fmt.Sprintf("u%d", i), "title": v})
	}
	for i, v := range evil {
		q, err := jsonQuote(v)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range []string{"eq", "co", "sw", "ew"} {
			text := `title ` + op + ` ` + q
			p := f.listUsers(f.dir.ID, text)
			found := false
			for _, u := range p.Users {
				if u.UserName == fmt.Sprintf("u%d", i) {
					found = true
				}
				title, _ := u.Doc["title"].(string)
				ok := false
				switch op {
				case "eq":
					ok = strings.EqualFold(title, v)
				case "co":
					ok = strings.Contains(strings.ToLower(title), strings.ToLower(v))
				case "sw":
					ok = strings.HasPrefix(strings.ToLower(title), strings.ToLower(v))
				case "ew":
					ok = strings.HasSuffix(strings.ToLower(title), strings.ToLower(v))
				}
				if !ok {
					t.Errorf("filter %s selected %s (title %q)", text, u.UserName, title)
				}
			}
			if !found {
				t.Errorf("filter %s did not select u%d", text, i)
			}
		}
	}
	if p := f.listUsers(f.dir.ID, ""); p.Total != len(evil) {
		t.Errorf("after the filters: %d users, want %d", p.Total, len(evil))
	}
	// A NUL character (which PostgreSQL text cannot hold) matches nothing
	// and is not an error.
	for _, tc := range []struct {
		filter string
		want   int
	}{
		{`title eq "a\u0000b"`, 0},
		{`userName co "\u0000"`, 0},
		{`emails[value sw "\u0000"]`, 0},
		{`title ne "\u0000"`, len(evil)},
		{`not (userName eq "u1\u0000")`, len(evil)},
	} {
		if p := f.listUsers(f.dir.ID, tc.filter); p.Total != tc.want {
			t.Errorf("filter %s: total %d, want %d", tc.filter, p.Total, tc.want)
		}
	}
	if p := f.listGroups(f.dir.ID, `members.value eq "diruser_\u0000"`); p.Total != 0 {
		t.Errorf("members.value with NUL: total %d", p.Total)
	}
}
