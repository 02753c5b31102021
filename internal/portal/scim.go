package portal

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/web"
)

type dirSummary struct {
	directory.Directory
	Provider      provider
	Users, Groups int
}

// scimTab is GET /portal/scim: the organization's directories and the
// provider list.
func (h *Handler) scimTab(w http.ResponseWriter, r *http.Request) error {
	ds, err := h.dirs(r.Context())
	if err != nil {
		return err
	}
	var out []dirSummary
	for _, d := range ds {
		u, g, err := h.Service.Read().CountDirectory(r.Context(), d.ID)
		if err != nil {
			return err
		}
		out = append(out, dirSummary{Directory: d, Provider: providerByKey(d.Provider), Users: u, Groups: g})
	}
	return h.render(w, r, http.StatusOK, "scim", page{Title: "SCIM Provisioning", Tab: "scim",
		Data: struct {
			Directories []dirSummary
			Providers   []provider
		}{out, providerList}})
}

type providerData struct {
	P     provider
	Guide template.HTML
}

// providerPage is GET /portal/scim/providers/{slug}.
func (h *Handler) providerPage(w http.ResponseWriter, r *http.Request) error {
	p, ok := providerBySlug(r.PathValue("slug"))
	if !ok {
		return directory.Errorf(directory.KindNotFound, "There is no identity provider called %q.", r.PathValue("slug"))
	}
	g := h.guides[p.Guide]
	return h.render(w, r, http.StatusOK, "provider", page{Title: p.Name, Tab: "scim", Data: providerData{P: p, Guide: g}})
}

