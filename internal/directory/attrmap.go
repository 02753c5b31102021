package directory

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/internal/scim/filter"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// Evaluating attribute mappings: a mapping's source is a SCIM attribute
// path in the syntax of a PATCH path (RFC 7644 §3.5.2, parsed by
// filter.ParsePatchPath), read from the user's stored document. Paths of
// the User schema and its Enterprise extension are resolved to their
// canonical spelling (RFC 7643 §2.1); paths under an extension URN the
// schema does not define (Okta's and Entra ID's custom extensions, which
// the store keeps verbatim, see schema.Normalize) are read as written,
// matching names case-insensitively.

// Source is a compiled mapping source: parsed once, evaluated on every
// user write of the directory.
type Source struct {
	text     string
	path     filter.PatchPath
	resolved bool // path has the schema's canonical spelling
}

// String returns the source as written.
func (s Source) String() string { return s.text }

// CompileSource parses and checks a mapping source against the User
// resource type rt. An attribute of the User schema or the Enterprise
// extension that does not exist is invalid; an attribute under any other
// extension URN is accepted (IdPs invent them).
func CompileSource(rt *schema.ResourceType, text string) (Source, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return Source{}, Errorf(KindInvalid, "source is required: a SCIM attribute path such as %q", schema.EnterpriseUserURN+":costCenter")
	}
	p, err := filter.ParsePatchPath(text)
	if err != nil {
		return Source{}, Errorf(KindInvalid, "source %q is not a SCIM attribute path: %s", text, schemaDetail(err))
	}
	src := Source{text: text, path: p}
	r, err := filter.ResolvePatchPath(rt, p)
	switch {
	case err == nil:
		src.path, src.resolved = r, true
	case p.Attr.URN != "" && rt.SchemaByURN(p.Attr.URN) == nil:
		// A custom extension: kept as written.
	case filter.IsUnknownAttribute(err):
		return Source{}, Errorf(KindInvalid, "source %q names an attribute the SCIM User schema does not define; an IdP's custom attributes arrive under an extension URN (urn:ietf:params:scim:schemas:extension:<name>:2.0:User:<attribute>)", text)
	default:
		return Source{}, Errorf(KindInvalid, "source %q: %s", text, schemaDetail(err))
	}
	return src, nil
}

func schemaDetail(err error) string {
	if se, ok := err.(*schema.Error); ok {
		return se.Detail
	}
	return err.Error()
}

// Values returns the non-null values the source reaches in doc: one per
// element for multi-valued attributes, in document order.
func (s Source) Values(rt *schema.ResourceType, doc map[string]any) []any {
	p := s.path
	container := doc
	if p.Attr.URN != "" {
		container, _ = s.lookup(doc, p.Attr.URN).(map[string]any)
	}
	v := s.lookup(container, p.Attr.Name)
	if v == nil {
		return nil
	}
	if p.Filter != nil {
		var out []any
		for _, el := range filter.Spread(v) {
			m, ok := el.(map[string]any)
			if !ok || !s.matches(rt, m) {
				continue
			}
			if p.Sub == "" {
				out = append(out, m)
			} else if x := s.lookup(m, p.Sub); x != nil {
				out = append(out, filter.Spread(x)...)
			}
		}
		return out
	}
	if p.Attr.Sub != "" {
		var out []any
		for _, el := range filter.Spread(v) {
			if m, ok := el.(map[string]any); ok {
				if x := s.lookup(m, p.Attr.Sub); x != nil {
					out = append(out, filter.Spread(x)...)
				}
			}
		}
		return out
	}
	return filter.Spread(v)
}

// matches evaluates the source's value filter on one element, with the
// filter package's evaluator (the same semantics as SCIM filters and PATCH
// paths), the way the PATCH engine does: as a document holding only that
// element.
func (s Source) matches(rt *schema.ResourceType, el map[string]any) bool {
	p := s.path
	doc := map[string]any{}
	holder := doc
	if p.Attr.URN != "" {
		holder = map[string]any{}
		doc[p.Attr.URN] = holder
	}
	holder[p.Attr.Name] = []any{el}
	var ert *schema.ResourceType
	if s.resolved {
		ert = rt
	} else {
		// Unknown attribute: the filter's sub-attribute names are matched
		// as written, so lower-case the element's keys the way Eval's
		// lookup by name would need them.
		folded := make(map[string]any, len(el))
		for k, v := range el {
			folded[k] = v
		}
		for k, v := range el {
			if _, ok := folded[strings.ToLower(k)]; !ok {
				folded[strings.ToLower(k)] = v
			}
		}
		holder[p.Attr.Name] = []any{folded}
		return filter.Eval(ert, &filter.ValuePath{Attr: schema.Path{URN: p.Attr.URN, Name: p.Attr.Name}, Filter: lowerPaths(p.Filter)}, doc)
	}
	return filter.Eval(ert, &filter.ValuePath{Attr: schema.Path{URN: p.Attr.URN, Name: p.Attr.Name}, Filter: p.Filter}, doc)
}

