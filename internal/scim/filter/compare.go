package filter

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// compareValue reports whether one stored value v satisfies `op lit` for an
// attribute leaf (nil when unknown: strings then compare case-insensitively,
// the RFC 7643 §2.2 default). op is never Ne (Eval negates Eq) and lit is
// never null.
func compareValue(leaf *schema.Attribute, op Op, lit Value, v any) bool {
	if leaf != nil && leaf.Type == schema.DateTime {
		s, ok := v.(string)
		if !ok || lit.Kind != StringValue {
			return false
		}
		return compareTime(op, s, lit.Str)
	}
	switch x := v.(type) {
	case string:
		if lit.Kind != StringValue {
			return false
		}
		a, b := x, lit.Str
		if leaf == nil || !leaf.CaseExact {
			a, b = schema.FoldString(a), schema.FoldString(b)
		}
		return compareString(op, a, b)
	case bool:
		return op == Eq && lit.Kind == BoolValue && x == lit.Bool
	}
	n, ok := number(v)
	if !ok || lit.Kind != NumberValue {
		return false
	}
	m, err := strconv.ParseFloat(lit.Str, 64)
	if err != nil {
		return false
	}
	return compareOrdered(op, n, m)
}

func compareString(op Op, a, b string) bool {
	switch op {
	case Co:
		return strings.Contains(a, b)
	case Sw:
		return strings.HasPrefix(a, b)
	case Ew:
		return strings.HasSuffix(a, b)
	}
	return compareOrdered(op, a, b)
}

func compareOrdered[T int | float64 | string](op Op, a, b T) bool {
	switch op {
	case Eq:
		return a == b
	case Gt:
		return a > b
	case Ge:
		return a >= b
	case Lt:
		return a < b
	case Le:
		return a <= b
	}
	return false
}

func compareTime(op Op, stored, lit string) bool {
	a, ok := parseTime(stored)
	if !ok {
		return false
	}
	b, ok := parseTime(lit)
	if !ok {
		return false
	}
	return compareOrdered(op, a.Compare(b), 0)
}

// parseTime parses an RFC 3339 date-time (RFC 7643 §2.3.5), with or without
// fractional seconds.
func parseTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// number converts the numeric types a decoded document may hold to float64.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		return f, err == nil
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint64:
		return float64(x), true
	case uint32:
		return float64(x), true
	}
	return 0, false
}
