package patch

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"

	"github.com/scimbridge/scimbridge/internal/scim/filter"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// Apply applies ops, in order, to doc in place and reports whether doc
// changed. Callers pass a clone and discard it on error: ops before the
// failing one have already been applied (RFC 7644 §3.5.2: a PATCH is
// all or nothing).
//
// Semantics, RFC 7644 §3.5.2 unless noted:
//
// add (§3.5.2.1)
//   - singular attribute: set it;
//   - singular complex attribute (name, manager): merge the given
//     sub-attributes into it. When both the old and the new object carry a
//     "value" and the values differ, the new object replaces the old one:
//     a new manager must not keep the old manager's "$ref";
//   - sub-attribute ("name.givenName"): set it, creating the parent;
//   - multi-valued: add the values not already present. A value is present
//     when an element is deep-equal to it, or has the same "value" and
//     "type" (compared case-insensitively unless caseExact); in the latter
//     case the sub-attributes that differ are merged into that element (so
//     re-adding the work email with "primary":true marks it primary instead
//     of duplicating it, and re-adding it in other letter case changes
//     nothing);
//   - filter without sub-attribute: merge the value into every matching
//     element; filter with sub-attribute: set the sub-attribute of every
//     matching element. When nothing matches, a new element is created from
//     the filter's equality constraints plus the value, e.g.
//     `emails[type eq "work"].value` → {"type":"work","value":…}. Entra and
//     its validator need this (docs/idp-compatibility.md items 75, 76).
//
// replace (§3.5.2.3)
//   - singular attribute: set it; complex: merge the given sub-attributes,
//     as §3.5.2.3 says ("sub-attributes that are not specified in the value
//     parameter are left unchanged"), with the same "value" rule as add;
//   - multi-valued without filter: replace the whole list;
//   - filter without sub-attribute: replace every matching element with the
//     value plus the filter's equality constraints (so the replaced work
//     email stays the work email); with sub-attribute: set it in every
//     matching element;
//   - no match: create the element as for add (Entra). RFC 7644 says
//     noTarget; Sourcegraph did that and broke Entra provisioning. With
//     Options.Strict, noTarget.
//
// remove (§3.5.2.2)
//   - attribute or sub-attribute: delete it;
//   - multi-valued with a value list (see Op): delete the matching elements;
//   - filter: delete the matching elements, or with a sub-attribute, delete
//     that sub-attribute in them. A filter on a singular complex attribute
//     (Entra's `manager[value eq "x"]`) deletes it when it matches.
//   - removing something absent, or a filter matching nothing, succeeds and
//     changes nothing (checklist 67); RFC 7644 does not require noTarget for
//     remove, and Entra and Okta retry removals.
//
// Ops on id, meta, a user's groups (readOnly, owned by the store) and the
// password (writeOnly, never stored) are ignored, as Normalize already
// does; ops on other readOnly targets fail with mutability.
//
// After each operation, when several elements of the multi-valued attribute
// it touched have "primary": true, the one the operation set keeps it and
// the others get false (RFC 7643 §2.4: at most one primary). Elements, lists
// and objects left empty are deleted, and empty extension objects are
// pruned.
//
// Errors, all *schema.Error, prefixed with "Operations[i]: " when one
// operation is at fault:
//   - mutability: a required attribute (userName, a group's displayName)
//     that was present is absent after all operations (RFC 7644 §3.5.2: "If an
//     attribute is removed or becomes unassigned and is defined as a
//     required attribute or a read-only attribute, the server SHALL return
//     … mutability"), an op targets a readOnly attribute or sub-attribute
//     (such as the manager's displayName), or an immutable attribute with a
//     value would change;
//   - noTarget: an add or replace on a filtered path that matches nothing
//     and whose filter does not determine a new element (it is not a
//     conjunction of "eq" comparisons), an add or replace with a filter on a
//     singular complex attribute that holds a non-matching value, or any
//     replace on a filtered path that matches nothing in Strict mode;
//   - invalidPath, invalidValue: ops that Normalize would not produce.
//
// changed is false when doc ends deep-equal to its input: Okta resends the
// group name with every membership push, and a PATCH that changes nothing
// must not bump meta.lastModified or emit events (checklist 68, 88).
//
// Apply never panics, whatever doc and ops hold.
func Apply(rt *schema.ResourceType, doc schema.Resource, ops []Op, opts Options) (changed bool, err error) {
	if doc == nil {
		return false, schema.Errorf(schema.ErrInvalidValue, "no document to patch")
	}
	before := doc.Clone()
	before.Prune()
	ap := &applier{rt: rt, doc: doc, opts: opts}
	for _, op := range ops {
		if err := ap.apply(op); err != nil {
			return false, atOp(op.Index, err)
		}
	}
	if err := ap.checkRequired(before); err != nil {
		return false, err
	}
	doc.Prune()
	return !reflect.DeepEqual(map[string]any(before), map[string]any(doc)), nil
}

