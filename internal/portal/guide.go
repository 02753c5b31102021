package portal

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
)

// The setup guides the portal shows the IT admin (guides/<slug>.html): one
// numbered, click-by-click guide per provider in the IdP's own field names,
// with the directory's real Endpoint URL (and its Bearer Token, on the page
// that shows it) and a copy button at the step where each is pasted. The
// developer reference (endpoints, RFC details, curl) is docs/idp/*.md; the
// portal does not show it.

//go:embed guides/*.html
var guideFiles embed.FS

// guideData is what a guide is executed with.
type guideData struct {
	IdP      string // the provider's name, as the admin knows it
	Endpoint string // the directory's Endpoint URL; "" before Configure
	Token    string // the bearer token shown on this page, else ""
}

// parseGuides parses every guide with the shared pieces (guides/common.html).
func parseGuides() (*template.Template, error) {
	return template.ParseFS(guideFiles, "guides/*.html")
}

// guide renders the setup guide of p, or "" when p has none.
func (h *Handler) guide(p provider, d guideData) (template.HTML, error) {
	if !p.Available || h.guideSet.Lookup(p.Slug+".html") == nil {
		return "", nil
	}
	d.IdP = p.IdP()
	var b bytes.Buffer
	if err := h.guideSet.ExecuteTemplate(&b, p.Slug+".html", d); err != nil {
		return "", fmt.Errorf("portal: guide %s: %w", p.Slug, err)
	}
	return template.HTML(b.String()), nil // html/template escaped every value
}
