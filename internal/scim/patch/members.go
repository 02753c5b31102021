package patch

import (
	"encoding/json"
	"strings"

	"github.com/scimbridge/scimbridge/internal/scim/filter"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// isMembers reports whether p targets a group's members, which are
// membership rows, not document values.
func (n *normalizer) isMembers(p filter.PatchPath) bool {
	return strings.EqualFold(n.rt.Schema.ID, schema.GroupURN) && p.Attr.URN == "" && p.Attr.Name == "members"
}

// members turns an operation on a group's "members" into a MemberOp:
//
//	add     members  [{"value":id,"display":…}, …]  → AddMembers
//	replace members  [ … ]                          → ReplaceMembers (ClearMembers when empty or null)
//	remove  members[value eq "a" or value eq "b"]   → RemoveMembers a, b
//	remove  members  [{"value":id}, …]              → RemoveMembers (Entra, authentik, JumpCloud)
//	remove  members  (no value)                     → ClearMembers (RFC 7644 §3.5.2.2)
//
// Member values may be a list, a single object or a bare id string; "$ref"
// (possibly null) is ignored, "type" is optional (Okta sends none).
// Path-less add/replace with a "members" key arrive here as add/replace.
func (n *normalizer) members(kind Kind, p filter.PatchPath, value any) error {
	if p.Attr.Sub != "" || p.Sub != "" {
		return schema.Errorf(schema.ErrInvalidPath, `paths into member sub-attributes are not supported: use "members" or "members[value eq \"id\"]"`)
	}
	if p.Filter != nil && kind != Remove {
		return schema.Errorf(schema.ErrInvalidPath, `%s on a filtered "members" path is not supported: use "path":"members" with a value list`, kind)
	}
	switch kind {
	case Add:
		ms, err := memberList(value)
		if err != nil {
			return err
		}
		if len(ms) > 0 {
			n.emitMembers(AddMembers, ms)
		} else if value == nil && n.opts.Strict {
			return schema.Errorf(schema.ErrInvalidValue, "add needs a value (RFC 7644 §3.5.2.1)")
		}
	case Replace:
		ms, err := memberList(value)
		if err != nil {
			return err
		}
		if len(ms) == 0 {
			n.emitMembers(ClearMembers, nil)
		} else {
			n.emitMembers(ReplaceMembers, ms)
		}
	case Remove:
		if p.Filter != nil {
			ids, err := memberFilterIDs(p.Filter)
			if err != nil {
				return err
			}
			ms := make([]Member, len(ids))
			for i, id := range ids {
				ms[i] = Member{Value: id}
			}
			if ms = dedupeMembers(ms); len(ms) > 0 {
				n.emitMembers(RemoveMembers, ms)
			}
			return nil
		}
		if value == nil {
			n.emitMembers(ClearMembers, nil)
			return nil
		}
		ms, err := memberList(value)
		if err != nil {
			return err
		}
		if len(ms) > 0 {
			n.emitMembers(RemoveMembers, ms)
		}
	}
	return nil
}

// memberList reads a members value: a list of member objects or ids, one
// object, or one id. Null elements are skipped; the result is deduplicated.
func memberList(value any) ([]Member, error) {
	var items []any
	switch v := value.(type) {
	case nil:
		return nil, nil
	case []any:
		items = v
	default:
		items = []any{v}
	}
	ms := make([]Member, 0, len(items))
	for _, it := range items {
		if it == nil {
			continue
		}
		m, err := member(it)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return dedupeMembers(ms), nil
}

func member(v any) (Member, error) {
	if id, ok := memberID(v); ok {
		return Member{Value: id}, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return Member{}, schema.Errorf(schema.ErrInvalidValue, `a member must be an object with a "value" or an id string`)
	}
	var m Member
	var hasValue bool
	for k, e := range obj {
		switch strings.ToLower(k) {
		case "value":
			id, ok := memberID(e)
			if !ok {
				return Member{}, schema.Errorf(schema.ErrInvalidValue, `a member's "value" must be a non-empty id string`)
			}
			m.Value, hasValue = id, true
		case "display":
			m.Display, _ = e.(string)
		case "type":
			m.Type, _ = e.(string)
		}
	}
	if !hasValue {
		return Member{}, schema.Errorf(schema.ErrInvalidValue, `a member has no "value"`)
	}
	return m, nil
}

// memberID accepts a non-empty string, or a number as its text. Ids are not
// trimmed: they are compared exactly as sent.
func memberID(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, x != ""
	case json.Number:
		return x.String(), true
	}
	return "", false
}

// dedupeMembers keeps the first occurrence of each id, filling its display
// and type from later occurrences when empty.
func dedupeMembers(ms []Member) []Member {
	if len(ms) < 2 {
		return ms
	}
	at := make(map[string]int, len(ms))
	out := ms[:0:0]
	for _, m := range ms {
		if i, ok := at[m.Value]; ok {
			if out[i].Display == "" {
				out[i].Display = m.Display
			}
			if out[i].Type == "" {
				out[i].Type = m.Type
			}
			continue
		}
		at[m.Value] = len(out)
		out = append(out, m)
	}
	return out
}

// memberFilterIDs returns the ids a members value filter selects. Supported:
// `value eq "id"`, joined with "or", each optionally "and"-ed with
// `type eq "User"` / `type eq "Group"` (ids are unique across resource
// types, so the type constraint does not narrow anything and is not
// checked). Anything else would select members by something the store does
// not index, or select all of them, and fails with invalidFilter.
func memberFilterIDs(e filter.Expr) ([]string, error) {
	ids, all, err := memberIDs(e)
	if err != nil {
		return nil, err
	}
	if all {
		return nil, unsupportedMemberFilter()
	}
	return ids, nil
}

// memberIDs returns the ids e selects; all is true when e does not constrain
// the id (a bare type constraint).
func memberIDs(e filter.Expr) (ids []string, all bool, err error) {
	switch x := e.(type) {
	case *filter.Compare:
		if x.Op != filter.Eq || (x.Value.Kind != filter.StringValue && x.Value.Kind != filter.NumberValue) {
			break
		}
		switch strings.ToLower(x.Path.Sub) {
		case "value":
			return []string{x.Value.Str}, false, nil
		case "type":
			return nil, true, nil
		}
	case *filter.Logical:
		l, lAll, err := memberIDs(x.Left)
		if err != nil {
			return nil, false, err
		}
		r, rAll, err := memberIDs(x.Right)
		if err != nil {
			return nil, false, err
		}
		if x.Op == filter.Or {
			if lAll || rAll {
				return nil, false, unsupportedMemberFilter()
			}
			return append(l, r...), false, nil
		}
		switch {
		case lAll && rAll:
			return nil, true, nil
		case lAll:
			return r, false, nil
		case rAll:
			return l, false, nil
		}
		return intersect(l, r), false, nil
	}
	return nil, false, unsupportedMemberFilter()
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			if x == y {
				out = append(out, x)
				break
			}
		}
	}
	return out
}

func unsupportedMemberFilter() error {
	return schema.Errorf(schema.ErrInvalidFilter, `members can only be selected by id: use members[value eq "id"], optionally joined with "or"`)
}
