package patch

import (
	"errors"
	"sort"
	"strings"

	"github.com/scimbridge/scimbridge/internal/scim/filter"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// Parse is Decode followed by Normalize.
func Parse(rt *schema.ResourceType, body []byte, opts Options) (Plan, error) {
	req, err := Decode(body)
	if err != nil {
		return Plan{}, err
	}
	return Normalize(rt, req, opts)
}

// Normalize turns the operations of req into a Plan for resource type rt.
// This is the one place where identity-provider quirks are absorbed:
//
//   - "op" is matched case-insensitively (Entra sends "Add", "Replace",
//     "Remove"); any other op fails with invalidSyntax.
//   - A path-less add or replace must have an object value; each key becomes
//     its own operation, in sorted key order (so "name" comes before
//     "name.givenName" and an extension object before its URN-qualified
//     keys). Keys may be dotted ("name.givenName") or URN-qualified
//     ("urn:…:enterprise:2.0:User:employeeNumber"); a key that is a schema
//     URN with an object value contributes one operation per key inside.
//     Keys "id", "schemas" and "meta", null values and readOnly attributes
//     (a user's "groups") are ignored, as in a PUT body (Okta's group rename
//     sends the id; authentik sends the whole group).
//   - A path-less remove fails with noTarget (RFC 7644 §3.5.2.2).
//   - A path equal to a schema URN addresses that schema's attributes: add
//     and replace behave as path-less with the value object, remove deletes
//     the whole extension.
//   - An attribute name without a URN that is not a core attribute but is an
//     extension attribute (Entra's "path":"manager") resolves to the
//     extension.
//   - Values are coerced with schema.CoerceValue: "True"/"False" become
//     booleans, the manager may be a bare id, a [{"$ref","value"}] list or an
//     object; unknown sub-attributes inside values are dropped.
//   - add with a null or absent value adds nothing and is dropped (Strict:
//     invalidValue); replace with null, or a value that coerces to nothing
//     ([] or {}), becomes a remove.
//   - Paths naming attributes that are not in the schema are dropped (Strict:
//     invalidPath), so unmapped IdP attributes never fail a provisioning
//     cycle (checklist 79). Extension URNs the resource type does not
//     declare are kept (Strict: invalidPath): add and replace set the key
//     inside the object under that URN, remove deletes it.
//   - "id", "meta" and a user's "groups" are ignored; "password" is dropped
//     (never stored); any other readOnly target, such as
//     "urn:…:enterprise:2.0:User:manager.displayName", fails with
//     mutability.
//   - A remove of a multi-valued attribute with a value list and no filter
//     removes only the listed values (each list item acts as an equality
//     filter on the sub-attributes it gives). RFC 7644 leaves "remove with a
//     value" undefined; removing everything, the literal reading, is what
//     emptied groups at Entra customers.
//   - On groups, "members" becomes MemberOps (see membersOp), never a
//     document edit.
//
// Errors are *schema.Error, with the detail prefixed by "Operations[i]: ":
// invalidSyntax (unknown op), invalidPath (unparsable path, unknown
// attribute in Strict mode, a member sub-attribute path), invalidFilter (a
// members filter that does not select by value), invalidValue (a value that
// does not fit its attribute), noTarget (path-less remove), mutability
// (readOnly target), tooMany (more than opts.MaxOperations operations).
func Normalize(rt *schema.ResourceType, req Request, opts Options) (Plan, error) {
	if opts.MaxOperations > 0 && len(req.Operations) > opts.MaxOperations {
		return Plan{}, schema.Errorf(schema.ErrTooMany, "the request has %d operations; the maximum is %d", len(req.Operations), opts.MaxOperations)
	}
	n := &normalizer{rt: rt, opts: opts, sopts: schema.Options{Strict: opts.Strict}}
	for i, o := range req.Operations {
		n.index = i
		kind, ok := parseKind(o.Op)
		if !ok {
			return Plan{}, atOp(i, schema.Errorf(schema.ErrInvalidSyntax, "unknown op %q: want add, replace or remove", o.Op))
		}
		if err := n.operation(kind, o.Path, o.Value); err != nil {
			return Plan{}, atOp(i, err)
		}
	}
	return n.plan, nil
}

func parseKind(op string) (Kind, bool) {
	switch strings.ToLower(strings.TrimSpace(op)) {
	case "add":
		return Add, true
	case "replace":
		return Replace, true
	case "remove":
		return Remove, true
	}
	return 0, false
}

type normalizer struct {
	rt    *schema.ResourceType
	opts  Options
	sopts schema.Options
	index int
	plan  Plan
}

func (n *normalizer) emit(kind Kind, p filter.PatchPath, v any) {
	n.plan.Ops = append(n.plan.Ops, Op{Kind: kind, Path: p, Value: v, Index: n.index})
}

func (n *normalizer) emitMembers(kind MemberKind, ms []Member) {
	n.plan.Members = append(n.plan.Members, MemberOp{Kind: kind, Members: ms, Index: n.index})
}

func (n *normalizer) operation(kind Kind, path string, value any) error {
	path = strings.TrimSpace(path)
	if path == "" {
		if kind == Remove {
			return schema.Errorf(schema.ErrNoTarget, `remove needs a "path" (RFC 7644 §3.5.2.2)`)
		}
		obj, ok := value.(map[string]any)
		if !ok {
			return schema.Errorf(schema.ErrInvalidValue, `%s without a "path" needs an object "value" holding the attributes to change`, kind)
		}
		return n.expand(kind, "", obj)
	}
	return n.path(kind, path, value, false)
}

// expand turns the object of a path-less add or replace into one operation
// per key. urn is the schema the keys belong to ("" at the resource level).
func (n *normalizer) expand(kind Kind, urn string, obj map[string]any) error {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := strings.ToLower(keys[i]), strings.ToLower(keys[j])
		if a != b {
			return a < b
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		v := obj[k]
		if v == nil {
			continue // null in a value object means "not sent"
		}
		if urn != "" {
			if err := n.path(kind, urn+":"+k, v, true); err != nil {
				return err
			}
			continue
		}
		switch strings.ToLower(k) {
		case "schemas", "id", "meta":
			continue
		}
		if err := n.path(kind, k, v, true); err != nil {
			return err
		}
	}
	return nil
}

// path normalises one operation on an explicit path. pathless is set for
// the keys of a path-less value object, where readOnly attributes and
// unparsable keys are ignored rather than rejected.
func (n *normalizer) path(kind Kind, path string, value any, pathless bool) error {
	// URN-qualified paths are split here, with the resource type's schema
	// ids, so that URNs holding "." and ":" split right (docs/idp-compatibility.md items 60, 64).
	urn, rest := "", path
	if isURN(path) {
		if s := n.rt.SchemaByURN(path); s != nil {
			return n.wholeSchema(kind, s, value)
		}
		urn, rest = n.rt.SplitURN(path)
		if n.rt.SchemaByURN(urn) == nil {
			return n.custom(kind, path, urn, rest, value, pathless)
		}
	}
	pp, err := parsePatchPath(rest)
	if err == nil && urn != "" {
		if pp.Attr.URN != "" {
			err = schema.Errorf(schema.ErrInvalidPath, "%q is not a valid attribute path", path)
		}
		pp.Attr.URN = urn
	}
	if err != nil {
		if pathless {
			return n.unknown(path)
		}
		return asSchemaError(err, schema.ErrInvalidPath)
	}
	rp, err := n.resolve(pp)
	if err != nil {
		if isUnknownAttribute(err) {
			return n.unknown(path)
		}
		return asSchemaError(err, schema.ErrInvalidPath)
	}
	res, ok := n.rt.Resolve(rp.Attr.URN, rp.Attr.Name, rp.Attr.Sub)
	if !ok {
		return n.unknown(path)
	}
	return n.resolved(kind, path, rp, res, value, pathless)
}

// resolved is path once the path has resolved to res: it applies the
// attribute's (and sub-attribute's) mutability and emits the operation.
func (n *normalizer) resolved(kind Kind, path string, rp filter.PatchPath, res schema.Resolved, value any, pathless bool) error {
	a := res.Attr
	switch {
	case rp.Attr.URN == "" && (a.Name == "id" || a.Name == "meta"):
		return nil // readOnly common attributes: ignored (RFC 7643 §3.1)
	case a.Mutability == schema.WriteOnly:
		return nil // password: accepted and never stored (checklist 78)
	case a.Mutability == schema.ReadOnly:
		if pathless || a.Name == "groups" {
			return nil // RFC 7643 §2.2: readOnly values sent by clients are ignored
		}
		return schema.Errorf(schema.ErrMutability, "attribute %q is readOnly", res.Path.String())
	}
	if n.isMembers(rp) {
		return n.members(kind, rp, value)
	}
	if rp.Filter != nil && !a.IsComplex() {
		return schema.Errorf(schema.ErrInvalidPath, "%q: a value filter needs a complex attribute", path)
	}
	if rp.Filter != nil && rp.Attr.Sub != "" {
		return schema.Errorf(schema.ErrInvalidPath, "%q: a filter cannot follow a sub-attribute", path)
	}
	var sub *schema.Attribute
	switch {
	case rp.Attr.Sub != "":
		sub = res.SubAtt
	case rp.Sub != "":
		if sub = a.Sub(rp.Sub); sub == nil {
			return n.unknown(path)
		}
		rp.Sub = sub.Name
	}
	if sub != nil {
		switch {
		case sub.Mutability == schema.WriteOnly:
			return nil
		case sub.Mutability == schema.ReadOnly:
			if pathless {
				return nil
			}
			return schema.Errorf(schema.ErrMutability, "sub-attribute %q is readOnly", path)
		}
	}
	return n.emitValue(kind, rp, a, sub, value)
}

// emitValue emits the operation on attribute a (sub-attribute sub, if not
// nil) with value coerced to the attribute's type.
func (n *normalizer) emitValue(kind Kind, rp filter.PatchPath, a, sub *schema.Attribute, value any) error {
	if kind == Remove {
		var v any
		if value != nil && a.MultiValued && rp.Filter == nil && sub == nil {
			cv, err := schema.CoerceValue(a, value, n.sopts)
			if err != nil {
				return err
			}
			if cv == nil {
				return nil // "remove these values" with none listed
			}
			v = cv
		}
		n.emit(Remove, rp, v)
		return nil
	}
	if value == nil {
		return n.nullValue(kind, rp)
	}
	var v any
	var err error
	switch {
	case sub != nil:
		v, err = schema.CoerceValue(sub, value, n.sopts)
	case rp.Filter != nil:
		v, err = n.element(a, value)
	default:
		v, err = schema.CoerceValue(a, value, n.sopts)
	}
	if err != nil {
		return err
	}
	if v == nil {
		return n.nullValue(kind, rp)
	}
	n.emit(kind, rp, v)
	return nil
}

// nullValue handles add and replace whose value is null or coerces to
// nothing: add adds nothing, replace removes.
func (n *normalizer) nullValue(kind Kind, p filter.PatchPath) error {
	if kind == Replace {
		n.emit(Remove, p, nil)
		return nil
	}
	if n.opts.Strict {
		return schema.Errorf(schema.ErrInvalidValue, "add needs a value (RFC 7644 §3.5.2.1)")
	}
	return nil
}

// element coerces the value of an add or replace on a filtered path without
// sub-attribute: one element of the (complex) attribute.
func (n *normalizer) element(a *schema.Attribute, value any) (any, error) {
	v, err := schema.CoerceValue(a, value, n.sopts)
	if err != nil || v == nil {
		return nil, err
	}
	if list, ok := v.([]any); ok {
		if len(list) != 1 {
			return nil, schema.Errorf(schema.ErrInvalidValue, "a filtered path of %q takes one value, got %d", a.Name, len(list))
		}
		return list[0], nil
	}
	return v, nil
}

// resolve resolves pp. filter.ResolvePatchPath already finds an extension
// attribute named without its URN (Entra's "path":"manager").
func (n *normalizer) resolve(pp filter.PatchPath) (filter.PatchPath, error) {
	return resolvePatchPath(n.rt, pp)
}

// wholeSchema handles a path that is exactly a schema URN.
func (n *normalizer) wholeSchema(kind Kind, s *schema.Schema, value any) error {
	core := s == n.rt.Schema
	if kind == Remove {
		if core {
			return schema.Errorf(schema.ErrInvalidPath, "the core schema %s cannot be removed", s.ID)
		}
		n.emit(Remove, filter.PatchPath{Attr: schema.Path{URN: s.ID}}, nil)
		return nil
	}
	if value == nil {
		if kind == Replace && !core {
			n.emit(Remove, filter.PatchPath{Attr: schema.Path{URN: s.ID}}, nil)
			return nil
		}
		return n.nullValue(kind, filter.PatchPath{})
	}
	obj, ok := value.(map[string]any)
	if !ok {
		return schema.Errorf(schema.ErrInvalidValue, "the value for %s must be an object holding its attributes", s.ID)
	}
	if core {
		return n.expand(kind, "", obj)
	}
	return n.expand(kind, s.ID, obj)
}

// unknown handles a path that names no attribute of the resource type.
func (n *normalizer) unknown(path string) error {
	if n.opts.Strict {
		return schema.Errorf(schema.ErrInvalidPath, "attribute %q is not defined for %s", path, n.rt.ID)
	}
	return nil
}

// custom handles a path under an extension URN the resource type does not
// declare; urn and rest are rt.SplitURN(path). The path names the extension
// object itself, not one of its attributes, when its last segment is the
// resource type's name or not an attribute name ("urn:…:Acme:2.0:User",
// "urn:okta:custom:group:1.0"), or, for a key of a path-less value, when
// the value is an object (as schema.Normalize reads POST bodies).
func (n *normalizer) custom(kind Kind, path, urn, rest string, value any, pathless bool) error {
	if n.opts.Strict {
		return schema.Errorf(schema.ErrInvalidPath, "schema %q is not supported", urn)
	}
	if !urnSegment(rest) {
		if pathless {
			return nil
		}
		return schema.Errorf(schema.ErrInvalidPath, "%q is not a valid attribute path", path)
	}
	name, sub, dotted := strings.Cut(rest, ".")
	attr := validName(name) && (!dotted || validName(sub)) && !strings.EqualFold(rest, n.rt.ID)
	obj, isObj := value.(map[string]any)
	if attr && !(pathless && isObj) {
		return n.customAttr(kind, urn, rest, value, pathless)
	}
	if kind == Remove {
		n.emit(Remove, filter.PatchPath{Attr: schema.Path{URN: path}}, nil)
		return nil
	}
	if !isObj {
		if value == nil && kind == Replace {
			n.emit(Remove, filter.PatchPath{Attr: schema.Path{URN: path}}, nil)
			return nil
		}
		if pathless || value == nil {
			return n.nullValue(kind, filter.PatchPath{})
		}
		return schema.Errorf(schema.ErrInvalidValue, "the value for schema %q must be an object holding its attributes", path)
	}
	for _, k := range sortedKeys(obj) {
		if obj[k] == nil {
			continue
		}
		if err := n.customAttr(kind, path, k, obj[k], true); err != nil {
			return err
		}
	}
	return nil
}

// customAttr emits an operation on attribute rest ("name" or "name.sub") of
// the undeclared extension urn. Values are kept as sent, without nulls.
func (n *normalizer) customAttr(kind Kind, urn, rest string, value any, pathless bool) error {
	name, sub, dotted := strings.Cut(rest, ".")
	if !validName(name) || (dotted && !validName(sub)) {
		if pathless {
			return nil
		}
		return schema.Errorf(schema.ErrInvalidPath, "%q is not a valid attribute path", urn+":"+rest)
	}
	p := filter.PatchPath{Attr: schema.Path{URN: urn, Name: name, Sub: sub}}
	if kind == Remove {
		n.emit(Remove, p, nil)
		return nil
	}
	v := dropNulls(value)
	if v == nil {
		return n.nullValue(kind, p)
	}
	n.emit(kind, p, v)
	return nil
}

// validName reports whether s is an ATTRNAME of RFC 7644 §3.10
// (ALPHA *(nameChar), nameChar = "-" / "_" / DIGIT / ALPHA), allowing "$"
// as in "$ref".
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '$' && i == 0:
		case i > 0 && (r >= '0' && r <= '9' || r == '-' || r == '_'):
		default:
			return false
		}
	}
	return true
}

// urnSegment reports whether s may end a URN-qualified path: letters,
// digits, "$", "-", "_" and ".".
func urnSegment(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case r == '$', r == '-', r == '_', r == '.':
		default:
			return false
		}
	}
	return true
}

func isURN(s string) bool { return len(s) > 4 && strings.EqualFold(s[:4], "urn:") }

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// dropNulls returns a deep copy of v without null object members and null
// list elements; an object or list left empty becomes nil.
func dropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if c := dropNulls(e); c != nil {
				out[k] = c
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if c := dropNulls(e); c != nil {
				out = append(out, c)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	default:
		return v
	}
}

// asSchemaError returns err as a *schema.Error, wrapping other errors with
// scimType.
func asSchemaError(err error, scimType string) *schema.Error {
	var se *schema.Error
	if errors.As(err, &se) {
		return se
	}
	return &schema.Error{ScimType: scimType, Detail: err.Error()}
}