// lowerPaths returns e with its attribute names lower-cased (for filters on
// attributes no schema defines).
func lowerPaths(e filter.Expr) filter.Expr {
	low := func(p schema.Path) schema.Path {
		p.Name, p.Sub = strings.ToLower(p.Name), strings.ToLower(p.Sub)
		return p
	}
	switch x := e.(type) {
	case *filter.Compare:
		c := *x
		c.Path = low(c.Path)
		return &c
	case *filter.Present:
		c := *x
		c.Path = low(c.Path)
		return &c
	case *filter.Logical:
		c := *x
		c.Left, c.Right = lowerPaths(c.Left), lowerPaths(c.Right)
		return &c
	case *filter.Not:
		c := *x
		c.X = lowerPaths(c.X)
		return &c
	}
	return e
}

// lookup returns m[name]: exactly for resolved paths (the document has the
// canonical spelling), else the first key equal to name case-insensitively
// (RFC 7643 §2.1).
func (s Source) lookup(m map[string]any, name string) any {
	if m == nil {
		return nil
	}
	if v, ok := m[name]; ok || s.resolved {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// Convert turns the values a source reached into a value of type t. No
// value is (nil, ""). A value that does not fit the type is (nil, reason):
// the user is stored anyway, with the attribute null and the reason kept
// for the Admin Portal. When several values are reached a scalar type
// takes the first (add a value filter to choose).
func Convert(t string, vals []any) (any, string) {
	if len(vals) == 0 {
		return nil, ""
	}
	if t == AttrStringList {
		out := make([]string, 0, len(vals))
		for _, v := range vals {
			s, why := toString(v)
			if why != "" {
				return nil, why
			}
			out = append(out, s)
		}
		return out, ""
	}
	v := vals[0]
	switch t {
	case AttrString:
		s, why := toString(v)
		if why != "" {
			return nil, why
		}
		return s, ""
	case AttrBoolean:
		switch x := scalar(v).(type) {
		case bool:
			return x, ""
		case string:
			switch strings.ToLower(strings.TrimSpace(x)) {
			case "true":
				return true, ""
			case "false":
				return false, ""
			}
			return nil, fmt.Sprintf("%s is not a boolean (true or false)", quoteValue(x))
		}
		return nil, fmt.Sprintf("%s is not a boolean (true or false)", describeValue(v))
	case AttrNumber:
		switch x := scalar(v).(type) {
		case json.Number:
			if _, err := strconv.ParseFloat(x.String(), 64); err == nil {
				return x, ""
			}
		case float64:
			return json.Number(strconv.FormatFloat(x, 'f', -1, 64)), ""
		case int:
			return json.Number(strconv.Itoa(x)), ""
		case string:
			t := strings.TrimSpace(x)
			if f, err := strconv.ParseFloat(t, 64); err == nil && !isInfOrNaN(f) {
				return json.Number(strconv.FormatFloat(f, 'f', -1, 64)), ""
			}
			return nil, fmt.Sprintf("%s is not a number", quoteValue(x))
		}
		return nil, fmt.Sprintf("%s is not a number", describeValue(v))
	case AttrDateTime:
		s, ok := scalar(v).(string)
		if !ok {
			return nil, fmt.Sprintf("%s is not a date-time (RFC 3339, e.g. 2026-01-31T09:00:00Z)", describeValue(v))
		}
		s = strings.TrimSpace(s)
		if at, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return at.UTC().Format(time.RFC3339Nano), ""
		}
		if at, err := time.Parse(time.DateOnly, s); err == nil {
			return at.UTC().Format(time.RFC3339Nano), ""
		}
		return nil, fmt.Sprintf("%s is not a date-time (RFC 3339, e.g. 2026-01-31T09:00:00Z)", quoteValue(s))
	}
	return nil, fmt.Sprintf("unknown type %q", t)
}

func isInfOrNaN(f float64) bool { return f != f || f > 1e308 || f < -1e308 }

// scalar is a complex value's significant value (its "value" sub-attribute,
// RFC 7643 §2.4), or v itself.
func scalar(v any) any {
	if m, ok := v.(map[string]any); ok {
		for k, x := range m {
			if strings.EqualFold(k, "value") {
				return x
			}
		}
	}
	return v
}

func toString(v any) (string, string) {
	switch x := scalar(v).(type) {
	case string:
		return x, ""
	case json.Number:
		return x.String(), ""
	case bool:
		return strconv.FormatBool(x), ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), ""
	case int:
		return strconv.Itoa(x), ""
	}
	return "", fmt.Sprintf("%s is not text", describeValue(v))
}

func describeValue(v any) string {
	switch x := v.(type) {
	case map[string]any:
		return "an object without a \"value\""
	case []any:
		return "a list"
	case string:
		return quoteValue(x)
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}

func quoteValue(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strconv.Quote(s)
}
