package mgmtapi

import (
	"net/http"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// Custom attributes and per-directory attribute mappings
// (docs/custom-attributes.md). Mapped values appear on user records as
// custom_attributes.

type customAttrJSON struct {
	Object        string  `json:"object"`
	Key           string  `json:"key"`
	Type          string  `json:"type"`
	Description   string  `json:"description"`
	DefaultSource *string `json:"default_source"`
}

func customAttrOut(a directory.CustomAttribute) customAttrJSON {
	var def *string
	if a.DefaultSource != "" {
		def = &a.DefaultSource
	}
	return customAttrJSON{"custom_attribute", a.Key, a.Type, a.Description, def}
}

// listCustomAttributes serves GET /api/v1/custom_attributes: one page (at
// most directory.MaxCustomAttributes).
func (h *Handler) listCustomAttributes(w http.ResponseWriter, r *http.Request) error {
	as, err := h.Service.ListCustomAttributes(r.Context())
	if err != nil {
		return err
	}
	data := make([]customAttrJSON, 0, len(as))
	for _, a := range as {
		data = append(data, customAttrOut(a))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"data": data, "next_page_token": nil})
}

func (h *Handler) createCustomAttribute(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Key           string  `json:"key"`
		Type          string  `json:"type"`
		Description   string  `json:"description"`
		DefaultSource *string `json:"default_source"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	a := directory.CustomAttribute{Key: in.Key, Type: in.Type, Description: in.Description}
	if in.DefaultSource != nil {
		a.DefaultSource = *in.DefaultSource
	}
	a, err := h.Service.CreateCustomAttribute(r.Context(), a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, customAttrOut(a))
}

func (h *Handler) updateCustomAttribute(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Description   *string `json:"description"`
		DefaultSource *string `json:"default_source"`
		Key           *string `json:"key"`
		Type          *string `json:"type"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Key != nil || in.Type != nil {
		return directory.Errorf(directory.KindInvalid, "key and type cannot change: declare a new attribute, map it, then delete this one")
	}
	a, err := h.Service.UpdateCustomAttribute(r.Context(), r.PathValue("key"), directory.CustomAttributeUpdate{Description: in.Description, DefaultSource: in.DefaultSource})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, customAttrOut(a))
}

func (h *Handler) deleteCustomAttribute(w http.ResponseWriter, r *http.Request) error {
	if err := h.Service.DeleteCustomAttribute(r.Context(), r.PathValue("key")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type attrMappingJSON struct {
	Key    string `json:"key"`
	Type   string `json:"type,omitempty"`
	Source string `json:"source"`
}

func attrMappingsOut(dirID string, st directory.AttributeMappingStatus) map[string]any {
	ms := make([]attrMappingJSON, 0, len(st.Mappings))
	for _, m := range st.Mappings {
		ms = append(ms, attrMappingJSON{Key: m.Key, Type: m.Type, Source: m.Source})
	}
	return map[string]any{"object": "attribute_mappings", "directory_id": dirID, "mappings": ms,
		"version": st.Version, "pending_users": st.PendingUsers}
}

// decodeAttrMappings reads {"mappings": [{"key", "source"}]}; the list is
// required (send [] to remove every mapping).
func decodeAttrMappings(w http.ResponseWriter, r *http.Request) ([]directory.AttributeMapping, error) {
	var in struct {
		Mappings *[]attrMappingJSON `json:"mappings"`
	}
	if err := decode(w, r, &in); err != nil {
		return nil, err
	}
	if in.Mappings == nil {
		return nil, directory.Errorf(directory.KindInvalid, `"mappings" is required: a list of {"key", "source"} (send [] to remove every mapping)`)
	}
	ms := make([]directory.AttributeMapping, 0, len(*in.Mappings))
	for _, m := range *in.Mappings {
		ms = append(ms, directory.AttributeMapping{Key: m.Key, Source: m.Source})
	}
	return ms, nil
}

func (h *Handler) getAttributeMappings(w http.ResponseWriter, r *http.Request) error {
	dirID := r.PathValue("dir_id")
	st, err := h.Service.GetAttributeMappings(r.Context(), dirID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, attrMappingsOut(dirID, st))
}

// putAttributeMappings saves the mappings and applies them to the
// directory's users (in short transactions: SCIM traffic keeps flowing
// meanwhile): 200 when every user is done, 202 with pending_users when the
// server finishes the rest in the background.
func (h *Handler) putAttributeMappings(w http.ResponseWriter, r *http.Request) error {
	ms, err := decodeAttrMappings(w, r)
	if err != nil {
		return err
	}
	dirID := r.PathValue("dir_id")
	st, changed, err := h.Service.PutAttributeMappings(r.Context(), dirID, ms)
	if err != nil {
		return err
	}
	out := attrMappingsOut(dirID, st)
	out["users_changed"] = changed
	status := http.StatusOK
	if st.PendingUsers > 0 {
		status = http.StatusAccepted
	}
	return writeJSON(w, status, out)
}

func (h *Handler) previewAttributeMappings(w http.ResponseWriter, r *http.Request) error {
	ms, err := decodeAttrMappings(w, r)
	if err != nil {
		return err
	}
	p, err := h.Service.PreviewAttributeMappings(r.Context(), r.PathValue("dir_id"), ms)
	if err != nil {
		return err
	}
	users := make([]map[string]any, 0, len(p.Users))
	for _, u := range p.Users {
		vals := make([]map[string]any, 0, len(u.Values))
		for _, v := range u.Values {
			var why any
			if v.Error != "" {
				why = v.Error
			}
			vals = append(vals, map[string]any{"key": v.Key, "current": v.Current, "proposed": v.Next, "error": why, "changes": v.Changes})
		}
		users = append(users, map[string]any{"user_id": u.UserID, "display_name": u.Display, "values": vals})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"object": "attribute_mappings_preview",
		"sampled_users": p.SampledUsers, "users_changing": p.Changing, "users": users})
}

// listAttributeSources serves GET /api/v1/directories/{dir_id}/attribute_sources:
// the attributes seen in the directory's users and the provider's
// suggested mappings.
func (h *Handler) listAttributeSources(w http.ResponseWriter, r *http.Request) error {
	dirID := r.PathValue("dir_id")
	sum, err := h.Service.SeenAttributes(r.Context(), dirID)
	if err != nil {
		return err
	}
	d, err := h.Service.Read().GetDirectory(r.Context(), dirID)
	if err != nil {
		return err
	}
	attrs, err := h.Service.ListCustomAttributes(r.Context())
	if err != nil {
		return err
	}
	data := make([]map[string]any, 0, len(sum.Attributes))
	for _, a := range sum.Attributes {
		samples := a.Samples
		if samples == nil {
			samples = []string{}
		}
		data = append(data, map[string]any{"source": a.Path, "users": a.Count, "samples": samples})
	}
	defs := make([]attrMappingJSON, 0, len(attrs))
	for _, m := range directory.ProviderDefaults(d.Provider, attrs) {
		defs = append(defs, attrMappingJSON{Key: m.Key, Source: m.Source})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"object": "attribute_sources", "directory_id": dirID, "provider": d.Provider,
		"sampled_users": sum.SampledUsers, "total_users": sum.TotalUsers, "data": data, "provider_defaults": defs})
}
