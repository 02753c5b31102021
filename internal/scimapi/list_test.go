package scimapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
	"github.com/scimbridge/scimbridge/internal/scimapi"
)

func ids(r *response) []string {
	out := []string{}
	for _, m := range r.resources() {
		s, _ := m["id"].(string)
		out = append(out, s)
	}
	return out
}

// checkList checks the ListResponse envelope: JSON numbers, itemsPerPage
// equal to len(Resources), Resources never null.
func checkList(t *testing.T, r *response, total, startIndex, items int) {
	t.Helper()
	r.want(t, http.StatusOK)
	if r.str("schemas.0") != schema.ListResponseURN {
		t.Errorf("schemas = %v", r.get("schemas"))
	}
	if _, ok := r.body["Resources"].([]any); !ok {
		t.Errorf("Resources is not an array: %s", r.raw)
	}
	got := []int{r.num("totalResults"), r.num("startIndex"), r.num("itemsPerPage"), len(r.resources())}
	if diff := cmp.Diff([]int{total, startIndex, items, items}, got); diff != "" {
		t.Errorf("totalResults, startIndex, itemsPerPage, len(Resources) (-want +got):\n%s\n%s", diff, r.raw)
	}
}

func TestPagination(t *testing.T) {
	e := newEnv(t, func(h *scimapi.Handler) { h.MaxResults = 5 })
	var all []string
	for i := range 7 {
		all = append(all, e.createUser(fmt.Sprintf("user%02d@example.com", i)))
	}
	var paged []string
	for _, start := range []int{1, 4, 7} {
		r := e.do("GET", fmt.Sprintf("Users?startIndex=%d&count=3", start), nil)
		want := min(3, 7-start+1)
		checkList(t, r, 7, start, want)
		paged = append(paged, ids(r)...)
	}
	if diff := cmp.Diff(all, paged); diff != "" {
		t.Errorf("pages are not the creation order (-want +got):\n%s", diff)
	}
	// The same page twice is the same page (stable order).
	a, b := ids(e.do("GET", "Users?startIndex=2&count=2", nil)), ids(e.do("GET", "Users?startIndex=2&count=2", nil))
	if diff := cmp.Diff(a, b); diff != "" || len(a) != 2 {
		t.Errorf("unstable page: %s", diff)
	}

	tests := []struct {
		name, query                      string
		total, startIndex, items, offset int
	}{
		{"count=0: totalResults only", "count=0", 7, 1, 0, 0},
		{"negative count is 0", "count=-4", 7, 1, 0, 0},
		{"count over maxResults is capped", "count=500", 7, 1, 5, 0},
		{"absent count is the default, capped", "", 7, 1, 5, 0},
		{"startIndex 0 is 1", "startIndex=0&count=2", 7, 1, 2, 0},
		{"negative startIndex is 1", "startIndex=-3&count=2", 7, 1, 2, 0},
		{"startIndex past the end", "startIndex=50&count=2", 7, 50, 0, 0},
		{"last partial page", "startIndex=6&count=5", 7, 6, 2, 5},
		{"empty values are absent", "startIndex=&count=", 7, 1, 5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("GET", "Users?"+tt.query, nil)
			checkList(t, r, tt.total, tt.startIndex, tt.items)
			if tt.items > 0 {
				if diff := cmp.Diff(all[tt.offset:tt.offset+tt.items], ids(r)); diff != "" {
					t.Errorf("ids (-want +got):\n%s", diff)
				}
			}
		})
	}
	for _, q := range []string{"startIndex=abc", "count=ten", "startIndex=1.5", "count=1e400"} {
		t.Run("invalid: "+q, func(t *testing.T) {
			e.do("GET", "Users?"+q, nil).want(t, http.StatusBadRequest, "invalidValue")
		})
	}
	t.Run("startIndex=2.0 is 2", func(t *testing.T) {
		checkList(t, e.do("GET", "Users?startIndex=2.0&count=1", nil), 7, 2, 1)
	})
}

