package scimapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// bulkOp is one operation of a BulkRequest (RFC 7644 §3.7), as sent.
type bulkOp struct {
	method  string // upper-cased
	bulkID  string
	path    string
	version string // If-Match for this operation
	data    any
	refs    []string // bulkIds referenced in path and data
	err     error    // the operation is malformed
}

// bulkResult is one operation of a BulkResponse (RFC 7644 §3.7.3).
type bulkResult struct {
	Method   string `json:"method"`
	BulkID   string `json:"bulkId,omitempty"`
	Version  string `json:"version,omitempty"`
	Location string `json:"location,omitempty"`
	Status   string `json:"status"`
	Response any    `json:"response,omitempty"`
}

const bulkIDPrefix = "bulkId:"

// bulk is POST /Bulk (RFC 7644 §3.7). Operations run one after another
// through the same service methods as the single-resource endpoints, each
// in its own transaction. An operation that references the bulkId of a
// POST later in the request waits for it (§3.7.2); references that can
// never be resolved because they are circular fail with 409, other
// unresolvable references with 400 invalidValue. failOnErrors N stops the
// run after the Nth failure; operations not run are left out of the
// response. The response is 200 with one result per operation run, in
// request order.
func (h *Handler) bulk(w http.ResponseWriter, r *http.Request, c *call) error {
	maxOps := h.advertisedLimits().bulkOps
	body, err := readBody(w, r, h.lim.bulkBytes)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			// RFC 7644 §3.7.4: 413 when maxPayloadSize is exceeded.
			return &httpError{status: http.StatusRequestEntityTooLarge,
				detail: fmt.Sprintf("the bulk request is larger than maxPayloadSize (%d bytes)", mbe.Limit)}
		}
		return err
	}
	obj, err := decodeObject(body)
	if err != nil {
		return err
	}
	ops, failOnErrors, err := parseBulk(obj)
	if err != nil {
		return err
	}
	if len(ops) > maxOps {
		// RFC 7644 §3.7.4: 413 when maxOperations is exceeded.
		return &httpError{status: http.StatusRequestEntityTooLarge,
			detail: fmt.Sprintf("the bulk request has %d operations, more than maxOperations (%d)", len(ops), maxOps)}
	}
	results := h.runBulk(r, c, ops, failOnErrors)
	out := make([]*bulkResult, 0, len(results))
	for _, res := range results {
		if res != nil {
			out = append(out, res)
		}
	}
	return writeJSON(w, http.StatusOK, object{{"schemas", []string{schema.BulkResponseURN}}, {"Operations", out}})
}

// parseBulk reads a BulkRequest. Member names match case-insensitively. A
// malformed operation fails on its own; a malformed request fails whole.
func parseBulk(obj map[string]any) ([]bulkOp, int, error) {
	m := lowerKeys(obj)
	failOnErrors, _, err := intParam("failOnErrors", m["failonerrors"])
	if err != nil {
		return nil, 0, err
	}
	raw, ok := m["operations"].([]any)
	if !ok {
		return nil, 0, invalid(schema.ErrInvalidSyntax, `a BulkRequest needs an "Operations" array (RFC 7644 §3.7)`)
	}
	ops := make([]bulkOp, len(raw))
	for i, e := range raw {
		ops[i] = parseBulkOp(e)
	}
	return ops, failOnErrors, nil
}

func parseBulkOp(e any) bulkOp {
	o, ok := e.(map[string]any)
	if !ok {
		return bulkOp{err: invalid(schema.ErrInvalidSyntax, "each bulk operation must be a JSON object")}
	}
	m := lowerKeys(o)
	var op bulkOp
	for _, s := range []struct {
		name string
		into *string
	}{{"method", &op.method}, {"bulkId", &op.bulkID}, {"path", &op.path}, {"version", &op.version}} {
		switch v := m[strings.ToLower(s.name)].(type) {
		case nil:
		case string:
			*s.into = v
		default:
			op.err = invalid(schema.ErrInvalidValue, "bulk operation %q must be a string", s.name)
		}
	}
	op.method = strings.ToUpper(strings.TrimSpace(op.method))
	op.data = m["data"]
	op.refs = collectRefs(op.data, collectRefs(op.path, nil))
	return op
}

func lowerKeys(obj map[string]any) map[string]any {
	m := make(map[string]any, len(obj))
	for k, v := range obj {
		m[strings.ToLower(k)] = v
	}
	return m
}

// collectRefs appends the bulkIds that v references: a string value, or a
// path segment, of the form "bulkId:xyz" (RFC 7644 §3.7.2).
func collectRefs(v any, into []string) []string {
	switch x := v.(type) {
	case string:
		for _, seg := range strings.Split(x, "/") {
			if id, ok := strings.CutPrefix(seg, bulkIDPrefix); ok {
				into = append(into, id)
			}
		}
	case map[string]any:
		for _, e := range x {
			into = collectRefs(e, into)
		}
	case []any:
		for _, e := range x {
			into = collectRefs(e, into)
		}
	}
	return into
}

// replaceRefs returns v with every "bulkId:xyz" string (or path segment)
// replaced by the id created by the operation with bulkId xyz.
func replaceRefs(v any, ids map[string]string) (any, error) {
	switch x := v.(type) {
	case string:
		if !strings.Contains(x, bulkIDPrefix) {
			return x, nil
		}
		segs := strings.Split(x, "/")
		for i, seg := range segs {
			if ref, ok := strings.CutPrefix(seg, bulkIDPrefix); ok {
				id, found := ids[ref]
				if !found {
					return nil, invalid(schema.ErrInvalidValue, "bulkId %q does not name a resource created by this request", ref)
				}
				segs[i] = id
			}
		}
		return strings.Join(segs, "/"), nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := replaceRefs(e, ids)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := replaceRefs(e, ids)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}
