package filter

import (
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// Eval reports whether the document doc of resource type rt matches the
// resolved expression e (see Resolve). doc is in rendered form: canonical
// core attribute names, "id", "externalId", "meta" (an object with RFC 3339
// "created" and "lastModified"), extension attributes in an object under
// the extension's URN; values are string, bool, json.Number (float64 and Go
// integers also work), map[string]any and []any.
//
// The semantics are those of RFC 7644 §3.4.2.2, made exact so that the SQL
// compiler can implement the same ones:
//
//   - A path reaches values: the attribute's value, or each non-null
//     element of a multi-valued attribute; with a sub-attribute, the
//     sub-attribute's value of the object or of each element object.
//     JSON null and absent keys reach nothing.
//   - eq co sw ew gt ge lt le are true iff some reached value satisfies
//     them ("the filter matches if any of the values of the specified
//     attribute match"); ne is exactly "not eq".
//   - "eq null" is true iff nothing is reached, "ne null" iff something is;
//     other operators with null are false.
//   - pr is true iff some reached value is present: non-null, not the
//     string "", and for an object at least one non-null member. Without a
//     sub-attribute pr looks at the attribute's value as a whole, so a
//     multi-valued attribute is present iff its list has a non-null element
//     (even an empty object {}).
//   - attr[filter] is true iff some element object of attr (or attr itself
//     when single-valued) satisfies filter, whose paths read that element.
//   - Strings compare after schema.FoldString when the attribute is not
//     caseExact; co/sw/ew are substring/prefix/suffix, gt/ge/lt/le are
//     byte-wise. dateTime compares instants (an unparsable value matches
//     nothing); numbers compare as float64; booleans support eq only. A
//     literal whose kind does not fit the value matches nothing.
//
// A nil expression, an unknown operator and a nested value filter are false
// (so their negation is true). Eval never panics.
func Eval(rt *schema.ResourceType, e Expr, doc map[string]any) bool {
	ev := evaluator{rt: rt}
	return ev.eval(e, scope{doc: doc})
}

type evaluator struct{ rt *schema.ResourceType }

// scope is where paths are read: the document, or one element of a value
// filter's attribute.
type scope struct {
	doc  map[string]any
	elem map[string]any    // the element being filtered, when inside attr[...]
	vp   *schema.Attribute // the filtered attribute, when inside attr[...]
	inVP bool
}

func (ev *evaluator) eval(e Expr, sc scope) bool {
	switch x := e.(type) {
	case *Compare:
		return x != nil && ev.compare(x, sc)
	case *Present:
		if x == nil {
			return false
		}
		if x.Path.Sub == "" || sc.inVP {
			// The attribute's value as a whole: a list is present when it
			// has a non-null element.
			return present(ev.raw(x.Path, sc))
		}
		for _, v := range ev.reach(x.Path, sc) {
			if present(v) {
				return true
			}
		}
		return false
	case *Logical:
		if x == nil {
			return false
		}
		switch x.Op {
		case And:
			return ev.eval(x.Left, sc) && ev.eval(x.Right, sc)
		case Or:
			return ev.eval(x.Left, sc) || ev.eval(x.Right, sc)
		}
		return false
	case *Not:
		return x != nil && !ev.eval(x.X, sc)
	case *ValuePath:
		if x == nil || sc.inVP {
			return false
		}
		return ev.valuePath(x, sc)
	}
	return false
}

func (ev *evaluator) valuePath(x *ValuePath, sc scope) bool {
	var attr *schema.Attribute
	if ev.rt != nil && ev.rt.Schema != nil {
		if res, ok := ev.rt.Resolve(x.Attr.URN, x.Attr.Name, ""); ok {
			attr = res.Attr
		}
	}
	for _, v := range ev.reach(schema.Path{URN: x.Attr.URN, Name: x.Attr.Name}, sc) {
		elem, ok := v.(map[string]any)
		if !ok {
			continue
		}
		if ev.eval(x.Filter, scope{doc: sc.doc, elem: elem, vp: attr, inVP: true}) {
			return true
		}
	}
	return false
}

func (ev *evaluator) compare(x *Compare, sc scope) bool {
	vals := ev.reach(x.Path, sc)
	if x.Value.Kind == NullValue {
		switch x.Op {
		case Eq:
			return len(vals) == 0
		case Ne:
			return len(vals) > 0
		}
		return false
	}
	op := x.Op
	if op == Ne {
		op = Eq
	}
	leaf := ev.leaf(x.Path, sc)
	match := false
	for _, v := range vals {
		if compareValue(leaf, op, x.Value, v) {
			match = true
			break
		}
	}
	if x.Op == Ne {
		return !match
	}
	return match
}

// leaf returns the attribute a path ends at, or nil when rt does not define it.
func (ev *evaluator) leaf(p schema.Path, sc scope) *schema.Attribute {
	if sc.inVP && p.Sub == "" {
		if sc.vp == nil {
			return nil
		}
		return sc.vp.Sub(p.Name)
	}
	if ev.rt == nil || ev.rt.Schema == nil {
		return nil
	}
	if res, ok := ev.rt.Resolve(p.URN, p.Name, p.Sub); ok {
		return res.Leaf()
	}
	return nil
}

// raw returns the value stored at p's attribute (ignoring p.Sub at the top
// level), or at p's sub-attribute of the element inside a value filter.
func (ev *evaluator) raw(p schema.Path, sc scope) any {
	if sc.inVP {
		key := p.Sub
		if key == "" {
			key = p.Name
		}
		return sc.elem[key]
	}
	container := sc.doc
	if p.URN != "" {
		container, _ = sc.doc[p.URN].(map[string]any)
	}
	return container[p.Name]
}

// reach returns the non-null values path p reaches in scope sc.
func (ev *evaluator) reach(p schema.Path, sc scope) []any {
	v := ev.raw(p, sc)
	if sc.inVP || p.Sub == "" {
		return Spread(v)
	}
	switch x := v.(type) {
	case map[string]any:
		return Spread(x[p.Sub])
	case []any:
		var out []any
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				out = append(out, Spread(m[p.Sub])...)
			}
		}
		return out
	}
	return nil
}

// Spread turns an attribute's value into the values it stands for: none
// for null, the non-null elements of a multi-valued attribute, or the value
// itself (RFC 7643 §2.4).
func Spread(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if e != nil {
				out = append(out, e)
			}
		}
		return out
	}
	return []any{v}
}

// present is pr for one value (RFC 7644 §3.4.2.2: "If the attribute has a
// non-empty value, or if it contains a non-empty node for complex
// attributes, there is a match"): an object or a list is present when it
// has a non-null member.
func present(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case map[string]any:
		for _, m := range x {
			if m != nil {
				return true
			}
		}
		return false
	case []any:
		for _, m := range x {
			if m != nil {
				return true
			}
		}
		return false
	}
	return true
}
