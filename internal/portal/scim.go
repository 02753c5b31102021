package portal

import (
	"context"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/web"
)

type dirSummary struct {
	directory.Directory
	Provider      provider
	Users, Groups int
	Health        directory.Health
}

// healthOf returns the health of the directories, keyed by id, from one
// read of their request counters.
func (h *Handler) healthOf(ctx context.Context, ds ...directory.Directory) (map[string]directory.Health, error) {
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	rh, err := h.Service.Read().RequestHealth(ctx, ids)
	if err != nil {
		return nil, err
	}
	now := h.Service.IDs.Now()
	out := make(map[string]directory.Health, len(ds))
	for _, d := range ds {
		out[d.ID] = directory.DirectoryHealth(d, rh[d.ID], now)
	}
	return out, nil
}

// scimTab is GET /portal/scim: the organization's directories and the
// provider list.
func (h *Handler) scimTab(w http.ResponseWriter, r *http.Request) error {
	ds, err := h.dirs(r.Context())
	if err != nil {
		return err
	}
	health, err := h.healthOf(r.Context(), ds...)
	if err != nil {
		return err
	}
	var out []dirSummary
	for _, d := range ds {
		u, g, err := h.countDirectory(r.Context(), d.ID)
		if err != nil {
			return err
		}
		out = append(out, dirSummary{Directory: d, Provider: providerByKey(d.Provider), Users: u, Groups: g, Health: health[d.ID]})
	}
	return h.render(w, r, http.StatusOK, "scim", page{Title: "SCIM Provisioning", Tab: "scim",
		Data: struct {
			Directories []dirSummary
			Providers   []provider
		}{out, providerList}})
}

type providerData struct {
	P       provider
	Guide   template.HTML
	Name    string // the suggested directory name
	FormKey string
	Warning string // why the endpoint URL cannot work for a cloud IdP, if it cannot
}

// providerPage is GET /portal/scim/providers/{slug}: the Configure form
// and a preview of the setup guide.
func (h *Handler) providerPage(w http.ResponseWriter, r *http.Request) error {
	p, ok := providerBySlug(r.PathValue("slug"))
	if !ok {
		return directory.Errorf(directory.KindNotFound, "There is no identity provider called %q.", r.PathValue("slug"))
	}
	ds, err := h.dirs(r.Context())
	if err != nil {
		return err
	}
	g, err := h.guide(p, guideData{})
	if err != nil {
		return err
	}
	key, err := h.formKey()
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "provider", page{Title: p.Name, Tab: "scim", Data: providerData{
		P: p, Guide: g, Name: nextName(p.Name, ds), FormKey: key, Warning: endpointWarning(h.PublicURL)}})
}

// formKey is a new one-time key for a form that creates something, or ""
// when the handler has no PortalForms.
func (h *Handler) formKey() (string, error) {
	if h.Forms == nil {
		return "", nil
	}
	return h.Forms.NewKey()
}

// nextName is name, or "name 2", "name 3", … when a directory of the
// organization already has it, so that directory names stay
// distinguishable.
func nextName(name string, ds []directory.Directory) string {
	taken := map[string]bool{}
	for _, d := range ds {
		taken[strings.ToLower(d.Name)] = true
	}
	if !taken[strings.ToLower(name)] {
		return name
	}
	for i := 2; ; i++ {
		if n := name + " " + strconv.Itoa(i); !taken[strings.ToLower(n)] {
			return n
		}
	}
}

