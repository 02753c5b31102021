package filter

import (
	"errors"
	"strings"
	"testing"

	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// Builders that keep the expected ASTs in the tables readable.

func str(s string) Value   { return Value{Kind: StringValue, Str: s} }
func num(s string) Value   { return Value{Kind: NumberValue, Str: s} }
func boolean(b bool) Value { return Value{Kind: BoolValue, Bool: b} }
func null() Value          { return Value{Kind: NullValue} }

func path(name string) schema.Path                { return schema.Path{Name: name} }
func subPath(name, sub string) schema.Path        { return schema.Path{Name: name, Sub: sub} }
func urnPath(urn, name, sub string) schema.Path   { return schema.Path{URN: urn, Name: name, Sub: sub} }
func cmpr(p schema.Path, op Op, v Value) *Compare { return &Compare{Path: p, Op: op, Value: v} }
func pres(p schema.Path) *Present                 { return &Present{Path: p} }
func and(l, r Expr) *Logical                      { return &Logical{Op: And, Left: l, Right: r} }
func or(l, r Expr) *Logical                       { return &Logical{Op: Or, Left: l, Right: r} }
func not(x Expr) *Not                             { return &Not{X: x} }
func vpath(p schema.Path, f Expr) *ValuePath      { return &ValuePath{Attr: p, Filter: f} }

const ent = schema.EnterpriseUserURN

// wantSCIMError fails unless err is a *schema.Error of scimType whose Detail
// contains every fragment.
func wantSCIMError(t *testing.T, err error, scimType string, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", scimType)
	}
	var se *schema.Error
	if !errors.As(err, &se) {
		t.Fatalf("got error %T %v, want *schema.Error", err, err)
	}
	if se.ScimType != scimType {
		t.Errorf("got scimType %q, want %q (detail %q)", se.ScimType, scimType, se.Detail)
	}
	for _, f := range fragments {
		if !strings.Contains(se.Detail, f) {
			t.Errorf("detail %q does not contain %q", se.Detail, f)
		}
	}
}

// nest wraps inner in n levels of parentheses.
func nest(n int, inner string) string {
	return strings.Repeat("(", n) + inner + strings.Repeat(")", n)
}