func TestSorting(t *testing.T) {
	e := newEnv(t)
	names := []string{"carol@example.com", "alice@example.com", "Bob@example.com"}
	for _, n := range names {
		e.createUser(n)
	}
	userNames := func(r *response) []string {
		var out []string
		for _, m := range r.resources() {
			out = append(out, m["userName"].(string))
		}
		return out
	}
	asc := []string{"alice@example.com", "Bob@example.com", "carol@example.com"}
	desc := []string{"carol@example.com", "Bob@example.com", "alice@example.com"}
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"sortBy=userName", asc},
		{"sortBy=username&sortOrder=ascending", asc},
		{"sortBy=userName&sortOrder=descending", desc},
		{"sortBy=USERNAME&sortOrder=DESCENDING", desc},
		{"sortBy=urn:ietf:params:scim:schemas:core:2.0:User:userName&sortOrder=Descending", desc},
		{"sortBy=name.givenName", asc},
		{"sortBy=emails.value&sortOrder=descending", desc},
		{"sortBy=userName&sortOrder=descending&startIndex=2&count=1", desc[1:2]},
		{"", names},
		{"sortOrder=descending", []string{names[2], names[1], names[0]}},
	} {
		t.Run(tt.query, func(t *testing.T) {
			r := e.do("GET", "Users?"+tt.query, nil).want(t, http.StatusOK)
			if diff := cmp.Diff(tt.want, userNames(r)); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
		})
	}
	for _, by := range []string{"shoeSize", "groups", "groups.display", "meta.location", "meta"} {
		e.do("GET", "Users?sortBy="+by, nil).want(t, http.StatusBadRequest, "invalidValue")
	}
	e.do("GET", "Groups?sortBy=members.value", nil).want(t, http.StatusBadRequest, "invalidValue")
	e.do("GET", "Users?sortBy=meta.resourceType", nil).want(t, http.StatusOK)
	e.do("GET", "Users?sortBy=meta.lastModified&sortOrder=descending", nil).want(t, http.StatusOK)
	e.do("GET", "Users?sortBy=userName&sortOrder=sideways", nil).want(t, http.StatusBadRequest, "invalidValue")
	r := e.do("POST", "Users/.search", map[string]any{"sortBy": "userName", "sortOrder": "descending"}).want(t, http.StatusOK)
	if diff := cmp.Diff(desc, userNames(r)); diff != "" {
		t.Errorf(".search order (-want +got):\n%s", diff)
	}
}

