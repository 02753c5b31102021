package schema

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// Resource is a SCIM resource document in canonical form: top-level keys are
// the canonical names of core attributes, and each extension's attributes sit
// in an object under the extension's URN (RFC 7643 §3.3). Values are the JSON
// types encoding/json produces with UseNumber: string, bool, json.Number,
// map[string]any and []any. The common attributes id and meta are not kept in
// the document; the store owns them.
type Resource map[string]any

// Clone returns a deep copy of r.
func (r Resource) Clone() Resource {
	if r == nil {
		return nil
	}
	return CloneValue(map[string]any(r)).(map[string]any)
}

// CloneValue returns a deep copy of a JSON value as Resource holds them.
func CloneValue(v any) any { return cloneValue(v) }

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = cloneValue(e)
		}
		return m
	case Resource:
		return cloneValue(map[string]any(x))
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = cloneValue(e)
		}
		return s
	default:
		return v
	}
}

// Get returns the value at a resolved path, or nil when absent. For a path
// with Sub on a multi-valued attribute it returns nil; callers iterate.
func (r Resource) Get(p Path) any {
	m := map[string]any(r)
	if p.URN != "" {
		ext, _ := m[p.URN].(map[string]any)
		if ext == nil {
			return nil
		}
		m = ext
	}
	v := m[p.Name]
	if p.Sub == "" || v == nil {
		return v
	}
	if c, ok := v.(map[string]any); ok {
		return c[p.Sub]
	}
	return nil
}

// Container returns the object that holds the top-level attribute of p (the
// resource itself, or its extension object), creating the extension object
// when create is true.
func (r Resource) Container(p Path, create bool) map[string]any {
	if p.URN == "" {
		return map[string]any(r)
	}
	ext, _ := r[p.URN].(map[string]any)
	if ext == nil && create {
		ext = map[string]any{}
		r[p.URN] = ext
	}
	return ext
}

// Prune removes empty extension objects, so that "schemas" lists only the
// extensions that hold data.
func (r Resource) Prune() {
	for k, v := range r {
		if strings.HasPrefix(strings.ToLower(k), "urn:") {
			if m, ok := v.(map[string]any); ok && len(m) == 0 {
				delete(r, k)
			}
		}
	}
}

// URNs returns the schema URNs that r's data belongs to: the core schema
// first, then extensions present in r in sorted order (RFC 7643 §3 "schemas").
func (r Resource) URNs(rt *ResourceType) []string {
	out := []string{rt.Schema.ID}
	var ext []string
	for k, v := range r {
		if len(k) > 4 && strings.EqualFold(k[:4], "urn:") {
			if m, ok := v.(map[string]any); ok && len(m) > 0 {
				ext = append(ext, k)
			}
		}
	}
	sort.Strings(ext)
	return append(out, ext...)
}

// Options tune how liberal Normalize is.
type Options struct {
	// Strict rejects attributes that are not in the schema instead of
	// ignoring them, and rejects values that need coercion.
	Strict bool
}

// Normalize turns a decoded JSON request body into a canonical Resource for
// resource type rt. It is liberal in what it accepts, as real identity
// providers need:
//   - attribute names match case-insensitively (RFC 7643 §2.1);
//   - JSON null means "absent" (RFC 7644 §3.5.1 treats null as unassigned);
//   - readOnly attributes (id, meta, groups) and the "schemas" list are
//     ignored; "password" is dropped and never stored;
//   - extension attributes are accepted under their URN object, as
//     URN-qualified keys, or inside the core URN object; unknown extension URNs
//     are kept verbatim;
//   - "True"/"False" strings become booleans, numeric strings numbers, a
//     single object for a multi-valued attribute becomes a one-element list,
//     and a bare string for a complex attribute becomes {"value": s}
//     (Entra ID's manager);
//   - a (type, value) pair repeated in a multi-valued attribute is kept
//     once (CollapseDuplicates, RFC 7643 §2.4).
//
// Unknown core attributes are dropped unless opts.Strict.
func Normalize(rt *ResourceType, raw map[string]any, opts Options) (Resource, error) {
	out := Resource{}
	for k, v := range raw {
		if err := normalizeKey(rt, out, k, v, opts); err != nil {
			return nil, err
		}
	}
	out.Prune()
	CollapseDuplicates(rt, out)
	return out, nil
}