// once runs a form that creates something exactly once per form key and
// session: a second submission (double click, Reload, Back then submit)
// is redirected to what the first made, or to fallback while the first is
// still running. do returns the directory to go to and a secret to show
// there once. The answer is always a redirect (POST → 303 → GET), and the
// secret is shown by the GET (directoryPage), through PortalForms.
func (h *Handler) once(w http.ResponseWriter, r *http.Request, fallback string, do func() (dirID, secret string, err error)) error {
	s := sessionOf(r.Context())
	key := r.PostForm.Get("form_key")
	if h.Forms == nil {
		// No guard: the page shows the secret in the answer to the POST.
		dirID, secret, err := do()
		if err != nil {
			return err
		}
		d, err := h.dir(r.Context(), dirID)
		if err != nil {
			return err
		}
		return h.renderDirectory(w, r, d, secret)
	}
	first, target, err := h.Forms.Claim(r.Context(), s.secret, key)
	if err != nil {
		return err
	}
	if !first {
		if target == "" {
			return redirect(w, r, fallback, "")
		}
		return redirect(w, r, "/portal/directories/"+target, "")
	}
	dirID, secret, err := do()
	if err != nil {
		if rerr := h.Forms.Release(r.Context(), s.secret, key); rerr != nil {
			h.Logger.WarnContext(r.Context(), "portal: releasing a form key", "error", rerr)
		}
		return err
	}
	if err := h.Forms.Complete(r.Context(), s.secret, key, dirID, secret); err != nil {
		return err
	}
	return redirect(w, r, "/portal/directories/"+dirID, "")
}

// configure is POST /portal/scim/providers/{slug}: it creates the directory
// and its first token, once per form, and redirects to the directory's
// page, which shows the token this once.
func (h *Handler) configure(w http.ResponseWriter, r *http.Request) error {
	p, ok := providerBySlug(r.PathValue("slug"))
	if !ok || !p.Available {
		return directory.Errorf(directory.KindInvalid, "This identity provider cannot be configured.")
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	if len(name) > 100 {
		return directory.Errorf(directory.KindInvalid, "The directory name must be at most 100 characters.")
	}
	return h.once(w, r, "/portal/scim", func() (string, string, error) {
		if name == "" {
			ds, err := h.dirs(r.Context())
			if err != nil {
				return "", "", err
			}
			name = nextName(p.Name, ds)
		}
		d, err := h.Service.CreateDirectory(r.Context(), sessionOf(r.Context()).OrganizationID, p.Key, name)
		if err != nil {
			return "", "", err
		}
		t, secret, err := h.Service.CreateToken(r.Context(), d.ID, timeZero)
		if err != nil {
			return "", "", err
		}
		noteTarget(r.Context(), d.ID)
		h.Logger.InfoContext(r.Context(), "portal: directory configured", "request_id", web.RequestID(r.Context()),
			"organization_id", d.OrganizationID, "directory_id", d.ID, "provider", d.Provider, "token_id", t.ID)
		return d.ID, secret, nil
	})
}

type tokenView struct {
	directory.Token
	Active bool
}

// step is one step of the setup path on the directory page.
type step struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Done  bool   `json:"done"`
}

type statusView struct {
	State       string `json:"state"` // one of directory.HealthStates
	Headline    string `json:"headline"`
	Detail      string `json:"detail"`
	Link        string `json:"link"` // the failing requests, in the errors and refused states
	LastRequest string `json:"last_request"`
	LastAt      any    `json:"last_request_at"`
	Users       int    `json:"users"`
	Groups      int    `json:"groups"`
	Steps       []step `json:"steps"`
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
	FormKey     string
	Warning     string
	// HeldUsers counts the users of an open deprovisioning hold (0: none).
	HeldUsers int
}

// headlines are the status panel's headings per health state.
var headlines = map[string]string{
	directory.HealthDisabled:  "Directory disabled",
	directory.HealthRefused:   "Refused requests",
	directory.HealthErrors:    "Connected, with recent errors",
	directory.HealthStalled:   "Stalled: no request for a long time",
	directory.HealthWaiting:   "Waiting for the first request from your IdP",
	directory.HealthConnected: "Connected: your IdP is sending requests",
}

