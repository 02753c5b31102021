package portal

import (
	"net/http"
	"strings"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// The Attributes tab (docs/custom-attributes.md): the IT admin maps each
// custom attribute the app declared to an attribute their identity
// provider sends, sees which attributes the IdP actually sends (from a
// bounded sample of the directory's users), starts from the provider's
// defaults, and previews the values before saving.

type attrRow struct {
	A         directory.CustomAttribute
	Source    string // in the form
	Suggested string // the provider's default
	Errors    directory.TypeErrors
}

type attrsData struct {
	Rows     []attrRow
	Seen     directory.AttributeSummary
	Preview  *directory.AttributePreview
	Pending  int
	Provider string // the provider's name
	Unsaved  bool   // the form shows defaults or a preview, not what is stored
}

// attrForm builds the tab's data; submitted, when not nil, is what the
// form shows instead of the stored mappings (by key).
func (h *Handler) attrForm(r *http.Request, d directory.Directory, submitted map[string]string) (attrsData, error) {
	ctx := r.Context()
	var data attrsData
	attrs, err := h.Service.ListCustomAttributes(ctx)
	if err != nil {
		return data, err
	}
	st, err := h.Service.GetAttributeMappings(ctx, d.ID)
	if err != nil {
		return data, err
	}
	if data.Seen, err = h.Service.SeenAttributes(ctx, d.ID); err != nil {
		return data, err
	}
	data.Pending, data.Provider, data.Unsaved = st.PendingUsers, providerByKey(d.Provider).Name, submitted != nil
	stored := map[string]string{}
	for _, m := range st.Mappings {
		stored[m.Key] = m.Source
	}
	suggested := map[string]string{}
	for _, m := range directory.ProviderDefaults(d.Provider, attrs) {
		suggested[m.Key] = m.Source
	}
	for _, a := range attrs {
		src := stored[a.Key]
		if submitted != nil {
			src = submitted[a.Key]
		}
		data.Rows = append(data.Rows, attrRow{A: a, Source: src, Suggested: suggested[a.Key], Errors: data.Seen.TypeErrors[a.Key]})
	}
	return data, nil
}

// attributesTab is GET /portal/attributes.
func (h *Handler) attributesTab(w http.ResponseWriter, r *http.Request) error {
	d, dirs, ok, err := h.selectedDir(r)
	if err != nil {
		return err
	}
	p := page{Title: "Attributes", Tab: "attributes", Dirs: dirs, Dir: d}
	if ok {
		if p.Data, err = h.attrForm(r, d, nil); err != nil {
			return err
		}
	}
	return h.render(w, r, http.StatusOK, "attributes", p)
}

// parseAttrMappings reads the form: source.<key> for each declared key;
// an empty source leaves the attribute unmapped.
func parseAttrMappings(r *http.Request, attrs []directory.CustomAttribute) (map[string]string, []directory.AttributeMapping) {
	byKey := map[string]string{}
	ms := []directory.AttributeMapping{}
	for _, a := range attrs {
		// A textarea: line breaks are the browser's wrapping, not the path's.
		src := strings.TrimSpace(strings.NewReplacer("\r", "", "\n", "").Replace(r.PostForm.Get("source." + a.Key)))
		byKey[a.Key] = src
		if src != "" {
			ms = append(ms, directory.AttributeMapping{Key: a.Key, Source: src})
		}
	}
	return byKey, ms
}

// saveAttributes is POST /portal/attributes?dir=…: action "defaults" fills
// the form with the provider's defaults, "preview" shows the values for a
// few users, "save" stores and applies the mappings.
func (h *Handler) saveAttributes(w http.ResponseWriter, r *http.Request) error {
	d, dirs, ok, err := h.selectedDir(r)
	if err != nil {
		return err
	}
	if !ok {
		return directory.Errorf(directory.KindNotFound, "This organization has no directory yet.")
	}
	ctx := r.Context()
	attrs, err := h.Service.ListCustomAttributes(ctx)
	if err != nil {
		return err
	}
	byKey, ms := parseAttrMappings(r, attrs)
	p := page{Title: "Attributes", Tab: "attributes", Dirs: dirs, Dir: d}
	switch r.PostForm.Get("action") {
	case "save":
		st, _, err := h.Service.PutAttributeMappings(ctx, d.ID, ms)
		if err != nil {
			return err
		}
		if st.PendingUsers > 0 {
			return redirect(w, r, "/portal/attributes?dir="+d.ID, "attributes_saving")
		}
		return redirect(w, r, "/portal/attributes?dir="+d.ID, "attributes_saved")
	case "defaults":
		for _, m := range directory.ProviderDefaults(d.Provider, attrs) {
			byKey[m.Key] = m.Source
		}
		data, err := h.attrForm(r, d, byKey)
		if err != nil {
			return err
		}
		p.Data = data
		return h.render(w, r, http.StatusOK, "attributes", p)
	case "preview":
		pv, err := h.Service.PreviewAttributeMappings(ctx, d.ID, ms)
		if err != nil {
			return err
		}
		data, err := h.attrForm(r, d, byKey)
		if err != nil {
			return err
		}
		data.Preview = &pv
		p.Data = data
		return h.render(w, r, http.StatusOK, "attributes", p)
	default:
		return directory.Errorf(directory.KindInvalid, "Choose Preview or Save.")
	}
}

// attrValue renders a custom attribute value for a page.
func attrValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case []any:
		var parts []string
		for _, e := range x {
			parts = append(parts, short(e))
		}
		return strings.Join(parts, ", ")
	case []string:
		return strings.Join(x, ", ")
	}
	return short(v)
}
