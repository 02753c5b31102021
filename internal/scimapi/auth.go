package scimapi

import (
	"encoding/base64"
	"net/http"
	"strings"
)

// credential extracts the directory token from the Authorization header,
// in each form identity providers send it (RFC 7644 §2):
//   - "Bearer <token>" (RFC 6750 §2.1), the scheme matched case-insensitively;
//   - the bare token with no scheme (Okta's "HTTP Header" mode);
//   - "Basic base64(user:token)" (RFC 7617) with the token as the password
//     and any user name (PingFederate, Okta AIW). A Basic credential with an
//     empty password uses the user name, for clients that put the token
//     there.
//
// It returns "" when there is no usable credential; the caller then fails
// authentication with the same answer as for a wrong token.
func credential(r *http.Request) string {
	auth := strings.TrimSpace(r.Header.Get("Authorization"))
	scheme, rest, spaced := strings.Cut(auth, " ")
	if !spaced {
		return auth // bare token (or nothing)
	}
	rest = strings.TrimSpace(rest)
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		return rest
	case strings.EqualFold(scheme, "Basic"):
		b, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			if b, err = base64.RawStdEncoding.DecodeString(rest); err != nil {
				return ""
			}
		}
		user, pass, _ := strings.Cut(string(b), ":")
		if pass == "" {
			return user
		}
		return pass
	}
	return ""
}