// statusOf computes the status panel and the setup path of d.
func (h *Handler) statusOf(r *http.Request, d directory.Directory, hasToken bool) (statusView, error) {
	ctx := r.Context()
	u, g, err := h.countDirectory(ctx, d.ID)
	if err != nil {
		return statusView{}, err
	}
	hs, err := h.healthOf(ctx, d)
	if err != nil {
		return statusView{}, err
	}
	rh := hs[d.ID]
	now := h.Service.IDs.Now()
	s := statusView{State: rh.State, Headline: headlines[rh.State], Detail: rh.Reason, Users: u, Groups: g, LastRequest: ago(d.LastRequestAt, now)}
	if !d.LastRequestAt.IsZero() {
		s.LastAt = d.LastRequestAt.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
	}
	switch rh.State {
	case directory.HealthErrors, directory.HealthRefused:
		if h.RequestLogEnabled {
			s.Link = "/portal/events/requests?dir=" + d.ID + "&failures=1"
		}
	}
	mapped := false
	if ms, err := h.Service.GetRoleMappings(ctx, d.ID); err != nil {
		return statusView{}, err
	} else {
		mapped = len(ms) > 0
	}
	idp := providerByKey(d.Provider).IdP()
	called := !d.LastRequestAt.IsZero() || rh.Refused > 0 || !rh.RefusedAt.IsZero()
	accepted := !d.LastRequestAt.IsZero()
	s.Steps = []step{
		{"provider", "Choose your identity provider", true},
		{"copy", "Copy the Endpoint URL and the Bearer Token", hasToken || accepted},
		{"paste", "Paste them into " + idp + " and test the connection", called},
		{"request", "First request received", accepted},
		{"arrived", "Users and groups arrived", u > 0},
		{"roles", "Assign roles to groups (optional: everyone gets the default role)", mapped},
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
	st, err := h.statusOf(r, d, active > 0)
	if err != nil {
		return err
	}
	p := providerByKey(d.Provider)
	endpoint := h.endpointURL(d.ID)
	g, err := h.guide(p, guideData{Endpoint: endpoint, Token: secret})
	if err != nil {
		return err
	}
	key, err := h.formKey()
	if err != nil {
		return err
	}
	held, err := h.heldUsers(r, d.ID)
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "directory", page{Title: d.Name, Tab: "scim", Dir: d, Data: dirData{
		D: d, P: p, Endpoint: endpoint, Secret: secret, Tokens: views,
		CanAddToken: active < directory.MaxActiveTokens, Status: st, Guide: g, FormKey: key, Warning: endpointWarning(h.PublicURL),
		HeldUsers: held,
	}})
}

// directoryPage is GET /portal/directories/{dir_id}. Right after Configure
// or "Generate new token" it shows the new token, once.
func (h *Handler) directoryPage(w http.ResponseWriter, r *http.Request) error {
	d, err := h.dir(r.Context(), r.PathValue("dir_id"))
	if err != nil {
		return err
	}
	secret := ""
	if h.Forms != nil {
		if secret, err = h.Forms.Reveal(r.Context(), sessionOf(r.Context()).secret, d.ID); err != nil {
			return err
		}
	}
	return h.renderDirectory(w, r, d, secret)
}

// status is GET /portal/directories/{dir_id}/status, polled by the page.
func (h *Handler) status(w http.ResponseWriter, r *http.Request) error {
	d, err := h.dir(r.Context(), r.PathValue("dir_id"))
	if err != nil {
		return err
	}
	ts, err := h.Service.Read().ListTokens(r.Context(), d.ID)
	if err != nil {
		return err
	}
	now := h.Service.IDs.Now()
	hasToken := false
	for _, t := range ts {
		hasToken = hasToken || t.Active(now)
	}
	st, err := h.statusOf(r, d, hasToken)
	if err != nil {
		return err
	}
	return web.WriteJSON(w, http.StatusOK, "application/json", st)
}

// createToken is POST /portal/directories/{dir_id}/tokens: once per form;
// the page it redirects to shows the token.
func (h *Handler) createToken(w http.ResponseWriter, r *http.Request) error {
	d, err := h.dir(r.Context(), r.PathValue("dir_id"))
	if err != nil {
		return err
	}
	return h.once(w, r, "/portal/directories/"+d.ID, func() (string, string, error) {
		t, secret, err := h.Service.CreateToken(r.Context(), d.ID, timeZero)
		if err != nil {
			return "", "", err
		}
		noteTarget(r.Context(), t.ID)
		return d.ID, secret, nil
	})
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
	u, g, err := h.Service.Read().CountDirectory(r.Context(), d.ID) // exact: the page says what is deleted
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
