package patch

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Request
	}{
		{
			name: "okta deactivate",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`,
			want: Request{
				Schemas:    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
				Operations: []Operation{{Op: "replace", Value: map[string]any{"active": false}}},
			},
		},
		{
			name: "entra capitalised op, path and string boolean",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`,
			want: Request{
				Schemas:    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
				Operations: []Operation{{Op: "Replace", Path: "active", Value: "False"}},
			},
		},
		{
			name: "member names in any case, numbers kept as json.Number",
			body: `{"SCHEMAS":[],"operations":[{"OP":"add","Path":"x","VALUE":1.50}]}`,
			want: Request{Operations: []Operation{{Op: "add", Path: "x", Value: json.Number("1.50")}}},
		},
		{
			name: "missing schemas tolerated",
			body: `{"Operations":[{"op":"remove","path":"title"}]}`,
			want: Request{Operations: []Operation{{Op: "remove", Path: "title"}}},
		},
		{
			name: "other schema URNs tolerated",
			body: `{"schemas":["urn:scim:schemas:core:1.0", 7],"Operations":[]}`,
			want: Request{Schemas: []string{"urn:scim:schemas:core:1.0"}, Operations: []Operation{}},
		},
		{
			name: "empty Operations is a no-op",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}`,
			want: Request{Schemas: []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, Operations: []Operation{}},
		},
		{
			name: "single operation object",
			body: `{"Operations":{"op":"remove","path":"title"}}`,
			want: Request{Operations: []Operation{{Op: "remove", Path: "title"}}},
		},
		{
			name: "null path and value",
			body: `{"Operations":[{"op":"remove","path":null,"value":null}]}`,
			want: Request{Operations: []Operation{{Op: "remove"}}},
		},
		{
			name: "trailing whitespace",
			body: "{\"Operations\":[]}\n\t ",
			want: Request{Operations: []Operation{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.body))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decode =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, body, scimType string
	}{
		{"empty body", ``, "invalidSyntax"},
		{"not JSON", `op=replace`, "invalidSyntax"},
		{"truncated", `{"Operations":[`, "invalidSyntax"},
		{"array body", `[{"op":"add"}]`, "invalidSyntax"},
		{"string body", `"hello"`, "invalidSyntax"},
		{"null body", `null`, "invalidSyntax"},
		{"two objects", `{"Operations":[]}{"Operations":[]}`, "invalidSyntax"},
		{"missing Operations", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`, "invalidValue"},
		{"null Operations", `{"Operations":null}`, "invalidValue"},
		{"Operations a string", `{"Operations":"add"}`, "invalidSyntax"},
		{"operation not an object", `{"Operations":["add"]}`, "invalidSyntax"},
		{"op missing", `{"Operations":[{"path":"title","value":"x"}]}`, "invalidSyntax"},
		{"op not a string", `{"Operations":[{"op":1,"path":"title"}]}`, "invalidSyntax"},
		{"path not a string", `{"Operations":[{"op":"remove","path":["title"]}]}`, "invalidPath"},
		{"Operations twice in different case", `{"Operations":[],"operations":[]}`, "invalidSyntax"},
		{"op twice in different case", `{"Operations":[{"op":"add","Op":"remove"}]}`, "invalidSyntax"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.body))
			if got := scimType(err); got != tt.scimType {
				t.Errorf("Decode(%s) error %v, scimType %q; want %q", tt.body, err, got, tt.scimType)
			}
		})
	}
}
