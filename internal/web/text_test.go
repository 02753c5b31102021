package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
)

func TestWildcards(t *testing.T) {
	for pattern, want := range map[string][]string{
		"GET /a/{id}/b/{rest...}":  {"id", "rest"},
		"POST /x/{org_id}/y/{$}":   {"org_id"},
		"GET /healthz":             nil,
		"DELETE /a/{dir}/t/{tok}/": {"dir", "tok"},
	} {
		if got := Wildcards(pattern); !slices.Equal(got, want) {
			t.Errorf("Wildcards(%q) = %q, want %q", pattern, got, want)
		}
	}
}

// TestFindBadText routes real requests so that path values are set as in
// the surfaces.
func TestFindBadText(t *testing.T) {
	for _, tc := range []struct {
		target, form string
		want         *BadText
	}{
		{"/o/org_1?q=ok", "", nil},
		{"/o/%FF", "", &BadText{In: "path", Name: "id", Value: "\xff", Why: "is not valid UTF-8"}},
		{"/o/a%00b", "", &BadText{In: "path", Name: "id", Value: "a\x00b", Why: "contains a NUL character"}},
		{"/o/x?b=1&a=%C0%80", "", &BadText{In: "query", Name: "a", Value: "\xc0\x80", Why: "is not valid UTF-8"}},
		{"/o/x?%FF=1", "", &BadText{In: "query", Name: "\xff", Value: "\xff", Why: "name is not valid UTF-8"}},
		{"/o/x", "name=%00", &BadText{In: "form", Name: "name", Value: "\x00", Why: "contains a NUL character"}},
	} {
		var got *BadText
		mux := http.NewServeMux()
		mux.HandleFunc("POST /o/{id}", func(w http.ResponseWriter, r *http.Request) {
			r.ParseForm()
			got = FindBadText(r, Wildcards("POST /o/{id}"))
		})
		r := httptest.NewRequest("POST", tc.target, nil)
		if tc.form != "" {
			r.PostForm, _ = url.ParseQuery(tc.form) // as ParseForm leaves it
		}
		mux.ServeHTTP(httptest.NewRecorder(), r)
		if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
			t.Errorf("%s %s: %+v, want %+v", tc.target, tc.form, got, tc.want)
		}
	}
}
