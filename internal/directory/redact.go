package directory

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Redacted replaces secrets and passwords in the request log.
const Redacted = "[REDACTED]"

// secretPattern matches every secret format scimbridge issues: directory
// tokens (scimb_dt_), API keys (scimb_ak_), portal links (scimb_pl_) and
// sessions (scimb_ps_), each a prefix and base64url characters (see
// IDs.Secret), and webhook signing secrets ("whsec_" and standard base64,
// Standard Webhooks).
var secretPattern = regexp.MustCompile(`scimb_[a-z]{2}_[A-Za-z0-9_-]*|whsec_[A-Za-z0-9+/=_-]*`)

// Redactor removes secrets and passwords from what the request log stores.
// The zero value redacts every scimbridge secret format; Literals adds
// values to redact wherever they appear, whatever they look like (the
// bootstrap API key, SCIMBRIDGE_API_KEY).
type Redactor struct {
	Literals []string
}

// Text returns s (a path with its query, or a User-Agent) with every
// secret replaced by "[REDACTED]". A secret hidden behind escapes
// ("%73cimb_dt_…", "\u0073cimb_dt_…") is found in the decoded text; when
// there is one, the decoded text, redacted, is returned instead of s.
func (r Redactor) Text(s string) string {
	s = r.raw(s)
	if strings.ContainsAny(s, `%\+`) {
		if d := unescape(s); d != s && r.hasSecret(d) {
			s = r.raw(d)
		}
	}
	return clean(s)
}

// raw replaces the secrets that appear literally in s.
func (r Redactor) raw(s string) string {
	for _, lit := range r.Literals {
		if lit != "" {
			s = strings.ReplaceAll(s, lit, Redacted)
		}
	}
	if strings.Contains(s, "scimb_") || strings.Contains(s, "whsec_") {
		s = secretPattern.ReplaceAllString(s, Redacted)
	}
	return s
}

func (r Redactor) hasSecret(s string) bool {
	for _, lit := range r.Literals {
		if lit != "" && strings.Contains(s, lit) {
			return true
		}
	}
	return (strings.Contains(s, "scimb_") || strings.Contains(s, "whsec_")) && secretPattern.MatchString(s)
}

// Body returns a request or response body fit for the request log:
//   - a JSON document is decoded, so that escapes hide nothing
//     ("pass\u0077ord" is "password"); the value of every member named
//     "password" (case-insensitively, at any depth, including the value of
//     a path-less PATCH operation) is replaced by "[REDACTED]", and so is
//     the "value" of a PATCH operation whose "path" names the password
//     attribute ("password", or a URN ending in ":password"); every secret
//     in a string is replaced; the document is re-encoded;
//   - a body that is not a JSON document (for example one cut at the size
//     cap) but mentions "password", literally or behind escapes, is
//     replaced as a whole, since its password value cannot be located
//     reliably;
//   - then every secret is replaced as in Text.
//
// The result is valid UTF-8 without NUL bytes, so that every database can
// store it as text.
func (r Redactor) Body(body string) string {
	if body == "" {
		return body
	}
	if r.mayHide(body) {
		var doc any
		d := json.NewDecoder(strings.NewReader(body))
		d.UseNumber()
		if err := d.Decode(&doc); err != nil || d.More() {
			if containsFold(body, "password") || containsFold(unescape(body), "password") {
				return "[REDACTED: a body that is not a JSON document and mentions a password is not logged]"
			}
			return r.Text(body)
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r.value(doc)); err != nil {
			return "[REDACTED: body could not be re-encoded]"
		}
		body = strings.TrimSuffix(b.String(), "\n")
	}
	return r.Text(body)
}

// mayHide reports whether body needs decoding: it mentions a password, a
// secret, or has escapes behind which either could hide.
func (r Redactor) mayHide(body string) bool {
	return hidingEscape(body) || containsFold(body, "password") || r.hasSecret(body)
}

// hidingEscape reports whether s has a backslash escape that could hide
// "password" in a member name (secrets behind escapes are found by Text,
// which decodes them). \" and \\ stand for a quote and a backslash, which
// are not in "password". Every SCIM write's response has them (its
// version, W/\"3\", RFC 7643 §3.1), and decoding and encoding it again
// was about a twentieth of a PATCH's CPU.
func hidingEscape(s string) bool {
	for {
		i := strings.IndexByte(s, '\\')
		if i < 0 {
			return false
		}
		if i+1 == len(s) || (s[i+1] != '"' && s[i+1] != '\\') {
			return true
		}
		s = s[i+2:]
	}
}

func (r Redactor) value(v any) any {
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
		out := make(map[string]any, len(v))
		for k, x := range v {
			key := r.raw(k)
			if strings.EqualFold(k, "password") || (passwordOp && strings.EqualFold(k, "value")) {
				out[key] = Redacted
				continue
			}
			out[key] = r.value(x)
		}
		return out
	case []any:
		for i, x := range v {
			v[i] = r.value(x)
		}
		return v
	case string:
		return r.raw(v)
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

// containsFold reports whether strings.ToLower(s) contains sub, a
// lower-case ASCII word without "i" or "k", without lowering a copy of s
// (a request log body each time): only 'İ' and the Kelvin sign lower to
// ASCII from outside it, so matching ASCII letters case-insensitively
// finds the same.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if c := s[i]; c == sub[0] || c == sub[0]-'a'+'A' {
			if strings.EqualFold(s[i:i+len(sub)], sub) {
				return true
			}
		}
	}
	return false
}

// unescape decodes, repeatedly (up to three rounds, for double encoding),
// the escapes behind which text can hide in a path, a header or a body:
// percent-encoding, "+" for a space, and JSON's \uXXXX and \-escapes.
// Undecodable escapes are kept as they are.
func unescape(s string) string {
	for range 3 {
		d := unescapeOnce(s)
		if d == s {
			break
		}
		s = d
	}
	return s
}

func unescapeOnce(s string) string {
	start := strings.IndexAny(s, `%+\`)
	if start < 0 {
		return s // nothing to decode: no copy
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:start])
	for i := start; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			n, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(n))
			i += 2
		case c == '+':
			b.WriteByte(' ')
		case c == '\\' && i+5 < len(s) && s[i+1] == 'u' && isHex(s[i+2]) && isHex(s[i+3]) && isHex(s[i+4]) && isHex(s[i+5]):
			n, _ := strconv.ParseUint(s[i+2:i+6], 16, 32)
			b.WriteRune(rune(n))
			i += 5
		case c == '\\' && i+1 < len(s) && strings.IndexByte(`"\/`, s[i+1]) >= 0:
			b.WriteByte(s[i+1])
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// clean makes s valid UTF-8 without NUL bytes.
func clean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}
