package schema

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

// FoldString is how case-insensitive values are compared: simple Unicode
// lower-casing, then Unicode Normalization Form C, so that "é" sent
// precomposed (U+00E9) and decomposed (e + U+0301) compare equal. Filters
// on caseExact=false attributes (RFC 7643 §2.2, RFC 7644 §3.4.2.2) compare
// FoldString of both sides, in memory and in SQL, and uniqueness of
// userName and displayName is on FoldString; stored values stay as sent.
// Stores that index folded values must refold them when this changes.
func FoldString(s string) string {
	s = strings.ToLower(s)
	if norm.NFC.IsNormalString(s) {
		return s
	}
	return norm.NFC.String(s)
}

// folds reports whether values of a are compared case-insensitively.
func folds(a *Attribute) bool {
	if a.CaseExact {
		return false
	}
	switch a.Type {
	case String, Reference, Binary:
		return true
	}
	return false
}

// Fold returns a copy of r in which every value of a caseExact=false string
// attribute is passed through FoldString. Stores index the folded copy so
// that case-insensitive filters compare folded values on both sides.
// Extensions unknown to rt are copied unchanged.
func Fold(rt *ResourceType, r Resource) Resource {
	out := make(Resource, len(r))
	for k, v := range r {
		if isURN(k) {
			s := rt.SchemaByURN(k)
			m, ok := v.(map[string]any)
			if s == nil || !ok {
				out[k] = cloneValue(v)
				continue
			}
			em := make(map[string]any, len(m))
			for ek, ev := range m {
				em[ek] = foldValue(s.Attr(ek), ev)
			}
			out[k] = em
			continue
		}
		a := rt.Schema.Attr(k)
		if a == nil {
			a = find(commonAttributes, k)
		}
		out[k] = foldValue(a, v)
	}
	return out
}

func foldValue(a *Attribute, v any) any {
	if a == nil {
		return cloneValue(v)
	}
	switch x := v.(type) {
	case string:
		if folds(a) {
			return FoldString(x)
		}
		return x
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = foldValue(a, e)
		}
		return s
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = foldValue(a.Sub(k), e)
		}
		return m
	default:
		return v
	}
}
