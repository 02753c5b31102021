package patch

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// fuzzSeeds are realistic PATCH bodies of the IdPs docs/idp-compatibility.md
// lists, plus malformed ones.
var fuzzSeeds = []string{
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"id":"g1","displayName":"Engineering"}}]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"u1\"]"},{"op":"add","path":"members","value":[{"value":"u2","display":"user2@example.com"}]}]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"members","value":[{"value":"u1"},{"value":"u2"}]}]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"x@y.z"},{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"7"}]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"manager","value":[{"$ref":"https://x/Users/m2","value":"m2"}]}]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m2"}]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"manager[value eq \"m1\"]"}]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"value":"u1"}]}]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"displayName":"B","name.givenName":"G","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"1"}}]}`,
	`{"Operations":[{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m"},"department":null}}}]}`,
	`{"Operations":[{"op":"add","path":"emails","value":[{"value":"a@b","type":"work","primary":true},{"value":"c@d","primary":true}]}]}`,
	`{"Operations":[{"op":"replace","path":"addresses[type eq \"work\" and primary eq \"True\"].postalCode","value":"1"}]}`,
	`{"Operations":[{"op":"remove","path":"emails[type eq \"home\"].primary"},{"op":"remove","path":"phoneNumbers"}]}`,
	`{"Operations":[{"op":"add","path":"urn:acme:ext:2.0:User:costCode","value":{"a":[1,null,{"b":null}]}},{"op":"remove","path":"urn:acme:ext:2.0:User"}]}`,
	`{"Operations":[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}]}`,
	`{"Operations":[{"op":"replace","path":"name","value":{"givenName":"x","familyName":null}},{"op":"remove","path":"name.givenName"}]}`,
	`{"Operations":[{"op":"add","path":"roles","value":[{"value":"{\"id\":\"1\"}","primary":"False"}]}]}`,
	`{"Operations":[{"op":"replace","path":"roles[primary eq \"True\"].value","value":"Admin"}]}`,
	`{"Operations":[{"op":"remove","path":"userName"}]}`,
	`{"Operations":[{"op":"remove","path":"members"}]}`,
	`{"Operations":[{"op":"remove","path":"members[value eq \"a\" or value eq \"b\" and type eq \"User\"]"}]}`,
	`{"Operations":[{"op":"replace","path":"emails[not (type eq \"work\")]","value":{"value":"q"}}]}`,
	`{"Operations":[{"op":"add","path":"emails[value pr]","value":{"display":"d"}}]}`,
	`{"Operations":[{"op":"replace","path":"x509Certificates","value":"YWJj"}]}`,
	`{"Operations":[]}`,
	`{"Operations":{"op":"remove","path":"title"}}`,
	`{"Operations":[{"op":"move"}]}`,
	`[]`,
	`{"Operations":[{"op":"add","path":"emails[type eq \"work\"]","value":[]}]}`,
	`{"Operations":[{"op":"replace","path":"phoneNumbers.value","value":"1"}]}`,
}

func FuzzApply(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), false)
	}
	f.Add([]byte(fuzzSeeds[4]), true)
	f.Add([]byte(fuzzSeeds[5]), true)
	f.Fuzz(func(t *testing.T, body []byte, strict bool) {
		opts := Options{Strict: strict, MaxOperations: 1000}
		for _, c := range []struct {
			rt  *schema.ResourceType
			doc string
		}{
			{schemas.User, userDoc},
			{schemas.Group, groupDoc},
			{schemas.User, `{"userName":"a","emails":{"value":"not-a-list"},"name":"not-an-object","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":"junk","urn:acme:x":[1]}`},
		} {
			plan, err := Parse(c.rt, body, opts)
			if err != nil {
				checkSchemaError(t, err)
				continue
			}
			_ = plan.MemberDelta()
			orig := jsonDoc(t, c.doc)
			doc := orig.Clone()
			changed, err := Apply(c.rt, doc, plan.Ops, opts)
			if err != nil {
				checkSchemaError(t, err)
				continue
			}
			if _, err := json.Marshal(doc); err != nil {
				t.Fatalf("result does not marshal: %v", err)
			}
			pruned := orig.Clone()
			pruned.Prune()
			if !changed && !reflect.DeepEqual(map[string]any(pruned), map[string]any(doc)) {
				t.Fatalf("changed=false but the document differs:\n%s\n%s", canon(t, pruned), canon(t, doc))
			}
			// A second application must not panic either.
			again := doc.Clone()
			if _, err := Apply(c.rt, again, plan.Ops, opts); err != nil {
				checkSchemaError(t, err)
			}
		}
	})
}

