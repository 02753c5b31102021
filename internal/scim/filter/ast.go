package filter

import "github.com/scimbridge/scimbridge/internal/scim/schema"

// Expr is a node of a parsed filter (RFC 7644 §3.4.2.2). The concrete types
// are *Compare, *Present, *Logical, *Not and *ValuePath. The AST is ours:
// nothing outside this package depends on how it was parsed.
type Expr interface{ expr() }

// Op is a comparison operator, always lower-case in the AST.
type Op string

// The comparison operators of RFC 7644 §3.4.2.2, Table 3.
const (
	Eq Op = "eq"
	Ne Op = "ne"
	Co Op = "co"
	Sw Op = "sw"
	Ew Op = "ew"
	Gt Op = "gt"
	Ge Op = "ge"
	Lt Op = "lt"
	Le Op = "le"
)

// LogicalOp joins two expressions.
type LogicalOp string

// Logical operators (RFC 7644 §3.4.2.2, Table 4).
const (
	And LogicalOp = "and"
	Or  LogicalOp = "or"
)

// ValueKind says which field of a Value is set.
type ValueKind int

// Value kinds: the JSON literal types a filter may compare with
// (RFC 7644 §3.4.2.2 compValue).
const (
	StringValue ValueKind = iota
	NumberValue
	BoolValue
	NullValue
)

// Value is a comparison literal.
type Value struct {
	Kind ValueKind
	Str  string // StringValue: the unescaped string; NumberValue: the number's text
	Bool bool   // BoolValue
}

// Compare is `attrPath op value`.
type Compare struct {
	Path  schema.Path
	Op    Op
	Value Value
}

// Present is `attrPath pr`.
type Present struct {
	Path schema.Path
}

// Logical is `left and right` or `left or right`.
type Logical struct {
	Op          LogicalOp
	Left, Right Expr
}

// Not is `not (x)`.
type Not struct {
	X Expr
}

// ValuePath is `attr[filter]`: true when some value of the multi-valued
// complex attribute Attr matches Filter. Paths inside Filter name
// sub-attributes of Attr with Path.Name set to the sub-attribute and
// Path.URN empty; Resolve rewrites them to {URN, Attr, Sub}.
type ValuePath struct {
	Attr   schema.Path // Sub is empty
	Filter Expr
}

func (*Compare) expr()   {}
func (*Present) expr()   {}
func (*Logical) expr()   {}
func (*Not) expr()       {}
func (*ValuePath) expr() {}

// PatchPath is the "path" of a PATCH operation (RFC 7644 §3.5.2):
//
//	PATH = attrPath / valuePath [subAttr]
//
// e.g. `members`, `name.givenName`, `emails[type eq "work"].value`,
// `members[value eq "2819c223"]`,
// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`.
type PatchPath struct {
	Attr   schema.Path // the attribute; Attr.Sub set for `name.givenName` form
	Filter Expr        // the value filter, nil when absent
	Sub    string      // sub-attribute after the filter: `emails[...].value` → "value"
}
