package scimapi

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
	"github.com/scimbridge/scimbridge/internal/web"
)

// projection returns the request's "attributes"/"excludedAttributes"
// (RFC 7644 §3.4.2.5, §3.9) resolved against rt. They apply to every
// response that carries a resource, writes included.
func (c *call) projection(rt *schema.ResourceType) *projection {
	return newProjection(rt, splitList(c.query.get("attributes")), splitList(c.query.get("excludedAttributes")))
}

// writeUser answers a PUT or PATCH with the user, its groups as the
// write's transaction read them, and its ETag.
func (h *Handler) writeUser(w http.ResponseWriter, c *call, u directory.User, groups []directory.GroupRef) error {
	p := c.projection(c.types.User)
	if !p.wants("", "groups") {
		groups = nil
	}
	return writeResource(w, http.StatusOK, directory.ETag(u.Version), "", c.user(u, groups, p))
}

// createUser is POST /Users (RFC 7644 §3.3): 201 with the resource and
// its Location.
func (h *Handler) createUser(w http.ResponseWriter, r *http.Request, c *call) error {
	raw, err := h.readObject(w, r)
	if err != nil {
		return err
	}
	u, err := h.Service.CreateUser(r.Context(), c.d, raw)
	if err != nil {
		return err
	}
	return writeCreatedUser(w, c, u)
}

// writeCreatedUser answers a create with the new user (RFC 7644 §3.3).
func writeCreatedUser(w http.ResponseWriter, c *call, u directory.User) error {
	// A user that was just created belongs to no group: nothing to read.
	return writeResource(w, http.StatusCreated, directory.ETag(u.Version), c.location(c.types.User, u.ID),
		c.user(u, nil, c.projection(c.types.User)))
}

// authenticatedCreate serves POST /Users. Where the service reads the
// token on every request and this process has seen the token
// authenticate before (Service.SCIMHint), the token is checked in the
// create's own transaction (Service.CreateUserWithCredential: one round
// trip on PostgreSQL). Whenever that does not confirm the token, nothing
// was written and the request is authenticated and served like every
// other (createUser), so that a refused request, or an invalid one, is
// answered exactly as before: after authentication, from the same body.
func (h *Handler) authenticatedCreate() web.HandlerFunc {
	slow := h.authenticated(h.createUser)
	return func(w http.ResponseWriter, r *http.Request) error {
		raw := r.PathValue("dir")
		dir := directoryID(raw)
		hint, ok := h.Service.SCIMHint(dir, credential(r))
		if !ok || checkPathValues(r) != nil {
			return slow(w, r)
		}
		q, err := parseQuery(r.URL.RawQuery)
		if err != nil {
			return slow(w, r)
		}
		body, err := readBody(w, r, h.lim.body)
		if err != nil {
			return h.authenticated(func(http.ResponseWriter, *http.Request, *call) error { return err })(w, r)
		}
		r.Body = io.NopCloser(bytes.NewReader(body)) // for the usual way
		obj, err := decodeObject(body)
		if err != nil {
			return slow(w, r)
		}
		ctx, d, u, err := h.Service.CreateUserWithCredential(directory.WithRequestID(r.Context(), web.RequestID(r.Context())), hint, obj)
		if errors.Is(err, directory.ErrUnconfirmed) {
			return slow(w, r)
		}
		r = r.WithContext(directory.WithRequestID(ctx, web.RequestID(ctx)))
		tagRequest(r, d)
		if err != nil {
			return err
		}
		return writeCreatedUser(w, &call{dir: dir, d: d, base: h.baseURL(r, raw), query: q, types: h.schemas}, u)
	}
}

// getUser is GET /Users/{id} (RFC 7644 §3.4.1), with If-None-Match
// (RFC 7644 §3.14). The user and its groups are read in one statement
// when the projection renders the groups, or were read with the token.
//
// In the default projection the response comes from the rendered-resource
// cache when the store keeps generations (cachedreads.go).
func (h *Handler) getUser(w http.ResponseWriter, r *http.Request, c *call) error {
	// A user read with the token was read before the generation could be:
	// it is served as read, never cached.
	if gen, ok := h.cacheGen(c); ok && c.read == nil {
		v, err := h.cachedUser(r.Context(), c, gen, r.PathValue("id"))
		if err != nil {
			return err
		}
		return writeCached(w, r, v)
	}
	p := c.projection(c.types.User)
	var u directory.User
	var groups []directory.GroupRef
	var err error
	if c.read != nil {
		u, groups, err = c.read.User, c.read.Groups, c.read.Err
		if !p.wants("", "groups") {
			groups = nil
		}
	} else if p.wants("", "groups") {
		u, groups, err = h.Service.Read().GetUserWithGroups(r.Context(), c.dir, r.PathValue("id"))
	} else {
		u, err = h.Service.Read().GetUser(r.Context(), c.dir, r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	etag := directory.ETag(u.Version)
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		return writeEmpty(w, http.StatusNotModified, etag)
	}
	return writeResource(w, http.StatusOK, etag, "", c.user(u, groups, p))
}

// replaceUser is PUT /Users/{id} (RFC 7644 §3.5.1).
func (h *Handler) replaceUser(w http.ResponseWriter, r *http.Request, c *call) error {
	raw, err := h.readObject(w, r)
	if err != nil {
		return err
	}
	u, groups, err := h.Service.ReplaceUser(r.Context(), c.d, r.PathValue("id"), raw, r.Header.Get("If-Match"))
	if err != nil {
		return err
	}
	return h.writeUser(w, c, u, groups)
}

// patchUser is PATCH /Users/{id} (RFC 7644 §3.5.2): 200 with the
// resource, which Okta and Entra ID both read.
func (h *Handler) patchUser(w http.ResponseWriter, r *http.Request, c *call) error {
	body, err := readBody(w, r, h.lim.body)
	if err != nil {
		return err
	}
	u, groups, err := h.Service.PatchUser(r.Context(), c.d, r.PathValue("id"), body, r.Header.Get("If-Match"))
	if err != nil {
		return err
	}
	return h.writeUser(w, c, u, groups)
}

// deleteUser is DELETE /Users/{id} (RFC 7644 §3.6): 204.
func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := h.Service.DeleteUser(r.Context(), c.d, r.PathValue("id"), r.Header.Get("If-Match")); err != nil {
		return err
	}
	return writeEmpty(w, http.StatusNoContent, "")
}