func checkSchemaError(t *testing.T, err error) {
	t.Helper()
	var se *schema.Error
	if !errors.As(err, &se) {
		t.Fatalf("error is not a *schema.Error: %T %v", err, err)
	}
	switch se.ScimType {
	case schema.ErrInvalidFilter, schema.ErrTooMany, schema.ErrMutability, schema.ErrInvalidSyntax,
		schema.ErrInvalidPath, schema.ErrNoTarget, schema.ErrInvalidValue:
	default:
		t.Fatalf("unexpected scimType %q: %v", se.ScimType, err)
	}
	if se.Detail == "" {
		t.Fatalf("empty detail for %q", se.ScimType)
	}
}

// FuzzApplyOp fuzzes one operation's parts separately, so that the fuzzer
// explores paths and values rather than JSON syntax.
func FuzzApplyOp(f *testing.F) {
	seeds := []struct{ op, path, value string }{
		{"Replace", `emails[type eq "work"].value`, `"x@y.z"`},
		{"add", `addresses[type eq "work" and primary eq "True"].postalCode`, `"1"`},
		{"remove", `manager[value eq "m1"]`, ``},
		{"Add", `manager`, `[{"$ref":null,"value":"m2"}]`},
		{"remove", `members[value eq "a" or value eq "b"]`, ``},
		{"Remove", `members`, `[{"value":"u1"}]`},
		{"replace", ``, `{"name.givenName":"G","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"1","active":"False"}`},
		{"add", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`, `{"department":"x"}`},
		{"add", `urn:acme:ext:2.0:User:costCode`, `{"a":1}`},
		{"remove", `urn:acme:ext:2.0:User`, ``},
		{"replace", `emails`, `[{"value":"a","primary":true},{"value":"b","primary":"true"}]`},
		{"remove", `emails`, `[{"value":"BJENSEN@example.com"}]`},
		{"replace", `phoneNumbers.display`, `"d"`},
		{"replace", `roles[primary eq true]`, `{"value":"r"}`},
		{"remove", `emails[not (type eq "work") and value pr].display`, ``},
		{"replace", `urn:ietf:params:scim:schemas:core:2.0:User:name`, `{"givenName":"g"}`},
	}
	for _, s := range seeds {
		f.Add(s.op, s.path, s.value)
	}
	f.Fuzz(func(t *testing.T, op, path, value string) {
		o := map[string]any{"op": op}
		if path != "" {
			o["path"] = path
		}
		if value != "" {
			if json.Valid([]byte(value)) {
				o["value"] = json.RawMessage(value)
			} else {
				o["value"] = value
			}
		}
		b, err := json.Marshal(map[string]any{"Operations": []any{o, o}})
		if err != nil {
			return
		}
		for _, c := range []struct {
			rt  *schema.ResourceType
			doc string
		}{{schemas.User, userDoc}, {schemas.Group, groupDoc}} {
			for _, strict := range []bool{false, true} {
				opts := Options{Strict: strict}
				plan, err := Parse(c.rt, b, opts)
				if err != nil {
					checkSchemaError(t, err)
					continue
				}
				_ = plan.MemberDelta()
				orig := jsonDoc(t, c.doc)
				doc := orig.Clone()
				changed, err := Apply(c.rt, doc, plan.Ops, opts)
				if err != nil {
					checkSchemaError(t, err)
					continue
				}
				if _, err := json.Marshal(doc); err != nil {
					t.Fatalf("result does not marshal: %v", err)
				}
				if !changed && !reflect.DeepEqual(map[string]any(orig), map[string]any(doc)) {
					t.Fatalf("changed=false but the document differs:\n%s\n%s", canon(t, orig), canon(t, doc))
				}
			}
		}
	})
}
