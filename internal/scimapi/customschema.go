package scimapi

import (
	"context"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// The app's declared custom attributes, advertised as an extension schema
// of User (RFC 7643 §3.3, §7) and among the User resource type's
// schemaExtensions (RFC 7643 §6), so that IdPs that read /Schemas (Okta's
// attribute discovery) can offer them to the admin. The document is built
// per request from the declared attributes: discovery requests are rare.

// customSchema returns the extension schema document, or nil when no
// attribute is declared.
func (h *Handler) customSchema(ctx context.Context) (object, error) {
	attrs, err := h.Service.ListCustomAttributes(ctx)
	if err != nil || len(attrs) == 0 {
		return nil, err
	}
	docs := make([]attributeDoc, 0, len(attrs))
	for _, a := range attrs {
		t, multi := customSCIMType(a.Type)
		docs = append(docs, attributeDoc{
			Name:        a.Key,
			Type:        string(t),
			MultiValued: multi,
			Description: a.Description,
			Mutability:  string(schema.ReadWrite),
			Returned:    string(schema.Default),
			Uniqueness:  string(schema.None),
		})
	}
	return object{
		{"schemas", []string{schema.SchemaURN}},
		{"id", directory.CustomAttributesURN},
		{"name", "CustomAttributes"},
		{"description", "Attributes the application reads from its users. Send them under this URN, or map any attribute you already send to them in the Admin Portal."},
		{"attributes", docs},
	}, nil
}

// customSCIMType is the SCIM data type (RFC 7643 §2.3) of a custom
// attribute type.
func customSCIMType(t string) (schema.Type, bool) {
	switch t {
	case directory.AttrBoolean:
		return schema.Boolean, false
	case directory.AttrNumber:
		return schema.Decimal, false
	case directory.AttrDateTime:
		return schema.DateTime, false
	case directory.AttrStringList:
		return schema.String, true
	}
	return schema.String, false
}

// withCustomExtension returns the User resource type document with the
// custom extension added to its schemaExtensions.
func withCustomExtension(doc object) object {
	ext := object{{"schema", directory.CustomAttributesURN}, {"required", false}}
	out := make(object, 0, len(doc)+1)
	found := false
	for _, f := range doc {
		if f.key == "schemaExtensions" {
			list := append(append([]any(nil), f.value.([]any)...), ext)
			f = field{"schemaExtensions", list}
			found = true
		}
		out = append(out, f)
	}
	if !found {
		out = append(out, field{"schemaExtensions", []any{ext}})
	}
	return out
}
