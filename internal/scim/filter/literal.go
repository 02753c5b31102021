package filter

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// value reads a compValue (RFC 7644 §3.4.2.2): false / null / true / number /
// string, where string and number are JSON (RFC 8259 §6, §7). The keywords
// are matched case-insensitively. As real identity providers need, an
// unquoted word that is none of these (legacy Entra ID sends
// `externalId eq jyoung`) is taken as a string.
func (p *parser) value(op Op) (Value, error) {
	p.skipSpace()
	at := p.pos
	switch c := p.peek(); {
	case p.eof():
		return Value{}, p.errorf(at, "expected a value after %q, found the end of the %s", op, p.what)
	case c == '"':
		s, err := p.str()
		return Value{Kind: StringValue, Str: s}, err
	case isDelim(c):
		return Value{}, p.errorf(at, "expected a value after %q, found %s", op, p.found(at))
	}
	w := p.word()
	switch strings.ToLower(w) {
	case "true":
		return Value{Kind: BoolValue, Bool: true}, nil
	case "false":
		return Value{Kind: BoolValue}, nil
	case "null":
		return Value{Kind: NullValue}, nil
	case "and", "or", "not", "pr":
		// A keyword here means the value was left out; quote it to mean the word.
		return Value{}, p.errorf(at, "expected a value after %q, found %s (quote it if it is the value)", op, p.found(at))
	}
	if isJSONNumber(w) {
		return Value{Kind: NumberValue, Str: w}, nil
	}
	for i := 0; i < len(w); i++ {
		if w[i] < 0x20 || w[i] == 0x7f {
			return Value{}, p.errorf(at+i, "control character %U in an unquoted value", rune(w[i]))
		}
	}
	return Value{Kind: StringValue, Str: w}, nil
}

// str reads a JSON string (RFC 8259 §7) starting at the opening quote and
// returns it unescaped. A lone UTF-16 surrogate becomes U+FFFD, as
// encoding/json does.
func (p *parser) str() (string, error) {
	start := p.pos
	p.pos++ // opening quote
	// Fast path: no escapes, so the string is a slice of the input.
	for i := p.pos; i < len(p.s); i++ {
		if c := p.s[i]; c == '"' {
			s := p.s[p.pos:i]
			p.pos = i + 1
			return s, nil
		} else if c == '\\' || c < 0x20 {
			break
		}
	}
	var b strings.Builder
	for {
		if p.eof() {
			return "", p.errorf(start, "unterminated string starting")
		}
		c := p.s[p.pos]
		switch {
		case c == '"':
			p.pos++
			return b.String(), nil
		case c < 0x20:
			return "", p.errorf(p.pos, "control character %U must be escaped in a string", rune(c))
		case c != '\\':
			b.WriteByte(c)
			p.pos++
			continue
		}
		esc := p.pos
		p.pos++
		if p.eof() {
			return "", p.errorf(start, "unterminated string starting")
		}
		e := p.s[p.pos]
		p.pos++
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.errorf(esc, `expected four hex digits after "\u"`)
			}
			if utf16.IsSurrogate(r) {
				r = p.lowSurrogate(r)
			}
			b.WriteRune(r)
		default:
			return "", p.errorf(esc, `invalid escape "\%c" in a string (use \" \\ \/ \b \f \n \r \t or \uXXXX)`, rune(e))
		}
	}
}

// hex4 reads four hex digits.
func (p *parser) hex4() (rune, bool) {
	if p.pos+4 > len(p.s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(p.s[p.pos : p.pos+4]) {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	p.pos += 4
	return r, true
}

// lowSurrogate completes the surrogate pair that starts with hi when a
// `\uXXXX` low surrogate follows, and otherwise yields U+FFFD.
func (p *parser) lowSurrogate(hi rune) rune {
	save := p.pos
	if strings.HasPrefix(p.s[p.pos:], `\u`) {
		p.pos += 2
		if lo, ok := p.hex4(); ok {
			if r := utf16.DecodeRune(hi, lo); r != utf8.RuneError {
				return r
			}
		}
	}
	p.pos = save
	return utf8.RuneError
}

// quote writes s as a JSON string that str reads back to s. Invalid UTF-8
// (which Parse never produces) becomes U+FFFD.
func quote(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&0xf])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}
