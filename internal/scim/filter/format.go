package filter

import (
	"strings"

	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// Format renders e as a filter string (RFC 7644 §3.4.2.2) that Parse reads
// back to an equal expression. Operators and keywords are lower-case, tokens
// are separated by single spaces, strings are JSON-quoted and parentheses
// appear only where precedence (not > and > or) and the tree's shape need
// them. Inside a value filter a path is written as its sub-attribute, so a
// resolved expression formats too. A nil expression formats as "".
func Format(e Expr) string {
	var b strings.Builder
	format(&b, e, false)
	return b.String()
}

// String renders p in the PATH syntax of RFC 7644 §3.5.2; ParsePatchPath
// reads it back.
func (p PatchPath) String() string {
	var b strings.Builder
	b.WriteString(p.Attr.String())
	if p.Filter != nil {
		b.WriteByte('[')
		format(&b, p.Filter, true)
		b.WriteByte(']')
	}
	if p.Sub != "" {
		b.WriteByte('.')
		b.WriteString(p.Sub)
	}
	return b.String()
}

// precedence orders the binding strength of nodes: or < and < the rest.
func precedence(e Expr) int {
	if l, ok := e.(*Logical); ok && l != nil {
		if l.Op == Or {
			return 1
		}
		return 2
	}
	return 3
}

func format(b *strings.Builder, e Expr, inVP bool) {
	switch x := e.(type) {
	case *Compare:
		if x == nil {
			return
		}
		formatPath(b, x.Path, inVP)
		b.WriteByte(' ')
		b.WriteString(string(x.Op))
		b.WriteByte(' ')
		formatValue(b, x.Value)
	case *Present:
		if x == nil {
			return
		}
		formatPath(b, x.Path, inVP)
		b.WriteString(" pr")
	case *Logical:
		if x == nil {
			return
		}
		prec := precedence(x)
		// Both operators are left-associative: a same-precedence node on the
		// right needs parentheses to keep its shape.
		formatOperand(b, x.Left, inVP, precedence(x.Left) < prec)
		b.WriteByte(' ')
		b.WriteString(string(x.Op))
		b.WriteByte(' ')
		formatOperand(b, x.Right, inVP, precedence(x.Right) <= prec)
	case *Not:
		if x == nil {
			return
		}
		b.WriteString("not ")
		formatOperand(b, x.X, inVP, true)
	case *ValuePath:
		if x == nil {
			return
		}
		formatPath(b, x.Attr, inVP)
		b.WriteByte('[')
		format(b, x.Filter, true)
		b.WriteByte(']')
	}
}

func formatOperand(b *strings.Builder, e Expr, inVP, paren bool) {
	if paren {
		b.WriteByte('(')
	}
	format(b, e, inVP)
	if paren {
		b.WriteByte(')')
	}
}

// formatPath writes p; inside a value filter only the sub-attribute, which
// is Sub once resolved and Name as parsed.
func formatPath(b *strings.Builder, p schema.Path, inVP bool) {
	switch {
	case !inVP:
		b.WriteString(p.String())
	case p.Sub != "":
		b.WriteString(p.Sub)
	default:
		b.WriteString(p.Name)
	}
}

func formatValue(b *strings.Builder, v Value) {
	switch v.Kind {
	case NumberValue:
		if isJSONNumber(v.Str) {
			b.WriteString(v.Str)
		} else {
			quote(b, v.Str)
		}
	case BoolValue:
		if v.Bool {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case NullValue:
		b.WriteString("null")
	default:
		quote(b, v.Str)
	}
}
