package filtersql

import "strings"

// Dialect is how one database spells JSON access, string matching and
// byte-wise ordering. Its two implementations are SQLite (sqlite.go) and
// PostgreSQL (postgres.go).
type Dialect interface {
	// jsonText is the text of doc at keys (NULL when absent). Keys come
	// from the schema, never from requests.
	jsonText(doc string, keys ...string) string
	// jsonArray is the JSON array of a multi-valued attribute, for exists.
	jsonArray(doc, urn, name string) string
	// firstElemText is the text of sub of the array's first element.
	firstElemText(doc, urn, name, sub string) string
	// exists is EXISTS over the elements of a JSON array, each bound as e.
	exists(array, cond string) string
	// elemText is the text of sub-attribute sub of the current element e.
	elemText(sub string) string
	// jsonBool is the parameter a boolean is compared with, in a column
	// (column) or in JSON text.
	jsonBool(b bool, column bool) any
	// storable reports whether a string can be stored at all (a literal
	// that cannot matches nothing, and is not sent).
	storable(s string) bool
	// bytewise makes x compare by bytes, as SQLite always does.
	bytewise(x string) string
	// contains, startsWith and endsWith test text x against parameter p.
	contains(x, p string) string
	startsWith(x, p string) string
	endsWith(x, p string) string
}

// attrKeys are the JSON keys of attribute name, under urn when not empty.
func attrKeys(urn, name string) []string {
	if urn != "" {
		return []string{urn, name}
	}
	return []string{name}
}

func jsonPath(keys ...string) string {
	p := "$"
	for _, k := range keys {
		p += "." + quoteKey(k)
	}
	return p
}

func quoteKey(k string) string { return `"` + k + `"` }

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
