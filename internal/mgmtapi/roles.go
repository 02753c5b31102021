package mgmtapi

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// Roles, role mappings and organization default roles (docs/api.md,
// "Roles"). Users' effective roles are computed when read
// (directory.Service.EffectiveRoles), never stored.

type roleJSON struct {
	Object      string `json:"object"`
	Key         string `json:"key"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Default     bool   `json:"default"`
}

func roleOut(r directory.Role) roleJSON {
	return roleJSON{"role", r.Key, r.Name, r.Description, r.Default}
}

type mappingJSON struct {
	GroupID  string `json:"group_id"`
	Role     string `json:"role"`
	Priority int    `json:"priority"`
}

// listRoles serves GET /api/v1/roles. Roles are few and global, so the list
// is one page (next_page_token is always null).
func (h *Handler) listRoles(w http.ResponseWriter, r *http.Request) error {
	rs, err := h.Service.ListRoles(r.Context())
	if err != nil {
		return err
	}
	data := make([]roleJSON, 0, len(rs))
	for _, role := range rs {
		data = append(data, roleOut(role))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"data": data, "next_page_token": nil})
}

func (h *Handler) createRole(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Key         string `json:"key"`
		Name        string `json:"name"`
		Description string `json:"description"`
		Default     bool   `json:"default"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	role, err := h.Service.CreateRole(r.Context(), directory.Role{Key: in.Key, Name: in.Name, Description: in.Description, Default: in.Default})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, roleOut(role))
}

func (h *Handler) updateRole(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name        *string `json:"name"`
		Description *string `json:"description"`
		Default     *bool   `json:"default"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	role, err := h.Service.UpdateRole(r.Context(), r.PathValue("key"), directory.RoleUpdate{Name: in.Name, Description: in.Description, Default: in.Default})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, roleOut(role))
}

func (h *Handler) deleteRole(w http.ResponseWriter, r *http.Request) error {
	if err := h.Service.DeleteRole(r.Context(), r.PathValue("key")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func mappingsOut(ms []directory.RoleMapping) map[string]any {
	out := make([]mappingJSON, 0, len(ms))
	for _, m := range ms {
		out = append(out, mappingJSON(m))
	}
	return map[string]any{"object": "role_mappings", "mappings": out}
}

// decodeMappings reads {"mappings": [...]}; the list is required (send []
// to remove every mapping).
func decodeMappings(w http.ResponseWriter, r *http.Request) ([]directory.RoleMapping, error) {
	var in struct {
		Mappings *[]mappingJSON `json:"mappings"`
	}
	if err := decode(w, r, &in); err != nil {
		return nil, err
	}
	if in.Mappings == nil {
		return nil, directory.Errorf(directory.KindInvalid, `"mappings" is required: a list of {"group_id", "role", "priority"} (send [] to remove every mapping)`)
	}
	ms := make([]directory.RoleMapping, 0, len(*in.Mappings))
	for _, m := range *in.Mappings {
		ms = append(ms, directory.RoleMapping(m))
	}
	return ms, nil
}

func (h *Handler) getRoleMappings(w http.ResponseWriter, r *http.Request) error {
	ms, err := h.Service.GetRoleMappings(r.Context(), r.PathValue("dir_id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mappingsOut(ms))
}

func (h *Handler) putRoleMappings(w http.ResponseWriter, r *http.Request) error {
	ms, err := decodeMappings(w, r)
	if err != nil {
		return err
	}
	dirID := r.PathValue("dir_id")
	if err := h.Service.PutRoleMappings(r.Context(), dirID, ms); err != nil {
		return err
	}
	stored, err := h.Service.GetRoleMappings(r.Context(), dirID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mappingsOut(stored))
}

func (h *Handler) previewRoleMappings(w http.ResponseWriter, r *http.Request) error {
	ms, err := decodeMappings(w, r)
	if err != nil {
		return err
	}
	p, err := h.Service.PreviewRoleMappings(r.Context(), r.PathValue("dir_id"), ms)
	if err != nil {
		return err
	}
	sample := make([]map[string]any, 0, len(p.Sample))
	for _, c := range p.Sample {
		sample = append(sample, map[string]any{"user_id": c.UserID, "display_name": c.Display, "from_role": c.FromRole, "to_role": c.ToRole})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"object": "role_mappings_preview", "users_changing_role": p.UsersChangingRole, "sample": sample})
}

// setOrganizationDefaultRole serves PUT /api/v1/organizations/{org_id}/default_role
// with {"role": "member"}, or {"role": null} to clear the override.
func (h *Handler) setOrganizationDefaultRole(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Role json.RawMessage `json:"role"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var role string
	switch {
	case len(in.Role) == 0:
		return directory.Errorf(directory.KindInvalid, `"role" is required: a role key, or null to use the instance default`)
	case bytes.Equal(in.Role, []byte("null")):
	default:
		if err := json.Unmarshal(in.Role, &role); err != nil || role == "" {
			return directory.Errorf(directory.KindInvalid, `field "role" must be a role key (string) or null`)
		}
	}
	orgID := r.PathValue("org_id")
	if err := h.Service.SetOrganizationDefaultRole(r.Context(), orgID, role); err != nil {
		return err
	}
	global, override, err := h.Service.Read().DefaultRoles(r.Context(), orgID)
	if err != nil {
		return err
	}
	var ov any
	if override != "" {
		ov = override
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"object": "organization_default_role", "organization_id": orgID,
		"role": ov, "effective_default_role": defaultOf(global, override),
	})
}

func defaultOf(global, override string) string {
	if override != "" {
		return override
	}
	return global
}
