package scimapi

import (
	"context"
	"net/http"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// groupMembers reads a group's members, only when the projection renders
// them: Entra ID asks for groups with excludedAttributes=members, and a
// group may have tens of thousands of members.
func (h *Handler) groupMembers(ctx context.Context, c *call, id string, p *projection) ([]directory.Member, error) {
	if !p.wants("", "members") {
		return nil, nil
	}
	m, err := h.Service.Read().MembersOf(ctx, c.dir, []string{id})
	if err != nil {
		return nil, err
	}
	return m[id], nil
}

// writeGroup answers with one group, its members and its ETag.
func (h *Handler) writeGroup(w http.ResponseWriter, r *http.Request, c *call, status int, location string, g directory.Group) error {
	p := c.projection(c.types.Group)
	members, err := h.groupMembers(r.Context(), c, g.ID, p)
	if err != nil {
		return err
	}
	return writeResource(w, status, directory.ETag(g.Version), location, c.group(g, members, p))
}

// createGroup is POST /Groups (RFC 7644 §3.3), with or without initial
// members: 201 with the resource and its Location.
func (h *Handler) createGroup(w http.ResponseWriter, r *http.Request, c *call) error {
	raw, err := h.readObject(w, r)
	if err != nil {
		return err
	}
	g, err := h.Service.CreateGroup(r.Context(), c.d, raw)
	if err != nil {
		return err
	}
	return h.writeGroup(w, r, c, http.StatusCreated, c.location(c.types.Group, g.ID), g)
}

// getGroup is GET /Groups/{id} (RFC 7644 §3.4.1), with If-None-Match.
// In the default projection the response comes from the rendered-resource
// cache when the store keeps generations (cachedreads.go).
func (h *Handler) getGroup(w http.ResponseWriter, r *http.Request, c *call) error {
	if gen, ok := h.cacheGen(c); ok {
		v, err := h.cachedGroup(r.Context(), c, gen, r.PathValue("id"))
		if err != nil {
			return err
		}
		return writeCached(w, r, v)
	}
	g, err := h.Service.Read().GetGroup(r.Context(), c.dir, r.PathValue("id"))
	if err != nil {
		return err
	}
	etag := directory.ETag(g.Version)
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		return writeEmpty(w, http.StatusNotModified, etag)
	}
	return h.writeGroup(w, r, c, http.StatusOK, "", g)
}

// replaceGroup is PUT /Groups/{id} (RFC 7644 §3.5.1). A body with
// "members" replaces the membership; one without leaves it unchanged (see
// directory.Service.ReplaceGroup).
func (h *Handler) replaceGroup(w http.ResponseWriter, r *http.Request, c *call) error {
	raw, err := h.readObject(w, r)
	if err != nil {
		return err
	}
	g, err := h.Service.ReplaceGroup(r.Context(), c.d, r.PathValue("id"), raw, r.Header.Get("If-Match"))
	if err != nil {
		return err
	}
	return h.writeGroup(w, r, c, http.StatusOK, "", g)
}

// patchGroup is PATCH /Groups/{id} (RFC 7644 §3.5.2). It answers 204 No
// Content, which the RFC allows and Entra ID prefers: echoing a group of
// 50,000 members after adding one would be slow. A request that asks for
// a representation with "attributes" or "excludedAttributes" gets 200 with
// the projected resource.
func (h *Handler) patchGroup(w http.ResponseWriter, r *http.Request, c *call) error {
	body, err := readBody(w, r, h.lim.body)
	if err != nil {
		return err
	}
	g, err := h.Service.PatchGroup(r.Context(), c.d, r.PathValue("id"), body, r.Header.Get("If-Match"))
	if err != nil {
		return err
	}
	if c.query.has("attributes") || c.query.has("excludedAttributes") {
		return h.writeGroup(w, r, c, http.StatusOK, "", g)
	}
	return writeEmpty(w, http.StatusNoContent, directory.ETag(g.Version))
}

// deleteGroup is DELETE /Groups/{id} (RFC 7644 §3.6): 204.
func (h *Handler) deleteGroup(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := h.Service.DeleteGroup(r.Context(), c.d, r.PathValue("id"), r.Header.Get("If-Match")); err != nil {
		return err
	}
	return writeEmpty(w, http.StatusNoContent, "")
}
