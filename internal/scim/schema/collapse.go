package schema

// CollapseDuplicates removes repeated values from r's multi-valued complex
// attributes (emails, phoneNumbers, ims, photos, entitlements, roles,
// x509Certificates, and those of extensions): RFC 7643 §2.4 says a
// multi-valued attribute should not hold the same (type, value) pair
// twice. Of a repeated pair the first is kept, or the first with
// "primary": true if there is one, in the place of the first. type and
// value compare as their attribute says (FoldString unless caseExact); an
// element whose value is not a string is kept as is. Group members and a
// user's groups are left alone (they are membership rows, deduplicated
// there). It reports whether r changed.
func CollapseDuplicates(rt *ResourceType, r Resource) bool {
	changed := false
	collapseIn := func(s *Schema, m map[string]any) {
		for k, v := range m {
			a := s.Attr(k)
			if a == nil || !a.MultiValued || !a.IsComplex() || a.Sub("value") == nil || a.Name == "members" || a.Name == "groups" {
				continue
			}
			list, ok := v.([]any)
			if !ok || len(list) < 2 {
				continue
			}
			if out, ok := collapse(a, list); ok {
				m[k] = out
				changed = true
			}
		}
	}
	collapseIn(rt.Schema, r)
	for _, e := range rt.Extensions {
		if m, ok := r[e.Schema.ID].(map[string]any); ok {
			collapseIn(e.Schema, m)
		}
	}
	return changed
}

// collapse returns list without repeated (type, value) pairs, and whether
// it removed any.
func collapse(a *Attribute, list []any) ([]any, bool) {
	type pair struct{ typ, value string }
	key := func(m map[string]any) (pair, bool) {
		v, ok := m["value"].(string)
		if !ok {
			return pair{}, false
		}
		t, _ := m["type"].(string)
		if ta := a.Sub("type"); ta == nil || !ta.CaseExact {
			t = FoldString(t)
		}
		if !a.Sub("value").CaseExact {
			v = FoldString(v)
		}
		return pair{t, v}, true
	}
	at := map[pair]int{} // pair → index in out
	out := make([]any, 0, len(list))
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			out = append(out, e)
			continue
		}
		p, ok := key(m)
		if !ok {
			out = append(out, e)
			continue
		}
		i, seen := at[p]
		if !seen {
			at[p] = len(out)
			out = append(out, e)
			continue
		}
		if primary, _ := m["primary"].(bool); primary {
			if kept, _ := out[i].(map[string]any)["primary"].(bool); !kept {
				out[i] = e
			}
		}
	}
	return out, len(out) != len(list)
}
