package filter

import (
	"strings"

	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// Parse parses a SCIM filter (RFC 7644 §3.4.2.2):
//
//	FILTER    = attrExp / logExp / valuePath / *1"not" "(" FILTER ")"
//	valuePath = attrPath "[" valFilter "]"
//	attrExp   = (attrPath SP "pr") / (attrPath SP compareOp SP compValue)
//	logExp    = FILTER SP ("and" / "or") SP FILTER
//
// plus "(" FILTER ")" grouping, with precedence not > and > or (§3.4.2.2,
// "Filters MUST be evaluated using the following order of operations").
// Operators, keywords and the literals true/false/null are matched
// case-insensitively; attribute paths are kept as written (Resolve
// canonicalises them).
//
// It is lenient where identity providers need it: an unquoted word is a
// string literal (`externalId eq jyoung`); `attr[filter].sub op value` (Entra
// ID) means `attr[filter and sub op value]`; whitespace may be any run of
// spaces, tabs and line breaks, also around brackets and parentheses.
//
// Errors are *schema.Error with ScimType invalidFilter.
func Parse(s string) (Expr, error) {
	p := newParser(s, schema.ErrInvalidFilter, "filter")
	if err := p.check(); err != nil {
		return nil, err
	}
	e, err := p.or(false)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if !p.eof() {
		return nil, p.trailing()
	}
	if len(s) > canonicalCheckLen {
		if n := len(Format(e)); n > MaxLen {
			return nil, schema.Errorf(p.scimType, "the filter is %d bytes long once normalised; at most %d bytes are accepted", n, MaxLen)
		}
	}
	return e, nil
}

// trailing explains input left over after a complete expression.
func (p *parser) trailing() error {
	switch p.peek() {
	case ')':
		return p.errorf(p.pos, `unbalanced ")": no "(" is open`)
	case ']':
		return p.errorf(p.pos, `unbalanced "]": no "[" is open`)
	}
	return p.errorf(p.pos, `expected "and", "or" or the end of the %s, found %s`, p.what, p.found(p.pos))
}

// keyword consumes the next word when it equals kw case-insensitively.
func (p *parser) keyword(kw string) bool {
	save := p.pos
	p.skipSpace()
	if strings.EqualFold(p.word(), kw) {
		return true
	}
	p.pos = save
	return false
}

// or parses `and-expr *("or" and-expr)`, left-associative.
func (p *parser) or(inVP bool) (Expr, error) {
	left, err := p.and(inVP)
	if err != nil {
		return nil, err
	}
	for p.keyword("or") {
		right, err := p.and(inVP)
		if err != nil {
			return nil, err
		}
		left = &Logical{Op: Or, Left: left, Right: right}
	}
	return left, nil
}

// and parses `unary *("and" unary)`, left-associative.
func (p *parser) and(inVP bool) (Expr, error) {
	left, err := p.unary(inVP)
	if err != nil {
		return nil, err
	}
	for p.keyword("and") {
		right, err := p.unary(inVP)
		if err != nil {
			return nil, err
		}
		left = &Logical{Op: And, Left: left, Right: right}
	}
	return left, nil
}

// unary parses `"not" "(" FILTER ")"` or a primary. A "not" that no "("
// follows is read as an attribute path, so an attribute may be called "not".
func (p *parser) unary(inVP bool) (Expr, error) {
	p.skipSpace()
	save := p.pos
	if strings.EqualFold(p.word(), "not") {
		p.skipSpace()
		if p.peek() == '(' {
			x, err := p.group(inVP)
			if err != nil {
				return nil, err
			}
			return &Not{X: x}, nil
		}
	}
	p.pos = save
	return p.primary(inVP)
}

// primary parses `"(" FILTER ")"` or an attribute expression.
func (p *parser) primary(inVP bool) (Expr, error) {
	p.skipSpace()
	if p.peek() == '(' {
		return p.group(inVP)
	}
	if p.eof() || isDelim(p.peek()) {
		return nil, p.errorf(p.pos, `expected an attribute path, "(" or "not (", found %s`, p.found(p.pos))
	}
	return p.attrExp(inVP)
}

// group parses "(" FILTER ")" with the read position at "(".
func (p *parser) group(inVP bool) (Expr, error) {
	open := p.pos
	if err := p.enter(open); err != nil {
		return nil, err
	}
	p.pos++
	e, err := p.or(inVP)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.peek() != ')' {
		return nil, p.errorf(p.pos, `expected ")" to close the "(" at position %d, found %s`, p.charPos(open), p.found(p.pos))
	}
	p.pos++
	p.leave()
	return e, nil
}

// attrExp parses `attrPath "pr"`, `attrPath compareOp compValue`,
// `attrPath "[" valFilter "]"` and Entra ID's
// `attrPath "[" valFilter "]" subAttr ("pr" / compareOp compValue)`.
func (p *parser) attrExp(inVP bool) (Expr, error) {
	at := p.pos
	path, err := p.path(inVP)
	if err != nil {
		return nil, err
	}
	save := p.pos
	p.skipSpace()
	if p.peek() != '[' {
		p.pos = save
		return p.comparison(at, path)
	}
	if inVP {
		return nil, p.errorf(p.pos, `value filters cannot be nested: "[" inside "[...]"`)
	}
	vp, inner, err := p.valuePath(path)
	if err != nil {
		return nil, err
	}
	save = p.pos
	p.skipSpace()
	if p.peek() != '.' {
		p.pos = save
		return vp, nil
	}
	// Entra ID: emails[type eq "work"].value eq "x" means
	// emails[type eq "work" and value eq "x"].
	subAt := p.pos
	sub := p.word()[1:]
	if !isAttrName(sub) {
		return nil, p.errorf(subAt, `expected a sub-attribute name after "].", found %s`, p.found(subAt))
	}
	cmp, err := p.comparison(subAt, schema.Path{Name: sub})
	if err != nil {
		return nil, err
	}
	if l, ok := vp.Filter.(*Logical); ok && l.Op == Or {
		// Format writes this as attr[(a or b) and sub op v]: one level deeper.
		if inner+1 > MaxDepth {
			return nil, p.errorf(at, "the %s is nested more than %d levels deep", p.what, MaxDepth)
		}
		p.maxSeen = max(p.maxSeen, inner+1)
	}
	vp.Filter = &Logical{Op: And, Left: vp.Filter, Right: cmp}
	return vp, nil
}

// valuePath parses "[" valFilter "]" after attr, with the read position at
// "[". It also returns the deepest nesting reached inside the brackets.
func (p *parser) valuePath(attr schema.Path) (*ValuePath, int, error) {
	open := p.pos
	if attr.Sub != "" {
		return nil, 0, p.errorf(open, `a value filter "[...]" must follow an attribute name, not the sub-attribute %q`, attr.String())
	}
	if err := p.enter(open); err != nil {
		return nil, 0, err
	}
	outer := p.maxSeen
	p.maxSeen = p.depth
	p.pos++
	f, err := p.or(true)
	if err != nil {
		return nil, 0, err
	}
	p.skipSpace()
	if p.peek() != ']' {
		return nil, 0, p.errorf(p.pos, `expected "]" to close the "[" at position %d, found %s`, p.charPos(open), p.found(p.pos))
	}
	p.pos++
	p.leave()
	inner := p.maxSeen
	p.maxSeen = max(outer, inner)
	return &ValuePath{Attr: attr, Filter: f}, inner, nil
}

// toOp returns the comparison operator (RFC 7644 §3.4.2.2, Table 3) that
// the lower-case word w names.
func toOp(w string) (Op, bool) {
	switch op := Op(w); op {
	case Eq, Ne, Co, Sw, Ew, Gt, Ge, Lt, Le:
		return op, true
	}
	return "", false
}

// comparison parses `"pr"` or `compareOp compValue` after path, which
// started at byte offset at.
func (p *parser) comparison(at int, path schema.Path) (Expr, error) {
	p.skipSpace()
	opAt := p.pos
	w := p.word()
	lw := strings.ToLower(w)
	if lw == "pr" {
		return &Present{Path: path}, nil
	}
	op, ok := toOp(lw)
	if !ok {
		if path == (schema.Path{Name: path.Name}) && strings.EqualFold(path.Name, "not") {
			return nil, p.errorf(at+len(path.Name), `expected "(" after "not"`)
		}
		if w == "" {
			return nil, p.errorf(opAt, "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after %q, found %s", path.String(), p.found(opAt))
		}
		return nil, p.errorf(opAt, "unknown operator %s after %q; expected eq, ne, co, sw, ew, gt, ge, lt, le or pr", p.found(opAt), path.String())
	}
	v, err := p.value(op)
	if err != nil {
		return nil, err
	}
	return &Compare{Path: path, Op: op, Value: v}, nil
}
