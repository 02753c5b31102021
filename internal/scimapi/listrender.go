package scimapi

import (
	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// A list page writes each of its resources as JSON through listedJSON:
// the one place a listed resource becomes bytes, and where a
// representation kept in memory would be used instead (page.go,
// listWriter.addJSON).

// listedJSON writes the representation of res, projected by p, into e
// (which writes to a bytes.Buffer), byte for byte as marshal(c.render(res,
// p)) writes it, and returns how many of the bytes are the derived
// attribute's value (listWriter's budget leaves them out). Without a
// projection, the common case, it writes straight from res instead of
// building the object first (listrender_test.go compares both).
func (c *call) listedJSON(e *encoder, res resource, p *projection) (derived int, err error) {
	if p != nil {
		return renderJSON(e, c.render(res, p))
	}
	rt, b := res.rt, e.buf
	// RFC 7643 §3: "schemas" lists the schemas the representation holds,
	// so the extensions present are found first.
	var exts []extValue
	for _, x := range rt.Extensions {
		m, _ := res.doc[x.Schema.ID].(map[string]any)
		if len(m) == 0 {
			continue
		}
		out := make(map[string]any, len(m))
		for _, a := range x.Schema.Attributes {
			if v := m[a.Name]; a.Returned != schema.Never && v != nil {
				out[a.Name] = v
			}
		}
		if len(out) > 0 {
			exts = append(exts, extValue{x.Schema.ID, out})
		}
	}
	b.WriteString(`{"schemas":[`)
	e.str(rt.Schema.ID)
	for _, x := range exts {
		b.WriteByte(',')
		e.str(x.urn)
	}
	b.WriteString(`],"id":`)
	e.str(res.id)
	if ext, ok := res.doc["externalId"].(string); ok && ext != "" {
		b.WriteString(`,"externalId":`)
		e.str(ext)
	}
	b.WriteString(`,"meta":{"resourceType":`)
	e.str(rt.ID)
	b.WriteString(`,"created":`)
	e.str(timestamp(res.created))
	b.WriteString(`,"lastModified":`)
	e.str(timestamp(res.modified))
	b.WriteString(`,"location":`)
	e.str(c.location(rt, res.id))
	b.WriteString(`,"version":`)
	e.str(directory.ETag(res.version))
	b.WriteByte('}')
	for _, a := range rt.Schema.Attributes {
		if a.Returned == schema.Never {
			continue
		}
		var v any
		if a.Name == res.derived {
			v = res.derivedValue
		} else {
			v = res.doc[a.Name]
		}
		if v == nil {
			continue
		}
		b.WriteByte(',')
		e.str(a.Name)
		b.WriteByte(':')
		at := b.Len()
		if err := e.encode(v); err != nil {
			return 0, err
		}
		if a.Name == res.derived {
			derived = b.Len() - at
		}
	}
	for _, x := range exts {
		b.WriteByte(',')
		e.str(x.urn)
		b.WriteByte(':')
		if err := e.encode(x.value); err != nil {
			return 0, err
		}
	}
	b.WriteByte('}')
	return derived, nil
}

// extValue is an extension's attributes in a representation.
type extValue struct {
	urn   string
	value map[string]any
}

// listedUser is what a user is rendered from (listedJSON for a list
// page, call.user for one resource), groups being its direct groups
// (RFC 7643 §4.1.2).
func (c *call) listedUser(u directory.User, groups []directory.GroupRef) resource {
	res := resource{rt: c.types.User, id: u.ID, doc: u.Doc, version: u.Version, created: u.CreatedAt, modified: u.UpdatedAt,
		derived: "groups"}
	if len(groups) > 0 {
		list := make([]any, len(groups))
		for i, g := range groups {
			m := map[string]any{"value": g.ID, "$ref": c.location(c.types.Group, g.ID), "type": "direct"}
			if g.DisplayName != "" {
				m["display"] = g.DisplayName
			}
			list[i] = m
		}
		res.derivedValue = list
	}
	return res
}

// listedGroup is what a group is rendered from (listedJSON, call.group),
// with its members (RFC 7643 §4.2).
func (c *call) listedGroup(g directory.Group, members []directory.Member) resource {
	res := resource{rt: c.types.Group, id: g.ID, doc: g.Doc, version: g.Version, created: g.CreatedAt, modified: g.UpdatedAt,
		derived: "members"}
	if len(members) > 0 {
		list := make([]any, len(members))
		for i, m := range members {
			target := c.types.User
			if m.Type == directory.MemberGroup {
				target = c.types.Group
			}
			v := map[string]any{"value": m.ID, "$ref": c.location(target, m.ID), "type": m.Type}
			if m.Display != "" {
				v["display"] = m.Display
			}
			list[i] = v
		}
		res.derivedValue = list
	}
	return res
}