// configure is POST /portal/scim/providers/{slug}: it creates the directory
// and its first token, and shows them, the token this once.
func (h *Handler) configure(w http.ResponseWriter, r *http.Request) error {
	p, ok := providerBySlug(r.PathValue("slug"))
	if !ok || !p.Available {
		return directory.Errorf(directory.KindInvalid, "This identity provider cannot be configured.")
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	if len(name) > 100 {
		return directory.Errorf(directory.KindInvalid, "The directory name must be at most 100 characters.")
	}
	if name == "" {
		name = p.Name
	}
	d, err := h.Service.CreateDirectory(r.Context(), sessionOf(r.Context()).OrganizationID, p.Key, name)
	if err != nil {
		return err
	}
	t, secret, err := h.Service.CreateToken(r.Context(), d.ID, timeZero)
	if err != nil {
		return err
	}
	noteTarget(r.Context(), d.ID)
	h.Logger.InfoContext(r.Context(), "portal: directory configured", "request_id", web.RequestID(r.Context()),
		"organization_id", d.OrganizationID, "directory_id", d.ID, "provider", d.Provider, "token_id", t.ID)
	return h.renderDirectory(w, r, d, secret)
}

type tokenView struct {
	directory.Token
	Active bool
}

type statusView struct {
	State       string `json:"state"` // waiting, connected, disabled
	Headline    string `json:"headline"`
	Detail      string `json:"detail"`
	LastRequest string `json:"last_request"`
	LastAt      any    `json:"last_request_at"`
	Users       int    `json:"users"`
	Groups      int    `json:"groups"`
}

type dirData struct {
	D           directory.Directory
	P           provider
	Endpoint    string
	Secret      string // a token just created, shown this once
	Tokens      []tokenView
	CanAddToken bool
	Status      statusView
	Guide       template.HTML
}

func (h *Handler) statusOf(r *http.Request, d directory.Directory) (statusView, error) {
	u, g, err := h.Service.Read().CountDirectory(r.Context(), d.ID)
	if err != nil {
		return statusView{}, err
	}
	now := h.Service.IDs.Now()
	s := statusView{Users: u, Groups: g, LastRequest: ago(d.LastRequestAt, now)}
	switch {
	case !d.Enabled:
		s.State, s.Headline, s.Detail = "disabled", "Directory disabled", "Provisioning requests are refused until you enable the directory."
	case d.LastRequestAt.IsZero():
		s.State, s.Headline = "waiting", "Waiting for the first request from your IdP"
		s.Detail = "Paste the endpoint URL and the bearer token into your identity provider and test the connection. This panel updates by itself."
	default:
		s.State, s.Headline = "connected", "Connected: your IdP is sending requests"
		s.Detail = "Last request " + when(d.LastRequestAt) + "."
		s.LastAt = d.LastRequestAt.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
	}
	return s, nil
}

func (h *Handler) renderDirectory(w http.ResponseWriter, r *http.Request, d directory.Directory, secret string) error {
	ts, err := h.Service.Read().ListTokens(r.Context(), d.ID)
	if err != nil {
		return err
	}
	now := h.Service.IDs.Now()
	active := 0
	var views []tokenView
	for _, t := range ts {
		a := t.Active(now)
		if a {
			active++
		}
		views = append(views, tokenView{Token: t, Active: a})
	}
	st, err := h.statusOf(r, d)
	if err != nil {
		return err
	}
	p := providerByKey(d.Provider)
	g := h.guides[p.Guide]
	status := http.StatusOK
	if secret != "" && r.Method == http.MethodPost {
		status = http.StatusCreated
	}
	return h.render(w, r, status, "directory", page{Title: d.Name, Tab: "scim", Dir: d, Data: dirData{
		D: d, P: p, Endpoint: h.endpointURL(d.ID), Secret: secret, Tokens: views,
		CanAddToken: active < directory.MaxActiveTokens, Status: st, Guide: g,
	}})
}

// directoryPage is GET /portal/directories/{dir_id}.
func (h *Handler) directoryPage(w http.ResponseWriter, r *http.Request) error {
	d, err := h.dir(r.Context(), r.PathValue("dir_id"))
	if err != nil {
		return err
	}
	return h.renderDirectory(w, r, d, "")
}

// status is GET /portal/directories/{dir_id}/status, polled by the page.
func (h *Handler) status(w http.ResponseWriter, r *http.Request) error {
	d, err := h.dir(r.Context(), r.PathValue("dir_id"))
	if err != nil {
		return err
	}
	st, err := h.statusOf(r, d)
	if err != nil {
		return err
	}
	return web.WriteJSON(w, http.StatusOK, "application/json", st)
}

// createToken is POST /portal/directories/{dir_id}/tokens.
func (h *Handler) createToken(w http.ResponseWriter, r *http.Request) error {
	d, err := h.dir(r.Context(), r.PathValue("dir_id"))
	if err != nil {
		return err
	}
	t, secret, err := h.Service.CreateToken(r.Context(), d.ID, timeZero)
	if err != nil {
		return err
	}
	noteTarget(r.Context(), t.ID)
	return h.renderDirectory(w, r, d, secret)
}

func (h *Handler) setEnabled(w http.ResponseWriter, r *http.Request, on bool) error {
	d, err := h.dir(r.Context(), r.PathValue("dir_id"))
	if err != nil {
		return err
	}
	if _, err := h.Service.UpdateDirectory(r.Context(), d.ID, directory.DirectoryChange{Enabled: &on}); err != nil {
		return err
	}
	notice := "disabled"
	if on {
		notice = "enabled"
	}
	return redirect(w, r, "/portal/directories/"+d.ID, notice)
}

func (h *Handler) enable(w http.ResponseWriter, r *http.Request) error {
	return h.setEnabled(w, r, true)
}
func (h *Handler) disable(w http.ResponseWriter, r *http.Request) error {
	return h.setEnabled(w, r, false)
}

type deleteData struct {
	D             directory.Directory
	Users, Groups int
	Mismatch      bool
}

func (h *Handler) renderDelete(w http.ResponseWriter, r *http.Request, d directory.Directory, mismatch bool) error {
	u, g, err := h.Service.Read().CountDirectory(r.Context(), d.ID)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if mismatch {
		status = http.StatusBadRequest
	}
	return h.render(w, r, status, "delete", page{Title: "Delete " + d.Name, Tab: "scim", Dir: d, Data: deleteData{D: d, Users: u, Groups: g, Mismatch: mismatch}})
}

// deletePage is GET /portal/directories/{dir_id}/delete.
func (h *Handler) deletePage(w http.ResponseWriter, r *http.Request) error {
	d, err := h.dir(r.Context(), r.PathValue("dir_id"))
	if err != nil {
		return err
	}
	return h.renderDelete(w, r, d, false)
}

// deleteDirectory is POST /portal/directories/{dir_id}/delete: the admin
// must type the directory's name.
func (h *Handler) deleteDirectory(w http.ResponseWriter, r *http.Request) error {
	d, err := h.dir(r.Context(), r.PathValue("dir_id"))
	if err != nil {
		return err
	}
	if strings.TrimSpace(r.PostForm.Get("confirm")) != d.Name {
		return h.renderDelete(w, r, d, true)
	}
	if err := h.Service.DeleteDirectory(r.Context(), d.ID); err != nil {
		return err
	}
	h.Logger.InfoContext(r.Context(), "portal: directory deleted", "request_id", web.RequestID(r.Context()),
		"organization_id", d.OrganizationID, "directory_id", d.ID)
	return redirect(w, r, "/portal/scim", "deleted")
}
