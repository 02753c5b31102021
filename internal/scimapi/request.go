package scimapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
	"github.com/scimbridge/scimbridge/internal/web"
)

// readBody reads the request body, at most limit bytes; beyond it the
// error is an *http.MaxBytesError (413). The Content-Type is not checked:
// identity providers send application/scim+json or application/json, with
// or without a charset, or none at all (RFC 7644 §3.1 asks servers to
// accept application/json too). A body that does not arrive (a client that
// stalls or disconnects) is a *web.ClientGoneError.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body, err := web.ReadBody(w, r, limit)
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(body) {
		// RFC 8259 §8.1: JSON text is UTF-8. Decoding would silently turn
		// the bad bytes into U+FFFD, storing something the client never sent.
		return nil, invalid(schema.ErrInvalidSyntax, "the request body is not valid UTF-8 (RFC 8259 §8.1): send JSON text encoded as UTF-8")
	}
	if hasNUL(body) {
		// PostgreSQL text cannot hold U+0000, and no directory attribute
		// needs it: refuse it up front rather than fail deep in a write.
		return nil, invalid(schema.ErrInvalidValue, "the request body contains a NUL character (\\u0000), which no attribute may hold")
	}
	return body, nil
}

// hasNUL reports whether a JSON text holds U+0000, raw or as the escape
// \u0000 (an escape is preceded by an odd number of backslashes).
func hasNUL(body []byte) bool {
	if bytes.IndexByte(body, 0) >= 0 {
		return true
	}
	for i := 0; ; {
		j := bytes.Index(body[i:], []byte(`u0000`))
		if j < 0 {
			return false
		}
		j += i
		n := 0
		for k := j - 1; k >= 0 && body[k] == '\\'; k-- {
			n++
		}
		if n%2 == 1 {
			return true
		}
		i = j + 5
	}
}

// checkPathValues answers 404 for a path id that is not text a resource
// id can be (invalid UTF-8 or NUL): no resource has it, and PostgreSQL
// could not even compare it.
func checkPathValues(r *http.Request) error {
	for _, name := range []string{"id", "name", "urn"} {
		v := r.PathValue(name)
		if why := web.TextProblem(v); why != "" {
			return directory.Errorf(directory.KindNotFound, "no resource has the id %q: the path segment %s", v, why)
		}
	}
	return nil
}

// decodeObject decodes a request body that must be one JSON object, with
// numbers kept as json.Number.
func decodeObject(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, invalid(schema.ErrInvalidSyntax, "the request body is empty: expected a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, invalid(schema.ErrInvalidSyntax, "the request body is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, invalid(schema.ErrInvalidSyntax, "the request body holds data after the JSON object")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalid(schema.ErrInvalidSyntax, "the request body must be a JSON object")
	}
	return obj, nil
}

// readObject reads and decodes a JSON object body of at most MaxBodyBytes.
func (h *Handler) readObject(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	body, err := readBody(w, r, h.lim.body)
	if err != nil {
		return nil, err
	}
	return decodeObject(body)
}

// params is a parsed query string: parameter names lower-cased (clients
// differ in case: startIndex, startindex), the first value of each.
type params map[string]string

// has reports whether the parameter was sent at all.
func (p params) has(name string) bool {
	_, ok := p[strings.ToLower(name)]
	return ok
}

func (p params) get(name string) string { return p[strings.ToLower(name)] }

// parseQuery parses a query string. Unlike url.ParseQuery it splits only
// at "&" (a ";" inside a filter value is data), and a malformed escape is
// an error rather than a silently dropped parameter: a dropped filter
// would answer with every resource (docs/idp-compatibility.md item 28).
func parseQuery(raw string) (params, error) {
	if raw == "" {
		return nil, nil // reads of a nil map find nothing
	}
	p := params{}
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, invalid(schema.ErrInvalidValue, "the query string is not valid URL encoding near %q", k)
		}
		key = strings.ToLower(key)
		scimType := schema.ErrInvalidValue
		if key == "filter" {
			scimType = schema.ErrInvalidFilter
		}
		if why := web.TextProblem(key); why != "" {
			return nil, invalid(schema.ErrInvalidValue, "query parameter name %q %s", key, why)
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			return nil, invalid(scimType, "query parameter %q is not valid URL encoding: escape %% as %%25", key)
		}
		// PostgreSQL cannot compare with text that is not UTF-8 or holds
		// NUL; no stored value can match it either (RFC 7644 §3.12).
		if why := web.TextProblem(val); why != "" {
			return nil, invalid(scimType, "query parameter %q %s: percent-encode UTF-8 text", key, why)
		}
		if _, dup := p[key]; !dup {
			p[key] = val
		}
	}
	return p, nil
}

// etagMatches reports whether a conditional header (If-None-Match) lists
// etag or "*", by weak comparison (RFC 9110 §8.8.3.2, §13.1.2).
func etagMatches(header, etag string) bool {
	header = strings.TrimSpace(header)
	if header == "" {
		return false
	}
	if header == "*" {
		return true
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, tag := range strings.Split(header, ",") {
		if strings.TrimPrefix(strings.TrimSpace(tag), "W/") == want {
			return true
		}
	}
	return false
}

// pathEscape escapes an id for use as one path segment.
func pathEscape(s string) string { return url.PathEscape(s) }

// writeJSON writes a SCIM response body (RFC 7644 §3.1: always
// application/scim+json).
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err = w.Write(append(b, '\n'))
	return err
}

// writeResource writes one resource with its ETag (RFC 7644 §3.14) and,
// for a creation, its Location (RFC 7644 §3.3).
func writeResource(w http.ResponseWriter, status int, etag, location string, v any) error {
	if etag != "" {
		w.Header().Set("ETag", etag)
	}
	if location != "" {
		w.Header().Set("Location", location)
	}
	return writeJSON(w, status, v)
}

// writeEmpty answers 204 No Content or 304 Not Modified, with the ETag.
func writeEmpty(w http.ResponseWriter, status int, etag string) error {
	if etag != "" {
		w.Header().Set("ETag", etag)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return nil
}
