package filter

import (
	"strings"

	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// Resolve checks e against resource type rt and returns a new expression in
// which every path has its canonical spelling (RFC 7643 §2.1: attribute
// names and schema URNs are case-insensitive): URN empty for core and common
// attributes, the extension's URN otherwise. e is not modified.
//
//   - A name without a URN prefix that neither the common attributes nor
//     the core schema define is looked up in the extensions, in order
//     (legacy Entra ID sends `manager eq 2819`).
//   - A path inside a value filter becomes {URN, Name: attr, Sub: sub} of
//     the filtered attribute; value filters must be on complex attributes
//     and cannot nest.
//   - A comparison on a complex attribute without a sub-attribute
//     (`emails co "@x"`, `manager eq "id"`) compares its "value"
//     sub-attribute, the attribute's "significant value" (RFC 7643 §2.4),
//     as in the RFC 7644 §3.4.2.2 example `emails co "example.com"`.
//   - Operators must suit the attribute's type: gt/ge/lt/le not on boolean
//     or binary, co/sw/ew only on string and reference; null only with eq
//     and ne.
//   - Literals are checked and converted: "true"/"false" strings for
//     booleans (Entra ID sends `primary eq "True"`), numeric strings for
//     integer and decimal, RFC 3339 strings for dateTime; an unquoted number
//     for a string attribute becomes its text (`manager eq 2819`).
//
// Errors are *schema.Error with ScimType invalidFilter; IsUnknownAttribute
// tells those about attributes the resource type does not define.
func Resolve(rt *schema.ResourceType, e Expr) (Expr, error) {
	r := resolver{rt: rt, scimType: schema.ErrInvalidFilter, what: "filter", markUnknown: true}
	if rt == nil || rt.Schema == nil {
		return nil, schema.Errorf(r.scimType, "no resource type to resolve the filter against")
	}
	return r.expr(e, nil)
}

// ResolvePatchPath checks p against rt and returns it with canonical
// spellings: Attr as a top-level attribute path, the filter's paths as
// sub-attributes of Attr (as Resolve writes them), and Sub as a sub-attribute
// of Attr. Errors are *schema.Error with ScimType invalidPath;
// IsUnknownAttribute is true when the target attribute (Attr, Attr.Sub or
// Sub) is not defined, so a PATCH engine may ignore the operation
// (RFC 7644 §3.5.2). An unknown sub-attribute inside the filter is a plain
// invalidPath error.
func ResolvePatchPath(rt *schema.ResourceType, p PatchPath) (PatchPath, error) {
	r := resolver{rt: rt, scimType: schema.ErrInvalidPath, what: "path"}
	if rt == nil || rt.Schema == nil {
		return PatchPath{}, schema.Errorf(r.scimType, "no resource type to resolve the path against")
	}
	if p.Filter == nil && p.Sub != "" && p.Attr.Sub == "" {
		// `emails.value` built by hand as {Attr: emails, Sub: value}.
		p.Attr.Sub, p.Sub = p.Sub, ""
	}
	if p.Filter != nil && p.Attr.Sub != "" {
		return PatchPath{}, schema.Errorf(r.scimType, "a value filter must follow an attribute name, not the sub-attribute %q", p.Attr.String())
	}
	res, err := r.top(p.Attr, true)
	if err != nil {
		return PatchPath{}, err
	}
	out := PatchPath{Attr: res.Path}
	if p.Filter != nil {
		if !res.Attr.IsComplex() {
			return PatchPath{}, schema.Errorf(r.scimType, "attribute %q is not complex and cannot have a value filter", res.Path.String())
		}
		if out.Filter, err = r.expr(p.Filter, &res); err != nil {
			return PatchPath{}, err
		}
	}
	if p.Sub != "" {
		sa := res.Attr.Sub(p.Sub)
		if sa == nil {
			return PatchPath{}, unknownAttr(r.scimType, "attribute %q has no sub-attribute %q", res.Path.String(), p.Sub)
		}
		out.Sub = sa.Name
	}
	return out, nil
}

type resolver struct {
	rt          *schema.ResourceType
	scimType    string
	what        string
	markUnknown bool // report unknown attributes inside filters with unknownAttrError
}

func (r *resolver) errorf(format string, args ...any) error {
	return schema.Errorf(r.scimType, format, args...)
}

// unknown reports an attribute that rt does not define; target says whether
// it is marked for IsUnknownAttribute.
func (r *resolver) unknown(target bool, format string, args ...any) error {
	if target {
		return unknownAttr(r.scimType, format, args...)
	}
	return r.errorf(format, args...)
}

// top resolves a top-level attribute path.
func (r *resolver) top(p schema.Path, target bool) (schema.Resolved, error) {
	if res, ok := r.rt.Resolve(p.URN, p.Name, p.Sub); ok {
		return res, nil
	}
	if p.URN == "" {
		// Leniency: an extension attribute without its URN prefix
		// (legacy Entra ID sends `manager eq 2819`). RFC 7644 §3.10 reads
		// unprefixed names as core; we try the extensions in order after it.
		for _, ext := range r.rt.Extensions {
			if ext.Schema == nil {
				continue
			}
			if res, ok := r.rt.Resolve(ext.Schema.ID, p.Name, p.Sub); ok {
				return res, nil
			}
		}
	}
	if p.URN != "" && r.rt.SchemaByURN(p.URN) == nil {
		return schema.Resolved{}, r.unknown(target, "unknown schema %q in attribute path %q: resource type %s has no such schema", p.URN, p.String(), r.rt.ID)
	}
	if p.Sub != "" {
		if res, err := r.top(schema.Path{URN: p.URN, Name: p.Name}, target); err == nil {
			return schema.Resolved{}, r.unknown(target, "unknown attribute %q: %q has no sub-attribute %q", p.String(), res.Path.String(), p.Sub)
		}
	}
	return schema.Resolved{}, r.unknown(target, "unknown attribute %q: resource type %s does not define it", p.String(), r.rt.ID)
}

// path resolves a path at the top level (vp nil) or inside the value filter
// of vp, where it names a sub-attribute of vp's attribute.
func (r *resolver) path(p schema.Path, vp *schema.Resolved) (schema.Resolved, error) {
	if vp == nil {
		return r.top(p, r.markUnknown)
	}
	name := p.Name
	switch {
	case p.Sub != "":
		// Already in resolved form {URN, attr, sub}: accept it when it
		// names vp's attribute, so that Resolve is idempotent.
		if res, ok := r.rt.Resolve(p.URN, p.Name, ""); !ok || res.Attr != vp.Attr {
			return schema.Resolved{}, r.errorf("inside %s[...] name a sub-attribute of %q, not %q", vp.Path.String(), vp.Path.String(), p.String())
		}
		name = p.Sub
	case p.URN != "":
		return schema.Resolved{}, r.errorf("inside %s[...] name a sub-attribute of %q, not %q", vp.Path.String(), vp.Path.String(), p.String())
	}
	sa := vp.Attr.Sub(name)
	if sa == nil {
		return schema.Resolved{}, r.unknown(r.markUnknown, "unknown attribute %q: %q has no sub-attribute %q", vp.Path.String()+"."+name, vp.Path.String(), name)
	}
	return schema.Resolved{
		Path:   schema.Path{URN: vp.Path.URN, Name: vp.Path.Name, Sub: sa.Name},
		Attr:   vp.Attr,
		SubAtt: sa,
	}, nil
}

func (r *resolver) expr(e Expr, vp *schema.Resolved) (Expr, error) {
	switch x := e.(type) {
	case *Compare:
		if x != nil {
			return r.compare(x, vp)
		}
	case *Present:
		if x != nil {
			res, err := r.path(x.Path, vp)
			if err != nil {
				return nil, err
			}
			return &Present{Path: res.Path}, nil
		}
	case *Logical:
		if x == nil {
			break
		}
		if x.Op != And && x.Op != Or {
			return nil, r.errorf("unknown logical operator %q: expected \"and\" or \"or\"", x.Op)
		}
		left, err := r.expr(x.Left, vp)
		if err != nil {
			return nil, err
		}
		right, err := r.expr(x.Right, vp)
		if err != nil {
			return nil, err
		}
		return &Logical{Op: x.Op, Left: left, Right: right}, nil
	case *Not:
		if x == nil {
			break
		}
		inner, err := r.expr(x.X, vp)
		if err != nil {
			return nil, err
		}
		return &Not{X: inner}, nil
	case *ValuePath:
		if x == nil {
			break
		}
		return r.valuePath(x, vp)
	}
	return nil, r.errorf("the %s has an empty expression", r.what)
}

func (r *resolver) valuePath(x *ValuePath, outer *schema.Resolved) (Expr, error) {
	if outer != nil {
		return nil, r.errorf("value filters cannot be nested: %s[...] inside %s[...]", x.Attr.String(), outer.Path.String())
	}
	if x.Attr.Sub != "" {
		return nil, r.errorf("a value filter must follow an attribute name, not the sub-attribute %q", x.Attr.String())
	}
	res, err := r.top(x.Attr, r.markUnknown)
	if err != nil {
		return nil, err
	}
	if !res.Attr.IsComplex() {
		return nil, r.errorf("attribute %q is not complex and cannot have a value filter %s[...]", res.Path.String(), res.Path.String())
	}
	f, err := r.expr(x.Filter, &res)
	if err != nil {
		return nil, err
	}
	return &ValuePath{Attr: res.Path, Filter: f}, nil
}

func (r *resolver) compare(x *Compare, vp *schema.Resolved) (Expr, error) {
	if _, ok := toOp(string(x.Op)); !ok {
		return nil, r.errorf("unknown operator %q: expected eq, ne, co, sw, ew, gt, ge, lt, le or pr", x.Op)
	}
	res, err := r.path(x.Path, vp)
	if err != nil {
		return nil, err
	}
	if res.Leaf().IsComplex() {
		// A complex attribute compares by its "value" sub-attribute.
		sa := res.Attr.Sub("value")
		if sa == nil {
			return nil, r.errorf("attribute %q is complex and has no \"value\" sub-attribute: compare one of its sub-attributes, e.g. %s.%s", res.Path.String(), res.Path.String(), firstSub(res.Attr))
		}
		res.SubAtt, res.Path.Sub = sa, sa.Name
	}
	v, err := r.literal(res, x.Op, x.Value)
	if err != nil {
		return nil, err
	}
	return &Compare{Path: res.Path, Op: x.Op, Value: v}, nil
}

func firstSub(a *schema.Attribute) string {
	if len(a.SubAttributes) > 0 {
		return a.SubAttributes[0].Name
	}
	return "value"
}

// literal checks that op and v suit the attribute res ends at and converts
// v to the literal kind Eval and the SQL compiler expect for it.
func (r *resolver) literal(res schema.Resolved, op Op, v Value) (Value, error) {
	leaf := res.Leaf()
	name := res.Path.String()
	if v.Kind == NullValue {
		if op != Eq && op != Ne {
			return Value{}, r.errorf("%q cannot compare with null: use \"%s eq null\" (absent) or \"%s ne null\" (present)", op, name, name)
		}
		return v, nil
	}
	ordering := op == Gt || op == Ge || op == Lt || op == Le
	substring := op == Co || op == Sw || op == Ew
	switch leaf.Type {
	case schema.Boolean:
		if ordering || substring {
			return Value{}, r.errorf("boolean attribute %q can only be compared with eq or ne, not %q", name, op)
		}
		switch {
		case v.Kind == BoolValue:
			return v, nil
		case v.Kind == StringValue && strings.EqualFold(strings.TrimSpace(v.Str), "true"):
			return Value{Kind: BoolValue, Bool: true}, nil
		case v.Kind == StringValue && strings.EqualFold(strings.TrimSpace(v.Str), "false"):
			return Value{Kind: BoolValue}, nil
		}
		return Value{}, r.errorf("boolean attribute %q must be compared with true or false, not %s", name, describe(v))
	case schema.Integer, schema.Decimal:
		if substring {
			return Value{}, r.errorf("number attribute %q cannot be compared with %q", name, op)
		}
		switch {
		case v.Kind == NumberValue && isJSONNumber(v.Str):
			return v, nil
		case v.Kind == StringValue && isJSONNumber(strings.TrimSpace(v.Str)):
			return Value{Kind: NumberValue, Str: strings.TrimSpace(v.Str)}, nil
		}
		return Value{}, r.errorf("number attribute %q must be compared with a number, not %s", name, describe(v))
	case schema.DateTime:
		if substring {
			return Value{}, r.errorf("dateTime attribute %q cannot be compared with %q; use eq, ne, gt, ge, lt or le", name, op)
		}
		if v.Kind == StringValue {
			if _, ok := parseTime(v.Str); ok {
				return v, nil
			}
		}
		return Value{}, r.errorf("dateTime attribute %q must be compared with an RFC 3339 date-time string such as \"2011-05-13T04:42:34Z\", not %s", name, describe(v))
	case schema.Binary:
		if ordering || substring {
			return Value{}, r.errorf("binary attribute %q can only be compared with eq or ne, not %q", name, op)
		}
		if v.Kind == StringValue {
			return v, nil
		}
		return Value{}, r.errorf("binary attribute %q must be compared with a base64 string, not %s", name, describe(v))
	case schema.String, schema.Reference:
		switch v.Kind {
		case StringValue:
			return v, nil
		case NumberValue:
			// Legacy Entra ID sends unquoted ids: `manager eq 2819`.
			return Value{Kind: StringValue, Str: v.Str}, nil
		}
		return Value{}, r.errorf("string attribute %q must be compared with a string, not %s", name, describe(v))
	}
	return Value{}, r.errorf("attribute %q of type %q cannot be compared", name, leaf.Type)
}

// describe names a literal for error messages.
func describe(v Value) string {
	var b strings.Builder
	formatValue(&b, v)
	switch v.Kind {
	case NumberValue:
		return "the number " + b.String()
	case BoolValue:
		return "the boolean " + b.String()
	case NullValue:
		return "null"
	}
	return "the string " + b.String()
}
