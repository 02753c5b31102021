package mgmtapi_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// world is an organization with two directories (a and b) and a second
// organization with one directory (other), with users and groups.
type world struct {
	*env
	org, org2        string
	a, b, other      directory.Directory
	alice, bob, carl directory.User
	eng, ops         directory.Group
	otherUser        directory.User
	otherGroup       directory.Group
}

func newWorld(t *testing.T) *world {
	t.Helper()
	e := newEnv(t)
	ctx := context.Background()
	w := &world{env: e}
	o, err := e.svc.CreateOrganization(ctx, "Acme", "acme")
	if err != nil {
		t.Fatal(err)
	}
	o2, err := e.svc.CreateOrganization(ctx, "Globex", "globex")
	if err != nil {
		t.Fatal(err)
	}
	w.org, w.org2 = o.ID, o2.ID
	mk := func(org string) directory.Directory {
		d, err := e.svc.CreateDirectory(ctx, org, "okta", "")
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	w.a, w.b, w.other = mk(w.org), mk(w.org), mk(w.org2)
	user := func(d directory.Directory, doc map[string]any) directory.User {
		u, err := e.svc.CreateUser(ctx, d, doc)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	w.alice = user(w.a, map[string]any{"userName": "alice@acme.test", "displayName": "Alice Liddell", "title": "Engineer", "externalId": "00u1",
		"name":   map[string]any{"givenName": "Alice", "familyName": "Liddell"},
		"emails": []any{map[string]any{"value": "alice.home@example.com", "type": "home"}, map[string]any{"value": "alice@acme.test", "type": "work"}},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"department": "R&D", "employeeNumber": "42", "manager": map[string]any{"value": "00u9"}}})
	w.bob = user(w.a, map[string]any{"userName": "bob@acme.test", "active": false, "name": map[string]any{"givenName": "Robert", "familyName": "Marley"},
		"emails": []any{map[string]any{"value": "bob@acme.test", "primary": true}}})
	w.carl = user(w.a, map[string]any{"userName": "carl@acme.test", "emails": []any{map[string]any{"value": "c1@x.test"}, map[string]any{"value": "c2@x.test"}}})
	w.otherUser = user(w.other, map[string]any{"userName": "eve@globex.test"})
	group := func(d directory.Directory, name string, members ...string) directory.Group {
		doc := map[string]any{"displayName": name}
		var ms []any
		for _, m := range members {
			ms = append(ms, map[string]any{"value": m})
		}
		if ms != nil {
			doc["members"] = ms
		}
		g, err := e.svc.CreateGroup(ctx, d, doc)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	w.eng = group(w.a, "Engineering", w.alice.ID, w.bob.ID)
	w.ops = group(w.a, "Operations", w.alice.ID, w.eng.ID)
	w.otherGroup = group(w.other, "Globex staff", w.otherUser.ID)
	return w
}

// get calls GET and fails unless the status is want.
func (w *world) get(path string, want int) map[string]any {
	w.t.Helper()
	st, out := w.call("GET", path, bootstrapKey, "")
	if st != want {
		w.t.Fatalf("GET %s: %d %v, want %d", path, st, out, want)
	}
	if want >= 400 && (errCode(out) == "" || out["error"].(map[string]any)["message"] == "") {
		w.t.Fatalf("GET %s: error body %v", path, out)
	}
	return out
}

// ids pages through a list with page_size n and returns every id.
func (w *world) ids(path string, n int) []string {
	w.t.Helper()
	var out []string
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	token := ""
	for pages := 0; pages < 100; pages++ {
		p := fmt.Sprintf("%s%spage_size=%d", path, sep, n)
		if token != "" {
			p += "&page_token=" + url.QueryEscape(token)
		}
		got := w.get(p, 200)
		data := got["data"].([]any)
		if len(data) > n {
			w.t.Fatalf("%s: %d items, page_size %d", p, len(data), n)
		}
		for _, x := range data {
			out = append(out, x.(map[string]any)["id"].(string))
		}
		next, ok := got["next_page_token"].(string)
		if !ok {
			if got["next_page_token"] != nil {
				w.t.Fatalf("next_page_token %v", got["next_page_token"])
			}
			return out
		}
		token = next
	}
	w.t.Fatalf("%s: too many pages", path)
	return nil
}

func same(got []string, want ...string) bool {
	return strings.Join(got, ",") == strings.Join(want, ",")
}

func TestListOrganizations(t *testing.T) {
	w := newWorld(t)
	want := []string{w.org, w.org2}
	sort.Strings(want)
	for _, n := range []int{1, 2, 20} {
		if got := w.ids("/api/v1/organizations", n); !same(got, want...) {
			t.Errorf("page_size %d: %v, want %v", n, got, want)
		}
	}
	got := w.get("/api/v1/organizations?external_id=globex", 200)
	if d := got["data"].([]any); len(d) != 1 || d[0].(map[string]any)["id"] != w.org2 || got["next_page_token"] != nil {
		t.Errorf("external_id lookup: %v", got)
	}
	if d := w.get("/api/v1/organizations?external_id=nope", 200)["data"].([]any); len(d) != 0 {
		t.Errorf("unknown external_id: %v", d)
	}
	if d := w.get("/api/v1/organizations", 200)["data"].([]any); len(d) != 2 || d[0].(map[string]any)["object"] != "organization" {
		t.Errorf("default page: %v", d)
	}
	for _, q := range []string{"page_size=0", "page_size=101", "page_size=x", "page_token=%%%", "page_token=bm9wZQ", "page_token=" + b64(w.a.ID),
		"colour=red", "external_id=", "page_size=1&page_size=2"} {
		if got := w.get("/api/v1/organizations?"+q, 400); errCode(got) != "invalid" {
			t.Errorf("?%s: %v", q, got)
		}
	}
}

func b64(s string) string {
	return strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(stdB64(s)), "=")
}

func TestUpdateAndDeleteOrganization(t *testing.T) {
	w := newWorld(t)
	path := "/api/v1/organizations/" + w.org
	st, got := w.call("PATCH", path, bootstrapKey, `{"name":" Acme Inc ","external_id":"acme-2"}`)
	if st != 200 || got["name"] != "Acme Inc" || got["external_id"] != "acme-2" {
		t.Fatalf("PATCH: %d %v", st, got)
	}
	if st, got := w.call("PATCH", path, bootstrapKey, `{"external_id":"globex"}`); st != 409 || errCode(got) != "conflict" {
		t.Errorf("duplicate external_id: %d %v", st, got)
	}
	if st, got := w.call("PATCH", path, bootstrapKey, `{"external_id":null}`); st != 200 || got["external_id"] != nil || got["name"] != "Acme Inc" {
		t.Errorf("clear external_id: %d %v", st, got)
	}
	for _, body := range []string{`{"name":""}`, `{"name":5}`, `{"external_id":7}`, `{"colour":"red"}`, `[1]`, `{"name":"a"} x`} {
		if st, got := w.call("PATCH", path, bootstrapKey, body); st != 400 || errCode(got) != "invalid" {
			t.Errorf("PATCH %s: %d %v", body, st, got)
		}
	}
	if st, got := w.call("PATCH", "/api/v1/organizations/org_nope", bootstrapKey, `{"name":"x"}`); st != 404 || errCode(got) != "not_found" {
		t.Errorf("PATCH unknown: %d %v", st, got)
	}

	// A token of directory a works, then the organization is deleted: the
	// token stops at once, and everything of the organization is gone.
	_, secret, err := w.svc.CreateToken(context.Background(), w.a.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	w.svc.AuthCache = directory.NewAuthCache(time.Minute)
	if _, err := w.svc.AuthenticateDirectory(context.Background(), w.a.ID, secret); err != nil {
		t.Fatal(err)
	}
	if st, _ := w.call("DELETE", path, bootstrapKey, ""); st != 204 {
		t.Fatalf("DELETE: %d", st)
	}
	if _, err := w.svc.AuthenticateDirectory(context.Background(), w.a.ID, secret); directory.KindOf(err) != directory.KindUnauthorized {
		t.Errorf("token after delete: %v, want unauthorized", err)
	}
	w.get(path, 404)
	w.get("/api/v1/directories/"+w.a.ID, 404)
	w.get("/api/v1/directories/"+w.b.ID, 404)
	w.get("/api/v1/directories/"+w.a.ID+"/users/"+w.alice.ID, 404)
	w.get("/api/v1/organizations/"+w.org+"/directories", 404)
	if st, _ := w.call("DELETE", path, bootstrapKey, ""); st != 404 {
		t.Errorf("second DELETE: %d", st)
	}
	// The other organization is untouched.
	w.get("/api/v1/directories/"+w.other.ID+"/users/"+w.otherUser.ID, 200)
}

func TestDirectoriesListDeleteAndSetupState(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	base := "/api/v1/organizations/" + w.org + "/directories"
	want := []string{w.a.ID, w.b.ID}
	sort.Strings(want)
	if got := w.ids(base, 1); !same(got, want...) {
		t.Errorf("directories: %v, want %v", got, want)
	}
	d := w.get(base, 200)["data"].([]any)[0].(map[string]any)
	if d["object"] != "directory" || d["setup_state"] != "awaiting_token" || d["user_count"] == nil {
		t.Errorf("directory: %v", d)
	}
	w.get(base+"?page_token="+b64(w.alice.ID), 400)
	w.get("/api/v1/organizations/org_nope/directories", 404)

	state := func() any { return w.get("/api/v1/directories/"+w.a.ID, 200)["setup_state"] }
	if s := state(); s != "awaiting_token" {
		t.Errorf("setup_state %v, want awaiting_token", s)
	}
	_, secret, err := w.svc.CreateToken(ctx, w.a.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if s := state(); s != "awaiting_first_request" {
		t.Errorf("setup_state %v, want awaiting_first_request", s)
	}
	if _, err := w.svc.AuthenticateDirectory(ctx, w.a.ID, secret); err != nil {
		t.Fatal(err)
	}
	if s := state(); s != "connected" {
		t.Errorf("setup_state %v, want connected", s)
	}

	// Delete: the token stops at once (even with the auth cache on), the
	// data goes, the sibling directory stays.
	w.svc.AuthCache = directory.NewAuthCache(time.Minute)
	if _, err := w.svc.AuthenticateDirectory(ctx, w.a.ID, secret); err != nil {
		t.Fatal(err)
	}
	if st, _ := w.call("DELETE", "/api/v1/directories/"+w.a.ID, bootstrapKey, ""); st != 204 {
		t.Fatalf("DELETE: %d", st)
	}
	if _, err := w.svc.AuthenticateDirectory(ctx, w.a.ID, secret); directory.KindOf(err) != directory.KindUnauthorized {
		t.Errorf("token after delete: %v", err)
	}
	w.get("/api/v1/directories/"+w.a.ID+"/users", 404)
	w.get("/api/v1/directories/"+w.a.ID+"/groups/"+w.eng.ID, 404)
	if _, err := w.svc.Store.GetUser(ctx, w.a.ID, w.alice.ID); !directory.IsNotFound(err) {
		t.Errorf("user after delete: %v", err)
	}
	if got := w.ids(base, 5); !same(got, w.b.ID) {
		t.Errorf("directories after delete: %v", got)
	}
	if st, _ := w.call("DELETE", "/api/v1/directories/"+w.a.ID, bootstrapKey, ""); st != 404 {
		t.Errorf("second DELETE: %d", st)
	}
}

func TestDirectoryUsers(t *testing.T) {
	w := newWorld(t)
	base := "/api/v1/directories/" + w.a.ID + "/users"
	all := []string{w.alice.ID, w.bob.ID, w.carl.ID}
	for _, n := range []int{1, 2, 3, 100} {
		if got := w.ids(base, n); !same(got, all...) {
			t.Errorf("page_size %d: %v", n, got)
		}
	}
	u := w.get(base+"/"+w.alice.ID, 200)
	want := map[string]any{"object": "directory_user", "id": w.alice.ID, "directory_id": w.a.ID, "organization_id": w.org,
		"user_name": "alice@acme.test", "email": "alice@acme.test", "first_name": "Alice", "last_name": "Liddell",
		"display_name": "Alice Liddell", "active": true, "external_id": "00u1", "title": "Engineer", "department": "R&D",
		"employee_number": "42", "manager_id": "00u9"}
	for k, v := range want {
		if u[k] != v {
			t.Errorf("%s = %v, want %v", k, u[k], v)
		}
	}
	if gs := u["groups"].([]any); len(gs) != 2 || gs[0].(map[string]any)["name"] != "Engineering" || gs[0].(map[string]any)["id"] != w.eng.ID {
		t.Errorf("groups %v", gs)
	}
	if _, ok := u["raw_attributes"]; ok {
		t.Errorf("raw_attributes without include_detail")
	}
	if _, ok := u["created_at"].(string); !ok {
		t.Errorf("created_at %v", u["created_at"])
	}
	raw := w.get(base+"/"+w.alice.ID+"?include_detail=true", 200)["raw_attributes"].(map[string]any)
	if raw["userName"] != "alice@acme.test" || raw["title"] != "Engineer" {
		t.Errorf("raw_attributes %v", raw)
	}
	if b := w.get(base+"/"+w.bob.ID, 200); b["email"] != "bob@acme.test" || b["active"] != false || b["display_name"] != nil {
		t.Errorf("bob %v", b)
	}
	if c := w.get(base+"/"+w.carl.ID, 200); c["email"] != "c1@x.test" || len(c["groups"].([]any)) != 0 || c["first_name"] != nil {
		t.Errorf("carl %v", c)
	}
	first := w.get(base+"?include_detail=true&page_size=1", 200)["data"].([]any)[0].(map[string]any)
	if first["raw_attributes"] == nil || len(first["groups"].([]any)) != 2 {
		t.Errorf("list with detail: %v", first)
	}

	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"group_id=" + w.eng.ID, []string{w.alice.ID, w.bob.ID}},
		{"group_id=" + w.ops.ID, []string{w.alice.ID}},
		{"group_id=" + w.otherGroup.ID, nil},
		{"active=false", []string{w.bob.ID}},
		{"active=true", []string{w.alice.ID, w.carl.ID}},
		{"email=ALICE@acme.test", []string{w.alice.ID}},
		{"email=c2@x.test", []string{w.carl.ID}},
		// q is the portal's search: a case-insensitive prefix of the user
		// name, the email the record shows (email), the display name or the
		// family name; not a substring, not the given name.
		{"q=liddell", []string{w.alice.ID}},
		{"q=MARLEY", []string{w.bob.ID}},
		{"q=" + url.QueryEscape("alice l"), []string{w.alice.ID}},
		{"q=alice.home", nil}, // only the email the record shows as email
		{"q=c1@X", []string{w.carl.ID}},
		{"q=%20bob%20", []string{w.bob.ID}},
		{"q=ROBERT", nil},
		{"q=acme.test", nil},
		{"q=x.test", nil},
		{"q=" + url.QueryEscape(`a" or "1`), nil},
		{"updated_after=2000-01-01T00:00:00Z", all},
		{"updated_after=2999-01-01T00:00:00Z", nil},
		{"updated_after=" + url.QueryEscape(w.bob.UpdatedAt.Format(time.RFC3339Nano)), []string{w.carl.ID}},
		{"active=true&q=c", []string{w.carl.ID}},
		{"active=true&q=b", nil},
		{"active=false&q=b", []string{w.bob.ID}},
		{"active=true&email=c2@x.test&updated_after=2000-01-01T00:00:00Z&q=carl", []string{w.carl.ID}},
		{"group_id=" + w.eng.ID + "&q=bob", []string{w.bob.ID}},
	} {
		if got := w.ids(base+"?"+tc.q, 1); !same(got, tc.want...) {
			t.Errorf("?%s: %v, want %v", tc.q, got, tc.want)
		}
	}
	for _, q := range []string{"active=yes", "updated_after=yesterday", "group_id=nope", "include_detail=1x", "page_token=" + b64(w.eng.ID),
		"page_token=" + b64(w.otherUser.ID), "page_token=" + b64("diruser_gone"), "sort=name", "page_size=-1"} {
		if got := w.get(base+"?"+q, 400); errCode(got) != "invalid" {
			t.Errorf("?%s: %v", q, got)
		}
	}
	// Another directory's ids, unknown ids: 404 revealing nothing.
	w.get(base+"/"+w.otherUser.ID, 404)
	w.get("/api/v1/directories/"+w.b.ID+"/users/"+w.alice.ID, 404)
	w.get(base+"/diruser_nope", 404)
	w.get("/api/v1/directories/dir_nope/users", 404)
	w.get(base+"/"+w.alice.ID+"?page_size=3", 400)
	if got := w.ids("/api/v1/directories/"+w.b.ID+"/users", 5); len(got) != 0 {
		t.Errorf("empty directory: %v", got)
	}
	if got := w.get("/api/v1/directories/"+w.b.ID+"/users", 200); fmt.Sprint(got["data"]) != "[]" {
		t.Errorf("empty data must be [], got %v", got["data"])
	}
}

func TestDirectoryGroups(t *testing.T) {
	w := newWorld(t)
	base := "/api/v1/directories/" + w.a.ID + "/groups"
	if got := w.ids(base, 1); !same(got, w.eng.ID, w.ops.ID) {
		t.Errorf("groups: %v", got)
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"user_id=" + w.alice.ID, []string{w.eng.ID, w.ops.ID}},
		{"user_id=" + w.bob.ID, []string{w.eng.ID}},
		{"user_id=" + w.carl.ID, nil},
		{"q=ENGIN", []string{w.eng.ID}},
		{"q=ation", nil}, // a prefix, not a substring
		{"q=oper", []string{w.ops.ID}},
		{"user_id=" + w.alice.ID + "&q=o", []string{w.ops.ID}},
		{"updated_after=2000-01-01T00:00:00Z", []string{w.eng.ID, w.ops.ID}},
		{"updated_after=2999-01-01T00:00:00%2B02:00", nil},
	} {
		if got := w.ids(base+"?"+tc.q, 1); !same(got, tc.want...) {
			t.Errorf("?%s: %v, want %v", tc.q, got, tc.want)
		}
	}
	g := w.get(base+"/"+w.ops.ID, 200)
	if g["object"] != "directory_group" || g["name"] != "Operations" || g["member_count"] != float64(2) || g["organization_id"] != w.org {
		t.Errorf("group %v", g)
	}
	if g := w.get(base+"/"+w.eng.ID, 200); g["member_count"] != float64(2) {
		t.Errorf("eng %v", g)
	}
	if got := w.ids(base+"/"+w.ops.ID+"/members", 1); !same(got, w.alice.ID, w.eng.ID) {
		t.Errorf("members: %v", got)
	}
	m := w.get(base+"/"+w.ops.ID+"/members", 200)["data"].([]any)
	if m[0].(map[string]any)["type"] != "user" || m[1].(map[string]any)["type"] != "group" || m[1].(map[string]any)["display"] != "Engineering" {
		t.Errorf("members %v", m)
	}
	for _, q := range []string{"user_id=dirgroup_x", "updated_after=2020", "page_token=" + b64(w.alice.ID), "page_token=" + b64(w.otherGroup.ID), "member=1"} {
		w.get(base+"?"+q, 400)
	}
	w.get(base+"/"+w.ops.ID+"/members?page_token="+b64("org_x"), 400)
	w.get(base+"/"+w.ops.ID+"/members?page_token="+b64(w.otherUser.ID), 400)
	w.get(base+"/"+w.ops.ID+"?page_size=1", 400)
	w.get(base+"/"+w.otherGroup.ID, 404)
	w.get(base+"/"+w.otherGroup.ID+"/members", 404)
	w.get("/api/v1/directories/"+w.other.ID+"/groups/"+w.eng.ID, 404)
	w.get("/api/v1/directories/dir_nope/groups", 404)
	w.get(base+"/dirgroup_nope/members", 404)
}

func stdB64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
