package scimapi

import (
	"strings"

	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// slot names a top-level attribute of a rendered resource: urn is "" for
// core and common attributes, else the extension schema's URN.
type slot struct{ urn, name string }

// selection is what a projection names of one attribute: all of it, or
// some of its sub-attributes.
type selection struct {
	all  bool
	subs map[string]bool
}

func (s *selection) add(sub string) {
	if sub == "" {
		s.all, s.subs = true, nil
		return
	}
	if s.all {
		return
	}
	if s.subs == nil {
		s.subs = map[string]bool{}
	}
	s.subs[sub] = true
}

// projection is the "attributes" and "excludedAttributes" of a request
// (RFC 7644 §3.4.2.5), resolved against one resource type. A nil
// projection returns the default set. Names the resource type does not
// define are ignored. The attributes returned "always" (id, schemas) are
// never removed; those returned "never" (password) are never rendered.
type projection struct {
	include  map[slot]*selection // nil: every attribute returned by default
	exclude  map[slot]*selection
	schemaIn map[string]bool // "attributes" named a whole schema ("" for the core schema)
	schemaEx map[string]bool // "excludedAttributes" named a whole schema
}

// newProjection resolves the attribute lists against rt. Both lists hold
// attribute paths in the notation of RFC 7644 §3.10: "userName",
// "name.givenName", "emails.value",
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber".
func newProjection(rt *schema.ResourceType, attributes, excluded []string) *projection {
	if len(attributes) == 0 && len(excluded) == 0 {
		return nil
	}
	p := &projection{}
	if len(attributes) > 0 {
		p.include, p.schemaIn = map[slot]*selection{}, map[string]bool{}
		addPaths(rt, attributes, p.include, p.schemaIn)
	}
	if len(excluded) > 0 {
		p.exclude, p.schemaEx = map[slot]*selection{}, map[string]bool{}
		addPaths(rt, excluded, p.exclude, p.schemaEx)
	}
	return p
}

func addPaths(rt *schema.ResourceType, paths []string, into map[slot]*selection, schemas map[string]bool) {
	for _, s := range paths {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if sch := rt.SchemaByURN(s); sch != nil {
			urn := sch.ID
			if sch == rt.Schema {
				urn = ""
			}
			schemas[urn] = true
			continue
		}
		p, ok := resolvePath(rt, s)
		if !ok {
			continue // lenient: unknown names are ignored
		}
		k := slot{p.URN, p.Name}
		sel := into[k]
		if sel == nil {
			sel = &selection{}
			into[k] = sel
		}
		sel.add(p.Sub)
	}
}

// splitList splits a comma-separated attribute list (RFC 7644 §3.4.2.5).
func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// resolvePath resolves an attribute path as clients write it in
// "attributes", "excludedAttributes" and "sortBy" (RFC 7644 §3.10) to its
// canonical spelling. Names are matched case-insensitively (RFC 7643
// §2.1); an unqualified name the core schema does not define is looked up
// in the extensions.
func resolvePath(rt *schema.ResourceType, s string) (schema.Path, bool) {
	urn, rest := rt.SplitURN(strings.TrimSpace(s))
	if urn != "" && strings.EqualFold(urn, rt.Schema.ID) {
		urn = ""
	}
	name, sub, _ := strings.Cut(rest, ".")
	if name == "" {
		return schema.Path{}, false
	}
	if r, ok := rt.Resolve(urn, name, sub); ok {
		return r.Path, true
	}
	if urn == "" {
		for _, e := range rt.Extensions {
			if r, ok := rt.Resolve(e.Schema.ID, name, sub); ok {
				return r.Path, true
			}
		}
	}
	return schema.Path{}, false
}

// wants reports whether the attribute would be rendered at all, so that
// callers can skip reading what it is derived from (members, groups).
func (p *projection) wants(urn, name string) bool {
	if p == nil {
		return true
	}
	k := slot{urn, name}
	if p.include != nil && !p.schemaIn[urn] && p.include[k] == nil {
		return false
	}
	if p.schemaEx[urn] {
		return false
	}
	if sel := p.exclude[k]; sel != nil && sel.all {
		return false
	}
	return true
}

// pick returns the part of value v of attribute (urn, name) that the
// projection keeps, or nil.
func (p *projection) pick(urn, name string, v any) any {
	if p == nil || v == nil {
		return v
	}
	k := slot{urn, name}
	if p.include != nil && !p.schemaIn[urn] {
		sel := p.include[k]
		if sel == nil {
			return nil
		}
		if !sel.all {
			v = filterSubs(v, func(sub string) bool { return sel.subs[sub] })
		}
	}
	if p.schemaEx[urn] {
		return nil
	}
	if sel := p.exclude[k]; sel != nil {
		if sel.all {
			return nil
		}
		v = filterSubs(v, func(sub string) bool { return !sel.subs[sub] })
	}
	return v
}

// filterSubs keeps the sub-attributes of a complex value (an object or a
// map, or a list of those for a multi-valued attribute) for which keep is true.
// Objects left empty are dropped; nil means nothing is left.
func filterSubs(v any, keep func(string) bool) any {
	switch x := v.(type) {
	case object:
		var out object
		for _, f := range x {
			if keep(f.key) {
				out = append(out, f)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if keep(k) {
				out[k] = e
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if f := filterSubs(e, keep); f != nil {
				out = append(out, f)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	default:
		// A simple value has no sub-attributes to keep.
		return nil
	}
}
