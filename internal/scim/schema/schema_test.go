package schema

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestNormalizeLiberalInput(t *testing.T) {
	s := New()
	cases := []struct {
		name string
		rt   *ResourceType
		in   string
		want Resource
	}{
		{
			name: "Okta create: password, groups, id, meta dropped; names canonicalised",
			rt:   s.User,
			in: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"USERNAME":"Jane@X.com","name":{"GivenName":"Jane","familyName":"Doe"},
				"emails":[{"primary":true,"value":"jane@x.com","type":"work"}],"password":"p@ss","groups":[],"id":"abc","meta":{"resourceType":"User"},
				"active":true,"externalId":"00u1"}`,
			want: Resource{"userName": "Jane@X.com", "name": map[string]any{"givenName": "Jane", "familyName": "Doe"},
				"emails": []any{map[string]any{"primary": true, "value": "jane@x.com", "type": "work"}}, "active": true, "externalId": "00u1"},
		},
		{
			name: "Entra: string booleans, nulls, typo'd schema URN, manager as a bare string",
			rt:   s.User,
			in: `{"schemas":["urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],"userName":"a","active":"False","addresses":null,"phoneNumbers":null,
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"m-1","department":null,"employeeNumber":"42"},"roles":[]}`,
			want: Resource{"userName": "a", "active": false,
				EnterpriseUserURN: map[string]any{"manager": map[string]any{"value": "m-1"}, "employeeNumber": "42"}},
		},
		{
			name: "manager as a list of one reference; URN-qualified key at top level",
			rt:   s.User,
			in: `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Sales",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":[{"$ref":"../Users/9","value":"9"}]}}`,
			want: Resource{"userName": "a", EnterpriseUserURN: map[string]any{"department": "Sales", "manager": map[string]any{"$ref": "../Users/9", "value": "9"}}},
		},
		{
			name: "a single object for a multi-valued attribute; two primaries keep the first",
			rt:   s.User,
			in:   `{"userName":"a","phoneNumbers":{"value":"+1 555","type":"work"},"emails":[{"value":"a@x","primary":"True"},{"value":"b@x","primary":true}]}`,
			want: Resource{"userName": "a", "phoneNumbers": []any{map[string]any{"value": "+1 555", "type": "work"}},
				"emails": []any{map[string]any{"value": "a@x", "primary": true}, map[string]any{"value": "b@x", "primary": false}}},
		},
		{
			name: "unknown core attributes dropped, unknown extensions kept verbatim",
			rt:   s.User,
			in:   `{"userName":"a","favouriteColour":"red","urn:ietf:params:scim:schemas:extension:Acme:2.0:User":{"costCode":"C1","x":null}}`,
			want: Resource{"userName": "a", "urn:ietf:params:scim:schemas:extension:Acme:2.0:User": map[string]any{"costCode": "C1"}},
		},
		{
			name: "Entra group with the ADSCIM schema URI and members",
			rt:   s.Group,
			in: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
				"displayName":"Sales","externalId":"g-1","meta":{"resourceType":"Group"},"members":[{"$ref":null,"value":"u1"}]}`,
			want: Resource{"displayName": "Sales", "externalId": "g-1", "members": []any{map[string]any{"value": "u1"}}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Normalize(c.rt, decode(t, c.in), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("Normalize (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNormalizeRejects(t *testing.T) {
	s := New()
	cases := []struct {
		name, in string
		opts     Options
	}{
		{"boolean that is not one", `{"userName":"a","active":"maybe"}`, Options{}},
		{"complex given a number", `{"userName":"a","name":42}`, Options{}},
		{"extension given a string", `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":"x"}`, Options{}},
		{"strict: unknown attribute", `{"userName":"a","favouriteColour":"red"}`, Options{Strict: true}},
		{"strict: string boolean", `{"userName":"a","active":"True"}`, Options{Strict: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Normalize(s.User, decode(t, c.in), c.opts)
			se, ok := err.(*Error)
			if !ok || se.ScimType != ErrInvalidValue {
				t.Fatalf("err = %v, want invalidValue", err)
			}
		})
	}
}

func TestResolveAndSplitURN(t *testing.T) {
	s := New()
	r, ok := s.User.Resolve("URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER", "MANAGER", "VALUE")
	if !ok || r.Path != (Path{URN: EnterpriseUserURN, Name: "manager", Sub: "value"}) {
		t.Errorf("Resolve enterprise manager.value: %+v %v", r.Path, ok)
	}
	if r, ok := s.User.Resolve("", "meta", "LASTMODIFIED"); !ok || r.Path.String() != "meta.lastModified" || r.Leaf().Type != DateTime {
		t.Errorf("Resolve meta.lastModified: %+v", r)
	}
	if _, ok := s.User.Resolve("", "nope", ""); ok {
		t.Error("unknown attribute resolved")
	}
	urn, rest := s.User.SplitURN("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value")
	if urn != EnterpriseUserURN || rest != "manager.value" {
		t.Errorf("SplitURN = %q, %q", urn, rest)
	}
	if urn, rest := s.User.SplitURN("name.givenName"); urn != "" || rest != "name.givenName" {
		t.Errorf("SplitURN core = %q, %q", urn, rest)
	}
}

func TestFoldOnlyCaseInsensitive(t *testing.T) {
	s := New()
	doc := Resource{"userName": "Jane@X.com", "externalId": "00U-Abc", "emails": []any{map[string]any{"value": "Jane@X.com", "type": "Work", "primary": true}},
		EnterpriseUserURN: map[string]any{"department": "SALES"}, "urn:x:Custom": map[string]any{"k": "KEEP"}}
	got := Fold(s.User, doc)
	want := Resource{"userName": "jane@x.com", "externalId": "00U-Abc", "emails": []any{map[string]any{"value": "jane@x.com", "type": "work", "primary": true}},
		EnterpriseUserURN: map[string]any{"department": "sales"}, "urn:x:Custom": map[string]any{"k": "KEEP"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Fold (-want +got):\n%s", diff)
	}
	if doc["userName"] != "Jane@X.com" {
		t.Error("Fold changed its input")
	}
}

func TestURNsListsExtensionsWithData(t *testing.T) {
	s := New()
	r := Resource{"userName": "a", EnterpriseUserURN: map[string]any{"department": "x"}, "urn:b:Custom": map[string]any{}}
	if diff := cmp.Diff([]string{UserURN, EnterpriseUserURN}, r.URNs(s.User)); diff != "" {
		t.Error(diff)
	}
}