type applier struct {
	rt   *schema.ResourceType
	doc  schema.Resource
	opts Options
}

// checkRequired fails when a required attribute that was in before is gone.
func (ap *applier) checkRequired(before schema.Resource) error {
	check := func(s *schema.Schema, urn string) error {
		for _, a := range s.Attributes {
			if !a.Required {
				continue
			}
			p := schema.Path{URN: urn, Name: a.Name}
			if before.Get(p) != nil && ap.doc.Get(p) == nil {
				return schema.Errorf(schema.ErrMutability, "attribute %q is required and cannot be removed", p.String())
			}
		}
		return nil
	}
	if err := check(ap.rt.Schema, ""); err != nil {
		return err
	}
	for _, e := range ap.rt.Extensions {
		if err := check(e.Schema, e.Schema.ID); err != nil {
			return err
		}
	}
	return nil
}

func (ap *applier) apply(op Op) error {
	switch op.Kind {
	case Add, Replace:
		if op.Value == nil {
			return schema.Errorf(schema.ErrInvalidValue, "%s needs a value", op.Kind)
		}
	case Remove:
	default:
		return schema.Errorf(schema.ErrInvalidSyntax, "unknown operation kind %d", op.Kind)
	}
	p := op.Path
	if p.Attr.URN != "" && ap.rt.SchemaByURN(p.Attr.URN) == nil {
		return ap.applyCustom(op)
	}
	if p.Attr.Name == "" {
		if p.Attr.URN == "" || p.Filter != nil || op.Kind != Remove {
			return schema.Errorf(schema.ErrInvalidPath, "the operation has no attribute")
		}
		deleteFold(ap.doc, p.Attr.URN)
		return nil
	}
	res, ok := ap.rt.Resolve(p.Attr.URN, p.Attr.Name, p.Attr.Sub)
	if !ok {
		return schema.Errorf(schema.ErrInvalidPath, "attribute %q is not defined for %s", p.Attr.String(), ap.rt.ID)
	}
	a := res.Attr
	if err := writable(res, op); err != nil || a.Mutability == schema.ReadOnly || a.Mutability == schema.WriteOnly {
		return err // id, meta, groups, password: ignored, as Normalize does
	}
	c := ap.doc.Container(res.Path, op.Kind != Remove)
	if c == nil {
		return nil // removing from an extension the document does not have
	}
	var touched []int
	var err error
	switch {
	case p.Filter != nil:
		var sub *schema.Attribute
		if p.Sub != "" {
			if sub = a.Sub(p.Sub); sub == nil {
				return schema.Errorf(schema.ErrInvalidPath, "%q has no sub-attribute %q", a.Name, p.Sub)
			}
		}
		touched, err = ap.applyFiltered(op, a, sub, c)
	case res.SubAtt != nil:
		touched, err = ap.applySub(op, a, res.SubAtt, c)
	default:
		touched, err = ap.applyAttr(op, a, c)
	}
	if err != nil {
		return err
	}
	if a.MultiValued {
		onePrimary(c, a.Name, touched)
	}
	tidy(c, a)
	return nil
}

// writable rejects ops on readOnly targets other than id, meta and groups,
// which are ignored (as are writeOnly ones: the password is never stored).
func writable(res schema.Resolved, op Op) error {
	a := res.Attr
	if a.Mutability == schema.ReadOnly && !(res.Path.URN == "" && (a.Name == "id" || a.Name == "meta" || a.Name == "groups")) {
		return schema.Errorf(schema.ErrMutability, "attribute %q is readOnly", res.Path.String())
	}
	sub := res.SubAtt
	if sub == nil && op.Path.Sub != "" {
		sub = a.Sub(op.Path.Sub)
	}
	if sub != nil && sub.Mutability == schema.ReadOnly && a.Mutability != schema.ReadOnly {
		return schema.Errorf(schema.ErrMutability, "sub-attribute %q of %q is readOnly", sub.Name, res.Path.String())
	}
	return nil
}

