package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// The typed fields of directory.Query: the selection vocabulary of the
// management API and the Admin Portal.
func queryTests() []subtest {
	return []subtest{
		{"Users/TypedQuery", testUserTypedQuery},
		{"Groups/TypedQuery", testGroupTypedQuery},
	}
}

func testUserTypedQuery(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	ann := f.user(f.dir.ID, map[string]any{"userName": "ann", "active": true,
		"emails": []any{map[string]any{"value": "ann@work.example", "primary": true}, map[string]any{"value": "Ann@Home.example"}}})
	ben := f.user(f.dir.ID, map[string]any{"userName": "ben", "active": false, "emails": []any{map[string]any{"value": "ben@work.example"}}})
	cat := f.user(f.dir.ID, map[string]any{"userName": "cat", "active": true, "name": map[string]any{"familyName": "Annis"}})
	other := f.newDir()
	f.user(other.ID, map[string]any{"userName": "ann", "active": true, "emails": []any{map[string]any{"value": "ann@home.example"}}})
	yes, no := true, false
	list := func(q directory.Query) directory.UserPage {
		t.Helper()
		pg, err := f.s.ListUsers(f.ctx, f.dir.ID, q)
		if err != nil {
			t.Fatalf("ListUsers(%+v): %v", q, err)
		}
		return pg
	}
	for _, tc := range []struct {
		name string
		q    directory.Query
		want []string
	}{
		{"active", directory.Query{Active: &yes}, []string{ann.ID, cat.ID}},
		{"inactive", directory.Query{Active: &no}, []string{ben.ID}},
		{"any email, folded", directory.Query{Email: "ANN@home.EXAMPLE"}, []string{ann.ID}},
		{"email is equality", directory.Query{Email: "ann@home"}, nil},
		{"updated after", directory.Query{UpdatedAfter: ann.UpdatedAt}, []string{ben.ID, cat.ID}},
		{"updated after, non-UTC", directory.Query{UpdatedAfter: ben.UpdatedAt.In(time.FixedZone("UTC-5", -5*3600))}, []string{cat.ID}},
		{"search", directory.Query{Search: "ann"}, []string{ann.ID, cat.ID}},
		{"search and active", directory.Query{Search: "ann", Active: &yes, UpdatedAfter: ann.UpdatedAt}, []string{cat.ID}},
		{"search and email", directory.Query{Search: "a", Email: "ben@work.example"}, nil},
		{"with a filter", directory.Query{Filter: mustFilter(t, schema.New().User, `userName sw "c"`), Active: &yes}, []string{cat.ID}},
	} {
		tc.q.Limit = 10
		pg := list(tc.q)
		if d := diff(sorted(tc.want), sorted(userIDs(pg.Users))); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, d)
		}
		if pg.Total != len(tc.want) {
			t.Errorf("%s: total %d, want %d", tc.name, pg.Total, len(tc.want))
		}
	}
	// A search alone, page by page without totals (the management API's q).
	for after, want := range map[string]string{"": ann.ID, ann.ID: cat.ID, cat.ID: ""} {
		got := userIDs(list(directory.Query{Search: "ANN", After: after, Limit: 1, SkipTotal: true}).Users)
		if d := diff(want, strings.Join(got, "")); d != "" {
			t.Errorf("search ann after %q, limit 1 (-want +got):\n%s", after, d)
		}
	}
	// The typed fields compose with keyset pages and group membership.
	g := f.group(f.dir.ID, "Staff", ann.ID, ben.ID)
	if got := userIDs(list(directory.Query{Active: &yes, After: ann.ID, Limit: 10}).Users); len(got) != 1 || got[0] != cat.ID {
		t.Errorf("active after ann = %v, want [cat]", got)
	}
	if got := userIDs(list(directory.Query{Active: &yes, MemberOf: g.ID, Limit: 10}).Users); len(got) != 1 || got[0] != ann.ID {
		t.Errorf("active in Staff = %v, want [ann]", got)
	}
	// An update moves a user past UpdatedAfter.
	if _, _, err := f.svc.ReplaceUser(f.ctx, f.dir, ann.ID, map[string]any{"userName": "ann", "active": false}, ""); err != nil {
		t.Fatal(err)
	}
	if got := userIDs(list(directory.Query{UpdatedAfter: cat.UpdatedAt, Limit: 10}).Users); len(got) != 1 || got[0] != ann.ID {
		t.Errorf("updated after cat, after ann's update = %v, want [ann]", got)
	}
}

func testGroupTypedQuery(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	ann, ben := f.userNamed(f.dir.ID, "ann"), f.userNamed(f.dir.ID, "ben")
	eng := f.group(f.dir.ID, "Engineering", ann.ID, ben.ID)
	engOps := f.group(f.dir.ID, "Eng Ops", ann.ID)
	ops := f.group(f.dir.ID, "Opérations")
	other := f.newDir()
	stranger := f.userNamed(other.ID, "ann")
	f.group(other.ID, "Engineering", stranger.ID)
	for _, tc := range []struct {
		name string
		q    directory.Query
		want []string
	}{
		{"member ann", directory.Query{HasMember: ann.ID}, []string{eng.ID, engOps.ID}},
		{"member ben", directory.Query{HasMember: ben.ID}, []string{eng.ID}},
		{"member of another directory", directory.Query{HasMember: stranger.ID}, nil},
		{"member unknown", directory.Query{HasMember: "diruser_nope"}, nil},
		{"search prefix, folded", directory.Query{Search: "ENG"}, []string{eng.ID, engOps.ID}},
		{"search with a space", directory.Query{Search: "eng o"}, []string{engOps.ID}},
		{"search non-ASCII", directory.Query{Search: "opé"}, []string{ops.ID}},
		{"search is not a substring", directory.Query{Search: "ations"}, nil},
		{"search and member", directory.Query{Search: "eng", HasMember: ben.ID}, []string{eng.ID}},
		{"updated after", directory.Query{UpdatedAfter: engOps.UpdatedAt}, []string{ops.ID}},
	} {
		tc.q.Limit = 10
		pg, err := f.s.ListGroups(f.ctx, f.dir.ID, tc.q)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if d := diff(sorted(tc.want), sorted(groupIDs(pg.Groups))); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, d)
		}
		if pg.Total != len(tc.want) {
			t.Errorf("%s: total %d, want %d", tc.name, pg.Total, len(tc.want))
		}
	}
	pg, err := f.s.ListGroups(f.ctx, f.dir.ID, directory.Query{Search: "eng", After: eng.ID, Limit: 10})
	if err != nil || len(pg.Groups) != 1 || pg.Groups[0].ID != engOps.ID {
		t.Errorf("search eng after Engineering = %v, %v; want [Eng Ops]", groupIDs(pg.Groups), err)
	}
}
