package mgmtapi

import (
	"net/http"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

type organizationJSON struct {
	Object     string `json:"object"`
	ID         string `json:"id"`
	Name       string `json:"name"`
	ExternalID any    `json:"external_id"`
	CreatedAt  any    `json:"created_at"`
	UpdatedAt  any    `json:"updated_at"`
}

func organizationOut(o directory.Organization) organizationJSON {
	var ext any
	if o.ExternalID != "" {
		ext = o.ExternalID
	}
	return organizationJSON{"organization", o.ID, o.Name, ext, timeOrNil(o.CreatedAt), timeOrNil(o.UpdatedAt)}
}

func (h *Handler) createOrganization(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name       string `json:"name"`
		ExternalID string `json:"external_id"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	o, err := h.Service.CreateOrganization(r.Context(), in.Name, in.ExternalID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, organizationOut(o))
}

func (h *Handler) getOrganization(w http.ResponseWriter, r *http.Request) error {
	o, err := h.Service.Read().GetOrganization(r.Context(), r.PathValue("org_id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, organizationOut(o))
}

func (h *Handler) directoryOut(d directory.Directory, users, groups *int) map[string]any {
	out := map[string]any{
		"object":          "directory",
		"id":              d.ID,
		"organization_id": d.OrganizationID,
		"name":            d.Name,
		"provider":        d.Provider,
		"enabled":         d.Enabled,
		"endpoint_url":    h.PublicURL + "/scim/v2/" + d.ID,
		"last_request_at": timeOrNil(d.LastRequestAt),
		"settings": map[string]any{
			"strict":             d.Settings.Strict,
			"unknown_members":    unknownMembers(d.Settings),
			"request_log_bodies": string(d.Settings.RequestLogBodies.OrDefault()),
		},
		"created_at": timeOrNil(d.CreatedAt),
		"updated_at": timeOrNil(d.UpdatedAt),
	}
	if users != nil {
		out["user_count"], out["group_count"] = *users, *groups
	}
	return out
}

func (h *Handler) createDirectory(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Provider string `json:"provider"`
		Name     string `json:"name"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	d, err := h.Service.CreateDirectory(r.Context(), r.PathValue("org_id"), in.Provider, in.Name)
	if err != nil {
		return err
	}
	zero := 0
	out := h.directoryOut(d, &zero, &zero)
	out["setup_state"] = "awaiting_token"
	deprovisionSettingsOut(out["settings"].(map[string]any), directory.DefaultDeprovisionSettings())
	health := directory.DirectoryHealth(d, directory.RequestHealth{}, h.Service.IDs.Now())
	out["state"], out["state_reason"] = health.State, health.Reason
	return writeJSON(w, http.StatusCreated, out)
}

func unknownMembers(s directory.Settings) string {
	if s.RejectUnknownMembers {
		return "reject"
	}
	return "ignore"
}

// updateDirectory is PATCH /api/v1/directories/{dir_id}: any of name,
// provider, enabled and settings; omitted fields are left as they are.
func (h *Handler) updateDirectory(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name     *string `json:"name"`
		Provider *string `json:"provider"`
		Enabled  *bool   `json:"enabled"`
		Settings *struct {
			Strict           *bool                    `json:"strict"`
			UnknownMembers   *string                  `json:"unknown_members"`
			RequestLogBodies *directory.RequestBodies `json:"request_log_bodies"`
			deprovisionSettingsIn
		} `json:"settings"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	id := r.PathValue("dir_id")
	change := directory.DirectoryChange{Name: in.Name, Provider: in.Provider, Enabled: in.Enabled}
	if in.Settings != nil {
		change.Strict = in.Settings.Strict
		change.RequestLogBodies = in.Settings.RequestLogBodies
		if um := in.Settings.UnknownMembers; um != nil {
			var reject bool
			switch *um {
			case "ignore":
			case "reject":
				reject = true
			default:
				return directory.Errorf(directory.KindInvalid, "settings.unknown_members must be \"ignore\" or \"reject\", got %q", *um)
			}
			change.RejectUnknownMembers = &reject
		}
	}
	if in.Settings != nil {
		if dc := in.Settings.change(); !dc.Empty() {
			if _, err := h.Service.UpdateDeprovisionSettings(r.Context(), id, dc); err != nil {
				return err
			}
		}
	}
	d, err := h.Service.UpdateDirectory(r.Context(), id, change)
	if err != nil {
		return err
	}
	out, err := h.fullDirectoryOut(r, d)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *Handler) getDirectory(w http.ResponseWriter, r *http.Request) error {
	d, err := h.Service.Read().GetDirectory(r.Context(), r.PathValue("dir_id"))
	if err != nil {
		return err
	}
	out, err := h.fullDirectoryOut(r, d)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func tokenOut(t directory.Token, now time.Time) map[string]any {
	return map[string]any{
		"object":       "directory_token",
		"id":           t.ID,
		"directory_id": t.DirectoryID,
		"suffix":       t.Suffix,
		"active":       t.Active(now),
		"created_at":   timeOrNil(t.CreatedAt),
		"expires_at":   timeOrNil(t.ExpiresAt),
		"last_used_at": timeOrNil(t.LastUsedAt),
		"revoked_at":   timeOrNil(t.RevokedAt),
	}
}

func (h *Handler) createToken(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		ExpiresAt *time.Time `json:"expires_at"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var exp time.Time
	if in.ExpiresAt != nil {
		exp = *in.ExpiresAt
	}
	t, secret, err := h.Service.CreateToken(r.Context(), r.PathValue("dir_id"), exp)
	if err != nil {
		return err
	}
	out := tokenOut(t, t.CreatedAt)
	out["token"] = secret // the only time the secret is ever returned
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, out)
}

func (h *Handler) listTokens(w http.ResponseWriter, r *http.Request) error {
	dirID := r.PathValue("dir_id")
	if _, err := h.Service.Read().GetDirectory(r.Context(), dirID); err != nil {
		return err
	}
	ts, err := h.Service.Read().ListTokens(r.Context(), dirID)
	if err != nil {
		return err
	}
	now := h.Service.IDs.Now()
	data := make([]any, 0, len(ts))
	for _, t := range ts {
		data = append(data, tokenOut(t, now))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"data": data, "next_page_token": nil})
}

func (h *Handler) revokeToken(w http.ResponseWriter, r *http.Request) error {
	if err := h.Service.RevokeToken(r.Context(), r.PathValue("dir_id"), r.PathValue("token_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