// applyAttr applies an op on a whole attribute. It returns the indices of
// the elements it wrote, for multi-valued attributes.
func (ap *applier) applyAttr(op Op, a *schema.Attribute, c map[string]any) ([]int, error) {
	cur, present := c[a.Name]
	switch op.Kind {
	case Remove:
		if op.Value != nil && a.MultiValued {
			c[a.Name] = removeListed(a, asList(cur), asList(op.Value))
			return nil, nil
		}
		delete(c, a.Name)
		return nil, nil
	}
	if a.MultiValued {
		if op.Kind == Replace {
			list := asList(cloneValue(op.Value))
			if err := checkImmutable(a, cur, present, list); err != nil {
				return nil, err
			}
			c[a.Name] = list
			return indices(len(list)), nil
		}
		list, touched := addValues(a, asList(cur), asList(op.Value))
		c[a.Name] = list
		return touched, nil
	}
	var v any
	if a.IsComplex() {
		v = mergeComplex(cur, op.Value)
	} else {
		v = cloneValue(op.Value)
	}
	if err := checkImmutable(a, cur, present, v); err != nil {
		return nil, err
	}
	c[a.Name] = v
	return nil, nil
}

// applySub applies an op on attr.sub without filter. On a multi-valued
// attribute it applies to every element (creating one when there is none).
func (ap *applier) applySub(op Op, a, sa *schema.Attribute, c map[string]any) ([]int, error) {
	if a.MultiValued {
		list := asList(c[a.Name])
		if op.Kind == Remove {
			for _, e := range list {
				if m, ok := e.(map[string]any); ok {
					delete(m, sa.Name)
				}
			}
			return nil, nil
		}
		if len(list) == 0 {
			c[a.Name] = []any{map[string]any{sa.Name: cloneValue(op.Value)}}
			return []int{0}, nil
		}
		var touched []int
		for i, e := range list {
			m, ok := e.(map[string]any)
			if !ok {
				m = map[string]any{}
				list[i] = m
			}
			setSub(m, sa.Name, op.Value, false)
			touched = append(touched, i)
		}
		c[a.Name] = list
		return touched, nil
	}
	obj, ok := c[a.Name].(map[string]any)
	if op.Kind == Remove {
		if ok {
			delete(obj, sa.Name)
		}
		return nil, nil
	}
	if !ok {
		obj = map[string]any{}
		c[a.Name] = obj
	}
	setSub(obj, sa.Name, op.Value, true)
	return nil, nil
}

// setSub sets m[name]. With reset, a new "value" for a reference-like
// singular object (the manager) drops the rest, which described the old
// value ("$ref", "displayName").
func setSub(m map[string]any, name string, v any, reset bool) {
	if reset && name == "value" {
		if old, ok := m["value"]; ok && !reflect.DeepEqual(old, v) {
			clear(m)
		}
	}
	m[name] = cloneValue(v)
}

// applyFiltered applies an op on attr[filter] or attr[filter].sub.
func (ap *applier) applyFiltered(op Op, a, sub *schema.Attribute, c map[string]any) ([]int, error) {
	p := op.Path
	if !a.IsComplex() {
		return nil, schema.Errorf(schema.ErrInvalidPath, "a value filter needs a complex attribute, and %q is not", a.Name)
	}
	if !a.MultiValued {
		return nil, ap.applyFilteredSingular(op, a, sub, c)
	}
	list := asList(c[a.Name])
	var matched []int
	for i, e := range list {
		if m, ok := e.(map[string]any); ok && ap.match(p, a, m) {
			matched = append(matched, i)
		}
	}
	if op.Kind == Remove {
		if sub == nil {
			c[a.Name] = without(list, matched)
			return nil, nil
		}
		for _, i := range matched {
			delete(list[i].(map[string]any), sub.Name)
		}
		return nil, nil
	}
	if len(matched) == 0 {
		el, err := ap.newElement(op, a, sub)
		if err != nil {
			return nil, err
		}
		c[a.Name] = append(list, el)
		return []int{len(list)}, nil
	}
	for _, i := range matched {
		m := list[i].(map[string]any)
		switch {
		case sub != nil:
			setSub(m, sub.Name, op.Value, false)
		case op.Kind == Replace:
			el, _ := constraints(a, p.Filter)
			if el == nil {
				el = map[string]any{}
			}
			mergeInto(el, op.Value)
			list[i] = el
		default:
			mergeInto(m, op.Value)
		}
	}
	return matched, nil
}

