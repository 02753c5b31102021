package patch

import (
	"strconv"

	"github.com/scimbridge/scimbridge/internal/scim/filter"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// Options tune how liberal Normalize and Apply are. The zero value is the
// liberal default that real identity providers need.
type Options struct {
	// Strict makes the server RFC-strict, for tenants that want it
	// (docs/idp-compatibility.md, "strict"; off by default because Okta and Entra break):
	//   - attributes and sub-attributes not in the schema, and extension
	//     URNs the resource type does not declare, are rejected with
	//     invalidPath (invalidValue for unknown sub-attributes inside a
	//     value) instead of being ignored;
	//   - values that need coercion ("False", a bare manager id, a list for a
	//     singular attribute) are rejected with invalidValue, as in
	//     schema.Normalize;
	//   - add with no value is rejected with invalidValue;
	//   - a replace on a filtered path that matches nothing fails with
	//     noTarget (RFC 7644 §3.5.2.3) instead of creating the value.
	Strict bool
	// MaxOperations caps the number of operations in one request; zero or
	// less means no cap. More operations fail with tooMany. Advertise the
	// same number as bulk.maxOperations in /ServiceProviderConfig: authentik
	// chunks its PATCH operations by it.
	MaxOperations int
}

// Kind is the kind of a document operation.
type Kind uint8

// Document operation kinds (RFC 7644 §3.5.2.1–3).
const (
	Add Kind = iota + 1
	Replace
	Remove
)

func (k Kind) String() string {
	switch k {
	case Add:
		return "add"
	case Replace:
		return "replace"
	case Remove:
		return "remove"
	}
	return "invalid"
}

// Op is one normalised document operation.
//
// Path is resolved against the resource type (filter.ResolvePatchPath):
// canonical attribute names; Path.Attr.URN is "" for core attributes and the
// extension's schema id otherwise. Path.Attr.Name is never empty, except for
// a Remove of a whole extension (path "urn:…:enterprise:2.0:User" or an
// undeclared "urn:…:Acme:2.0:User"), where Path.Attr holds only the URN.
// Path.Attr.URN may name an extension the resource type does not declare (a
// custom "urn:…:Acme:2.0:User:costCode"); such paths are not resolved, carry
// no filter, their Value is the JSON as sent minus nulls, and Apply sets or
// deletes the key inside the object stored under that URN.
//
// Value is already coerced to the canonical form of its target:
//   - Add, Replace without filter or sub-attribute: what schema.CoerceValue
//     returns for the attribute (a []any of objects for multi-valued
//     attributes, a map for complex ones, a scalar otherwise);
//   - Add, Replace of a sub-attribute ("name.givenName",
//     `emails[type eq "work"].value`): the sub-attribute's scalar;
//   - Add, Replace with a filter and no sub-attribute: one element (a map);
//   - Remove: nil, except on a multi-valued attribute without filter, where
//     a non-nil []any lists the values to remove (Entra-style removal by
//     value, generalised from members; see Normalize).
//
// Value is never nil for Add and Replace: Normalize turns a replace with
// null or an empty value into a Remove and drops an add with nothing to add.
type Op struct {
	Kind  Kind
	Path  filter.PatchPath
	Value any
	// Index is the position of the request operation this Op came from, for
	// error details and logs. One request operation may yield several Ops.
	Index int
}

// MemberKind is the kind of a group-membership operation.
type MemberKind uint8

// Membership operation kinds.
const (
	// AddMembers adds Members; members already in the group are left alone
	// (not an error, checklist 81).
	AddMembers MemberKind = iota + 1
	// RemoveMembers removes Members (by Value); ids that are not members are
	// ignored (checklist 84).
	RemoveMembers
	// ReplaceMembers sets the membership to exactly Members.
	ReplaceMembers
	// ClearMembers removes every member. It comes from `remove path=members`
	// without a value or filter (RFC 7644 §3.5.2.2), or from a replace of
	// members with an empty list or null. It is the dangerous case: clients
	// that mean "remove these" but lose the value list empty the group. Log
	// it loudly.
	ClearMembers
)

func (k MemberKind) String() string {
	switch k {
	case AddMembers:
		return "addMembers"
	case RemoveMembers:
		return "removeMembers"
	case ReplaceMembers:
		return "replaceMembers"
	case ClearMembers:
		return "clearMembers"
	}
	return "invalid"
}

// Member is one member reference from a request.
type Member struct {
	Value   string // the member's id, exactly as sent (not trimmed)
	Display string // the client's display hint, "" when absent; members.display is readOnly for us
	Type    string // "User" or "Group" when sent (Entra nests groups), "" when absent
}

// MemberOp is one normalised membership operation of a Group PATCH. Members
// is deduplicated by Value (first occurrence wins; a later display fills an
// empty one) and is empty only for ClearMembers.
type MemberOp struct {
	Kind    MemberKind
	Members []Member
	Index   int // position of the request operation, as Op.Index
}

// IDs returns the member ids of o in order.
func (o MemberOp) IDs() []string {
	ids := make([]string, len(o.Members))
	for i, m := range o.Members {
		ids[i] = m.Value
	}
	return ids
}

// Plan is a normalised PATCH request.
//
// Ops change the resource document and Members change the group's
// membership rows. Each list keeps request order. The two lists are
// independent: members never appear in the document (they are rows), and no
// document operation reads or writes members, so applying Ops and Members in
// either order gives the same result as applying the request in order.
type Plan struct {
	Ops     []Op
	Members []MemberOp
}

// Empty reports whether p changes nothing.
func (p Plan) Empty() bool { return len(p.Ops) == 0 && len(p.Members) == 0 }

// MemberDelta is the net effect of a sequence of membership operations:
// first, when Reset is set, remove every existing member; then remove the
// ids in Remove and add the members in Add. Add and Remove are disjoint, and
// Remove is empty when Reset is set. Applying a MemberDelta costs O(changed
// members), never a read-modify-write of the member list.
type MemberDelta struct {
	Reset  bool
	Add    []Member
	Remove []string
	// Cleared reports whether any operation was ClearMembers, for logging.
	Cleared bool
}

// MemberDelta folds p.Members, in order, into one MemberDelta.
func (p Plan) MemberDelta() MemberDelta {
	return Delta(p.Members)
}

// Delta folds ops, applied in order, into their net effect.
func Delta(ops []MemberOp) MemberDelta {
	var d MemberDelta
	var adds []Member    // candidates, in first-add order
	var removes []string // candidates, in first-remove order
	inAdd := map[string]bool{}
	inRemove := map[string]bool{}
	for _, op := range ops {
		switch op.Kind {
		case ClearMembers, ReplaceMembers:
			d.Reset = true
			d.Cleared = d.Cleared || op.Kind == ClearMembers
			adds, removes = nil, nil
			clear(inAdd)
			clear(inRemove)
			for _, m := range op.Members {
				if !inAdd[m.Value] {
					inAdd[m.Value] = true
					adds = append(adds, m)
				}
			}
		case AddMembers:
			for _, m := range op.Members {
				delete(inRemove, m.Value)
				if !inAdd[m.Value] {
					inAdd[m.Value] = true
					adds = append(adds, m)
				}
			}
		case RemoveMembers:
			for _, m := range op.Members {
				delete(inAdd, m.Value)
				if !d.Reset && !inRemove[m.Value] {
					inRemove[m.Value] = true
					removes = append(removes, m.Value)
				}
			}
		}
	}
	seen := map[string]bool{}
	for _, m := range adds {
		if inAdd[m.Value] && !seen[m.Value] {
			seen[m.Value] = true
			d.Add = append(d.Add, m)
		}
	}
	clear(seen)
	for _, id := range removes {
		if inRemove[id] && !seen[id] {
			seen[id] = true
			d.Remove = append(d.Remove, id)
		}
	}
	return d
}

// atOp prefixes a *schema.Error's detail with the operation's position.
func atOp(i int, err error) error {
	se := asSchemaError(err, schema.ErrInvalidValue)
	return &schema.Error{ScimType: se.ScimType, Detail: "Operations[" + strconv.Itoa(i) + "]: " + se.Detail}
}
