package scimapi

import (
	"net/http"
	"strings"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// documentationURI is where the ServiceProviderConfig points for help.
const documentationURI = "https://github.com/scimbridge/scimbridge#readme"

// discovery holds the discovery documents (RFC 7644 §4), built once per
// Handler without their meta, which names the directory and is added per
// request.
type discovery struct {
	config        object
	schemas       []object // in schema.Schemas.All order
	schemaIDs     []string
	resourceTypes []object
	typeIDs       []string
}

// advertised are the limits the ServiceProviderConfig announces.
type advertised struct {
	maxResults   int
	bulkOps      int
	bulkPayload  int64
	patchSupport bool
}

// advertisedLimits are the limits clients plan by. bulk.maxOperations is
// also how many operations authentik puts into one PATCH, so it never
// exceeds what the service accepts in one PATCH.
func (h *Handler) advertisedLimits() advertised {
	a := advertised{maxResults: h.lim.results, bulkOps: h.lim.bulkOps, bulkPayload: h.lim.bulkBytes, patchSupport: true}
	if m := h.Service.MaxPatchOperations; m > 0 && m < a.bulkOps {
		a.bulkOps = m
	}
	return a
}

func buildDiscovery(s *schema.Schemas, lim advertised) discovery {
	var d discovery
	d.config = object{
		{"schemas", []string{schema.ServiceProviderConfigURN}},
		{"documentationUri", documentationURI},
		{"patch", map[string]any{"supported": lim.patchSupport}},
		{"bulk", map[string]any{"supported": true, "maxOperations": lim.bulkOps, "maxPayloadSize": lim.bulkPayload}},
		{"filter", map[string]any{"supported": true, "maxResults": lim.maxResults}},
		{"changePassword", map[string]any{"supported": false}},
		{"sort", map[string]any{"supported": true}},
		{"etag", map[string]any{"supported": true}},
		{"authenticationSchemes", []any{
			object{
				{"type", "oauthbearertoken"},
				{"name", "OAuth Bearer Token"},
				{"description", "The directory's bearer token in the Authorization header: \"Bearer <token>\", or the bare token."},
				{"specUri", "https://www.rfc-editor.org/info/rfc6750"},
				{"documentationUri", documentationURI},
				{"primary", true},
			},
			object{
				{"type", "httpbasic"},
				{"name", "HTTP Basic"},
				{"description", "HTTP Basic authentication with the directory's bearer token as the password; the user name is ignored."},
				{"specUri", "https://www.rfc-editor.org/info/rfc7617"},
				{"documentationUri", documentationURI},
				{"primary", false},
			},
		}},
	}
	for _, sc := range s.All() {
		d.schemas = append(d.schemas, object{
			{"schemas", []string{schema.SchemaURN}},
			{"id", sc.ID},
			{"name", sc.Name},
			{"description", sc.Description},
			{"attributes", attributeDocs(sc.Attributes)},
		})
		d.schemaIDs = append(d.schemaIDs, sc.ID)
	}
	for _, rt := range s.ResourceTypes() {
		o := object{
			{"schemas", []string{schema.ResourceTypeURN}},
			{"id", rt.ID},
			{"name", rt.ID},
			{"endpoint", rt.Endpoint},
			{"description", rt.Description},
			{"schema", rt.Schema.ID},
		}
		if len(rt.Extensions) > 0 {
			exts := make([]any, len(rt.Extensions))
			for i, e := range rt.Extensions {
				exts[i] = object{{"schema", e.Schema.ID}, {"required", e.Required}}
			}
			o = append(o, field{"schemaExtensions", exts})
		}
		d.resourceTypes = append(d.resourceTypes, o)
		d.typeIDs = append(d.typeIDs, rt.ID)
	}
	return d
}

// attributeDoc is an attribute definition in the form of RFC 7643 §7.
// Optional members are omitted when empty, never null.
type attributeDoc struct {
	Name            string         `json:"name"`
	Type            string         `json:"type"`
	MultiValued     bool           `json:"multiValued"`
	Description     string         `json:"description,omitempty"`
	Required        bool           `json:"required"`
	CanonicalValues []string       `json:"canonicalValues,omitempty"`
	CaseExact       bool           `json:"caseExact"`
	Mutability      string         `json:"mutability"`
	Returned        string         `json:"returned"`
	Uniqueness      string         `json:"uniqueness"`
	ReferenceTypes  []string       `json:"referenceTypes,omitempty"`
	SubAttributes   []attributeDoc `json:"subAttributes,omitempty"`
}

func attributeDocs(attrs []*schema.Attribute) []attributeDoc {
	out := make([]attributeDoc, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, attributeDoc{
			Name:            a.Name,
			Type:            string(a.Type),
			MultiValued:     a.MultiValued,
			Description:     a.Description,
			Required:        a.Required,
			CanonicalValues: a.CanonicalValues,
			CaseExact:       a.CaseExact,
			Mutability:      orDefault(string(a.Mutability), string(schema.ReadWrite)),
			Returned:        orDefault(string(a.Returned), string(schema.Default)),
			Uniqueness:      orDefault(string(a.Uniqueness), string(schema.None)),
			ReferenceTypes:  a.ReferenceTypes,
			SubAttributes:   attributeDocs(a.SubAttributes),
		})
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// withMeta returns a copy of doc with meta appended (RFC 7643 §3.1).
func withMeta(doc object, resourceType, location string) object {
	out := make(object, len(doc), len(doc)+1)
	copy(out, doc)
	return append(out, field{"meta", map[string]any{"resourceType": resourceType, "location": location}})
}

// noFilter enforces RFC 7644 §4: discovery endpoints ignore the query
// parameters of §3.4.2, but "if a filter is provided, the service provider
// SHOULD respond with HTTP status code 403 (Forbidden) to ensure that
// clients cannot incorrectly assume that any matching conditions specified
// in a filter are true."
func noFilter(c *call) error {
	if c.query.has("filter") {
		return directory.Errorf(directory.KindForbidden, "discovery endpoints do not support filtering (RFC 7644 §4)")
	}
	return nil
}

// serviceProviderConfig is GET /ServiceProviderConfig (RFC 7643 §5).
func (h *Handler) serviceProviderConfig(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := noFilter(c); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, withMeta(h.discovery.config, "ServiceProviderConfig", c.base+"/ServiceProviderConfig"))
}

// listSchemas is GET /Schemas (RFC 7643 §7, RFC 7644 §4).
func (h *Handler) listSchemas(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := noFilter(c); err != nil {
		return err
	}
	items := make([]any, len(h.discovery.schemas), len(h.discovery.schemas)+1)
	for i, doc := range h.discovery.schemas {
		items[i] = withMeta(doc, "Schema", c.base+"/Schemas/"+h.discovery.schemaIDs[i])
	}
	custom, err := h.customSchema(r.Context())
	if err != nil {
		return err
	}
	if custom != nil {
		items = append(items, withMeta(custom, "Schema", c.base+"/Schemas/"+directory.CustomAttributesURN))
	}
	return writeList(w, len(items), 1, items)
}

// getSchema is GET /Schemas/{urn}; the URN matches case-insensitively.
func (h *Handler) getSchema(w http.ResponseWriter, r *http.Request, c *call) error {
	urn := r.PathValue("urn")
	for i, id := range h.discovery.schemaIDs {
		if strings.EqualFold(id, urn) {
			return writeJSON(w, http.StatusOK, withMeta(h.discovery.schemas[i], "Schema", c.base+"/Schemas/"+id))
		}
	}
	if strings.EqualFold(urn, directory.CustomAttributesURN) {
		custom, err := h.customSchema(r.Context())
		if err != nil {
			return err
		}
		if custom != nil {
			return writeJSON(w, http.StatusOK, withMeta(custom, "Schema", c.base+"/Schemas/"+directory.CustomAttributesURN))
		}
	}
	return directory.Errorf(directory.KindNotFound, "schema %q is not served here", urn)
}

// listResourceTypes is GET /ResourceTypes (RFC 7643 §6, RFC 7644 §4).
func (h *Handler) listResourceTypes(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := noFilter(c); err != nil {
		return err
	}
	custom, err := h.customSchema(r.Context())
	if err != nil {
		return err
	}
	items := make([]any, len(h.discovery.resourceTypes))
	for i, doc := range h.discovery.resourceTypes {
		if custom != nil && h.discovery.typeIDs[i] == "User" {
			doc = withCustomExtension(doc)
		}
		items[i] = withMeta(doc, "ResourceType", c.base+"/ResourceTypes/"+h.discovery.typeIDs[i])
	}
	return writeList(w, len(items), 1, items)
}

// getResourceType is GET /ResourceTypes/{name}; the name matches
// case-insensitively.
func (h *Handler) getResourceType(w http.ResponseWriter, r *http.Request, c *call) error {
	name := r.PathValue("name")
	for i, id := range h.discovery.typeIDs {
		if strings.EqualFold(id, name) {
			doc := h.discovery.resourceTypes[i]
			if id == "User" {
				custom, err := h.customSchema(r.Context())
				if err != nil {
					return err
				}
				if custom != nil {
					doc = withCustomExtension(doc)
				}
			}
			return writeJSON(w, http.StatusOK, withMeta(doc, "ResourceType", c.base+"/ResourceTypes/"+id))
		}
	}
	return directory.Errorf(directory.KindNotFound, "resource type %q is not served here", name)
}
