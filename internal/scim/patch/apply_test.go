package patch

import (
	"strings"
	"testing"

	"github.com/scimbridge/scimbridge/internal/scim/filter"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// userDoc is a user as Okta or Entra provisions it, in canonical form.
const userDoc = `{
	"userName": "bjensen@example.com",
	"externalId": "00u1abcd",
	"name": {"givenName": "Barbara", "familyName": "Jensen", "formatted": "Barbara Jensen"},
	"displayName": "Babs Jensen",
	"active": true,
	"emails": [
		{"value": "bjensen@example.com", "type": "work", "primary": true},
		{"value": "babs@home.example", "type": "home"}
	],
	"phoneNumbers": [{"value": "555-555-8377", "type": "work"}],
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
		"employeeNumber": "701984",
		"department": "Tour Operations",
		"manager": {"value": "m1", "$ref": "https://example.com/scim/v2/Users/m1"}
	}
}`

const groupDoc = `{"displayName": "Engineering", "externalId": "okta-grp-1"}`

// edit returns userDoc with the JSON object changes applied: keys map to
// new values, null deletes; nested objects are replaced whole.
func edit(t *testing.T, base string, changes string) string {
	t.Helper()
	d := jsonDoc(t, base)
	for k, v := range jsonDoc(t, changes) {
		if v == nil {
			delete(d, k)
		} else {
			d[k] = v
		}
	}
	return canon(t, d)
}

func TestApply(t *testing.T) {
	user, group := schemas.User, schemas.Group
	tests := []struct {
		name    string
		rt      *schema.ResourceType
		doc     string
		body    []byte
		opts    Options
		want    string // the expected document; "" means unchanged
		changed bool
	}{
		// Okta
		{
			name:    "okta deactivate",
			body:    body(`{"op":"replace","value":{"active":false}}`),
			want:    edit(t, userDoc, `{"active":false}`),
			changed: true,
		},
		{
			name:    "okta reactivate",
			doc:     edit(t, userDoc, `{"active":false}`),
			body:    body(`{"op":"replace","value":{"active":true}}`),
			want:    userDoc,
			changed: true,
		},
		{
			name: "okta group rename resent unchanged is a no-op",
			rt:   group,
			doc:  groupDoc,
			body: body(`{"op":"replace","value":{"id":"6c5bb468","displayName":"Engineering"}}`),
		},
		{
			name:    "okta group rename",
			rt:      group,
			doc:     groupDoc,
			body:    body(`{"op":"replace","value":{"id":"6c5bb468","displayName":"Engineering EMEA"}}`),
			want:    `{"displayName":"Engineering EMEA","externalId":"okta-grp-1"}`,
			changed: true,
		},
		{
			name: "okta member ops leave the document alone",
			rt:   group,
			doc:  groupDoc,
			body: body(`{"op":"remove","path":"members[value eq \"u1\"]"}`, `{"op":"add","path":"members","value":[{"value":"u2","display":"user2@example.com"}]}`),
		},
		// Entra default dialect
		{
			name:    "entra disable with string boolean",
			body:    body(`{"op":"Replace","path":"active","value":"False"}`),
			want:    edit(t, userDoc, `{"active":false}`),
			changed: true,
		},
		{
			name:    "entra disable via Add",
			body:    body(`{"op":"Add","path":"active","value":"False"}`),
			want:    edit(t, userDoc, `{"active":false}`),
			changed: true,
		},
		{
			name: "entra replace work email value when one exists",
			body: body(`{"op":"Replace","path":"emails[type eq \"work\"].value","value":"barbara@example.com"}`),
			want: edit(t, userDoc, `{"emails":[
				{"value":"barbara@example.com","type":"work","primary":true},
				{"value":"babs@home.example","type":"home"}]}`),
			changed: true,
		},
		{
			name:    "entra replace work email value with no work email creates it",
			doc:     edit(t, userDoc, `{"emails":[{"value":"babs@home.example","type":"home"}]}`),
			body:    body(`{"op":"Replace","path":"emails[type eq \"work\"].value","value":"barbara@example.com"}`),
			want:    edit(t, userDoc, `{"emails":[{"value":"babs@home.example","type":"home"},{"type":"work","value":"barbara@example.com"}]}`),
			changed: true,
		},
		{
			name:    "entra add work email value with no emails at all creates it",
			doc:     edit(t, userDoc, `{"emails":null}`),
			body:    body(`{"op":"Add","path":"emails[type eq \"work\"].value","value":"barbara@example.com"}`),
			want:    edit(t, userDoc, `{"emails":[{"type":"work","value":"barbara@example.com"}]}`),
			changed: true,
		},
		{
			name:    "entra URN-qualified employeeNumber",
			body:    body(`{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"42"}`),
			want:    edit(t, userDoc, `{"`+ent+`":{"employeeNumber":"42","department":"Tour Operations","manager":{"value":"m1","$ref":"https://example.com/scim/v2/Users/m1"}}}`),
			changed: true,
		},
		{
			name:    "entra manager add as array replaces the old manager and its $ref",
			body:    body(`{"op":"Add","path":"manager","value":[{"$ref":null,"value":"m2"}]}`),
			want:    edit(t, userDoc, `{"`+ent+`":{"employeeNumber":"701984","department":"Tour Operations","manager":{"value":"m2"}}}`),
			changed: true,
		},
		{
			name:    "entra manager as a string on a user without one",
			doc:     edit(t, userDoc, `{"`+ent+`":null}`),
			body:    body(`{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m2"}`),
			want:    edit(t, userDoc, `{"`+ent+`":{"manager":{"value":"m2"}}}`),
			changed: true,
		},
		{
			name: "entra manager resent unchanged is a no-op",
			body: body(`{"op":"Add","path":"manager","value":[{"$ref":"https://example.com/scim/v2/Users/m1","value":"m1"}]}`),
		},
		{
			name:    "entra remove manager by filter",
			body:    body(`{"op":"Remove","path":"manager[value eq \"m1\"]"}`),
			want:    edit(t, userDoc, `{"`+ent+`":{"employeeNumber":"701984","department":"Tour Operations"}}`),
			changed: true,
		},
		{
			name: "entra remove manager by filter that does not match",
			body: body(`{"op":"Remove","path":"manager[value eq \"someone-else\"]"}`),
		},
		{
			name:    "remove last extension attribute prunes the extension",
			doc:     `{"userName":"a","` + ent + `":{"department":"D"}}`,
			body:    body(`{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}`),
			want:    `{"userName":"a"}`,
			changed: true,
		},
		{
			name:    "remove whole extension",
			body:    body(`{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}`),
			want:    edit(t, userDoc, `{"`+ent+`":null}`),
			changed: true,
		},
		{
			name: "entra aadOptscim062020 path-less dotted and URN keys",
			body: body(`{"op":"replace","value":{"displayName":"Barbara J","name.givenName":"Barb","name.familyName":"Jensen-Smith","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"8"}}`),
			want: edit(t, userDoc, `{"displayName":"Barbara J",
				"name":{"givenName":"Barb","familyName":"Jensen-Smith","formatted":"Barbara Jensen"},
				"`+ent+`":{"employeeNumber":"8","department":"Tour Operations","manager":{"value":"m1","$ref":"https://example.com/scim/v2/Users/m1"}}}`),
			changed: true,
		},
		// RFC semantics
		{
			name:    "replace of a complex attribute merges (RFC 7644 §3.5.2.3)",
			body:    body(`{"op":"replace","path":"name","value":{"givenName":"Babs"}}`),
			want:    edit(t, userDoc, `{"name":{"givenName":"Babs","familyName":"Jensen","formatted":"Barbara Jensen"}}`),
			changed: true,
		},
		{
			name:    "replace of a multi-valued attribute replaces the list",
			body:    body(`{"op":"replace","path":"phoneNumbers","value":[{"value":"555-1","type":"mobile"}]}`),
			want:    edit(t, userDoc, `{"phoneNumbers":[{"value":"555-1","type":"mobile"}]}`),
			changed: true,
		},
		{
			name: "add duplicate email is a no-op",
			body: body(`{"op":"add","path":"emails","value":[{"value":"bjensen@example.com","type":"work","primary":true}]}`),
		},
		{
			name: "add same email in other case, fewer sub-attributes, is a no-op",
			body: body(`{"op":"add","path":"emails","value":[{"value":"BJensen@Example.com","type":"Work"}]}`),
		},
		{
			name: "add existing email as primary moves primary",
			body: body(`{"op":"add","path":"emails","value":[{"value":"babs@home.example","type":"home","primary":true}]}`),
			want: edit(t, userDoc, `{"emails":[
				{"value":"bjensen@example.com","type":"work","primary":false},
				{"value":"babs@home.example","type":"home","primary":true}]}`),
			changed: true,
		},
		{
			name: "add a new primary email demotes the old one",
			body: body(`{"op":"add","path":"emails","value":{"value":"new@example.com","type":"other","primary":true}}`),
			want: edit(t, userDoc, `{"emails":[
				{"value":"bjensen@example.com","type":"work","primary":false},
				{"value":"babs@home.example","type":"home"},
				{"value":"new@example.com","type":"other","primary":true}]}`),
			changed: true,
		},
		{
			name: "set primary through a filter",
			body: body(`{"op":"replace","path":"emails[type eq \"home\"].primary","value":true}`),
			want: edit(t, userDoc, `{"emails":[
				{"value":"bjensen@example.com","type":"work","primary":false},
				{"value":"babs@home.example","type":"home","primary":true}]}`),
			changed: true,
		},
		{
			name:    "filtered replace without sub keeps the filter's constraints",
			body:    body(`{"op":"replace","path":"emails[type eq \"home\"]","value":{"value":"b@home.example"}}`),
			want:    edit(t, userDoc, `{"emails":[{"value":"bjensen@example.com","type":"work","primary":true},{"type":"home","value":"b@home.example"}]}`),
			changed: true,
		},
		{
			name:    "filtered add without sub merges",
			body:    body(`{"op":"add","path":"phoneNumbers[type eq \"work\"]","value":{"display":"desk"}}`),
			want:    edit(t, userDoc, `{"phoneNumbers":[{"value":"555-555-8377","type":"work","display":"desk"}]}`),
			changed: true,
		},
		{
			name:    "filtered replace with no match creates from and-ed constraints",
			body:    body(`{"op":"replace","path":"addresses[type eq \"work\" and primary eq \"True\"].postalCode","value":"91608"}`),
			want:    edit(t, userDoc, `{"addresses":[{"type":"work","primary":true,"postalCode":"91608"}]}`),
			changed: true,
		},
		{
			name:    "remove by filter",
			body:    body(`{"op":"remove","path":"emails[type eq \"home\"]"}`),
			want:    edit(t, userDoc, `{"emails":[{"value":"bjensen@example.com","type":"work","primary":true}]}`),
			changed: true,
		},
		{
			name:    "remove by filter, case-insensitive value",
			body:    body(`{"op":"remove","path":"emails[value eq \"BABS@HOME.EXAMPLE\"]"}`),
			want:    edit(t, userDoc, `{"emails":[{"value":"bjensen@example.com","type":"work","primary":true}]}`),
			changed: true,
		},
		{
			name:    "remove sub-attribute by filter",
			body:    body(`{"op":"remove","path":"emails[type eq \"work\"].primary"}`),
			want:    edit(t, userDoc, `{"emails":[{"value":"bjensen@example.com","type":"work"},{"value":"babs@home.example","type":"home"}]}`),
			changed: true,
		},
		{
			name:    "remove last element removes the attribute",
			body:    body(`{"op":"remove","path":"phoneNumbers[type eq \"work\"]"}`),
			want:    edit(t, userDoc, `{"phoneNumbers":null}`),
			changed: true,
		},
		{
			name:    "remove by value list removes only those",
			body:    body(`{"op":"remove","path":"emails","value":[{"value":"babs@home.example"}]}`),
			want:    edit(t, userDoc, `{"emails":[{"value":"bjensen@example.com","type":"work","primary":true}]}`),
			changed: true,
		},
		{
			name:    "remove whole multi-valued attribute",
			body:    body(`{"op":"remove","path":"emails"}`),
			want:    edit(t, userDoc, `{"emails":null}`),
			changed: true,
		},
		{
			name:    "remove sub-attribute, emptying the object removes it",
			doc:     `{"userName":"a","name":{"givenName":"A"}}`,
			body:    body(`{"op":"remove","path":"name.givenName"}`),
			want:    `{"userName":"a"}`,
			changed: true,
		},
		{
			name: "remove absent attribute is a no-op",
			body: body(`{"op":"remove","path":"title"}`, `{"op":"remove","path":"addresses[type eq \"work\"]"}`, `{"op":"remove","path":"name.middleName"}`, `{"op":"remove","path":"ims"}`),
		},
		{
			name: "remove absent extension attribute is a no-op",
			doc:  `{"userName":"a"}`,
			body: body(`{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}`),
		},
		{
			name:    "ops apply in order",
			body:    body(`{"op":"replace","path":"title","value":"A"}`, `{"op":"remove","path":"title"}`, `{"op":"add","path":"title","value":"B"}`, `{"op":"replace","path":"nickName","value":"x"}`, `{"op":"replace","path":"nickName","value":"Babs"}`),
			want:    edit(t, userDoc, `{"title":"B","nickName":"Babs"}`),
			changed: true,
		},
		{
			name: "change and change back is not a change",
			body: body(`{"op":"replace","path":"displayName","value":"X"}`, `{"op":"replace","path":"displayName","value":"Babs Jensen"}`),
		},
		{
			name: "remove and re-add userName in one request is fine",
			body: body(`{"op":"remove","path":"userName"}`, `{"op":"add","path":"userName","value":"bjensen@example.com"}`),
		},
		{
			name: "unknown attributes ignored",
			body: body(`{"op":"replace","path":"favouriteColour","value":"blue"}`, `{"op":"add","value":{"shoeSize":42}}`),
		},
		{
			name:    "unknown extension URN kept",
			body:    body(`{"op":"add","path":"urn:ietf:params:scim:schemas:extension:Acme:2.0:User:costCode","value":"CC-1"}`),
			want:    edit(t, userDoc, `{"urn:ietf:params:scim:schemas:extension:Acme:2.0:User":{"costCode":"CC-1"}}`),
			changed: true,
		},
		{
			name:    "unknown extension: replace, add merge, remove",
			doc:     `{"userName":"a","urn:acme:ext:2.0:User":{"costCode":"CC-1","tier":{"level":1}}}`,
			body:    body(`{"op":"replace","path":"urn:acme:ext:2.0:User:costCode","value":"CC-2"}`, `{"op":"add","path":"urn:acme:ext:2.0:User:tier","value":{"since":2020}}`, `{"op":"remove","path":"urn:ACME:ext:2.0:User:gone"}`),
			want:    `{"userName":"a","urn:acme:ext:2.0:User":{"costCode":"CC-2","tier":{"level":1,"since":2020}}}`,
			changed: true,
		},
		{
			name:    "unknown extension: remove the whole extension object",
			doc:     `{"userName":"a","urn:acme:ext:2.0:User":{"costCode":"CC-1"}}`,
			body:    body(`{"op":"remove","path":"urn:acme:ext:2.0:User"}`),
			want:    `{"userName":"a"}`,
			changed: true,
		},
		{
			name:    "unknown extension: removing the last key prunes it",
			doc:     `{"userName":"a","urn:acme:ext:2.0:User":{"costCode":"CC-1"}}`,
			body:    body(`{"op":"remove","path":"urn:acme:ext:2.0:User:costCode"}`),
			want:    `{"userName":"a"}`,
			changed: true,
		},
		{
			name:    "sub-attribute of a multi-valued attribute without filter sets every element",
			body:    body(`{"op":"replace","path":"phoneNumbers.display","value":"x"}`),
			want:    edit(t, userDoc, `{"phoneNumbers":[{"value":"555-555-8377","type":"work","display":"x"}]}`),
			changed: true,
		},
		{
			name:    "manager.value change drops the stale $ref",
			body:    body(`{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value","value":"m9"}`),
			want:    edit(t, userDoc, `{"`+ent+`":{"employeeNumber":"701984","department":"Tour Operations","manager":{"value":"m9"}}}`),
			changed: true,
		},
		{
			name:    "entra roles with stringified JSON values",
			body:    body(`{"op":"Add","path":"roles","value":[{"primary":"False","type":"WindowsAzureActiveDirectoryRole","value":"{\"id\":\"06b0\",\"value\":\"Admin\",\"displayName\":\"Admin\"}"}]}`),
			want:    edit(t, userDoc, `{"roles":[{"primary":false,"type":"WindowsAzureActiveDirectoryRole","value":"{\"id\":\"06b0\",\"value\":\"Admin\",\"displayName\":\"Admin\"}"}]}`),
			changed: true,
		},
		{
			name:    "filtered replace on the matching manager keeps the constraint",
			body:    body(`{"op":"replace","path":"manager[value eq \"m1\"]","value":{"$ref":"https://example.com/scim/v2/Users/m1b"}}`),
			want:    edit(t, userDoc, `{"`+ent+`":{"employeeNumber":"701984","department":"Tour Operations","manager":{"value":"m1","$ref":"https://example.com/scim/v2/Users/m1b"}}}`),
			changed: true,
		},
		{
			name:    "filtered add on the matching manager merges",
			doc:     `{"userName":"a","` + ent + `":{"manager":{"value":"m1"}}}`,
			body:    body(`{"op":"add","path":"manager[value eq \"m1\"]","value":{"$ref":"r1"}}`),
			want:    `{"userName":"a","` + ent + `":{"manager":{"value":"m1","$ref":"r1"}}}`,
			changed: true,
		},
		{
			name:    "filtered add on an absent manager creates it",
			doc:     `{"userName":"a"}`,
			body:    body(`{"op":"add","path":"manager[value eq \"m5\"].$ref","value":"r5"}`),
			want:    `{"userName":"a","` + ent + `":{"manager":{"value":"m5","$ref":"r5"}}}`,
			changed: true,
		},
		{
			name:    "filtered remove of a manager sub-attribute",
			body:    body(`{"op":"remove","path":"manager[value eq \"m1\"].$ref"}`),
			want:    edit(t, userDoc, `{"`+ent+`":{"employeeNumber":"701984","department":"Tour Operations","manager":{"value":"m1"}}}`),
			changed: true,
		},
		{
			name:    "filtered replace of a manager sub-attribute with a new value drops the rest",
			body:    body(`{"op":"replace","path":"manager[value eq \"m1\"].value","value":"m7"}`),
			want:    edit(t, userDoc, `{"`+ent+`":{"employeeNumber":"701984","department":"Tour Operations","manager":{"value":"m7"}}}`),
			changed: true,
		},
		{
			name:    "unknown extension: dotted sub-attribute",
			doc:     `{"userName":"a","urn:acme:ext:2.0:User":{"tier":{"level":1,"name":"gold"}}}`,
			body:    body(`{"op":"replace","path":"urn:acme:ext:2.0:User:tier.level","value":2}`, `{"op":"remove","path":"urn:acme:ext:2.0:User:Tier.Name"}`, `{"op":"add","path":"urn:acme:ext:2.0:User:extra.x","value":true}`),
			want:    `{"userName":"a","urn:acme:ext:2.0:User":{"tier":{"level":2},"extra":{"x":true}}}`,
			changed: true,
		},
		{
			name: "remove by value list matching nothing",
			body: body(`{"op":"remove","path":"emails","value":[{"value":"nobody@example.com"},{"type":"fax","value":"bjensen@example.com"}]}`),
		},
		{
			name: "empty Operations",
			body: body(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := tt.rt
			if rt == nil {
				rt = user
			}
			src := tt.doc
			if src == "" {
				src = userDoc
			}
			doc := jsonDoc(t, src)
			got, plan, changed, err := patch(t, rt, doc, tt.body, tt.opts)
			if err != nil {
				t.Fatalf("patch: %v (plan %v)", err, render(t, plan))
			}
			want := tt.want
			if want == "" {
				want = src
			}
			if g, w := canon(t, got), canon(t, jsonDoc(t, want)); g != w {
				t.Errorf("document:\n got %s\nwant %s\nplan %v", g, w, render(t, plan))
			}
			if changed != tt.changed {
				t.Errorf("changed = %v, want %v", changed, tt.changed)
			}
			if g, w := canon(t, doc), canon(t, jsonDoc(t, src)); g != w {
				t.Errorf("input document modified")
			}
		})
	}
}

func TestApplyErrors(t *testing.T) {
	user, group := schemas.User, schemas.Group
	tests := []struct {
		name     string
		rt       *schema.ResourceType
		doc      string
		body     []byte
		opts     Options
		scimType string
	}{
		{"remove userName", user, userDoc, body(`{"op":"remove","path":"userName"}`), Options{}, "mutability"},
		{"remove userName via the core URN", user, userDoc, body(`{"op":"remove","path":"urn:ietf:params:scim:schemas:core:2.0:User:userName"}`), Options{}, "mutability"},
		{"replace userName with null", user, userDoc, body(`{"op":"replace","path":"userName","value":null}`), Options{}, "mutability"},
		{"remove group displayName", group, groupDoc, body(`{"op":"remove","path":"displayName"}`), Options{}, "mutability"},
		{"filtered add with or filter and no match", user, userDoc, body(`{"op":"add","path":"emails[type eq \"other\" or type eq \"x\"].value","value":"v"}`), Options{}, "noTarget"},
		{"filtered replace with co filter and no match", user, userDoc, body(`{"op":"replace","path":"emails[value co \"nothing\"].display","value":"v"}`), Options{}, "noTarget"},
		{"strict: filtered replace with no match", user, userDoc, body(`{"op":"replace","path":"emails[type eq \"other\"].value","value":"v"}`), Options{Strict: true}, "noTarget"},
		{"filtered replace on a singular attribute that does not match", user, userDoc, body(`{"op":"replace","path":"manager[value eq \"x\"].value","value":"y"}`), Options{}, "noTarget"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, plan, _, err := patch(t, tt.rt, jsonDoc(t, tt.doc), tt.body, tt.opts)
			if got := scimType(err); got != tt.scimType {
				t.Fatalf("error %v (scimType %q), plan %v; want %q", err, got, render(t, plan), tt.scimType)
			}
			if tt.scimType == "noTarget" && !strings.Contains(err.Error(), "Operations[0]: ") {
				t.Errorf("error %q does not name the operation", err)
			}
		})
	}
}

