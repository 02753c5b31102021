package sqlstore

import (
	"encoding/json"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Stored documents are decoded on every read of a user or group, and
// encoding/json's reflection-driven decoder into interface values was the
// largest cost of a GET /Users/{id} after the HTTP stack (about 90 of its
// 200 allocations). docParser decodes the JSON the store wrote into the
// same values encoding/json with UseNumber produces (map[string]any,
// []any, string, json.Number, bool, nil), for the common case; on anything
// it does not accept (invalid JSON, invalid UTF-8, which encoding/json
// would replace) decodeDoc falls back to encoding/json, so its results and
// errors are encoding/json's.

type docParser struct {
	b []byte
	i int
}

// parseDoc decodes b, a JSON object, or reports false.
func parseDoc(b []byte) (map[string]any, bool) {
	p := docParser{b: b}
	p.space()
	if p.i >= len(p.b) || p.b[p.i] != '{' {
		return nil, false
	}
	v, ok := p.value(0)
	if !ok {
		return nil, false
	}
	p.space()
	if p.i != len(p.b) {
		return nil, false
	}
	m, _ := v.(map[string]any)
	return m, true
}

// maxDocDepth bounds nesting, as encoding/json does (10,000).
const maxDocDepth = 10000

func (p *docParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *docParser) value(depth int) (any, bool) {
	if depth > maxDocDepth {
		return nil, false
	}
	p.space()
	if p.i >= len(p.b) {
		return nil, false
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		return p.str()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	return nil, false
}

func (p *docParser) literal(word string) bool {
	if len(p.b)-p.i < len(word) || string(p.b[p.i:p.i+len(word)]) != word {
		return false
	}
	p.i += len(word)
	return true
}

func (p *docParser) object(depth int) (any, bool) {
	p.i++ // {
	m := make(map[string]any, 8)
	p.space()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return m, true
	}
	for {
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return nil, false
		}
		k, ok := p.key()
		if !ok {
			return nil, false
		}
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return nil, false
		}
		p.i++
		v, ok := p.value(depth + 1)
		if !ok {
			return nil, false
		}
		m[k] = v
		p.space()
		if p.i >= len(p.b) {
			return nil, false
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return m, true
		default:
			return nil, false
		}
	}
}

func (p *docParser) array(depth int) (any, bool) {
	p.i++ // [
	a := make([]any, 0, 2)
	p.space()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return a, true
	}
	for {
		v, ok := p.value(depth + 1)
		if !ok {
			return nil, false
		}
		a = append(a, v)
		p.space()
		if p.i >= len(p.b) {
			return nil, false
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return a, true
		default:
			return nil, false
		}
	}
}

// key reads an object member name; the names SCIM documents repeat on
// every row come back as constants, without allocating.
func (p *docParser) key() (string, bool) {
	raw, esc, ok := p.scanString()
	if !ok {
		return "", false
	}
	if !esc {
		if k := commonKey(raw); k != "" {
			return k, true
		}
		return string(raw), true
	}
	return unescape(raw)
}

func (p *docParser) str() (any, bool) {
	raw, esc, ok := p.scanString()
	if !ok {
		return nil, false
	}
	if !esc {
		return string(raw), true
	}
	s, ok := unescape(raw)
	return s, ok
}

// scanString moves past a string and returns its raw contents (between the
// quotes) and whether it holds escapes. It refuses control characters and
// invalid UTF-8.
func (p *docParser) scanString() (raw []byte, escaped, ok bool) {
	p.i++ // "
	start := p.i
	ascii := true
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			raw = p.b[start:p.i]
			p.i++
			if !ascii && !utf8.Valid(raw) {
				return nil, false, false
			}
			return raw, escaped, true
		case c == '\\':
			escaped = true
			p.i += 2
		case c < 0x20:
			return nil, false, false
		default:
			if c >= utf8.RuneSelf {
				ascii = false
			}
			p.i++
		}
	}
	return nil, false, false
}

// unescape decodes the escapes of a string's raw contents (RFC 8259 §7).
func unescape(raw []byte) (string, bool) {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(raw) {
			return "", false
		}
		switch raw[i+1] {
		case '"', '\\', '/':
			out = append(out, raw[i+1])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(raw, i+2)
			if !ok {
				return "", false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				// A pair makes one character; anything else is refused
				// (encoding/json would write U+FFFD: the fallback does).
				if i+1 < len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					if r2, ok := hex4(raw, i+2); ok {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							out = utf8.AppendRune(out, dec)
							i += 6
							continue
						}
					}
				}
				return "", false
			}
			out = utf8.AppendRune(out, r)
			continue
		default:
			return "", false
		}
		i += 2
	}
	return string(out), true
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[at:at+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(n), true
}

// number reads a number as json.Number, checking RFC 8259 §6's grammar.
func (p *docParser) number() (any, bool) {
	start := p.i
	if p.b[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.i < len(p.b) && p.b[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return nil, false
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return nil, false
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return nil, false
		}
	}
	return json.Number(p.b[start:p.i]), true
}

// commonKey returns the member names of the core User and Group schemas
// and their sub-attributes (RFC 7643 §4) as constants, "" for others.
func commonKey(b []byte) string {
	switch string(b) {
	case "schemas":
		return "schemas"
	case "id":
		return "id"
	case "externalId":
		return "externalId"
	case "userName":
		return "userName"
	case "name":
		return "name"
	case "givenName":
		return "givenName"
	case "familyName":
		return "familyName"
	case "middleName":
		return "middleName"
	case "formatted":
		return "formatted"
	case "displayName":
		return "displayName"
	case "nickName":
		return "nickName"
	case "title":
		return "title"
	case "userType":
		return "userType"
	case "preferredLanguage":
		return "preferredLanguage"
	case "locale":
		return "locale"
	case "timezone":
		return "timezone"
	case "active":
		return "active"
	case "emails":
		return "emails"
	case "phoneNumbers":
		return "phoneNumbers"
	case "addresses":
		return "addresses"
	case "value":
		return "value"
	case "type":
		return "type"
	case "primary":
		return "primary"
	case "display":
		return "display"
	case "members":
		return "members"
	case "roles":
		return "roles"
	case "entitlements":
		return "entitlements"
	case "streetAddress":
		return "streetAddress"
	case "locality":
		return "locality"
	case "region":
		return "region"
	case "postalCode":
		return "postalCode"
	case "country":
		return "country"
	case "employeeNumber":
		return "employeeNumber"
	case "department":
		return "department"
	case "manager":
		return "manager"
	case "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
		return "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	}
	return ""
}
