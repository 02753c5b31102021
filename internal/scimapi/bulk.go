package scimapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/scimbridge/scimbridge/internal/directory"
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

// runBulk runs the operations and returns their results by index; nil
// for operations not run because failOnErrors was reached.
func (h *Handler) runBulk(r *http.Request, c *call, ops []bulkOp, failOnErrors int) []*bulkResult {
	results := make([]*bulkResult, len(ops))
	ids := map[string]string{}  // bulkId → id created
	definer := map[string]int{} // bulkId → index of the POST that defines it
	for i, op := range ops {
		if op.method != http.MethodPost || op.bulkID == "" || op.err != nil {
			continue
		}
		if _, dup := definer[op.bulkID]; dup {
			ops[i].err = invalid(schema.ErrInvalidValue, "bulkId %q is used by more than one operation", op.bulkID)
			continue
		}
		definer[op.bulkID] = i
	}
	failures := 0
	record := func(i int, res *bulkResult) bool {
		results[i] = res
		if res.Response != nil {
			failures++
		}
		return failOnErrors > 0 && failures >= failOnErrors
	}
	for progress := true; progress; {
		progress = false
		for i := range ops {
			if results[i] != nil || h.waits(ops[i], i, ids, definer, results) {
				continue
			}
			progress = true
			if record(i, h.runOp(r, c, ops[i], ids)) {
				return results
			}
		}
	}
	// What is left waits on a POST that waits on it in turn.
	for i, op := range ops {
		if results[i] == nil {
			res := h.failed(r, c, op, &httpError{status: http.StatusConflict,
				detail: "the operation's bulkId references are circular and cannot be resolved (RFC 7644 §3.7.2)"})
			if record(i, res) {
				return results
			}
		}
	}
	return results
}

// waits reports whether op i references a bulkId whose POST has not run
// yet, so that it must run later.
func (h *Handler) waits(op bulkOp, i int, ids map[string]string, definer map[string]int, results []*bulkResult) bool {
	for _, ref := range op.refs {
		if _, ok := ids[ref]; ok {
			continue
		}
		if j, ok := definer[ref]; ok && j != i && results[j] == nil {
			return true
		}
	}
	return false
}

// failed returns the result of an operation that failed with err.
func (h *Handler) failed(r *http.Request, c *call, op bulkOp, err error) *bulkResult {
	p, doc := h.errorBody(r, err)
	res := &bulkResult{Method: op.method, BulkID: op.bulkID, Status: strconv.Itoa(p.status), Response: doc}
	if op.method != http.MethodPost {
		if rt, id, perr := c.bulkTarget(op.path); perr == nil && id != "" && !strings.Contains(id, bulkIDPrefix) {
			res.Location = c.location(rt, id)
		}
	}
	return res
}

// bulkTarget parses an operation path: "/Users", "/Groups", "/Users/{id}"
// or "/Groups/{id}".
func (c *call) bulkTarget(p string) (*schema.ResourceType, string, error) {
	p = strings.TrimSuffix(strings.TrimSpace(p), "/")
	endpoint, id, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	if !strings.HasPrefix(p, "/") || strings.Contains(id, "/") {
		return nil, "", invalid(schema.ErrInvalidValue, `bulk operation path %q must be "/Users", "/Groups", "/Users/{id}" or "/Groups/{id}"`, p)
	}
	for _, rt := range []*schema.ResourceType{c.types.User, c.types.Group} {
		if strings.EqualFold("/"+endpoint, rt.Endpoint) {
			return rt, id, nil
		}
	}
	return nil, "", invalid(schema.ErrInvalidValue, `bulk operation path %q must be "/Users", "/Groups", "/Users/{id}" or "/Groups/{id}"`, p)
}

// runOp runs one operation.
func (h *Handler) runOp(r *http.Request, c *call, op bulkOp, ids map[string]string) *bulkResult {
	if op.err != nil {
		return h.failed(r, c, op, op.err)
	}
	path, err := replaceRefs(op.path, ids)
	if err != nil {
		return h.failed(r, c, op, err)
	}
	data, err := replaceRefs(op.data, ids)
	if err != nil {
		return h.failed(r, c, op, err)
	}
	rt, id, err := c.bulkTarget(path.(string))
	if err != nil {
		return h.failed(r, c, op, err)
	}
	obj, _ := data.(map[string]any)
	var shapeOK bool
	switch op.method {
	case http.MethodPost:
		shapeOK = id == ""
	case http.MethodPut, http.MethodPatch, http.MethodDelete:
		shapeOK = id != ""
	}
	if !shapeOK {
		return h.failed(r, c, op, invalid(schema.ErrInvalidValue, "bulk operation %q %q is not supported: POST takes /Users or /Groups; PUT, PATCH and DELETE take /Users/{id} or /Groups/{id}", op.method, op.path))
	}
	if obj == nil && op.method != http.MethodDelete {
		return h.failed(r, c, op, invalid(schema.ErrInvalidSyntax, "bulk operation %s %s needs a \"data\" object", op.method, op.path))
	}
	ctx := r.Context()
	res := &bulkResult{Method: op.method, BulkID: op.bulkID}
	done := func(status int, resID string, version int64) *bulkResult {
		res.Status = strconv.Itoa(status)
		res.Location = c.location(rt, resID)
		if version > 0 {
			res.Version = directory.ETag(version)
		}
		return res
	}
	isUser := rt == c.types.User
	switch op.method {
	case http.MethodPost:
		var newID string
		var version int64
		if isUser {
			u, err := h.Service.CreateUser(ctx, c.dir, obj)
			if err != nil {
				return h.failed(r, c, op, err)
			}
			newID, version = u.ID, u.Version
		} else {
			g, err := h.Service.CreateGroup(ctx, c.dir, obj)
			if err != nil {
				return h.failed(r, c, op, err)
			}
			newID, version = g.ID, g.Version
		}
		if op.bulkID != "" {
			ids[op.bulkID] = newID
		}
		return done(http.StatusCreated, newID, version)
	case http.MethodPut:
		version, err := h.replace(r, c, isUser, id, obj, op.version)
		if err != nil {
			return h.failed(r, c, op, err)
		}
		return done(http.StatusOK, id, version)
	case http.MethodPatch:
		body, err := json.Marshal(obj)
		if err != nil {
			return h.failed(r, c, op, err)
		}
		status := http.StatusOK
		var version int64
		if isUser {
			u, err := h.Service.PatchUser(ctx, c.dir, id, body, op.version)
			if err != nil {
				return h.failed(r, c, op, err)
			}
			version = u.Version
		} else {
			g, err := h.Service.PatchGroup(ctx, c.dir, id, body, op.version)
			if err != nil {
				return h.failed(r, c, op, err)
			}
			status, version = http.StatusNoContent, g.Version
		}
		return done(status, id, version)
	default: // DELETE
		if isUser {
			err = h.Service.DeleteUser(ctx, c.dir, id, op.version)
		} else {
			err = h.Service.DeleteGroup(ctx, c.dir, id, op.version)
		}
		if err != nil {
			return h.failed(r, c, op, err)
		}
		return done(http.StatusNoContent, id, 0)
	}
}

// replace runs a PUT and returns the new version.
func (h *Handler) replace(r *http.Request, c *call, isUser bool, id string, obj map[string]any, ifMatch string) (int64, error) {
	if isUser {
		u, err := h.Service.ReplaceUser(r.Context(), c.dir, id, obj, ifMatch)
		return u.Version, err
	}
	g, err := h.Service.ReplaceGroup(r.Context(), c.dir, id, obj, ifMatch)
	return g.Version, err
}
