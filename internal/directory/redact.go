package directory

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Redacted replaces secrets and passwords in the request log.
const Redacted = "[REDACTED]"

// secretPattern matches scimbridge directory tokens and API keys: the
// prefix and the base64url characters that follow it (see IDs.Secret).
var secretPattern = regexp.MustCompile(`scimb_(?:dt|ak)_[A-Za-z0-9_-]*`)

// RedactSecrets replaces every scimbridge token or API key in s.
func RedactSecrets(s string) string {
	if !strings.Contains(s, "scimb_") {
		return s
	}
	return secretPattern.ReplaceAllString(s, Redacted)
}

// Redact returns a request or response body fit for the request log:
//   - in a JSON document, the value of every member named "password"
//     (case-insensitively, at any depth, including the value of a
//     path-less PATCH operation) is replaced by "[REDACTED]", and so is the
//     "value" of a PATCH operation whose "path" names the password
//     attribute ("password", or a URN ending in ":password");
//   - a body that is not a JSON document (for example one cut at the size
//     cap) but mentions "password" anywhere is replaced as a whole, since
//     its password value cannot be located reliably;
//   - then every scimbridge token or API key is replaced (RedactSecrets).
//
// The result is valid UTF-8 without NUL bytes, so that every database can
// store it as text.
func Redact(body string) string {
	if body == "" {
		return body
	}
	if containsFold(body, "password") {
		var doc any
		d := json.NewDecoder(strings.NewReader(body))
		d.UseNumber()
		if err := d.Decode(&doc); err != nil || d.More() {
			return "[REDACTED: a body that is not a JSON document and mentions a password is not logged]"
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(redactValue(doc)); err != nil {
			return "[REDACTED: body could not be re-encoded]"
		}
		body = strings.TrimSuffix(b.String(), "\n")
	}
	return storableText(RedactSecrets(body))
}

// storableText replaces what a database text column cannot hold (bytes
// that are not UTF-8, NUL) with U+FFFD.
func storableText(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

func redactValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		passwordOp := false
		for k, x := range v {
			if strings.EqualFold(k, "path") {
				if p, ok := x.(string); ok && isPasswordPath(p) {
					passwordOp = true
				}
			}
		}
		for k, x := range v {
			if strings.EqualFold(k, "password") || (passwordOp && strings.EqualFold(k, "value")) {
				v[k] = Redacted
				continue
			}
			v[k] = redactValue(x)
		}
		return v
	case []any:
		for i, x := range v {
			v[i] = redactValue(x)
		}
		return v
	}
	return v
}

// isPasswordPath reports whether a PATCH path names the password attribute:
// "password" or "urn:…:User:password", in any case.
func isPasswordPath(p string) bool {
	p = strings.TrimSpace(p)
	if i := strings.LastIndexByte(p, ':'); i >= 0 {
		p = p[i+1:]
	}
	return strings.EqualFold(p, "password")
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), sub)
}
