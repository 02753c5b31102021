package filter

import (
	"strings"

	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// path reads an attribute path (RFC 7644 §3.10):
//
//	attrPath = [URI ":"] ATTRNAME *1subAttr
//	subAttr  = "." ATTRNAME
//
// A URN-qualified path is split at its last ":", so the URN may contain "."
// and ":" ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value").
// Inside a value filter (inVP) a path names a sub-attribute of the filtered
// attribute and must be a bare ATTRNAME.
func (p *parser) path(inVP bool) (schema.Path, error) {
	at := p.pos
	w := p.word()
	if w == "" {
		return schema.Path{}, p.errorf(at, "expected an attribute path, found %s", p.found(at))
	}
	var urn string
	rest := w
	if len(w) >= 4 && strings.EqualFold(w[:4], "urn:") {
		i := strings.LastIndexByte(w, ':')
		urn, rest = w[:i], w[i+1:]
		if !isURN(urn) || rest == "" {
			return schema.Path{}, p.errorf(at, `invalid attribute path %q: expected "urn:…:attribute" or "urn:…:attribute.subAttribute"`, w)
		}
	}
	name, sub, dotted := strings.Cut(rest, ".")
	if !isAttrName(name) || dotted && !isAttrName(sub) {
		return schema.Path{}, p.errorf(at, `invalid attribute path %q: expected "attribute" or "attribute.subAttribute" (letters, digits, "-" and "_", starting with a letter)`, w)
	}
	if inVP && (urn != "" || dotted) {
		return schema.Path{}, p.errorf(at, `inside "[...]" name a sub-attribute of the filtered attribute without a prefix, found %q`, w)
	}
	return schema.Path{URN: urn, Name: name, Sub: sub}, nil
}

// ParsePatchPath parses the "path" of a PATCH operation (RFC 7644 §3.5.2):
//
//	PATH = attrPath / valuePath [subAttr]
//
// e.g. `members`, `name.givenName`, `emails[type eq "work"].value`,
// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`.
// The value filter follows the grammar of Parse. Errors are *schema.Error
// with ScimType invalidPath.
func ParsePatchPath(s string) (PatchPath, error) {
	p := newParser(s, schema.ErrInvalidPath, "path")
	if err := p.check(); err != nil {
		return PatchPath{}, err
	}
	p.skipSpace()
	if p.eof() || isDelim(p.peek()) {
		return PatchPath{}, p.errorf(p.pos, "expected an attribute path, found %s", p.found(p.pos))
	}
	attr, err := p.path(false)
	if err != nil {
		return PatchPath{}, err
	}
	pp := PatchPath{Attr: attr}
	p.skipSpace()
	if p.peek() == '[' {
		vp, _, err := p.valuePath(attr)
		if err != nil {
			return PatchPath{}, err
		}
		pp.Filter = vp.Filter
		p.skipSpace()
		if p.peek() == '.' {
			subAt := p.pos
			sub := p.word()[1:]
			if !isAttrName(sub) {
				return PatchPath{}, p.errorf(subAt, `expected a sub-attribute name after "].", found %s`, p.found(subAt))
			}
			pp.Sub = sub
			p.skipSpace()
		}
	}
	if !p.eof() {
		return PatchPath{}, p.errorf(p.pos, `expected "[", "." or the end of the path, found %s`, p.found(p.pos))
	}
	if len(s) > canonicalCheckLen {
		if n := len(pp.String()); n > MaxLen {
			return PatchPath{}, schema.Errorf(p.scimType, "the path is %d bytes long once normalised; at most %d bytes are accepted", n, MaxLen)
		}
	}
	return pp, nil
}
