package web

import (
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"
)

// TextProblem says why s cannot be stored as text ("is not valid UTF-8",
// "contains a NUL character"), or returns "" when it can. The databases
// hold only valid UTF-8 without NUL (PostgreSQL refuses both), so the
// surfaces check every value from a request once, at the boundary, and
// answer 4xx instead of failing deep in a query.
func TextProblem(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case strings.IndexByte(s, 0) >= 0:
		return "contains a NUL character"
	}
	return ""
}

// BadText is a request value TextProblem refuses.
type BadText struct {
	In    string // "path", "query" or "form"
	Name  string // the wildcard, parameter or field name
	Value string
	Why   string // TextProblem's answer
}

// Wildcards returns the names of the wildcards of a ServeMux pattern:
// "GET /a/{id}/b/{rest...}" gives id and rest.
func Wildcards(pattern string) []string {
	var names []string
	for rest := pattern; ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			return names
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return names
		}
		if name := strings.TrimSuffix(rest[i+1:i+j], "..."); name != "$" {
			names = append(names, name)
		}
		rest = rest[i+j+1:]
	}
}

// FindBadText returns the first value of r that is not storable text: a
// path value named in wildcards, a query parameter (name or value) or, when
// the form has been parsed, a form field; nil when there is none.
func FindBadText(r *http.Request, wildcards []string) *BadText {
	for _, name := range wildcards {
		v := r.PathValue(name)
		if why := TextProblem(v); why != "" {
			return &BadText{In: "path", Name: name, Value: v, Why: why}
		}
	}
	if r.URL.RawQuery != "" {
		if b := badValues("query", r.URL.Query()); b != nil {
			return b
		}
	}
	return badValues("form", r.PostForm)
}

func badValues(in string, vs map[string][]string) *BadText {
	keys := make([]string, 0, len(vs))
	for k := range vs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if why := TextProblem(k); why != "" {
			return &BadText{In: in, Name: k, Value: k, Why: "name " + why}
		}
		for _, v := range vs[k] {
			if why := TextProblem(v); why != "" {
				return &BadText{In: in, Name: k, Value: v, Why: why}
			}
		}
	}
	return nil
}
