package patch

import "testing"

// A typical Entra ID (default dialect) user update: one request per
// provisioning cycle per changed user.
var entraUserPatch = body(
	`{"op":"Replace","path":"displayName","value":"Barbara Jensen-Smith"}`,
	`{"op":"Replace","path":"emails[type eq \"work\"].value","value":"barbara.smith@contoso.com"}`,
	`{"op":"Replace","path":"name.familyName","value":"Jensen-Smith"}`,
	`{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Finance"}`,
	`{"op":"Add","path":"manager","value":[{"$ref":"https://contoso.example/scim/v2/Users/m2","value":"m2"}]}`,
	`{"op":"Replace","path":"active","value":"False"}`,
)

func BenchmarkNormalizeApply(b *testing.B) {
	rt := schemas.User
	base := jsonDoc(b, userDoc)
	b.ReportAllocs()
	for b.Loop() {
		plan, err := Parse(rt, entraUserPatch, Options{MaxOperations: 100})
		if err != nil {
			b.Fatal(err)
		}
		doc := base.Clone()
		if changed, err := Apply(rt, doc, plan.Ops, Options{}); err != nil || !changed {
			b.Fatal(changed, err)
		}
	}
}

func BenchmarkNormalizeGroupMembers(b *testing.B) {
	var items []byte
	for i := 0; i < 256; i++ {
		if i > 0 {
			items = append(items, ',')
		}
		items = append(items, `{"value":"00u`+itoa3(i)+`","display":"u`+itoa3(i)+`@example.com"}`...)
	}
	msg := body(`{"op":"replace","value":{"id":"g1","displayName":"Engineering"}}`, `{"op":"add","path":"members","value":[`+string(items)+`]}`)
	b.ReportAllocs()
	for b.Loop() {
		plan, err := Parse(schemas.Group, msg, Options{})
		if err != nil {
			b.Fatal(err)
		}
		_ = plan.MemberDelta()
	}
}
