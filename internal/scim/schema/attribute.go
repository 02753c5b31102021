package schema

import "strings"

// Type is an attribute's data type (RFC 7643 §2.3).
type Type string

// The data types of RFC 7643 §2.3.
const (
	String    Type = "string"
	Boolean   Type = "boolean"
	Decimal   Type = "decimal"
	Integer   Type = "integer"
	DateTime  Type = "dateTime"
	Binary    Type = "binary"
	Reference Type = "reference"
	Complex   Type = "complex"
)

// Mutability is RFC 7643 §7 "mutability".
type Mutability string

// Mutability values.
const (
	ReadOnly  Mutability = "readOnly"
	ReadWrite Mutability = "readWrite"
	Immutable Mutability = "immutable"
	WriteOnly Mutability = "writeOnly"
)

// Returned is RFC 7643 §7 "returned".
type Returned string

// Returned values.
const (
	Always  Returned = "always"
	Never   Returned = "never"
	Default Returned = "default"
	Request Returned = "request"
)

// Uniqueness is RFC 7643 §7 "uniqueness".
type Uniqueness string

// Uniqueness values.
const (
	None   Uniqueness = "none"
	Server Uniqueness = "server"
	Global Uniqueness = "global"
)

// Attribute describes one attribute or sub-attribute (RFC 7643 §7).
type Attribute struct {
	Name            string
	Type            Type
	MultiValued     bool
	Description     string
	Required        bool
	CaseExact       bool
	Mutability      Mutability
	Returned        Returned
	Uniqueness      Uniqueness
	CanonicalValues []string
	ReferenceTypes  []string
	SubAttributes   []*Attribute
}

// Sub returns the sub-attribute called name, matched case-insensitively
// (RFC 7643 §2.1: attribute names are case insensitive), or nil.
func (a *Attribute) Sub(name string) *Attribute {
	return find(a.SubAttributes, name)
}

// IsComplex reports whether a's values are objects.
func (a *Attribute) IsComplex() bool { return a.Type == Complex }

func find(attrs []*Attribute, name string) *Attribute {
	for _, a := range attrs {
		if strings.EqualFold(a.Name, name) {
			return a
		}
	}
	return nil
}

// Schema is one schema (RFC 7643 §7): core or extension.
type Schema struct {
	ID          string
	Name        string
	Description string
	Attributes  []*Attribute
}

// Attr returns the top-level attribute called name, case-insensitively, or nil.
func (s *Schema) Attr(name string) *Attribute { return find(s.Attributes, name) }

// Extension is a schema extension attached to a resource type (RFC 7643 §6).
type Extension struct {
	Schema   *Schema
	Required bool
}

// ResourceType is RFC 7643 §6.
type ResourceType struct {
	ID          string // also its name, e.g. "User"
	Endpoint    string // e.g. "/Users"
	Description string
	Schema      *Schema
	Extensions  []Extension
}

// SchemaByURN returns the core schema or one of the extensions whose id
// equals urn case-insensitively, or nil.
func (rt *ResourceType) SchemaByURN(urn string) *Schema {
	if strings.EqualFold(rt.Schema.ID, urn) {
		return rt.Schema
	}
	for _, e := range rt.Extensions {
		if strings.EqualFold(e.Schema.ID, urn) {
			return e.Schema
		}
	}
	return nil
}

// Path names one attribute of a resource type by its canonical spelling.
// URN is empty for core (and common) attributes. Sub is empty unless the path
// reaches into a complex attribute.
type Path struct {
	URN  string
	Name string
	Sub  string
}

// String renders p in the attribute-path syntax of RFC 7644 §3.10.
func (p Path) String() string {
	s := p.Name
	if p.Sub != "" {
		s += "." + p.Sub
	}
	if p.URN != "" {
		s = p.URN + ":" + s
	}
	return s
}

// Resolved is the result of resolving a path against a resource type.
type Resolved struct {
	Path   Path       // canonical spelling
	Attr   *Attribute // the top-level attribute
	SubAtt *Attribute // the sub-attribute, when Path.Sub is set
}

// Leaf returns the attribute the path ends at.
func (r Resolved) Leaf() *Attribute {
	if r.SubAtt != nil {
		return r.SubAtt
	}
	return r.Attr
}

// Resolve finds the attribute that urn/name/sub denote, all matched
// case-insensitively, and returns it with its canonical spelling. An empty
// urn searches the common attributes (RFC 7643 §3.1) and then the core
// schema. ok is false when no such attribute exists.
func (rt *ResourceType) Resolve(urn, name, sub string) (Resolved, bool) {
	var s *Schema
	var a *Attribute
	if urn == "" {
		if a = find(commonAttributes, name); a == nil {
			s = rt.Schema
			a = s.Attr(name)
		}
	} else {
		if s = rt.SchemaByURN(urn); s == nil {
			return Resolved{}, false
		}
		a = s.Attr(name)
	}
	if a == nil {
		return Resolved{}, false
	}
	r := Resolved{Attr: a, Path: Path{Name: a.Name}}
	if s != nil && s != rt.Schema {
		r.Path.URN = s.ID
	}
	if sub != "" {
		sa := a.Sub(sub)
		if sa == nil {
			return Resolved{}, false
		}
		r.SubAtt = sa
		r.Path.Sub = sa.Name
	}
	return r, true
}

// SplitURN splits a fully qualified attribute path such as
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"
// into the schema URN and the attribute path after it (RFC 7644 §3.10). A
// path that does not start with "urn:" is returned unchanged with an empty
// URN. The URN is matched against the resource type's schemas so that URNs
// containing "." and ":" split correctly; an unknown URN splits at its last
// ":".
func (rt *ResourceType) SplitURN(path string) (urn, rest string) {
	if len(path) < 4 || !strings.EqualFold(path[:4], "urn:") {
		return "", path
	}
	ids := []string{rt.Schema.ID}
	for _, e := range rt.Extensions {
		ids = append(ids, e.Schema.ID)
	}
	for _, id := range ids {
		if len(path) > len(id) && strings.EqualFold(path[:len(id)], id) && path[len(id)] == ':' {
			return id, path[len(id)+1:]
		}
	}
	i := strings.LastIndexByte(path, ':')
	return path[:i], path[i+1:]
}
