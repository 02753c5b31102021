package scimapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// An unknown path under the Okta-style "dir-…" base URL is authenticated
// against the directory it maps to, then answered 404 or 405 like the same
// path under "dir_…" (it used to be 401: the raw segment was looked up).
func TestHyphenAliasUnknownPath(t *testing.T) {
	e := newEnv(t)
	alias := strings.Replace(e.base, "dir_", "dir-", 1)
	e.do("GET", alias+"/NoSuchThing", nil).want(t, http.StatusNotFound)
	res := e.do("DELETE", alias+"/Users", nil).want(t, http.StatusMethodNotAllowed)
	if got := res.header.Get("Allow"); !strings.Contains(got, "POST") {
		t.Errorf("Allow = %q, want it to list POST", got)
	}
	// A wrong token is still refused.
	e.do("GET", alias+"/NoSuchThing", nil, "Authorization", "Bearer nope").want(t, http.StatusUnauthorized)
}

// /Me is not supported: 501 with a SCIM error and no scimType, for every
// method, after authentication (RFC 7644 §3.11).
func TestMeNotImplemented(t *testing.T) {
	e := newEnv(t)
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		var body any
		if m != "GET" && m != "DELETE" {
			body = `{}`
		}
		res := e.do(m, "Me", body).want(t, http.StatusNotImplemented)
		if res.str("scimType") != "" {
			t.Errorf("%s /Me: scimType %q, want none", m, res.str("scimType"))
		}
		if !strings.Contains(res.str("detail"), "/Me") {
			t.Errorf("%s /Me: detail %q should say /Me is not supported", m, res.str("detail"))
		}
	}
	e.do("GET", "Me/whatever", nil).want(t, http.StatusNotImplemented)
	e.do("GET", "Me", nil, "Authorization", "Bearer nope").want(t, http.StatusUnauthorized)
}