func isURN(k string) bool { return len(k) > 4 && strings.EqualFold(k[:4], "urn:") }

func normalizeKey(rt *ResourceType, out Resource, k string, v any, opts Options) error {
	if v == nil || strings.EqualFold(k, "schemas") {
		return nil
	}
	if isURN(k) {
		if s := rt.SchemaByURN(k); s != nil {
			obj, ok := v.(map[string]any)
			if !ok {
				return Errorf(ErrInvalidValue, "%q must be an object holding %s attributes", k, s.Name)
			}
			for ek, ev := range obj {
				if err := setAttr(rt, out, s, ek, ev, opts); err != nil {
					return err
				}
			}
			return nil
		}
		urn, rest := rt.SplitURN(k)
		if s := rt.SchemaByURN(urn); s != nil && rest != "" {
			return setAttr(rt, out, s, rest, v, opts)
		}
		if opts.Strict {
			return Errorf(ErrInvalidValue, "schema %q is not supported", k)
		}
		// An extension we do not know: keep it verbatim so the app can read it.
		if obj, ok := v.(map[string]any); ok {
			out[k] = dropNulls(obj)
		} else if rest != "" && urn != "" {
			ext, _ := out[urn].(map[string]any)
			if ext == nil {
				ext = map[string]any{}
				out[urn] = ext
			}
			ext[rest] = v
		}
		return nil
	}
	return setAttr(rt, out, rt.Schema, k, v, opts)
}

// setAttr stores attribute k (possibly dotted "name.givenName") of schema s.
func setAttr(rt *ResourceType, out Resource, s *Schema, k string, v any, opts Options) error {
	if v == nil {
		return nil
	}
	name, sub, _ := strings.Cut(k, ".")
	var a *Attribute
	if s == rt.Schema {
		if c := find(commonAttributes, name); c != nil {
			if c.Name == "externalId" && sub == "" {
				sv, err := coerceScalar(c, v, "externalId", opts)
				if err != nil {
					return err
				}
				out["externalId"] = sv
			}
			return nil // id and meta are readOnly: ignored
		}
	}
	a = s.Attr(name)
	if a == nil {
		if opts.Strict {
			return Errorf(ErrInvalidValue, "attribute %q is not defined in schema %s", k, s.ID)
		}
		return nil
	}
	if a.Mutability == ReadOnly || a.Mutability == WriteOnly {
		return nil // RFC 7643 §7: readOnly values in requests are ignored; passwords are never stored
	}
	p := Path{Name: a.Name}
	if s != rt.Schema {
		p.URN = s.ID
	}
	c := out.Container(p, true)
	if sub != "" {
		sa := a.Sub(sub)
		if sa == nil || a.MultiValued {
			if opts.Strict {
				return Errorf(ErrInvalidValue, "attribute %q is not defined", k)
			}
			return nil
		}
		if sa.Mutability == ReadOnly {
			return nil
		}
		val, err := coerceScalar(sa, v, k, opts)
		if err != nil {
			return err
		}
		obj, _ := c[a.Name].(map[string]any)
		if obj == nil {
			obj = map[string]any{}
			c[a.Name] = obj
		}
		obj[sa.Name] = val
		return nil
	}
	val, err := CoerceValue(a, v, opts)
	if err != nil {
		return err
	}
	if val == nil {
		delete(c, a.Name)
		return nil
	}
	c[a.Name] = val
	return nil
}

// CoerceValue converts v to the canonical form of attribute a, applying the
// liberal coercions described at Normalize. A nil result means "no value".
func CoerceValue(a *Attribute, v any, opts Options) (any, error) {
	if v == nil {
		return nil, nil
	}
	if a.MultiValued {
		var items []any
		switch x := v.(type) {
		case []any:
			items = x
		default:
			items = []any{x}
		}
		out := make([]any, 0, len(items))
		primarySeen := false
		for _, it := range items {
			val, err := coerceSingle(a, it, opts)
			if err != nil {
				return nil, err
			}
			if val == nil {
				continue
			}
			// RFC 7643 §2.4: at most one value may have primary true.
			if m, ok := val.(map[string]any); ok && m["primary"] == true {
				if primarySeen {
					m["primary"] = false
				}
				primarySeen = true
			}
			out = append(out, val)
		}
		if len(out) == 0 {
			return nil, nil
		}
		return out, nil
	}
	if arr, ok := v.([]any); ok {
		// A list for a singular attribute: Entra sends manager as
		// [{"$ref":…,"value":…}]. Take the first non-null element.
		if opts.Strict && len(arr) > 1 {
			return nil, Errorf(ErrInvalidValue, "attribute %q is single-valued", a.Name)
		}
		for _, e := range arr {
			if e != nil {
				return coerceSingle(a, e, opts)
			}
		}
		return nil, nil
	}
	return coerceSingle(a, v, opts)
}

