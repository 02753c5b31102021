package mgmtapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/web"
)

// This file validates request text once, at the boundary: the databases
// store only valid UTF-8 without NUL (PostgreSQL refuses both), so a path
// value, query parameter or JSON string that is neither is answered here
// with a 404 or 400 naming it, never passed on to fail as a 500.

// checkText wraps the handler of a route: a path value of pattern that is
// not storable text names nothing that exists (404); such a query
// parameter is a bad request (400).
func checkText(pattern string, next web.HandlerFunc) web.HandlerFunc {
	names := web.Wildcards(pattern)
	return func(w http.ResponseWriter, r *http.Request) error {
		switch b := web.FindBadText(r, names); {
		case b == nil:
			return next(w, r)
		case b.In == "path":
			return directory.Errorf(directory.KindNotFound, "%s %q does not exist: the path segment %s", b.Name, b.Value, b.Why)
		default:
			return directory.Errorf(directory.KindInvalid, "query parameter %q %s: send percent-encoded UTF-8 text", b.Name, b.Why)
		}
	}
}

// checkBodyText refuses a JSON body that is not UTF-8 (RFC 8259 §8.1) or
// holds U+0000 in a string, naming the field.
func checkBodyText(body []byte) error {
	if !utf8.Valid(body) {
		return directory.Errorf(directory.KindInvalid, "request body is not valid UTF-8 (RFC 8259 §8.1): send JSON text encoded as UTF-8")
	}
	if !bytes.Contains(body, []byte(`\u0000`)) && bytes.IndexByte(body, 0) < 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil // not JSON: decode reports it
	}
	if field, ok := findNUL(v, ""); ok {
		if field == "" {
			field = "(the body)"
		}
		return directory.Errorf(directory.KindInvalid, "field %q contains a NUL character (\\u0000), which no field may hold", field)
	}
	return nil
}

// findNUL returns the path (a.b[2].c) of the first member name or string
// in v that holds U+0000, in a stable order.
func findNUL(v any, at string) (string, bool) {
	switch v := v.(type) {
	case string:
		return at, strings.IndexByte(v, 0) >= 0
	case []any:
		for i, x := range v {
			if p, ok := findNUL(x, at+"["+strconv.Itoa(i)+"]"); ok {
				return p, true
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if at != "" {
				p = at + "." + k
			}
			if strings.IndexByte(k, 0) >= 0 {
				return p, true
			}
			if p, ok := findNUL(v[k], p); ok {
				return p, true
			}
		}
	}
	return "", false
}