func TestProjection(t *testing.T) {
	e := newEnv(t)
	body := entraUser("proj@example.com")
	body["displayName"] = "Pro Jection"
	id := e.do("POST", "Users", body).want(t, http.StatusCreated).str("id")
	gid := e.createGroup("Projected", id)

	keys := func(m map[string]any) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		return sorted(out)
	}
	tests := []struct {
		name, query string
		check       func(t *testing.T, m map[string]any)
	}{
		{"attributes=userName", "attributes=userName", func(t *testing.T, m map[string]any) {
			if diff := cmp.Diff([]string{"id", "schemas", "userName"}, keys(m)); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
		}},
		{"attributes are case-insensitive, unknown ignored", "attributes=USERNAME,shoeSize,  displayname ", func(t *testing.T, m map[string]any) {
			if diff := cmp.Diff([]string{"displayName", "id", "schemas", "userName"}, keys(m)); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
		}},
		{"dotted sub-attributes", "attributes=name.givenName,emails.value", func(t *testing.T, m map[string]any) {
			want := map[string]any{"givenName": "Grace"}
			if diff := cmp.Diff(want, m["name"]); diff != "" {
				t.Errorf("name (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]any{map[string]any{"value": "proj@example.com"}}, m["emails"]); diff != "" {
				t.Errorf("emails (-want +got):\n%s", diff)
			}
		}},
		{"URN-qualified extension attribute", "attributes=" + enterpriseURN + ":employeeNumber", func(t *testing.T, m map[string]any) {
			if diff := cmp.Diff(map[string]any{"employeeNumber": "701984"}, m[enterpriseURN]); diff != "" {
				t.Errorf("extension (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]any{schema.UserURN, enterpriseURN}, m["schemas"]); diff != "" {
				t.Errorf("schemas (-want +got):\n%s", diff)
			}
		}},
		{"unqualified extension attribute", "attributes=department", func(t *testing.T, m map[string]any) {
			if diff := cmp.Diff(map[string]any{"department": "Navy"}, m[enterpriseURN]); diff != "" {
				t.Errorf("extension (-want +got):\n%s", diff)
			}
		}},
		{"whole extension", "attributes=" + enterpriseURN, func(t *testing.T, m map[string]any) {
			ext, _ := m[enterpriseURN].(map[string]any)
			if len(ext) != 3 || m["userName"] != nil {
				t.Errorf("got %v", m)
			}
		}},
		{"excluded", "excludedAttributes=emails,name.givenName,groups,meta", func(t *testing.T, m map[string]any) {
			if m["emails"] != nil || m["groups"] != nil || m["meta"] != nil || m["userName"] == nil {
				t.Errorf("got %v", m)
			}
			if diff := cmp.Diff(map[string]any{"familyName": "Hopper", "formatted": "Grace Hopper"}, m["name"]); diff != "" {
				t.Errorf("name (-want +got):\n%s", diff)
			}
		}},
		{"excluding id and schemas has no effect", "excludedAttributes=id,schemas", func(t *testing.T, m map[string]any) {
			if m["id"] != id || m["schemas"] == nil {
				t.Errorf("got %v", m)
			}
		}},
		{"excluded extension drops it from schemas", "excludedAttributes=" + enterpriseURN, func(t *testing.T, m map[string]any) {
			if m[enterpriseURN] != nil {
				t.Errorf("extension still there")
			}
			if diff := cmp.Diff([]any{schema.UserURN}, m["schemas"]); diff != "" {
				t.Errorf("schemas (-want +got):\n%s", diff)
			}
		}},
		{"meta sub-attribute", "attributes=meta.version", func(t *testing.T, m map[string]any) {
			if diff := cmp.Diff(map[string]any{"version": `W/"1"`}, m["meta"]); diff != "" {
				t.Errorf("meta (-want +got):\n%s", diff)
			}
		}},
		{"groups", "attributes=groups.value", func(t *testing.T, m map[string]any) {
			if diff := cmp.Diff([]any{map[string]any{"value": gid}}, m["groups"]); diff != "" {
				t.Errorf("groups (-want +got):\n%s", diff)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := strings.ReplaceAll(tt.query, " ", "%20")
			one := e.do("GET", "Users/"+id+"?"+q, nil).want(t, http.StatusOK)
			tt.check(t, one.body)
			list := e.do("GET", "Users?"+q, nil)
			checkList(t, list, 1, 1, 1)
			tt.check(t, list.resources()[0])
		})
	}
	t.Run("on POST and PUT responses", func(t *testing.T) {
		r := e.do("POST", "Users?attributes=userName", oktaUser("proj2@example.com")).want(t, http.StatusCreated)
		if diff := cmp.Diff([]string{"id", "schemas", "userName"}, keys(r.body)); diff != "" {
			t.Errorf("POST keys (-want +got):\n%s", diff)
		}
		r = e.do("PUT", "Users/"+r.str("id")+"?excludedAttributes=name,emails,meta", oktaUser("proj2@example.com")).want(t, http.StatusOK)
		if r.get("name") != nil || r.get("emails") != nil || r.get("meta") != nil || r.str("userName") == "" {
			t.Errorf("PUT: %s", r.raw)
		}
	})
	t.Run("groups list with attributes=displayName reads no members", func(t *testing.T) {
		e.calls.reset()
		r := e.do("GET", "Groups?attributes=displayName", nil)
		checkList(t, r, 1, 1, 1)
		if diff := cmp.Diff([]string{"displayName", "id", "schemas"}, keys(r.resources()[0])); diff != "" {
			t.Errorf("keys (-want +got):\n%s", diff)
		}
		if n := e.calls.membersOf.Load(); n != 0 {
			t.Errorf("MembersOf called %d times", n)
		}
	})
}

func TestSearch(t *testing.T) {
	e := newEnv(t)
	ada := e.createUser("ada@example.com", map[string]any{"displayName": "Engineering"})
	bob := e.createUser("bob@example.com")
	eng := e.createGroup("Engineering", ada)
	ops := e.createGroup("Ops", bob)

	t.Run("Users/.search", func(t *testing.T) {
		r := e.do("POST", "Users/.search", map[string]any{
			"schemas":    []string{schema.SearchRequestURN},
			"attributes": []string{"userName", "emails.value"},
			"filter":     `userName eq "ADA@example.com"`,
			"startIndex": 1,
			"count":      10,
		})
		checkList(t, r, 1, 1, 1)
		m := r.resources()[0]
		if m["id"] != ada || m["name"] != nil || m["userName"] != "ada@example.com" {
			t.Errorf("result: %v", m)
		}
	})
	t.Run("Groups/.search with excludedAttributes as a string", func(t *testing.T) {
		r := e.do("POST", "Groups/.search", map[string]any{"filter": `displayName eq "ops"`, "excludedAttributes": "members"})
		checkList(t, r, 1, 1, 1)
		if m := r.resources()[0]; m["id"] != ops || m["members"] != nil {
			t.Errorf("result: %v", m)
		}
	})
	t.Run("pagination parameters as strings", func(t *testing.T) {
		checkList(t, e.do("POST", "Users/.search", map[string]any{"startIndex": "2", "count": "1"}), 2, 2, 1)
	})
	t.Run("root .search without filter pages over users then groups", func(t *testing.T) {
		var got []string
		for _, start := range []int{1, 2, 3, 4} {
			r := e.do("POST", ".search", map[string]any{"startIndex": start, "count": 1})
			checkList(t, r, 4, start, 1)
			got = append(got, ids(r)...)
		}
		if diff := cmp.Diff([]string{ada, bob, eng, ops}, got); diff != "" {
			t.Errorf("ids (-want +got):\n%s", diff)
		}
		r := e.do("POST", ".search", map[string]any{"startIndex": 2, "count": 2})
		checkList(t, r, 4, 2, 2)
		if diff := cmp.Diff([]string{bob, eng}, ids(r)); diff != "" {
			t.Errorf("page across the boundary (-want +got):\n%s", diff)
		}
		if r.resources()[0]["meta"].(map[string]any)["resourceType"] != "User" || r.resources()[1]["meta"].(map[string]any)["resourceType"] != "Group" {
			t.Errorf("resource types: %s", r.raw)
		}
	})
	t.Run("root .search with a filter on an attribute both types have", func(t *testing.T) {
		r := e.do("POST", ".search", map[string]any{"filter": `displayName eq "Engineering"`, "attributes": []string{"displayName"}})
		checkList(t, r, 2, 1, 2)
		if diff := cmp.Diff([]string{ada, eng}, ids(r)); diff != "" {
			t.Errorf("ids (-want +got):\n%s", diff)
		}
	})
	t.Run("root .search with a filter only users have", func(t *testing.T) {
		r := e.do("POST", ".search", map[string]any{"filter": `userName eq "bob@example.com"`})
		checkList(t, r, 1, 1, 1)
	})
	t.Run("root .search errors", func(t *testing.T) {
		e.do("POST", ".search", map[string]any{"filter": `shoeSize eq 4`}).want(t, http.StatusBadRequest, "invalidFilter")
		e.do("POST", ".search", map[string]any{"filter": `userName eq`}).want(t, http.StatusBadRequest, "invalidFilter")
		e.do("POST", ".search", map[string]any{"sortBy": "shoeSize"}).want(t, http.StatusBadRequest, "invalidValue")
		e.do("POST", ".search", map[string]any{"filter": 42}).want(t, http.StatusBadRequest, "invalidFilter")
		e.do("POST", ".search", map[string]any{"attributes": 42}).want(t, http.StatusBadRequest, "invalidValue")
		e.do("POST", ".search", `[]`).want(t, http.StatusBadRequest, "invalidSyntax")
	})
	t.Run("GET on .search is not a search", func(t *testing.T) {
		e.do("GET", ".search", nil).want(t, http.StatusMethodNotAllowed)
	})
}
