package mgmtapi

import (
	"net/http"
	"net/url"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// portalLinkOut renders a portal link; location (the URL with the token)
// only when the link was just created.
func (h *Handler) portalLinkOut(l directory.PortalLink, location string) map[string]any {
	var ret any
	if l.ReturnURL != "" {
		ret = l.ReturnURL
	}
	out := map[string]any{
		"object":          "portal_link",
		"id":              l.ID,
		"organization_id": l.OrganizationID,
		"kind":            l.Kind,
		"return_url":      ret,
		"created_at":      timeOrNil(l.CreatedAt),
		"expire_time":     timeOrNil(l.ExpiresAt),
		"used_at":         timeOrNil(l.UsedAt),
		"revoked_at":      timeOrNil(l.RevokedAt),
	}
	if location != "" {
		out["location"] = location
	}
	return out
}

func (h *Handler) portal() (*directory.Portal, error) {
	if h.Portal == nil {
		return nil, directory.Errorf(directory.KindNotFound, "the Admin Portal is not enabled on this server")
	}
	return h.Portal, nil
}

// createPortalLink is POST /api/v1/organizations/{org_id}/portal_links.
func (h *Handler) createPortalLink(w http.ResponseWriter, r *http.Request) error {
	p, err := h.portal()
	if err != nil {
		return err
	}
	var in struct {
		Kind      *string `json:"kind"`
		ReturnURL string  `json:"return_url"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Kind == nil {
		return directory.Errorf(directory.KindInvalid, "kind is required: %q (single use, 5 minutes) or %q (7 days, revocable)", directory.PortalEmbed, directory.PortalShare)
	}
	l, token, err := p.CreateLink(r.Context(), r.PathValue("org_id"), *in.Kind, in.ReturnURL)
	if err != nil {
		return err
	}
	location := h.PublicURL + "/portal/open?token=" + url.QueryEscape(token)
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, h.portalLinkOut(l, location))
}

// listPortalLinks is GET /api/v1/organizations/{org_id}/portal_links.
func (h *Handler) listPortalLinks(w http.ResponseWriter, r *http.Request) error {
	p, err := h.portal()
	if err != nil {
		return err
	}
	if _, err := queryParams(r); err != nil {
		return err
	}
	ls, err := p.ListLinks(r.Context(), r.PathValue("org_id"))
	if err != nil {
		return err
	}
	data := make([]any, 0, len(ls))
	for _, l := range ls {
		data = append(data, h.portalLinkOut(l, ""))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"data": data, "next_page_token": nil})
}

// revokePortalLink is DELETE /api/v1/organizations/{org_id}/portal_links/{link_id}.
func (h *Handler) revokePortalLink(w http.ResponseWriter, r *http.Request) error {
	p, err := h.portal()
	if err != nil {
		return err
	}
	if err := p.RevokeLink(r.Context(), r.PathValue("org_id"), r.PathValue("link_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
