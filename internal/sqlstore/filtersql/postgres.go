package filtersql

import (
	"strconv"
	"strings"
)

// Postgres is the PostgreSQL dialect: JSON through jsonb operators.
var Postgres Dialect = postgres{}

type postgres struct{}

func (postgres) jsonText(doc string, keys ...string) string {
	var b strings.Builder
	b.WriteString(doc)
	for i, k := range keys {
		if i == len(keys)-1 {
			b.WriteString(" ->> ")
		} else {
			b.WriteString(" -> ")
		}
		b.WriteString(sqlString(k))
	}
	return "(" + b.String() + ")"
}

func (postgres) jsonArray(doc, urn, name string) string {
	x := doc
	for _, k := range attrKeys(urn, name) {
		x += " -> " + sqlString(k)
	}
	return x
}

func (p postgres) firstElemText(doc, urn, name, sub string) string {
	return "(" + p.jsonArray(doc, urn, name) + " -> 0 ->> " + sqlString(sub) + ")"
}

func (postgres) exists(array, cond string) string {
	return "EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(" + array + ") = 'array' THEN " + array + " END) AS e(v) WHERE jsonb_typeof(e.v) = 'object' AND " + cond + ")"
}

func (postgres) elemText(sub string) string { return "(e.v ->> " + sqlString(sub) + ")" }

// jsonBool: columns hold booleans; JSON text holds "true"/"false".
func (postgres) jsonBool(b bool, column bool) any {
	if !column {
		return strconv.FormatBool(b)
	}
	return b
}

// storable: PostgreSQL text cannot hold NUL, so no stored value matches
// one, and sending it would fail the whole query.
func (postgres) storable(s string) bool { return strings.IndexByte(s, 0) < 0 }

func (postgres) bytewise(x string) string { return x + ` COLLATE "C"` }

func (postgres) contains(x, p string) string { return "strpos(" + x + ", " + p + ") > 0" }

func (postgres) startsWith(x, p string) string {
	return "left(" + x + ", length(" + p + ")) = " + p
}

func (postgres) endsWith(x, p string) string {
	return "right(" + x + ", length(" + p + ")) = " + p
}
