package directory

import (
	"encoding/json"
	"testing"

	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

func oktaDoc() map[string]any {
	return map[string]any{
		"userName":               "ada@example.com",
		"emails":                 []any{map[string]any{"value": "ada@example.com", "type": "work", "primary": true}, map[string]any{"value": "ada@home.example", "type": "home"}},
		"phoneNumbers":           []any{map[string]any{"value": "+1 555 0101", "type": "mobile"}, map[string]any{"value": "+1 555 0000", "type": "work"}},
		schema.EnterpriseUserURN: map[string]any{"costCenter": "CC-1", "employeeNumber": "42", "manager": map[string]any{"value": "00u9"}},
		"urn:ietf:params:scim:schemas:extension:Acme:2.0:User": map[string]any{"IsContractor": "True", "badges": []any{"a", "b"}, "start": "2024-03-01"},
	}
}

func TestMapAttributesPaths(t *testing.T) {
	rt := schema.New().User
	m := AttributeMap{Mappings: []TypedMapping{
		{Key: "cc", Type: AttrString, Source: schema.EnterpriseUserURN + ":costCenter"},
		{Key: "num", Type: AttrNumber, Source: schema.EnterpriseUserURN + ":employeeNumber"},
		{Key: "mgr", Type: AttrString, Source: schema.EnterpriseUserURN + ":manager"},
		{Key: "mgr2", Type: AttrString, Source: schema.EnterpriseUserURN + ":manager.value"},
		{Key: "home", Type: AttrString, Source: `emails[type eq "home"].value`},
		{Key: "primary", Type: AttrString, Source: `emails[primary eq true].value`},
		{Key: "all", Type: AttrStringList, Source: "emails.value"},
		{Key: "mobile", Type: AttrString, Source: `PhoneNumbers[Type eq "MOBILE"].Value`},
		{Key: "contractor", Type: AttrBoolean, Source: "urn:ietf:params:scim:schemas:extension:acme:2.0:User:isContractor"},
		{Key: "badges", Type: AttrStringList, Source: "urn:ietf:params:scim:schemas:extension:acme:2.0:User:badges"},
		{Key: "start", Type: AttrDateTime, Source: "urn:ietf:params:scim:schemas:extension:acme:2.0:User:start"},
		{Key: "missing", Type: AttrString, Source: "title"},
		{Key: "bad", Type: AttrNumber, Source: "userName"},
	}}
	got := MapAttributes(rt, m, oktaDoc())
	b, _ := json.Marshal(got)
	want := `{"values":{"all":["ada@example.com","ada@home.example"],"bad":null,"badges":["a","b"],"cc":"CC-1","contractor":true,"home":"ada@home.example","mgr":"00u9","mgr2":"00u9","missing":null,"mobile":"+1 555 0101","num":42,"primary":"ada@example.com","start":"2024-03-01T00:00:00Z"},"errors":{"bad":"\"ada@example.com\" is not a number, in userName"}}`
	if string(b) != want {
		t.Errorf("MapAttributes:\n got %s\nwant %s", b, want)
	}
}

// BenchmarkMapAttributes is the per-write cost of four mappings (what a
// SCIM user write adds).
func BenchmarkMapAttributes(b *testing.B) {
	rt := schema.New().User
	m := AttributeMap{Mappings: []TypedMapping{
		{Key: "cc", Type: AttrString, Source: schema.EnterpriseUserURN + ":costCenter"},
		{Key: "mobile", Type: AttrString, Source: `phoneNumbers[type eq "mobile"].value`},
		{Key: "contractor", Type: AttrBoolean, Source: "urn:ietf:params:scim:schemas:extension:acme:2.0:User:isContractor"},
		{Key: "num", Type: AttrNumber, Source: schema.EnterpriseUserURN + ":employeeNumber"},
	}}
	doc := oktaDoc()
	b.ReportAllocs()
	for b.Loop() {
		MapAttributes(rt, m, doc)
	}
}

// BenchmarkMapCompiled is BenchmarkMapAttributes without parsing the
// sources (what a re-mapping chunk pays per user).
func BenchmarkMapCompiled(b *testing.B) {
	rt := schema.New().User
	c := CompileMappings(rt, AttributeMap{Mappings: []TypedMapping{
		{Key: "cc", Type: AttrString, Source: schema.EnterpriseUserURN + ":costCenter"},
		{Key: "mobile", Type: AttrString, Source: `phoneNumbers[type eq "mobile"].value`},
		{Key: "contractor", Type: AttrBoolean, Source: "urn:ietf:params:scim:schemas:extension:acme:2.0:User:isContractor"},
		{Key: "num", Type: AttrNumber, Source: schema.EnterpriseUserURN + ":employeeNumber"},
	}})
	doc := oktaDoc()
	b.ReportAllocs()
	for b.Loop() {
		c.Map(doc)
	}
}
