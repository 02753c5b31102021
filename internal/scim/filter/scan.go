package filter

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// parser holds the state shared by Parse and ParsePatchPath: the input, the
// read position, the nesting depth and the SCIM error type to report
// (invalidFilter for filters, invalidPath for PATCH paths).
type parser struct {
	s        string
	pos      int
	depth    int    // current nesting of "(", "not (" and "["
	maxSeen  int    // deepest nesting reached so far
	scimType string // schema.ErrInvalidFilter or schema.ErrInvalidPath
	what     string // "filter" or "path", for messages
}

func newParser(s, scimType, what string) *parser {
	return &parser{s: s, scimType: scimType, what: what}
}

// errorf reports a problem at byte offset at, naming the 1-based character
// position so that a person can find it.
func (p *parser) errorf(at int, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return schema.Errorf(p.scimType, "%s at position %d of the %s", msg, p.charPos(at), p.what)
}

// charPos converts a byte offset to a 1-based character position.
func (p *parser) charPos(at int) int {
	if at > len(p.s) {
		at = len(p.s)
	}
	if at < 0 {
		at = 0
	}
	return utf8.RuneCountInString(p.s[:at]) + 1
}

// check rejects input that is too long, not UTF-8 or empty.
func (p *parser) check() error {
	if len(p.s) > MaxLen {
		return schema.Errorf(p.scimType, "the %s is %d bytes long; at most %d bytes are accepted", p.what, len(p.s), MaxLen)
	}
	if !utf8.ValidString(p.s) {
		return schema.Errorf(p.scimType, "the %s is not valid UTF-8", p.what)
	}
	if strings.TrimLeft(p.s, " \t\r\n") == "" {
		return schema.Errorf(p.scimType, "the %s is empty", p.what)
	}
	return nil
}

// enter descends one nesting level, failing past MaxDepth.
func (p *parser) enter(at int) error {
	p.depth++
	if p.depth > p.maxSeen {
		p.maxSeen = p.depth
	}
	if p.depth > MaxDepth {
		return p.errorf(at, "the %s is nested more than %d levels deep", p.what, MaxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// isSpace: RFC 7644 separates tokens with SP; we also take runs of tabs and
// line breaks, which clients produce when they pretty-print.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// isDelim ends a word.
func isDelim(c byte) bool {
	return isSpace(c) || c == '(' || c == ')' || c == '[' || c == ']' || c == '"'
}

func (p *parser) skipSpace() {
	for p.pos < len(p.s) && isSpace(p.s[p.pos]) {
		p.pos++
	}
}

func (p *parser) eof() bool { return p.pos >= len(p.s) }

// peek returns the byte at the read position, or 0 at the end.
func (p *parser) peek() byte {
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

// word reads a maximal run of bytes that are not spaces or delimiters:
// an attribute path, an operator, a keyword or an unquoted literal.
func (p *parser) word() string {
	start := p.pos
	for p.pos < len(p.s) && !isDelim(p.s[p.pos]) {
		p.pos++
	}
	return p.s[start:p.pos]
}

// found describes what is at byte offset at, for error messages.
func (p *parser) found(at int) string {
	if at >= len(p.s) {
		return "the end of the " + p.what
	}
	c := p.s[at]
	if isDelim(c) && !isSpace(c) {
		return fmt.Sprintf("%q", string(c))
	}
	end := at
	for end < len(p.s) && !isDelim(p.s[end]) {
		end++
	}
	w := p.s[at:end]
	if utf8.RuneCountInString(w) > 24 {
		r := []rune(w)
		w = string(r[:24]) + "…"
	}
	return fmt.Sprintf("%q", w)
}

// isAttrName reports whether s is an ATTRNAME (RFC 7643 §2.1):
// ALPHA *(nameChar) with nameChar = "-" / "_" / DIGIT / ALPHA. A leading
// "$" is also accepted, for "$ref" (RFC 7643 §2.4).
func isAttrName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i == 0 && c == '$':
		case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '_'):
		default:
			return false
		}
	}
	return true
}

// isURN reports whether s can be the schema URN of an attribute path
// (RFC 7644 §3.10): "urn:" followed by at least one printable ASCII byte.
func isURN(s string) bool {
	if len(s) <= 4 || !strings.EqualFold(s[:4], "urn:") {
		return false
	}
	for i := 4; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || isDelim(c) {
			return false
		}
	}
	return true
}

// isJSONNumber reports whether s is a JSON number (RFC 8259 §6), the number
// form of compValue (RFC 7644 §3.4.2.2).
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	return i == len(s)
}