func coerceSingle(a *Attribute, v any, opts Options) (any, error) {
	if v == nil {
		return nil, nil
	}
	if !a.IsComplex() {
		return coerceScalar(a, v, a.Name, opts)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		if s, isStr := v.(string); isStr && a.Sub("value") != nil {
			if opts.Strict {
				return nil, Errorf(ErrInvalidValue, "attribute %q must be an object", a.Name)
			}
			obj = map[string]any{"value": s} // Entra's manager as a bare id
		} else {
			return nil, Errorf(ErrInvalidValue, "attribute %q must be an object", a.Name)
		}
	}
	out := make(map[string]any, len(obj))
	for k, sv := range obj {
		if sv == nil {
			continue
		}
		sa := a.Sub(k)
		if sa == nil {
			if opts.Strict {
				return nil, Errorf(ErrInvalidValue, "sub-attribute %q of %q is not defined", k, a.Name)
			}
			continue
		}
		if sa.Mutability == ReadOnly && a.Mutability != ReadOnly {
			continue
		}
		val, err := coerceScalar(sa, sv, a.Name+"."+sa.Name, opts)
		if err != nil {
			return nil, err
		}
		if val != nil {
			out[sa.Name] = val
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func coerceScalar(a *Attribute, v any, name string, opts Options) (any, error) {
	switch a.Type {
	case Boolean:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			// Entra ID sends "True"/"False" (RFC 7643 requires JSON booleans).
			if !opts.Strict {
				switch strings.ToLower(strings.TrimSpace(x)) {
				case "true":
					return true, nil
				case "false":
					return false, nil
				}
			}
		}
		return nil, Errorf(ErrInvalidValue, "attribute %q must be a boolean", name)
	case Integer, Decimal:
		switch x := v.(type) {
		case json.Number:
			return checkNumber(a, x, name)
		case float64:
			return checkNumber(a, json.Number(strconv.FormatFloat(x, 'f', -1, 64)), name)
		case string:
			if !opts.Strict {
				return checkNumber(a, json.Number(strings.TrimSpace(x)), name)
			}
		}
		return nil, Errorf(ErrInvalidValue, "attribute %q must be a number", name)
	case Complex:
		return nil, Errorf(ErrInvalidValue, "attribute %q must be an object", name)
	default: // string, dateTime, reference, binary
		switch x := v.(type) {
		case string:
			return x, nil
		case bool, json.Number, float64:
			if opts.Strict {
				return nil, Errorf(ErrInvalidValue, "attribute %q must be a string", name)
			}
			b, _ := json.Marshal(x)
			return string(b), nil
		case map[string]any:
			// Entra's AppRoleAssignmentsComplex sends role values as
			// stringified JSON; others send the object. Keep it as text.
			if !opts.Strict {
				b, _ := json.Marshal(x)
				return string(b), nil
			}
		}
		return nil, Errorf(ErrInvalidValue, "attribute %q must be a string", name)
	}
}

func checkNumber(a *Attribute, n json.Number, name string) (any, error) {
	if a.Type == Integer {
		if _, err := strconv.ParseInt(string(n), 10, 64); err != nil {
			return nil, Errorf(ErrInvalidValue, "attribute %q must be an integer", name)
		}
		return n, nil
	}
	if _, err := strconv.ParseFloat(string(n), 64); err != nil {
		return nil, Errorf(ErrInvalidValue, "attribute %q must be a decimal number", name)
	}
	return n, nil
}

func dropNulls(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch x := v.(type) {
		case nil:
		case map[string]any:
			out[k] = dropNulls(x)
		default:
			out[k] = v
		}
	}
	return out
}