func TestApplyStrictAddStillCreates(t *testing.T) {
	doc := jsonDoc(t, `{"userName":"a"}`)
	got, _, _, err := patch(t, schemas.User, doc, body(`{"op":"add","path":"emails[type eq \"work\"].value","value":"a@x"}`), Options{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if g := canon(t, got); g != `{"emails":[{"type":"work","value":"a@x"}],"userName":"a"}` {
		t.Errorf("got %s", g)
	}
}

// Hand-built ops that Normalize would never produce must fail cleanly.
func TestApplyHandBuiltOps(t *testing.T) {
	mk := func(s string) filter.PatchPath {
		p, err := filter.ParsePatchPath(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name     string
		op       Op
		scimType string
	}{
		{"no kind", Op{Path: mk("title"), Value: "x"}, "invalidSyntax"},
		{"add without value", Op{Kind: Add, Path: mk("title")}, "invalidValue"},
		{"unknown attribute", Op{Kind: Add, Path: mk("shoeSize"), Value: "x"}, "invalidPath"},
		{"empty path", Op{Kind: Add, Value: "x"}, "invalidPath"},
		{"filter on a simple attribute", Op{Kind: Remove, Path: mk(`title[value eq "x"]`)}, "invalidPath"},
		{"unknown sub after filter", Op{Kind: Remove, Path: mk(`emails[type eq "x"].nope`)}, "invalidPath"},
		{"custom path with a filter", Op{Kind: Remove, Path: mk(`urn:acme:x:attr[type eq "x"]`)}, "invalidPath"},
		{"id is ignored", Op{Kind: Replace, Path: mk("id"), Value: "x"}, ""},
		{"meta is ignored", Op{Kind: Replace, Path: mk("meta.version"), Value: "x"}, ""},
		{"groups are ignored", Op{Kind: Add, Path: mk("groups"), Value: []any{map[string]any{"value": "g"}}}, ""},
		{"password is ignored", Op{Kind: Add, Path: mk("password"), Value: "x"}, ""},
		{"readOnly sub-attribute", Op{Kind: Add, Path: mk(ent + ":manager.displayName"), Value: "x"}, "mutability"},
		{"readOnly sub-attribute after a filter", Op{Kind: Add, Path: mk(ent + `:manager[value eq "m1"].displayName`), Value: "x"}, "mutability"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := jsonDoc(t, userDoc)
			changed, err := Apply(schemas.User, doc, []Op{tt.op}, Options{})
			if got := scimType(err); got != tt.scimType {
				t.Errorf("error %v, want scimType %q", err, tt.scimType)
			}
			if changed {
				t.Errorf("document changed: %s", canon(t, doc))
			}
		})
	}
}

// Apply must not keep references into the ops: applying the same plan to
// two documents and then editing one must not affect the other or the plan.
func TestApplyDoesNotShareValues(t *testing.T) {
	plan, err := Parse(schemas.User, body(`{"op":"add","path":"emails","value":[{"value":"a@x","type":"work","primary":true}]}`, `{"op":"replace","path":"name","value":{"givenName":"A"}}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	before := render(t, plan)
	d1, d2 := jsonDoc(t, `{"userName":"a"}`), jsonDoc(t, `{"userName":"b"}`)
	if _, err := Apply(schemas.User, d1, plan.Ops, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(schemas.User, d2, plan.Ops, Options{}); err != nil {
		t.Fatal(err)
	}
	d1["emails"].([]any)[0].(map[string]any)["value"] = "changed"
	d1["name"].(map[string]any)["givenName"] = "changed"
	if strings.Contains(canon(t, d2), "changed") || strings.Contains(strings.Join(render(t, plan), " "), "changed") {
		t.Errorf("documents share values: %s / %v", canon(t, d2), render(t, plan))
	}
	if after := render(t, plan); strings.Join(after, "|") != strings.Join(before, "|") {
		t.Errorf("plan changed: %v → %v", before, after)
	}
}

func TestApplyNilDocument(t *testing.T) {
	if _, err := Apply(schemas.User, nil, nil, Options{}); scimType(err) != "invalidValue" {
		t.Errorf("err = %v", err)
	}
}
