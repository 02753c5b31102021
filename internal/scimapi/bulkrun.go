package scimapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// runBulk runs the operations in request order and returns their results
// by index; nil for operations not run because failOnErrors was reached.
// An operation that references the bulkId of a later POST runs that POST
// first (RFC 7644 §3.7.2: "the service provider MUST try to resolve
// circular cross-references"); references that form a cycle fail with
// 409, as the RFC allows.
func (h *Handler) runBulk(r *http.Request, c *call, ops []bulkOp, failOnErrors int) []*bulkResult {
	b := &bulkRun{h: h, r: r, c: c, ops: ops, failOnErrors: failOnErrors,
		results: make([]*bulkResult, len(ops)), ids: map[string]string{}, definer: map[string]int{},
		visiting: map[int]bool{}, cyclic: map[int]bool{}}
	for i, op := range ops {
		if op.method != http.MethodPost || op.bulkID == "" || op.err != nil {
			continue
		}
		if _, dup := b.definer[op.bulkID]; dup {
			ops[i].err = invalid(schema.ErrInvalidValue, "bulkId %q is used by more than one operation", op.bulkID)
			continue
		}
		b.definer[op.bulkID] = i
	}
	for i := range ops {
		if b.run(i) {
			break
		}
	}
	return b.results
}

// bulkRun is the state of one Bulk request.
type bulkRun struct {
	h            *Handler
	r            *http.Request
	c            *call
	ops          []bulkOp
	failOnErrors int
	failures     int
	results      []*bulkResult
	ids          map[string]string // bulkId → id created by its POST
	definer      map[string]int    // bulkId → index of the POST that defines it
	visiting     map[int]bool      // operations whose dependencies are being run
	cyclic       map[int]bool      // operations on a reference cycle
}

// run runs operation i after the POSTs it references, and reports whether
// failOnErrors was reached.
func (b *bulkRun) run(i int) (stop bool) {
	if b.results[i] != nil {
		return false
	}
	b.visiting[i] = true
	for _, ref := range b.ops[i].refs {
		j, ok := b.definer[ref]
		if !ok || j == i {
			continue // unresolvable: runOp reports it
		}
		if b.visiting[j] {
			b.cyclic[i], b.cyclic[j] = true, true
			continue
		}
		if b.run(j) {
			return true
		}
		if b.cyclic[j] {
			b.cyclic[i] = true
		}
	}
	delete(b.visiting, i)
	if b.results[i] != nil {
		return false
	}
	if b.cyclic[i] {
		return b.record(i, b.h.failed(b.r, b.c, b.ops[i], &httpError{status: http.StatusConflict,
			detail: "the operation's bulkId references are circular and cannot be resolved (RFC 7644 §3.7.2)"}))
	}
	return b.record(i, b.h.runOp(b.r, b.c, b.ops[i], b.ids))
}

// record keeps a result and reports whether failOnErrors was reached.
func (b *bulkRun) record(i int, res *bulkResult) bool {
	b.results[i] = res
	if res.Response != nil {
		b.failures++
	}
	return b.failOnErrors > 0 && b.failures >= b.failOnErrors
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
	rt, id, obj, err := c.opTarget(op, ids)
	if err != nil {
		return h.failed(r, c, op, err)
	}
	status, resID, version, err := h.applyOp(r, c, op, rt == c.types.User, id, obj)
	if err != nil {
		return h.failed(r, c, op, err)
	}
	if op.method == http.MethodPost && op.bulkID != "" {
		ids[op.bulkID] = resID
	}
	res := &bulkResult{Method: op.method, BulkID: op.bulkID, Status: strconv.Itoa(status), Location: c.location(rt, resID)}
	if version > 0 {
		res.Version = directory.ETag(version)
	}
	return res
}

// opTarget resolves an operation's bulkId references (RFC 7644 §3.7.2) and
// returns its resource type, the id in its path ("" for POST) and its
// data, checking that the method and the path's shape go together.
func (c *call) opTarget(op bulkOp, ids map[string]string) (*schema.ResourceType, string, map[string]any, error) {
	if op.err != nil {
		return nil, "", nil, op.err
	}
	path, err := replaceRefs(op.path, ids)
	if err != nil {
		return nil, "", nil, err
	}
	data, err := replaceRefs(op.data, ids)
	if err != nil {
		return nil, "", nil, err
	}
	rt, id, err := c.bulkTarget(path.(string))
	if err != nil {
		return nil, "", nil, err
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
		return nil, "", nil, invalid(schema.ErrInvalidValue, "bulk operation %q %q is not supported: POST takes /Users or /Groups; PUT, PATCH and DELETE take /Users/{id} or /Groups/{id}", op.method, op.path)
	}
	if obj == nil && op.method != http.MethodDelete {
		return nil, "", nil, invalid(schema.ErrInvalidSyntax, "bulk operation %s %s needs a \"data\" object", op.method, op.path)
	}
	return rt, id, obj, nil
}

// applyOp performs a resolved operation through the Service and returns
// the response status, the resource's id and its new version (0: none).
func (h *Handler) applyOp(r *http.Request, c *call, op bulkOp, isUser bool, id string, obj map[string]any) (int, string, int64, error) {
	ctx := r.Context()
	switch op.method {
	case http.MethodPost:
		if isUser {
			u, err := h.Service.CreateUser(ctx, c.d, obj)
			return http.StatusCreated, u.ID, u.Version, err
		}
		g, err := h.Service.CreateGroup(ctx, c.d, obj)
		return http.StatusCreated, g.ID, g.Version, err
	case http.MethodPut:
		version, err := h.replace(r, c, isUser, id, obj, op.version)
		return http.StatusOK, id, version, err
	case http.MethodPatch:
		body, err := json.Marshal(obj)
		if err != nil {
			return 0, "", 0, err
		}
		if isUser {
			u, _, err := h.Service.PatchUser(ctx, c.d, id, body, op.version)
			return http.StatusOK, id, u.Version, err
		}
		g, err := h.Service.PatchGroup(ctx, c.d, id, body, op.version)
		return http.StatusNoContent, id, g.Version, err
	default: // DELETE
		var err error
		if isUser {
			err = h.Service.DeleteUser(ctx, c.d, id, op.version)
		} else {
			err = h.Service.DeleteGroup(ctx, c.d, id, op.version)
		}
		return http.StatusNoContent, id, 0, err
	}
}

// replace runs a PUT and returns the new version.
func (h *Handler) replace(r *http.Request, c *call, isUser bool, id string, obj map[string]any, ifMatch string) (int64, error) {
	if isUser {
		u, _, err := h.Service.ReplaceUser(r.Context(), c.d, id, obj, ifMatch)
		return u.Version, err
	}
	g, err := h.Service.ReplaceGroup(r.Context(), c.d, id, obj, ifMatch)
	return g.Version, err
}
