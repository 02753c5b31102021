package mgmtapi

import (
	"encoding/json"
	"net/http"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// listOrganizations is GET /api/v1/organizations: all organizations in id
// order, or the one with ?external_id=.
func (h *Handler) listOrganizations(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r, directory.PrefixOrganization, "external_id")
	if err != nil {
		return err
	}
	q := directory.OrgQuery{ExternalID: p.v.Get("external_id"), After: p.after, Limit: p.size + 1}
	if _, ok := p.v["external_id"]; ok && q.ExternalID == "" {
		return directory.Errorf(directory.KindInvalid, "external_id must not be empty")
	}
	os, err := h.Service.Read().ListOrganizations(r.Context(), q)
	if err != nil {
		return err
	}
	data := make([]any, 0, len(os))
	for _, o := range os {
		data = append(data, organizationOut(o))
	}
	return writePage(w, p.size, data, func(i int) string { return os[i].ID })
}

// updateOrganization is PATCH /api/v1/organizations/{org_id}: name and/or
// external_id (null or "" clears it).
func (h *Handler) updateOrganization(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name       *string         `json:"name"`
		ExternalID json.RawMessage `json:"external_id"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	c := directory.OrganizationChange{Name: in.Name}
	if in.ExternalID != nil {
		var ext *string
		if err := json.Unmarshal(in.ExternalID, &ext); err != nil {
			return directory.Errorf(directory.KindInvalid, "field \"external_id\" must be a string or null")
		}
		if ext == nil {
			ext = new(string)
		}
		c.ExternalID = ext
	}
	o, err := h.Service.UpdateOrganization(r.Context(), r.PathValue("org_id"), c)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, organizationOut(o))
}

// deleteOrganization is DELETE /api/v1/organizations/{org_id}.
func (h *Handler) deleteOrganization(w http.ResponseWriter, r *http.Request) error {
	if err := h.Service.DeleteOrganization(r.Context(), r.PathValue("org_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listDirectories is GET /api/v1/organizations/{org_id}/directories.
func (h *Handler) listDirectories(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r, directory.PrefixDirectory)
	if err != nil {
		return err
	}
	ds, err := h.Service.Read().ListDirectories(r.Context(), r.PathValue("org_id"), p.after, p.size+1)
	if err != nil {
		return err
	}
	data := make([]any, 0, len(ds))
	for _, d := range ds {
		out, err := h.fullDirectoryOut(r, d)
		if err != nil {
			return err
		}
		data = append(data, out)
	}
	return writePage(w, p.size, data, func(i int) string { return ds[i].ID })
}

// deleteDirectory is DELETE /api/v1/directories/{dir_id}.
func (h *Handler) deleteDirectory(w http.ResponseWriter, r *http.Request) error {
	if err := h.Service.DeleteDirectory(r.Context(), r.PathValue("dir_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// fullDirectoryOut renders a directory with its counts and setup state.
func (h *Handler) fullDirectoryOut(r *http.Request, d directory.Directory) (map[string]any, error) {
	users, groups, err := h.Service.Read().CountDirectory(r.Context(), d.ID)
	if err != nil {
		return nil, err
	}
	out := h.directoryOut(d, &users, &groups)
	state, err := h.setupState(r, d)
	if err != nil {
		return nil, err
	}
	out["setup_state"] = state
	hs, err := h.Service.Read().RequestHealth(r.Context(), []string{d.ID})
	if err != nil {
		return nil, err
	}
	health := directory.DirectoryHealth(d, hs[d.ID], h.Service.IDs.Now())
	out["state"], out["state_reason"] = health.State, health.Reason
	return out, h.withDeprovisionSettings(r, out)
}

// setupState is "connected" once the IdP has called, else
// "awaiting_first_request" when an active token exists, else
// "awaiting_token".
func (h *Handler) setupState(r *http.Request, d directory.Directory) (string, error) {
	if !d.LastRequestAt.IsZero() {
		return "connected", nil
	}
	ts, err := h.Service.Read().ListTokens(r.Context(), d.ID)
	if err != nil {
		return "", err
	}
	now := h.Service.IDs.Now()
	for _, t := range ts {
		if t.Active(now) {
			return "awaiting_first_request", nil
		}
	}
	return "awaiting_token", nil
}
