package scimapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFilters(t *testing.T) {
	e := newEnv(t)
	ada := e.do("POST", "Users", oktaUser("Ada.Lovelace@example.com")).want(t, http.StatusCreated).str("id")
	grace := e.do("POST", "Users", entraUser("grace@example.com")).want(t, http.StatusCreated).str("id")
	inactive := oktaUser("gone@example.com")
	inactive["active"] = false
	inactive["externalId"] = "00uGONE"
	gone := e.do("POST", "Users", inactive).want(t, http.StatusCreated).str("id")
	eng := e.createGroup("Engineering", ada, grace)
	e.createGroup("Sales", gone)

	tests := []struct {
		name, query string
		want        []string
	}{
		{"userName eq, other case", `filter=userName eq "ada.lovelace@EXAMPLE.com"`, []string{ada}},
		{"username Eq (PingOne)", `filter=username Eq "ada.lovelace@example.com"`, []string{ada}},
		{"USERNAME EQ", `filter=USERNAME EQ "grace@example.com"`, []string{grace}},
		{"externalId eq", `filter=externalId eq "1b5e7c7e-6d0c-4a3c-9c4e-5f1d2f0b9a11"`, []string{grace}},
		{"inactive users are found", `filter=externalId eq "00uGONE"`, []string{gone}},
		{"emails[type eq work].value eq", `filter=emails[type eq "work"].value eq "grace@example.com"`, []string{grace}},
		{"co", `filter=userName co "example"`, []string{ada, grace, gone}},
		{"and", `filter=userName sw "ada" and active eq true`, []string{ada}},
		{"active eq false", `filter=active eq false`, []string{gone}},
		{"enterprise attribute", `filter=urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`, []string{grace}},
		{"no match", `filter=userName eq "nobody@example.com"`, nil},
		{"unknown query parameters are ignored", `aadOptscim062020&foo=bar&filter=userName eq "grace@example.com"`, []string{grace}},
		{"parameter names in other case", `FILTER=userName eq "grace@example.com"`, []string{grace}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want == nil {
				want = []string{}
			}
			for enc, q := range map[string]string{
				"%20": strings.ReplaceAll(url.PathEscape(tt.query), "%3D", "="),
				"+":   strings.ReplaceAll(strings.ReplaceAll(url.QueryEscape(tt.query), "%3D", "="), "%26", "&"),
			} {
				r := e.do("GET", "Users?"+q, nil)
				checkList(t, r, len(want), 1, len(want))
				if diff := cmp.Diff(sorted(want), sorted(ids(r))); diff != "" {
					t.Errorf("%s-encoded: ids (-want +got):\n%s", enc, diff)
				}
			}
		})
	}

	t.Run("no match is 200 with Resources []", func(t *testing.T) {
		r := e.do("GET", "Users?filter="+url.QueryEscape(`userName eq "nobody"`), nil)
		checkList(t, r, 0, 1, 0)
		if !strings.Contains(string(r.raw), `"Resources":[]`) {
			t.Errorf("body: %s", r.raw)
		}
	})

	t.Run("groups: displayName eq with excludedAttributes=members", func(t *testing.T) {
		e.calls.reset()
		r := e.do("GET", "Groups?filter="+url.QueryEscape(`displayName eq "engineering"`)+"&excludedAttributes=members", nil)
		checkList(t, r, 1, 1, 1)
		if got := r.resources()[0]; got["id"] != eng || got["members"] != nil || got["displayName"] != "Engineering" {
			t.Errorf("group: %v", got)
		}
		if n := e.calls.membersOf.Load() + e.calls.listMembers.Load(); n != 0 {
			t.Errorf("members read %d times though excluded", n)
		}
	})
	t.Run("groups: members of the whole page in one read", func(t *testing.T) {
		e.calls.reset()
		r := e.do("GET", "Groups", nil)
		checkList(t, r, 2, 1, 2)
		if n := e.calls.membersOf.Load(); n != 1 {
			t.Errorf("MembersOf called %d times, want 1", n)
		}
		if e.calls.listMembers.Load() != 0 {
			t.Errorf("ListMembers called")
		}
		e.calls.reset()
		checkList(t, e.do("GET", "Users", nil), 3, 1, 3)
		// A page is read in chunks (page.go), the first of web.FirstChunk
		// resources: one read of groups per chunk, never one per user, and
		// none for a chunk whose users are all in the rendered-resource
		// cache (read by the subtests above).
		if n := e.calls.userGroups.Load(); n > 2 {
			t.Errorf("UserGroups called %d times, want at most 2 (one per chunk of the page)", n)
		}
	})
	t.Run("groups: filter on members.value", func(t *testing.T) {
		r := e.do("GET", "Groups?filter="+url.QueryEscape(`members[value eq "`+gone+`"]`), nil)
		checkList(t, r, 1, 1, 1)
	})

	for _, bad := range []struct{ name, filter string }{
		{"incomplete", `userName eq`},
		{"unknown operator", `userName like "a"`},
		{"unknown attribute", `shoeSize eq "42"`},
		{"unbalanced", `(userName eq "a"`},
		{"garbage", `}{][`},
		{"bad escape", `userName eq "100%"`},
	} {
		t.Run("invalid filter: "+bad.name, func(t *testing.T) {
			q := url.QueryEscape(bad.filter)
			if bad.name == "bad escape" {
				q = strings.ReplaceAll(bad.filter, " ", "+")
			}
			e.do("GET", "Users?filter="+q, nil).want(t, http.StatusBadRequest, "invalidFilter")
		})
	}
}
