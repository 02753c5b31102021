package scimapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// TestListedJSONMatchesRender checks that a listed resource is written
// byte for byte as the single-resource path renders and encodes it, with
// the same derived byte count, for users and groups with and without
// extensions, groups, members, undeclared and "never" attributes.
func TestListedJSONMatchesRender(t *testing.T) {
	types := schema.New()
	c := &call{dir: "dir_1", base: "https://scim.example.com/scim/v2/dir_1", types: types}
	doc := func(s string) schema.Resource {
		d := json.NewDecoder(bytes.NewReader([]byte(s)))
		d.UseNumber()
		var r schema.Resource
		if err := d.Decode(&r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	created := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	modified := created.Add(90 * time.Minute)
	users := []string{
		`{}`,
		`{"userName":"a@example.com"}`,
		`{"userName":"b@example.com","externalId":"00u1","active":true,"displayName":"<B & \"b\">",
		  "name":{"givenName":"B","familyName":"Bé"},"emails":[{"value":"b@example.com","primary":true,"type":"work"}],
		  "password":"never returned","x-unknown":1.50,"title":null}`,
		`{"userName":"c","externalId":"","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"7","costCenter":"\u2028","manager":{"value":"m"}},
		  "urn:example:undeclared":{"a":1}}`,
		`{"userName":"d","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"undeclared":"x"},"phoneNumbers":[],"x509Certificates":[{"value":"TUlJ"}]}`,
	}
	groupSets := [][]directory.GroupRef{nil, {{ID: "g1", DisplayName: "Eng"}, {ID: "g/2"}}}
	for i, s := range users {
		for j, groups := range groupSets {
			u := directory.User{ID: fmt.Sprintf("u%d", i), Doc: doc(s), Version: int64(i + 1), CreatedAt: created, UpdatedAt: modified}
			t.Run(fmt.Sprintf("user %d groups %d", i, j), func(t *testing.T) {
				checkListed(t, c, c.listedUser(u, groups), c.user(u, groups, nil))
			})
		}
	}
	groups := []string{`{}`, `{"displayName":"Eng","externalId":"x","members":[{"value":"stale"}]}`}
	memberSets := [][]directory.Member{nil, {{ID: "u1", Type: directory.MemberUser, Display: "A"}, {ID: "g2", Type: directory.MemberGroup}}}
	for i, s := range groups {
		for j, members := range memberSets {
			g := directory.Group{ID: fmt.Sprintf("g%d", i), Doc: doc(s), Version: 3, CreatedAt: created, UpdatedAt: modified}
			t.Run(fmt.Sprintf("group %d members %d", i, j), func(t *testing.T) {
				checkListed(t, c, c.listedGroup(g, members), c.group(g, members, nil))
			})
		}
	}
}

func checkListed(t *testing.T, c *call, res resource, rendered object) {
	t.Helper()
	var want bytes.Buffer
	wantDerived, err := renderJSON(newEncoder(&want), rendered)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	gotDerived, err := c.listedJSON(newEncoder(&got), res, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) || gotDerived != wantDerived {
		t.Errorf("listed (derived %d):\n%s\nrendered (derived %d):\n%s", gotDerived, got.Bytes(), wantDerived, want.Bytes())
	}
	if m, err := marshal(rendered); err != nil || !bytes.Equal(m, want.Bytes()) {
		t.Errorf("renderJSON differs from marshal: %s, %v", m, err)
	}
}
