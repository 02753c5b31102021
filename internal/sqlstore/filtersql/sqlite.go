package filtersql

import "strings"

// SQLite is the SQLite dialect: JSON through json_extract and json_each.
var SQLite Dialect = sqlite{}

type sqlite struct{}

func (sqlite) jsonText(doc string, keys ...string) string {
	return "json_extract(" + doc + ", " + sqlString(jsonPath(keys...)) + ")"
}

func (sqlite) jsonArray(doc, urn, name string) string {
	return doc + "\x00" + sqlString(jsonPath(attrKeys(urn, name)...)) // split by exists
}

func (sqlite) firstElemText(doc, urn, name, sub string) string {
	return "json_extract(" + doc + ", " + sqlString(jsonPath(attrKeys(urn, name)...)+"[0]."+quoteKey(sub)) + ")"
}

func (sqlite) exists(array, cond string) string {
	doc, path, _ := strings.Cut(array, "\x00")
	return "EXISTS (SELECT 1 FROM json_each(" + doc + ", " + path + ") AS e WHERE e.type = 'object' AND " + cond + ")"
}

func (sqlite) elemText(sub string) string {
	return "json_extract(e.value, " + sqlString("$."+quoteKey(sub)) + ")"
}

// jsonBool: columns hold 0/1, and json_extract turns JSON booleans into 0/1.
func (sqlite) jsonBool(b bool, column bool) any {
	if b {
		return 1
	}
	return 0
}

func (sqlite) storable(string) bool { return true }

func (sqlite) bytewise(x string) string { return x } // BINARY is the default collation

func (sqlite) contains(x, p string) string { return "instr(" + x + ", " + p + ") > 0" }

func (sqlite) startsWith(x, p string) string {
	return "substr(" + x + ", 1, length(" + p + ")) = " + p
}

func (sqlite) endsWith(x, p string) string {
	return "substr(" + x + ", -length(" + p + ")) = " + p
}