// applyFilteredSingular handles a filter on a singular complex attribute,
// e.g. `{"op":"remove","path":"manager[value eq \"x\"]"}` (Entra).
func (ap *applier) applyFilteredSingular(op Op, a, sub *schema.Attribute, c map[string]any) error {
	obj, isObj := c[a.Name].(map[string]any)
	match := isObj && ap.match(op.Path, a, obj)
	if op.Kind == Remove {
		switch {
		case !match:
		case sub == nil:
			delete(c, a.Name)
		default:
			delete(obj, sub.Name)
		}
		return nil
	}
	if !match {
		if _, present := c[a.Name]; present {
			return schema.Errorf(schema.ErrNoTarget, "%q does not match the filter", a.Name)
		}
		el, err := ap.newElement(op, a, sub)
		if err != nil {
			return err
		}
		c[a.Name] = el
		return nil
	}
	switch {
	case sub != nil:
		setSub(obj, sub.Name, op.Value, true)
	case op.Kind == Replace:
		el, _ := constraints(a, op.Path.Filter)
		if el == nil {
			el = map[string]any{}
		}
		mergeInto(el, op.Value)
		c[a.Name] = el
	default:
		c[a.Name] = mergeComplex(obj, op.Value)
	}
	return nil
}

// newElement builds the value an add or replace on a filtered path creates
// when nothing matches.
func (ap *applier) newElement(op Op, a, sub *schema.Attribute) (map[string]any, error) {
	if op.Kind == Replace && ap.opts.Strict {
		return nil, schema.Errorf(schema.ErrNoTarget, "no value of %q matches the filter", a.Name)
	}
	el, ok := constraints(a, op.Path.Filter)
	if !ok {
		return nil, schema.Errorf(schema.ErrNoTarget, "no value of %q matches the filter, and the filter does not describe a new value (use eq comparisons joined with and)", a.Name)
	}
	if sub != nil {
		el[sub.Name] = cloneValue(op.Value)
	} else {
		mergeInto(el, op.Value)
	}
	return el, nil
}

// match evaluates the path's filter against one element of attribute a.
func (ap *applier) match(p filter.PatchPath, a *schema.Attribute, el map[string]any) bool {
	doc := map[string]any{}
	holder := doc
	if p.Attr.URN != "" {
		holder = map[string]any{}
		doc[p.Attr.URN] = holder
	}
	if a.MultiValued {
		holder[a.Name] = []any{el}
	} else {
		holder[a.Name] = el
	}
	vp := &filter.ValuePath{Attr: schema.Path{URN: p.Attr.URN, Name: a.Name}, Filter: p.Filter}
	return evalFilter(ap.rt, vp, doc)
}

// constraints returns the element a filter's equality constraints describe:
// `type eq "work" and primary eq true` → {"type":"work","primary":true}. ok
// is false when the filter is not a conjunction of eq comparisons on
// sub-attributes of a, or contradicts itself.
func constraints(a *schema.Attribute, e filter.Expr) (el map[string]any, ok bool) {
	el = map[string]any{}
	var walk func(e filter.Expr) bool
	walk = func(e filter.Expr) bool {
		switch x := e.(type) {
		case *filter.Logical:
			return x.Op == filter.And && walk(x.Left) && walk(x.Right)
		case *filter.Compare:
			if x.Op != filter.Eq {
				return false
			}
			sa := a.Sub(x.Path.Sub)
			if sa == nil {
				return false
			}
			var lit any
			switch x.Value.Kind {
			case filter.StringValue:
				lit = x.Value.Str
			case filter.NumberValue:
				lit = json.Number(x.Value.Str)
			case filter.BoolValue:
				lit = x.Value.Bool
			default:
				return false
			}
			v, err := schema.CoerceValue(sa, lit, schema.Options{})
			if err != nil || v == nil {
				return false
			}
			if old, dup := el[sa.Name]; dup && !reflect.DeepEqual(old, v) {
				return false
			}
			el[sa.Name] = v
			return true
		}
		return false
	}
	if e == nil || !walk(e) {
		return nil, false
	}
	return el, true
}

// addValues adds items to list (RFC 7644 §3.5.2.1 on a multi-valued
// attribute), skipping values already present.
func addValues(a *schema.Attribute, list, items []any) ([]any, []int) {
	var touched []int
	for _, it := range items {
		it = cloneValue(it)
		i := findSame(a, list, it)
		switch {
		case i < 0:
			list = append(list, it)
			touched = append(touched, len(list)-1)
		case !reflect.DeepEqual(list[i], it):
			if m, ok := list[i].(map[string]any); ok {
				mergeChanged(a, m, it)
			}
			touched = append(touched, i)
		}
	}
	return list, touched
}

