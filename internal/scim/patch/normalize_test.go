package patch

import (
	"reflect"
	"strings"
	"testing"

	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

func TestNormalize(t *testing.T) {
	user, group := schemas.User, schemas.Group
	tests := []struct {
		name   string
		rt     *schema.ResourceType
		body   []byte
		strict bool
		want   []string
	}{
		// Okta (docs/idp/okta.md)
		{
			name: "okta deactivate path-less",
			rt:   user,
			body: body(`{"op":"replace","value":{"active":false}}`),
			want: []string{"replace active = false"},
		},
		{
			name: "okta group rename path-less with id",
			rt:   group,
			body: body(`{"op":"replace","value":{"id":"6c5bb468-14b2-4183-baf2-06d523e03bd3","displayName":"Engineering"}}`),
			want: []string{`replace displayName = "Engineering"`},
		},
		{
			name: "okta member remove by filter and add",
			rt:   group,
			body: body(`{"op":"remove","path":"members[value eq \"u1\"]"}`,
				`{"op":"add","path":"members","value":[{"value":"u2","display":"user2@example.com"}]}`),
			want: []string{"removeMembers u1", "addMembers u2(user2@example.com)"},
		},
		{
			name: "okta full push",
			rt:   group,
			body: body(`{"op":"replace","path":"members","value":[{"value":"u1","display":"a"},{"value":"u2","display":"b"},{"value":"u1"}]}`),
			want: []string{"replaceMembers u1(a) u2(b)"},
		},
		{
			name: "okta password sync is dropped",
			rt:   user,
			body: body(`{"op":"replace","value":{"password":"hunter2"}}`),
			want: nil,
		},
		// Entra default dialect (docs/idp/entra-id.md)
		{
			name: "entra capitalised ops and string boolean",
			rt:   user,
			body: body(`{"op":"Replace","path":"active","value":"False"}`, `{"op":"Add","path":"active","value":"True"}`),
			want: []string{"replace active = false", "add active = true"},
		},
		{
			name: "entra several attributes",
			rt:   user,
			body: body(
				`{"op":"Replace","path":"displayName","value":"Babs Jensen"}`,
				`{"op":"Replace","path":"emails[type eq \"work\"].value","value":"babs@contoso.com"}`,
				`{"op":"Replace","path":"name.givenName","value":"Barbara"}`,
				`{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"701984"}`,
			),
			want: []string{
				`replace displayName = "Babs Jensen"`,
				`replace emails[type eq "work"].value = "babs@contoso.com"`,
				`replace name.givenName = "Barbara"`,
				`replace ` + ent + `:employeeNumber = "701984"`,
			},
		},
		{
			name: "entra manager as an array on the unqualified path",
			rt:   user,
			body: body(`{"op":"Add","path":"manager","value":[{"$ref":"https://x/Users/m1","value":"m1"}]}`),
			want: []string{`add ` + ent + `:manager = {"$ref":"https://x/Users/m1","value":"m1"}`},
		},
		{
			name: "entra manager as a bare string",
			rt:   user,
			body: body(`{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m1"}`),
			want: []string{`add ` + ent + `:manager = {"value":"m1"}`},
		},
		{
			name: "entra manager remove by filter",
			rt:   user,
			body: body(`{"op":"Remove","path":"manager[value eq \"m1\"]"}`),
			want: []string{`remove ` + ent + `:manager[value eq "m1"]`},
		},
		{
			name: "entra member removal by value list",
			rt:   group,
			body: body(`{"op":"Remove","path":"members","value":[{"value":"u1"},{"$ref":null,"value":"u2"}]}`),
			want: []string{"removeMembers u1 u2"},
		},
		{
			name: "entra member add with null $ref",
			rt:   group,
			body: body(`{"op":"Add","path":"members","value":[{"$ref":null,"value":"u1"}]}`),
			want: []string{"addMembers u1"},
		},
		{
			name: "entra roles filter with string boolean",
			rt:   user,
			body: body(`{"op":"Replace","path":"roles[primary eq \"True\"].value","value":"Admin"}`),
			want: []string{`replace roles[primary eq true].value = "Admin"`},
		},
		// Entra aadOptscim062020
		{
			name: "entra flag path-less dotted and URN keys",
			rt:   user,
			body: body(`{"op":"replace","value":{"displayName":"Babs","name.givenName":"Barbara","name.familyName":"Jensen","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"701984","active":false}}`),
			want: []string{
				"replace active = false",
				`replace displayName = "Babs"`,
				`replace name.familyName = "Jensen"`,
				`replace name.givenName = "Barbara"`,
				`replace ` + ent + `:employeeNumber = "701984"`,
			},
		},
		{
			name: "path-less extension object and key, object first",
			rt:   user,
			body: body(`{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"R&D","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"costCenter":"4130","manager":"m1"}}}`),
			want: []string{
				`add ` + ent + `:costCenter = "4130"`,
				`add ` + ent + `:manager = {"value":"m1"}`,
				`add ` + ent + `:department = "R&D"`,
			},
		},
		{
			name: "path equal to the extension URN",
			rt:   user,
			body: body(`{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","value":{"department":"Sales"}}`,
				`{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}`),
			want: []string{`add ` + ent + `:department = "Sales"`, `remove ` + ent + `:`},
		},
		{
			name: "entra flag member remove by filter",
			rt:   group,
			body: body(`{"op":"remove","path":"members[value eq \"7f4b\"]"}`),
			want: []string{"removeMembers 7f4b"},
		},
		// OneLogin, authentik
		{
			name: "onelogin lowercase member add",
			rt:   group,
			body: body(`{"op":"add","path":"members","value":[{"value":"u1"},{"value":"u2"}]}`),
			want: []string{"addMembers u1 u2"},
		},
		{
			name: "authentik path-less group object and per-member ops",
			rt:   group,
			body: body(
				`{"op":"replace","value":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"Admins","externalId":"ak-1","meta":{"resourceType":"Group"},"members":null}}`,
				`{"op":"add","path":"members","value":[{"value":"u1"}]}`,
				`{"op":"remove","path":"members","value":[{"value":"u2"}]}`,
			),
			want: []string{`replace displayName = "Admins"`, `replace externalId = "ak-1"`, "addMembers u1", "removeMembers u2"},
		},
		// Members, more shapes
		{
			name: "members: single object, bare id, type kept, dedupe",
			rt:   group,
			body: body(`{"op":"add","path":"members","value":{"value":"u1","type":"User"}}`,
				`{"op":"add","path":"members","value":"u2"}`,
				`{"op":"add","path":"members","value":[{"value":"u3"},"u3",null,{"value":"u3","display":"three"}]}`),
			want: []string{"addMembers u1<User>", "addMembers u2", "addMembers u3(three)"},
		},
		{
			name: "members: or-joined filter, type constraint",
			rt:   group,
			body: body(`{"op":"remove","path":"members[value eq \"a\" or value eq \"b\" or value eq \"a\"]"}`,
				`{"op":"remove","path":"members[value eq \"c\" and type eq \"User\"]"}`),
			want: []string{"removeMembers a b", "removeMembers c"},
		},
		{
			name: "members: and-ed value constraints intersect",
			rt:   group,
			body: body(`{"op":"remove","path":"members[value eq \"a\" and value eq \"a\"]"}`, `{"op":"remove","path":"members[value eq \"a\" and value eq \"b\"]"}`,
				`{"op":"remove","path":"members[(value eq \"c\" or value eq \"d\") and type eq \"Group\"]"}`),
			want: []string{"removeMembers a", "removeMembers c d"},
		},
		{
			name: "members: numeric ids become their text",
			rt:   group,
			body: body(`{"op":"add","path":"members","value":[{"value":1091},2]}`, `{"op":"remove","path":"members[value eq 1091]"}`),
			want: []string{"addMembers 1091 2", "removeMembers 1091"},
		},
		{
			name: "members: remove without value clears",
			rt:   group,
			body: body(`{"op":"remove","path":"members"}`),
			want: []string{"clearMembers"},
		},
		{
			name: "members: replace with empty list clears, remove with empty list is a no-op",
			rt:   group,
			body: body(`{"op":"replace","path":"members","value":[]}`, `{"op":"remove","path":"members","value":[]}`),
			want: []string{"clearMembers"},
		},
		{
			name: "members: path-less add and replace",
			rt:   group,
			body: body(`{"op":"add","value":{"members":[{"value":"u1"}]}}`, `{"op":"replace","value":{"displayName":"G","members":[{"value":"u2"}]}}`),
			want: []string{`replace displayName = "G"`, "addMembers u1", "replaceMembers u2"},
		},
		{
			name: "ids are not trimmed",
			rt:   group,
			body: body(`{"op":"add","path":"members","value":[{"value":" u1 "},{"value":"u1"}]}`),
			want: []string{"addMembers  u1  u1"},
		},
		// Values and paths
		{
			name: "ignored targets: id, meta, schemas, groups, password",
			rt:   user,
			body: body(`{"op":"replace","path":"id","value":"x"}`, `{"op":"replace","path":"meta.lastModified","value":"x"}`,
				`{"op":"add","path":"groups","value":[{"value":"g"}]}`, `{"op":"replace","path":"password","value":"p"}`,
				`{"op":"add","value":{"groups":[],"schemas":[],"meta":{}}}`),
			want: nil,
		},
		{
			name: "unknown attributes are ignored",
			rt:   user,
			body: body(`{"op":"replace","path":"favouriteColour","value":"blue"}`, `{"op":"replace","path":"name.nickname","value":"x"}`,
				`{"op":"add","value":{"shoeSize":42,"title":"Boss"}}`),
			want: []string{`add title = "Boss"`},
		},
		{
			name: "unknown extension URN kept",
			rt:   user,
			body: body(`{"op":"add","path":"urn:ietf:params:scim:schemas:extension:Acme:2.0:User:costCode","value":"CC-1"}`,
				`{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:Acme:2.0:User":{"tier":"gold","flag":null}}}`,
				`{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:Acme:2.0:User:old"}`),
			want: []string{
				`add urn:ietf:params:scim:schemas:extension:Acme:2.0:User:costCode = "CC-1"`,
				`replace urn:ietf:params:scim:schemas:extension:Acme:2.0:User:tier = "gold"`,
				`remove urn:ietf:params:scim:schemas:extension:Acme:2.0:User:old`,
			},
		},
		{
			name: "case-insensitive names and URNs become canonical",
			rt:   user,
			body: body(`{"op":"REPLACE","path":"NAME.GIVENNAME","value":"A"}`, `{"op":"replace","path":"URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:Department","value":"D"}`,
				`{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:userName","value":"bjensen"}`),
			want: []string{`replace name.givenName = "A"`, `replace ` + ent + `:department = "D"`, `replace userName = "bjensen"`},
		},
		{
			name: "replace with null or empty becomes remove, add with null is dropped",
			rt:   user,
			body: body(`{"op":"replace","path":"title","value":null}`, `{"op":"replace","path":"emails","value":[]}`, `{"op":"add","path":"nickName"}`),
			want: []string{"remove title", "remove emails"},
		},
		{
			name: "multi-valued values coerced to lists",
			rt:   user,
			body: body(`{"op":"add","path":"emails","value":{"value":"a@x","type":"work","primary":"true","bogus":1}}`),
			want: []string{`add emails = [{"primary":true,"type":"work","value":"a@x"}]`},
		},
		{
			name: "remove multi-valued by value list",
			rt:   user,
			body: body(`{"op":"remove","path":"emails","value":[{"value":"a@x"}]}`),
			want: []string{`remove emails = [{"value":"a@x"}]`},
		},
		{
			name: "filtered path without sub takes one element",
			rt:   user,
			body: body(`{"op":"replace","path":"addresses[type eq \"work\"]","value":[{"locality":"Hollywood"}]}`),
			want: []string{`replace addresses[type eq "work"] = {"locality":"Hollywood"}`},
		},
		{
			name: "empty Operations",
			rt:   user,
			body: body(),
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := Parse(tt.rt, tt.body, Options{Strict: tt.strict})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := render(t, plan); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("plan:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestNormalizeErrors(t *testing.T) {
	user, group := schemas.User, schemas.Group
	tests := []struct {
		name     string
		rt       *schema.ResourceType
		body     []byte
		opts     Options
		scimType string
	}{
		{"unknown op", user, body(`{"op":"move","path":"title","value":"x"}`), Options{}, "invalidSyntax"},
		{"empty op", user, body(`{"op":"","path":"title","value":"x"}`), Options{}, "invalidSyntax"},
		{"path-less remove", user, body(`{"op":"remove"}`), Options{}, "noTarget"},
		{"path-less remove with value", group, body(`{"op":"remove","value":{"members":[{"value":"u1"}]}}`), Options{}, "noTarget"},
		{"path-less replace with a string", user, body(`{"op":"replace","value":"x"}`), Options{}, "invalidValue"},
		{"path-less add without value", user, body(`{"op":"add"}`), Options{}, "invalidValue"},
		{"unparsable path", user, body(`{"op":"replace","path":"emails[type eq","value":"x"}`), Options{}, "invalidPath"},
		{"unknown sub-attribute in filter", user, body(`{"op":"replace","path":"emails[kind eq \"work\"].value","value":"x"}`), Options{}, "invalidPath"},
		{"filter on a simple attribute", user, body(`{"op":"replace","path":"title[value eq \"x\"]","value":"y"}`), Options{}, "invalidPath"},
		{"bad boolean", user, body(`{"op":"replace","path":"active","value":"maybe"}`), Options{}, "invalidValue"},
		{"object for a string", user, body(`{"op":"replace","path":"name.givenName","value":[[1]]}`), Options{}, "invalidValue"},
		{"two elements for a filtered path", user, body(`{"op":"replace","path":"emails[type eq \"work\"]","value":[{"value":"a"},{"value":"b"}]}`), Options{}, "invalidValue"},
		{"readOnly sub-attribute", user, body(`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName","value":"x"}`), Options{}, "mutability"},
		{"extension URN with a non-object", user, body(`{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":"x"}}`), Options{}, "invalidValue"},
		{"remove the core schema", user, body(`{"op":"remove","path":"urn:ietf:params:scim:schemas:core:2.0:User"}`), Options{}, "invalidPath"},
		{"bad custom attribute path", user, body(`{"op":"add","path":"urn:acme:ext:2.0:User:bad name","value":"x"}`), Options{}, "invalidPath"},
		{"members filter by display", group, body(`{"op":"remove","path":"members[display eq \"Bob\"]"}`), Options{}, "invalidFilter"},
		{"members filter by type only", group, body(`{"op":"remove","path":"members[type eq \"User\"]"}`), Options{}, "invalidFilter"},
		{"members filter ne", group, body(`{"op":"remove","path":"members[value ne \"u1\"]"}`), Options{}, "invalidFilter"},
		{"members filter or type", group, body(`{"op":"remove","path":"members[value eq \"u1\" or type eq \"User\"]"}`), Options{}, "invalidFilter"},
		{"members filter not", group, body(`{"op":"remove","path":"members[not (value eq \"u1\")]"}`), Options{}, "invalidFilter"},
		{"members sub-attribute path", group, body(`{"op":"replace","path":"members.display","value":"x"}`), Options{}, "invalidPath"},
		{"members filtered add", group, body(`{"op":"add","path":"members[value eq \"u1\"]","value":{"value":"u1"}}`), Options{}, "invalidPath"},
		{"member without value", group, body(`{"op":"add","path":"members","value":[{"display":"Bob"}]}`), Options{}, "invalidValue"},
		{"member value not a string", group, body(`{"op":"add","path":"members","value":[{"value":{"id":"u1"}}]}`), Options{}, "invalidValue"},
		{"member empty id", group, body(`{"op":"add","path":"members","value":[""]}`), Options{}, "invalidValue"},
		{"member a boolean", group, body(`{"op":"add","path":"members","value":[true]}`), Options{}, "invalidValue"},
		{"too many operations", user, body(`{"op":"remove","path":"title"}`, `{"op":"remove","path":"title"}`), Options{MaxOperations: 1}, "tooMany"},
		{"strict: unknown attribute", user, body(`{"op":"replace","path":"favouriteColour","value":"blue"}`), Options{Strict: true}, "invalidPath"},
		{"strict: unknown path-less key", user, body(`{"op":"replace","value":{"shoeSize":42}}`), Options{Strict: true}, "invalidPath"},
		{"strict: unknown extension", user, body(`{"op":"add","path":"urn:ietf:params:scim:schemas:extension:Acme:2.0:User:costCode","value":"x"}`), Options{Strict: true}, "invalidPath"},
		{"strict: string boolean", user, body(`{"op":"replace","path":"active","value":"False"}`), Options{Strict: true}, "invalidValue"},
		{"strict: add without value", user, body(`{"op":"add","path":"title"}`), Options{Strict: true}, "invalidValue"},
		{"strict: manager as a string", user, body(`{"op":"add","path":"manager","value":"m1"}`), Options{Strict: true}, "invalidValue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := Parse(tt.rt, tt.body, tt.opts)
			if got := scimType(err); got != tt.scimType {
				t.Fatalf("error %v (scimType %q), plan %v; want scimType %q", err, got, render(t, plan), tt.scimType)
			}
			if tt.scimType != "tooMany" && !strings.HasPrefix(err.Error(), tt.scimType+": Operations[") {
				t.Errorf("error %q does not name the operation", err)
			}
		})
	}
}

func TestMaxOperationsAllowsExactly(t *testing.T) {
	_, err := Parse(schemas.User, body(`{"op":"remove","path":"title"}`, `{"op":"remove","path":"title"}`), Options{MaxOperations: 2})
	if err != nil {
		t.Fatal(err)
	}
}
