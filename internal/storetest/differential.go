package storetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/filter"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

const ent = schema.EnterpriseUserURN

// unsupportedFilters are filters the store may reject with invalidFilter
// instead of answering. Keep this list short: every entry is a filter an IdP
// or app cannot use.
var unsupportedFilters = map[string]string{
	// A user member's display is its displayName-or-userName, which the
	// store keeps unfolded in a column that filters do not index.
	`members.display co "alice"`:                  "members.display of user members",
	`members[display eq "engineering"]`:           "members.display of user members",
	`not (members.display sw "b") and members pr`: "members.display of user members",
}

// userFilters are the filters RunFilterDifferential checks on users.
// Placeholders: {uN} is the id of user N, {UN} the same id upper-cased,
// {g:Name} and {G:Name} a group's id, {created:N}/{modified:N} user N's
// meta times, {gcreated:Name} a group's creation time.
var userFilters = []string{
	// userName: caseExact=false.
	`userName eq "alice@x.com"`,
	`userName eq "ALICE@X.COM"`,
	`USERNAME Eq "Zoë@X.com"`,
	`userName eq "zoe@x.com"`,
	`userName eq "élodie@exemple.fr"`,
	`userName ne "alice@x.com"`,
	`userName co "X.COM"`,
	`userName co "%"`,
	`userName co "_"`,
	`userName sw "zo"`,
	`userName sw "É"`,
	`userName ew "@example.org"`,
	`userName ew ".IO"`,
	`userName gt "m"`,
	`userName ge "multi@y.com"`,
	`userName lt "B"`,
	`userName le "bob@y.com"`,
	`userName pr`,
	// externalId and id: caseExact=true.
	`externalId eq "EXT-001"`,
	`externalId eq "ext-001"`,
	`externalId sw "EXT"`,
	`externalId co "x"`,
	`externalId gt "EXT-010"`,
	`externalId pr`,
	`externalId eq null`,
	`externalId ne null`,
	`id eq "{u0}"`,
	`id eq "{U0}"`,
	`id ne "{u0}"`,
	`id sw "diruser_"`,
	// Simple sub-attributes.
	`name.givenName eq "zoë"`,
	`name.givenName eq "ZOE"`,
	`name.givenName pr`,
	`name.givenName eq null`,
	`name.givenName eq ""`,
	`name.familyName co "SON"`,
	`name.familyName ew "ll"`,
	`name pr`,
	`name.formatted pr`,
	// Strings with absent, empty and odd values.
	`displayName pr`,
	`displayName eq null`,
	`displayName eq ""`,
	`displayName ne "alice l."`,
	`title eq ""`,
	`title pr`,
	`title eq null`,
	`title ne null`,
	`title ne ""`,
	`title co "engineer"`,
	`title sw "senior"`,
	`title gt "M"`,
	`title lt "m"`,
	`not (title pr)`,
	`title eq "manager \"ops\""`,
	`title co "%"`,
	`nickName ne "bobby"`,
	`nickName eq ""`,
	// Booleans.
	`active eq true`,
	`active eq false`,
	`active ne false`,
	`active eq "False"`,
	`active pr`,
	// Multi-valued attributes and value paths.
	`emails[type eq "work" and value co "@x.com"]`,
	`emails[type eq "work"]`,
	`emails[type eq "home" or primary eq true]`,
	`emails[not (type eq "work")]`,
	`emails[value pr]`,
	`emails[type eq null]`,
	`emails[type ne "work"]`,
	`emails[value ew ".org" and not (primary eq true)]`,
	`emails[value eq ""]`,
	`emails.value co "@X.COM"`,
	`emails co "example"`,
	`emails.value eq ""`,
	`emails.value pr`,
	`emails pr`,
	`emails.type eq "home"`,
	`emails.primary eq true`,
	`emails.primary eq false`,
	`emails.primary ne true`,
	`emails.value ne "alice@x.com"`,
	`emails eq null`,
	`emails.value eq null`,
	`emails.display pr`,
	`emails.value gt "m"`,
	`phoneNumbers.value sw "+1"`,
	`phoneNumbers[type eq "mobile"]`,
	`addresses[country eq "fr"]`,
	`addresses.locality co "PARIS"`,
	`addresses.country eq "US"`,
	`roles.value eq "ADMIN"`,
	`entitlements pr`,
	`userType eq "contractor"`,
	`locale pr`,
	`preferredLanguage eq "FR"`,
	// The enterprise extension.
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "1001"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber gt "1030"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber pr`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq null`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "{u0}"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq "{u1}"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager pr`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq null`,
	`manager.value eq "{u0}"`,
	`employeeNumber sw "10"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "r&d"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department ne "sales"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization co "vendor"`,
	// meta.
	`meta.created gt "{created:30}"`,
	`meta.created ge "{created:30}"`,
	`meta.created lt "{created:10}"`,
	`meta.created le "{created:10}"`,
	`meta.created eq "{created:5}"`,
	`meta.lastModified gt "{created:59}"`,
	`meta.lastModified eq "{modified:2}"`,
	`meta.lastModified ne "{modified:2}"`,
	`meta.lastModified lt "2000-01-01T00:00:00Z"`,
	`meta.created gt "2030-01-02T05:05:00+02:00"`,
	`meta.resourceType eq "User"`,
	`meta.resourceType eq "user"`,
	`meta.created pr`,
	// The user's groups.
	`groups.value eq "{g:Engineering}"`,
	`groups eq "{g:Sales}"`,
	`groups.value eq "{G:Sales}"`,
	`groups.display eq "engineering"`,
	`groups.display co "TEAM"`,
	`groups.display sw "é"`,
	`groups pr`,
	`not (groups pr)`,
	`groups eq null`,
	`groups[display sw "eng" and type eq "direct"]`,
	`groups[not (value eq "{g:Engineering}")]`,
	`groups.type eq "direct"`,
	`groups.value ne "{g:Engineering}"`,
	// Logic.
	`userName sw "a" or userName sw "b"`,
	`active eq true and (title pr or nickName pr)`,
	`not (active eq true) or emails.type eq "other"`,
	`not (userName co "x" and title eq "")`,
	`(userName sw "a" or userName sw "z") and not (emails pr)`,
	`not (not (title eq "Engineer"))`,
	`title eq "Engineer" and not (nickName eq "x")`,
	`not (title eq "engineer" or title eq null)`,
	`not (emails[type eq "work"]) and active eq true`,
	`not (name.givenName ne "alice")`,
	`((active eq false)) or (emails.value ew "x.com" and not (groups pr))`,
	`not (urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager pr) and not (groups.display co "eng")`,
	// Value paths on single-valued complex attributes, and Entra's
	// attr[filter].sub form.
	`name[givenName eq "alice" or familyName pr]`,
	`name[not (givenName eq "alice")]`,
	`not (name[givenName sw "a"])`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager[value eq "{u0}"]`,
	`emails[type eq "work"].value co "x.com"`,
	// Values that look like SQL stay values.
	`userName eq "' or 1=1 --"`,
	`userName eq "x' OR '1'='1"`,
	`title co "\"ops\""`,
}

// groupFilters are the filters RunFilterDifferential checks on groups.
var groupFilters = []string{
	`displayName eq "engineering"`,
	`displayName co "TEAM"`,
	`displayName sw "É"`,
	`displayName sw "e"`,
	`displayName gt "m"`,
	`displayName ew "S"`,
	`displayName eq "zoë's team"`,
	`displayName eq "ZOË'S TEAM"`,
	`externalId eq "grp-eng"`,
	`externalId eq "GRP-ENG"`,
	`externalId pr`,
	`externalId eq null`,
	`id eq "{g:Sales}"`,
	`members.value eq "{u0}"`,
	`members eq "{g:Engineering}"`,
	`members.value eq "{U0}"`,
	`members pr`,
	`not (members pr)`,
	`members eq null`,
	`members[type eq "Group"]`,
	`members[type eq "user" and value eq "{u4}"]`,
	`members.type eq "User"`,
	`members.type ne "Group"`,
	`members.value ne "{u0}"`,
	`members[not (type eq "User")]`,
	`members.display co "alice"`,
	`members[display eq "engineering"]`,
	`not (members.display sw "b") and members pr`,
	`meta.created gt "{gcreated:Sales}"`,
	`meta.lastModified gt "{gcreated:Admins}"`,
	`meta.resourceType eq "Group"`,
	`not (displayName sw "e") and members pr`,
}

// differentialData is the directory RunFilterDifferential filters.
type differentialData struct {
	users  []directory.User // in creation order; users[i] is user i
	groups map[string]directory.Group
}

// RunFilterDifferential fills a store with a varied directory and checks,
// for every filter of a list, that ListUsers/ListGroups select exactly the
// resources filter.Eval selects over the same resources rendered as SCIM
// documents.
func RunFilterDifferential(t *testing.T, newStore func(t *testing.T) directory.Store) {
	s := newStore(t)
	f := newFixture(t, s)
	data := buildDifferentialData(t, f)
	// A second directory with look-alike data: never part of any result.
	twin := f.newDir()
	for _, name := range []string{"Alice@X.com", "zoë@x.com", "bob@Y.com"} {
		f.user(twin.ID, map[string]any{"userName": name, "title": "Engineer", "active": false, "emails": []any{map[string]any{"value": "alice@x.com", "type": "work"}}})
	}
	twinEng := f.group(twin.ID, "Engineering")
	f.group(twin.ID, "Sales", twinEng.ID)

	sch := schema.New()
	users, groups := renderAll(t, f, data)
	label := map[string]string{}
	for _, u := range data.users {
		label[u.ID] = u.UserName
	}
	for _, g := range data.groups {
		label[g.ID] = g.DisplayName
	}

	c := &diffChecker{s: s, f: f, placeholders: data.placeholders(), label: label}
	check := c.check
	t.Run("Users", func(t *testing.T) {
		for _, text := range userFilters {
			check(t, sch.User, text, users)
		}
	})
	t.Run("Groups", func(t *testing.T) {
		for _, text := range groupFilters {
			check(t, sch.Group, text, groups)
		}
	})
	// Guard against a vacuous test: most filters must select some but not
	// all resources.
	total := len(userFilters) + len(groupFilters)
	t.Logf("%d users, %d groups, %d filters, %d of them selecting some but not all", len(users), len(groups), total, c.nontrivial)
	if c.nontrivial < total*2/3 {
		t.Errorf("only %d of %d filters selected some but not all resources: the data set no longer exercises them", c.nontrivial, total)
	}
}

// diffChecker compares, for one filter, what the store selects with what
// filter.Eval selects.
type diffChecker struct {
	s            directory.Store
	f            *fixture
	placeholders *strings.Replacer
	label        map[string]string // id → userName or displayName
	nontrivial   int               // filters selecting some but not all
}

func (c *diffChecker) check(t *testing.T, rt *schema.ResourceType, text string, docs []map[string]any) {
	t.Helper()
	t.Helper()
	expanded := c.placeholders.Replace(text)
	e, err := parseFilter(rt, expanded)
	if err != nil {
		t.Errorf("filter %s: %v", text, err)
		return
	}
	// (a) the store.
	got, total, err := c.selectInStore(rt, e)
	if err != nil {
		var de *directory.Error
		if reason, ok := unsupportedFilters[text]; ok && errors.As(err, &de) && de.ScimType == schema.ErrInvalidFilter {
			t.Logf("filter %s: rejected as listed unsupported (%s): %v", text, reason, err)
			return
		}
		t.Errorf("filter %s: the store failed: %v", text, err)
		return
	}
	if total != len(got) {
		t.Errorf("filter %s: Total %d but %d resources", text, total, len(got))
	}
	// (b) filter.Eval over the rendered documents.
	var want []string
	for _, doc := range docs {
		if filter.Eval(rt, e, doc) {
			want = append(want, doc["id"].(string))
		}
	}
	if len(want) > 0 && len(want) < len(docs) {
		c.nontrivial++
	}
	name := func(ids []string) []string {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = c.label[id] + " (" + id + ")"
		}
		sort.Strings(out)
		return out
	}
	if d := diff(name(want), name(got)); d != "" {
		t.Errorf("filter %s\n  resolved: %s\n  store and filter.Eval disagree (-Eval +store):\n%s", text, filter.Format(e), d)
	}
}

// selectInStore lists the resources of type rt that e selects, and the
// Total the store reports.
func (c *diffChecker) selectInStore(rt *schema.ResourceType, e filter.Expr) (got []string, total int, err error) {
	q := directory.Query{Filter: e, Limit: 100000}
	if rt.ID == "User" {
		var p directory.UserPage
		p, err = c.s.ListUsers(c.f.ctx, c.f.dir.ID, q)
		got, total = userIDs(p.Users), p.Total
	} else {
		var p directory.GroupPage
		p, err = c.s.ListGroups(c.f.ctx, c.f.dir.ID, q)
		got, total = groupIDs(p.Groups), p.Total
	}
	return got, total, err
}

// renderAll reads every user and group of the fixture's directory back from
// the store and renders them as SCIM documents: the stored document plus
// id, meta, the user's groups and the group's members.
func renderAll(t *testing.T, f *fixture, data *differentialData) (users, groups []map[string]any) {
	t.Helper()
	up, err := f.s.ListUsers(f.ctx, f.dir.ID, directory.Query{Limit: 100000})
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	if len(up.Users) != len(data.users) {
		t.Fatalf("ListUsers: %d users, want %d", len(up.Users), len(data.users))
	}
	ug, err := f.s.UserGroups(f.ctx, f.dir.ID, userIDs(up.Users))
	if err != nil {
		t.Fatalf("UserGroups: %v", err)
	}
	for _, u := range up.Users {
		users = append(users, RenderUser(u, ug[u.ID]))
		// The one-statement read of GET /Users/{id} agrees with the two.
		one, groups, err := f.s.GetUserWithGroups(f.ctx, f.dir.ID, u.ID)
		if err != nil {
			t.Fatalf("GetUserWithGroups(%s): %v", u.ID, err)
		}
		if diff := cmp.Diff(RenderUser(u, ug[u.ID]), RenderUser(one, groups)); diff != "" {
			t.Errorf("GetUserWithGroups(%s) differs from ListUsers + UserGroups (-list +get):\n%s", u.ID, diff)
		}
	}
	gp, err := f.s.ListGroups(f.ctx, f.dir.ID, directory.Query{Limit: 100000})
	if err != nil {
		t.Fatalf("ListGroups: %v", err)
	}
	ms, err := f.s.MembersOf(f.ctx, f.dir.ID, groupIDs(gp.Groups))
	if err != nil {
		t.Fatalf("MembersOf: %v", err)
	}
	for _, g := range gp.Groups {
		groups = append(groups, RenderGroup(g, ms[g.ID]))
	}
	return users, groups
}

func renderMeta(resourceType string, created, modified time.Time) map[string]any {
	return map[string]any{
		"resourceType": resourceType,
		"created":      created.UTC().Format(time.RFC3339Nano),
		"lastModified": modified.UTC().Format(time.RFC3339Nano),
	}
}

// renderCommon returns a copy of doc with the common attributes as the SCIM
// surface renders them (internal/scimapi): "id", "meta", and "externalId"
// only when it is a non-empty string.
func renderCommon(doc schema.Resource, id string) map[string]any {
	out := map[string]any(doc.Clone())
	out["id"] = id
	if ext, ok := out["externalId"].(string); !ok || ext == "" {
		delete(out, "externalId")
	}
	return out
}

// RenderUser renders a stored user as the SCIM document filter.Eval reads:
// the stored document with "id", "meta" and the user's direct "groups".
func RenderUser(u directory.User, groups []directory.GroupRef) map[string]any {
	doc := renderCommon(u.Doc, u.ID)
	doc["meta"] = renderMeta("User", u.CreatedAt, u.UpdatedAt)
	if len(groups) > 0 {
		var list []any
		for _, g := range groups {
			m := map[string]any{"value": g.ID, "type": "direct"}
			if g.DisplayName != "" {
				m["display"] = g.DisplayName
			}
			list = append(list, m)
		}
		doc["groups"] = list
	}
	return doc
}

// RenderGroup renders a stored group as the SCIM document filter.Eval
// reads: the stored document with "id", "meta" and "members".
func RenderGroup(g directory.Group, members []directory.Member) map[string]any {
	doc := renderCommon(g.Doc, g.ID)
	doc["meta"] = renderMeta("Group", g.CreatedAt, g.UpdatedAt)
	if len(members) > 0 {
		var list []any
		for _, m := range members {
			v := map[string]any{"value": m.ID, "type": m.Type}
			if m.Display != "" {
				v["display"] = m.Display
			}
			list = append(list, v)
		}
		doc["members"] = list
	}
	return doc
}

func (d *differentialData) placeholders() *strings.Replacer {
	var pairs []string
	// Longest first, so that {u1} does not eat {u12}: use closing braces.
	for i, u := range d.users {
		n := strconv.Itoa(i)
		pairs = append(pairs,
			"{u"+n+"}", u.ID,
			"{U"+n+"}", strings.ToUpper(u.ID),
			"{created:"+n+"}", u.CreatedAt.Format(time.RFC3339Nano),
			"{modified:"+n+"}", u.UpdatedAt.Format(time.RFC3339Nano),
		)
	}
	for name, g := range d.groups {
		pairs = append(pairs,
			"{g:"+name+"}", g.ID,
			"{G:"+name+"}", strings.ToUpper(g.ID),
			"{gcreated:"+name+"}", g.CreatedAt.Format(time.RFC3339Nano),
		)
	}
	return strings.NewReplacer(pairs...)
}

// buildDifferentialData creates ~60 users and ~10 groups with varied data:
// fifteen written out by hand, the rest drawn from a seeded generator.
func buildDifferentialData(t *testing.T, f *fixture) *differentialData {
	t.Helper()
	b := &diffBuilder{t: t, f: f, d: &differentialData{groups: map[string]directory.Group{}}}
	b.handWrittenUsers()
	b.moreHandWrittenUsers()
	// 15..59: generated.
	g := &diffGen{rng: rand.New(rand.NewPCG(7, 42))}
	for i := 15; i < 60; i++ {
		b.mk(g.user(i, b.id))
	}
	b.groups(g)
	b.spreadLastModified()
	return b.d
}

// diffBuilder creates the differential suite's data in f's directory.
type diffBuilder struct {
	t *testing.T
	f *fixture
	d *differentialData
}

func (b *diffBuilder) mk(doc map[string]any) {
	b.d.users = append(b.d.users, b.f.user(b.f.dir.ID, doc))
}

// id is the id of the i-th user created.
func (b *diffBuilder) id(i int) string { return b.d.users[i].ID }

// diffEmail is an emails value.
func diffEmail(value, typ string, primary ...bool) map[string]any {
	m := map[string]any{"value": value}
	if typ != "" {
		m["type"] = typ
	}
	if len(primary) > 0 {
		m["primary"] = primary[0]
	}
	return m
}

// handWrittenUsers creates users 0 to 7.
func (b *diffBuilder) handWrittenUsers() {
	mk, id, email := b.mk, b.id, diffEmail
	// 0
	mk(map[string]any{
		"userName": "Alice@X.com", "externalId": "EXT-001", "displayName": "Alice L.", "title": "Engineer",
		"userType": "Employee", "active": true,
		"name":         map[string]any{"givenName": "Alice", "familyName": "Liddell", "formatted": "Alice Liddell"},
		"emails":       []any{email("alice@x.com", "work", true), email("ALICE@Home.org", "home")},
		"phoneNumbers": []any{map[string]any{"value": "+1 555 0100", "type": "mobile"}},
		"addresses":    []any{map[string]any{"country": "US", "locality": "Springfield", "type": "work"}},
		"roles":        []any{map[string]any{"value": "admin"}},
		ent:            map[string]any{"employeeNumber": "1001", "department": "R&D", "costCenter": "CC-1"},
	})
	// 1
	mk(map[string]any{
		"userName": "bob@Y.com", "externalId": "ext-001", "nickName": "bobby", "active": false,
		"name":   map[string]any{"givenName": "Bob"},
		"emails": []any{email("bob@x.com", "home"), email("bob@y.com", "work")},
		ent:      map[string]any{"employeeNumber": "1002", "manager": map[string]any{"value": id(0)}},
	})
	// 2
	mk(map[string]any{
		"userName": "carol@x.com", "title": "", "nickName": "",
		"emails": []any{email("Carol@X.COM", "work")},
		ent:      map[string]any{"manager": id(0)}, // Entra's bare manager id
	})
	// 3
	mk(map[string]any{"userName": "Dave@z.org", "externalId": "EXT-002", "active": "False"})
	// 4
	mk(map[string]any{
		"userName": "zoë@x.com", "title": "engineering manager", "locale": "fr-FR",
		"name":   map[string]any{"givenName": "Zoë"},
		"emails": []any{email("zoe@example.org", "other")},
	})
	// 5
	mk(map[string]any{
		"userName": "ÉLODIE@exemple.fr", "preferredLanguage": "fr",
		"name":      map[string]any{"givenName": "Élodie", "familyName": "DUPONT"},
		"emails":    []any{email("Élodie@Exemple.fr", "work", true)},
		"addresses": []any{map[string]any{"country": "FR", "locality": "Paris"}},
	})
	// 6
	mk(map[string]any{"userName": "zoe@x.com", "title": "Senior Engineer", "name": map[string]any{"givenName": "Zoe"}})
	// 7: empty strings everywhere.
	mk(map[string]any{
		"userName": "empty@x.com", "externalId": "", "displayName": "",
		"name":   map[string]any{"givenName": ""},
		"emails": []any{email("", "work")},
		ent:      map[string]any{"employeeNumber": ""},
	})
}

// moreHandWrittenUsers creates users 8 to 14.
func (b *diffBuilder) moreHandWrittenUsers() {
	mk, id, email := b.mk, b.id, diffEmail
	// 8
	mk(map[string]any{
		"userName": "multi@Y.com",
		"emails": []any{email("m1@x.com", "work"), email("m2@y.com", "home"), email("m3@Z.ORG", "other"),
			email("m4@x.com", "")},
		"phoneNumbers": []any{map[string]any{"value": "+44 20 7946 0000", "type": "work"}, map[string]any{"value": "+1 555 0199", "type": "mobile"}},
	})
	// 9
	mk(map[string]any{
		"userName": "contractor@vendor.io", "userType": "Contractor", "active": false,
		"entitlements": []any{map[string]any{"value": "vpn"}},
		ent:            map[string]any{"organization": "Vendor Inc", "manager": map[string]any{"value": id(1)}},
	})
	// 10
	mk(map[string]any{"userName": "O'Brien@x.com", "title": `Manager "Ops"`, "name": map[string]any{"familyName": "O'Brien"}})
	// 11
	mk(map[string]any{"userName": "percent%user@x.com", "title": "100% done", "nickName": "_under_"})
	// 12
	mk(map[string]any{"userName": "ID-LOOKALIKE", "externalId": "diruser_fake"})
	// 13
	mk(map[string]any{"userName": "nomail@x.com"})
	// 14
	mk(map[string]any{
		"userName": "primary2@x.com",
		"emails":   []any{email("p@x.com", "work", false), email("P2@x.com", "home", true)},
	})

}

// diffGen draws generated users from a seeded generator; the draws' order
// fixes the data, so it must not change.
type diffGen struct{ rng *rand.Rand }

func (g *diffGen) pick(xs ...string) string { return xs[g.rng.IntN(len(xs))] }
func (g *diffGen) chance(p float64) bool    { return g.rng.Float64() < p }

var (
	diffGivens      = []string{"Alice", "bob", "Zoë", "ÉLODIE", "Émile", "zoe", "ALICE", "Øyvind", "李", "Ana-María", "", "Sean"}
	diffFamilies    = []string{"Smith", "SMITH", "Müller", "von Neumann", "", "Ng", "Olsen", "Johnson"}
	diffDomains     = []string{"x.com", "X.COM", "example.org", "Exemple.fr", "y.io"}
	diffTitles      = []string{"", "Engineer", "Senior Engineer", "MANAGER", "engineering manager", "Zoë's assistant", "Sales Rep"}
	diffDepartments = []string{"R&D", "Sales", "sales", "", "Support"}
)

// user draws the i-th user; id(j) is the id of an earlier user.
func (g *diffGen) user(i int, id func(int) string) map[string]any {
	givens, families, domains, titles := diffGivens, diffFamilies, diffDomains, diffTitles
	given, family := g.pick(givens...), g.pick(families...)
	local := given
	if local == "" {
		local = "user"
	}
	doc := map[string]any{"userName": fmt.Sprintf("%s.%d@%s", local, i, g.pick(domains...))}
	switch {
	case g.chance(0.3):
	case g.chance(0.07):
		doc["externalId"] = ""
	default:
		doc["externalId"] = fmt.Sprintf("%s-%03d", g.pick("EXT", "ext", "Ext"), i)
	}
	if g.chance(0.8) {
		name := map[string]any{}
		if given != "" || g.chance(0.5) {
			name["givenName"] = given
		}
		if family != "" {
			name["familyName"] = family
		}
		if g.chance(0.3) {
			name["formatted"] = strings.TrimSpace(given + " " + family)
		}
		doc["name"] = name
	}
	if g.chance(0.6) {
		doc["displayName"] = strings.TrimSpace(given + " " + family)
	}
	if g.chance(0.7) {
		doc["title"] = g.pick(titles...)
	}
	if g.chance(0.2) {
		doc["nickName"] = g.pick("bobby", "Z", "", "ace")
	}
	switch r := g.rng.Float64(); {
	case r < 0.25:
		doc["active"] = false
	case r < 0.3:
		doc["active"] = "False"
	case r < 0.4:
		// absent: active
	default:
		doc["active"] = true
	}
	g.contacts(doc, i, local)
	g.enterprise(doc, i, id)
	return doc
}

// contacts draws the user's emails, phone numbers, addresses, roles and
// userType.
func (g *diffGen) contacts(doc map[string]any, i int, local string) {
	domains, email := diffDomains, diffEmail
	if n := g.rng.IntN(4); n > 0 {
		var es []any
		for j := 0; j < n; j++ {
			value := fmt.Sprintf("%s%d.%d@%s", strings.ToLower(local), j, i, g.pick(domains...))
			if g.chance(0.5) {
				value = strings.ToUpper(value[:1]) + value[1:]
			}
			if g.chance(0.05) {
				value = ""
			}
			e := email(value, g.pick("work", "home", "other", ""))
			if j == 0 && g.chance(0.5) {
				e["primary"] = true
			}
			es = append(es, e)
		}
		doc["emails"] = es
	}
	if g.chance(0.3) {
		doc["phoneNumbers"] = []any{map[string]any{"value": fmt.Sprintf("+%d 555 %04d", 1+g.rng.IntN(49), i), "type": g.pick("mobile", "work")}}
	}
	if g.chance(0.3) {
		doc["addresses"] = []any{map[string]any{"country": g.pick("FR", "US", "fr", "DE"), "locality": g.pick("Paris", "paris", "Berlin", "New York")}}
	}
	if g.chance(0.2) {
		doc["roles"] = []any{map[string]any{"value": g.pick("admin", "Admin", "viewer")}}
	}
	if g.chance(0.15) {
		doc["userType"] = g.pick("Employee", "Contractor", "contractor")
	}
}

// enterprise draws the user's enterprise extension.
func (g *diffGen) enterprise(doc map[string]any, i int, id func(int) string) {
	departments := diffDepartments
	if g.chance(0.65) {
		e := map[string]any{}
		if g.chance(0.8) {
			e["employeeNumber"] = strconv.Itoa(1000 + i)
		}
		if g.chance(0.6) {
			e["department"] = g.pick(departments...)
		}
		if g.chance(0.4) {
			e["manager"] = map[string]any{"value": id(g.rng.IntN(i))}
		}
		if g.chance(0.1) {
			e["organization"] = g.pick("Vendor Inc", "Acme")
		}
		doc[ent] = e
	}
}

// groups creates the groups, some nested.
func (b *diffBuilder) groups(g *diffGen) {
	t, f, d, id := b.t, b.f, b.d, b.id
	pickUsers := func(n int) []string {
		var out []string
		for _, j := range g.rng.Perm(len(d.users))[:n] {
			out = append(out, id(j))
		}
		return out
	}
	mkg := func(name, externalID string, members ...string) {
		doc := map[string]any{"displayName": name}
		if externalID != "" {
			doc["externalId"] = externalID
		}
		var ms []any
		for _, m := range members {
			ms = append(ms, map[string]any{"value": m})
		}
		if ms != nil {
			doc["members"] = ms
		}
		g, err := f.svc.CreateGroup(f.ctx, f.dir, doc)
		if err != nil {
			t.Fatalf("CreateGroup(%s): %v", name, err)
		}
		d.groups[name] = g
	}
	mkg("Engineering", "grp-eng", append([]string{id(0), id(2), id(4), id(6)}, pickUsers(10)...)...)
	mkg("engineering-leads", "", id(0), id(4))
	mkg("Sales", "GRP-SALES", append([]string{id(1), id(8), id(9)}, pickUsers(8)...)...)
	mkg("Zoë's team", "", id(4), id(6))
	mkg("ÉQUIPE France", "", id(5))
	mkg("Empty", "")
	mkg("All Staff", "", d.groups["Engineering"].ID, d.groups["Sales"].ID, id(3))
	mkg("Nested Only", "", d.groups["engineering-leads"].ID, d.groups["Zoë's team"].ID)
	mkg("Admins", "", id(0), id(1))
	mkg("Contractors", "", append([]string{id(9)}, pickUsers(3)...)...)
}

// spreadLastModified updates some users and a group later, to spread
// meta.lastModified.
func (b *diffBuilder) spreadLastModified() {
	t, f, d, id := b.t, b.f, b.d, b.id
	for i := range d.users {
		if i == 2 || i == 5 || i == 13 || (i > 15 && i%7 == 0) {
			u, _, err := f.s.UpdateUser(f.ctx, f.dir.ID, id(i), f.clock.Now(), func(u *directory.User) (bool, error) {
				u.Doc["title"] = fmt.Sprintf("Updated %d", i)
				return true, nil
			})
			if err != nil {
				t.Fatalf("UpdateUser: %v", err)
			}
			d.users[i] = u
		}
	}
	g, _, err := f.s.UpdateGroup(f.ctx, f.dir.ID, d.groups["Sales"].ID, f.clock.Now(), func(g *directory.Group) (bool, []directory.MemberChange, error) {
		return false, []directory.MemberChange{{Kind: directory.RemoveMembers, IDs: []string{id(8)}}}, nil
	})
	if err != nil {
		t.Fatalf("UpdateGroup: %v", err)
	}
	d.groups["Sales"] = g
}