// findSame returns the index of the element of list that it duplicates: one
// deep-equal to it, or, for objects with a "value", one with an equal
// "value" and "type". -1 if none.
func findSame(a *schema.Attribute, list []any, it any) int {
	for i, e := range list {
		if reflect.DeepEqual(e, it) {
			return i
		}
	}
	m, ok := it.(map[string]any)
	if !ok {
		return -1
	}
	v, ok := m["value"]
	if !ok {
		return -1
	}
	for i, e := range list {
		em, ok := e.(map[string]any)
		if !ok {
			continue
		}
		if sameScalar(a.Sub("value"), em["value"], v) && sameScalar(a.Sub("type"), em["type"], m["type"]) {
			return i
		}
	}
	return -1
}

// removeListed removes the elements of list matched by any of items: an
// object item matches elements whose sub-attributes equal all of its own.
func removeListed(a *schema.Attribute, list, items []any) []any {
	out := list[:0:0]
	for _, e := range list {
		drop := false
		for _, it := range items {
			if matchesListed(a, e, it) {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, e)
		}
	}
	return out
}

func matchesListed(a *schema.Attribute, e, it any) bool {
	im, ok := it.(map[string]any)
	if !ok {
		return sameScalar(a, e, it)
	}
	em, ok := e.(map[string]any)
	if !ok || len(im) == 0 {
		return false
	}
	for k, v := range im {
		if !sameScalar(a.Sub(k), em[k], v) {
			return false
		}
	}
	return true
}

// sameScalar compares two attribute values, strings case-insensitively
// unless the attribute is caseExact (RFC 7643 §2.2), numbers by value.
func sameScalar(a *schema.Attribute, x, y any) bool {
	if xs, ok := x.(string); ok {
		ys, ok := y.(string)
		if !ok {
			return false
		}
		if a != nil && a.CaseExact {
			return xs == ys
		}
		return schema.FoldString(xs) == schema.FoldString(ys)
	}
	if xn, ok := x.(json.Number); ok {
		if yn, ok := y.(json.Number); ok {
			xf, err1 := strconv.ParseFloat(string(xn), 64)
			yf, err2 := strconv.ParseFloat(string(yn), 64)
			if err1 == nil && err2 == nil {
				return xf == yf
			}
			return xn == yn
		}
		return false
	}
	return reflect.DeepEqual(x, y)
}

// mergeComplex returns cur with v's members merged in (a new object when cur
// is not one). When both carry a "value" and they differ, v replaces cur.
func mergeComplex(cur, v any) any {
	vm, ok := v.(map[string]any)
	if !ok {
		return cloneValue(v)
	}
	cm, ok := cur.(map[string]any)
	if !ok {
		return cloneValue(vm)
	}
	if nv, ok := vm["value"]; ok {
		if ov, ok := cm["value"]; ok && !reflect.DeepEqual(ov, nv) {
			return cloneValue(vm)
		}
	}
	out := cloneValue(cm).(map[string]any)
	mergeInto(out, vm)
	return out
}

// mergeInto copies the members of v (an object) into m.
func mergeInto(m map[string]any, v any) {
	vm, ok := v.(map[string]any)
	if !ok {
		return
	}
	for k, e := range vm {
		m[k] = cloneValue(e)
	}
}

// mergeChanged copies the members of v (an object) into m, except those
// that m already holds in an equivalent spelling (sameScalar): re-adding
// "BJensen@Example.com" leaves "bjensen@example.com" alone.
func mergeChanged(a *schema.Attribute, m map[string]any, v any) {
	vm, ok := v.(map[string]any)
	if !ok {
		return
	}
	for k, e := range vm {
		if old, ok := m[k]; !ok || !sameScalar(a.Sub(k), old, e) {
			m[k] = cloneValue(e)
		}
	}
}

// checkImmutable enforces RFC 7643 §2.2 "immutable": a value may be set
// once; changing it fails with mutability.
func checkImmutable(a *schema.Attribute, cur any, present bool, v any) error {
	if a.Mutability != schema.Immutable || !present || cur == nil || reflect.DeepEqual(cur, v) {
		return nil
	}
	return schema.Errorf(schema.ErrMutability, "attribute %q is immutable", a.Name)
}

// onePrimary keeps "primary": true on at most one element of c[name]: the
// last touched element that has it, else the last one that has it.
func onePrimary(c map[string]any, name string, touched []int) {
	list, ok := c[name].([]any)
	if !ok {
		return
	}
	winner := -1
	for _, i := range touched {
		if i >= 0 && i < len(list) && isPrimary(list[i]) {
			winner = i
		}
	}
	if winner < 0 {
		n := 0
		for i, e := range list {
			if isPrimary(e) {
				winner = i
				n++
			}
		}
		if n < 2 {
			return
		}
	}
	for i, e := range list {
		if i != winner && isPrimary(e) {
			e.(map[string]any)["primary"] = false
		}
	}
}

func isPrimary(e any) bool {
	m, ok := e.(map[string]any)
	return ok && m["primary"] == true
}

// tidy deletes what an operation left empty under c[a.Name]: empty elements
// of a list, an empty list, an empty object.
func tidy(c map[string]any, a *schema.Attribute) {
	v, ok := c[a.Name]
	if !ok {
		return
	}
	switch x := v.(type) {
	case nil:
		delete(c, a.Name)
	case []any:
		out := x[:0]
		for _, e := range x {
			if e == nil {
				continue
			}
			if m, ok := e.(map[string]any); ok && len(m) == 0 {
				continue
			}
			out = append(out, e)
		}
		clear(x[len(out):])
		if len(out) == 0 {
			delete(c, a.Name)
		} else {
			c[a.Name] = out
		}
	case map[string]any:
		if len(x) == 0 {
			delete(c, a.Name)
		}
	}
}

// applyCustom applies an op under an extension URN the resource type does
// not declare, on the JSON as stored.
func (ap *applier) applyCustom(op Op) error {
	p := op.Path
	if p.Attr.Name == "" && op.Kind == Remove {
		deleteFold(ap.doc, p.Attr.URN)
		return nil
	}
	if p.Attr.Name == "" || p.Filter != nil {
		return schema.Errorf(schema.ErrInvalidPath, "unsupported path under schema %q", p.Attr.URN)
	}
	key, ok := findFold(ap.doc, p.Attr.URN)
	ext, isObj := ap.doc[key].(map[string]any)
	if op.Kind == Remove {
		if !ok || !isObj {
			return nil
		}
		name, _ := findFold(ext, p.Attr.Name)
		if p.Attr.Sub == "" {
			delete(ext, name)
		} else if obj, ok := ext[name].(map[string]any); ok {
			sub, _ := findFold(obj, p.Attr.Sub)
			delete(obj, sub)
			if len(obj) == 0 {
				delete(ext, name)
			}
		}
		if len(ext) == 0 {
			delete(ap.doc, key)
		}
		return nil
	}
	if !ok {
		key = p.Attr.URN
	}
	if !isObj {
		ext = map[string]any{}
		ap.doc[key] = ext
	}
	name, found := findFold(ext, p.Attr.Name)
	if !found {
		name = p.Attr.Name
	}
	if p.Attr.Sub != "" {
		obj, ok := ext[name].(map[string]any)
		if !ok {
			obj = map[string]any{}
			ext[name] = obj
		}
		sub, found := findFold(obj, p.Attr.Sub)
		if !found {
			sub = p.Attr.Sub
		}
		obj[sub] = cloneValue(op.Value)
		return nil
	}
	if op.Kind == Add {
		if cur, ok := ext[name].(map[string]any); ok {
			if vm, ok := op.Value.(map[string]any); ok {
				mergeInto(cur, vm)
				return nil
			}
		}
	}
	ext[name] = cloneValue(op.Value)
	return nil
}

// findFold returns the key of m equal to k case-insensitively, preferring an
// exact match.
func findFold(m map[string]any, k string) (string, bool) {
	if _, ok := m[k]; ok {
		return k, true
	}
	for mk := range m {
		if strings.EqualFold(mk, k) {
			return mk, true
		}
	}
	return k, false
}

func deleteFold(m map[string]any, k string) {
	for mk := range m {
		if strings.EqualFold(mk, k) {
			delete(m, mk)
		}
	}
}

// asList returns v as a list: a list as is, nil as empty, anything else as
// a one-element list (a stored singular value where a list belongs).
func asList(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	default:
		return []any{x}
	}
}

func without(list []any, drop []int) []any {
	if len(drop) == 0 {
		return list
	}
	out := make([]any, 0, len(list)-len(drop))
	j := 0
	for i, e := range list {
		if j < len(drop) && drop[j] == i {
			j++
			continue
		}
		out = append(out, e)
	}
	return out
}

func indices(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// cloneValue deep-copies a JSON value; see schema.CloneValue.
func cloneValue(v any) any { return schema.CloneValue(v) }
