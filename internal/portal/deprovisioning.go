package portal

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// The directory's deprovisioning page: its holds (who would be
// deprovisioned, by which requests, when; release and discard) and its
// policy and guard settings (docs/deprovisioning-guard.md,
// docs/deprovisioning-policy.md).

type deprovisioningData struct {
	D        directory.Directory
	Settings directory.DeprovisionSettings
	Window   int // the guard's window in minutes
	Open     []holdView
	Closed   []holdView
	Problem  string // a settings error, shown above the form
}

// holdView is a hold with what the page shows of it.
type holdView struct {
	directory.Hold
	Deactivated, Deleted int
}

func holdViews(hs []directory.Hold) (open, closed []holdView) {
	for _, h := range hs {
		v := holdView{Hold: h}
		for _, u := range h.Users {
			if u.Action == directory.ActionDeleted {
				v.Deleted++
			} else {
				v.Deactivated++
			}
		}
		if h.Status == directory.HoldOpen {
			open = append(open, v)
		} else {
			closed = append(closed, v)
		}
	}
	return open, closed
}

func (h *Handler) renderDeprovisioning(w http.ResponseWriter, r *http.Request, d directory.Directory, status int, problem string) error {
	set, err := h.Service.Read().DeprovisionSettings(r.Context(), d.ID)
	if err != nil {
		return err
	}
	hs, err := h.Service.Read().ListHolds(r.Context(), d.ID)
	if err != nil {
		return err
	}
	open, closed := holdViews(hs)
	data := deprovisioningData{D: d, Settings: set, Window: int(set.GuardWindow / time.Minute), Open: open, Closed: closed, Problem: problem}
	return h.render(w, r, status, "deprovisioning", page{Title: "Deprovisioning · " + d.Name, Tab: "scim", Dir: d, Data: data})
}

// deprovisioningPage is GET /portal/directories/{dir_id}/deprovisioning.
func (h *Handler) deprovisioningPage(w http.ResponseWriter, r *http.Request) error {
	d, err := h.dir(r.Context(), r.PathValue("dir_id"))
	if err != nil {
		return err
	}
	return h.renderDeprovisioning(w, r, d, http.StatusOK, "")
}

// portalActor is how holds record a release or discard from the portal.
func portalActor(r *http.Request) string {
	if s := sessionOf(r.Context()); s != nil && s.LinkID != "" {
		return "portal:" + s.LinkID
	}
	return "portal"
}

// releaseHold is POST /portal/directories/{dir_id}/holds/{hold_id}/release.
func (h *Handler) releaseHold(w http.ResponseWriter, r *http.Request) error {
	d, err := h.dir(r.Context(), r.PathValue("dir_id"))
	if err != nil {
		return err
	}
	if _, err := h.Service.ReleaseHold(r.Context(), d.ID, r.PathValue("hold_id"), portalActor(r)); err != nil {
		return err
	}
	return redirect(w, r, "/portal/directories/"+d.ID+"/deprovisioning", "hold_released")
}

// discardHold is POST /portal/directories/{dir_id}/holds/{hold_id}/discard.
func (h *Handler) discardHold(w http.ResponseWriter, r *http.Request) error {
	d, err := h.dir(r.Context(), r.PathValue("dir_id"))
	if err != nil {
		return err
	}
	if _, err := h.Service.DiscardHold(r.Context(), d.ID, r.PathValue("hold_id"), portalActor(r)); err != nil {
		return err
	}
	return redirect(w, r, "/portal/directories/"+d.ID+"/deprovisioning", "hold_discarded")
}

// saveDeprovisioning is POST /portal/directories/{dir_id}/deprovisioning:
// the settings form. A bad value shows the page again with the problem.
func (h *Handler) saveDeprovisioning(w http.ResponseWriter, r *http.Request) error {
	d, err := h.dir(r.Context(), r.PathValue("dir_id"))
	if err != nil {
		return err
	}
	f := r.PostForm
	number := func(name string) (*int, error) {
		s := strings.TrimSpace(f.Get(name))
		if s == "" {
			return nil, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, directory.Errorf(directory.KindInvalid, "%s must be a whole number, got %q", strings.ReplaceAll(name, "_", " "), s)
		}
		return &n, nil
	}
	var c directory.DeprovisionChange
	onDelete, onDeactivate := f.Get("on_delete"), f.Get("on_deactivate")
	enabled := f.Get("guard_enabled") == "on"
	c.OnDelete, c.OnDeactivate, c.GuardEnabled = &onDelete, &onDeactivate, &enabled
	for name, dst := range map[string]**int{"guard_min_users": &c.GuardMin, "guard_percent": &c.GuardPercent, "guard_window_minutes": &c.GuardWindowMin} {
		if *dst, err = number(name); err != nil {
			return h.renderDeprovisioning(w, r, d, http.StatusBadRequest, err.Error())
		}
	}
	if onDeactivate == directory.OnDeactivateDeleteAfter {
		if c.DeleteAfterDays, err = number("delete_after_days"); err != nil {
			return h.renderDeprovisioning(w, r, d, http.StatusBadRequest, err.Error())
		}
	}
	if _, err := h.Service.UpdateDeprovisionSettings(r.Context(), d.ID, c); err != nil {
		if directory.KindOf(err) == directory.KindInvalid {
			return h.renderDeprovisioning(w, r, d, http.StatusBadRequest, friendly(err.Error()))
		}
		return err
	}
	return redirect(w, r, "/portal/directories/"+d.ID+"/deprovisioning", "deprovisioning_saved")
}

// friendly turns the API's setting names in a message into the form's.
func friendly(msg string) string {
	return strings.NewReplacer("settings.deprovision_guard.", "", "settings.", "", "_", " ").Replace(msg)
}

// heldUsers counts the users of the directory's open hold, for the
// directory page's notice.
func (h *Handler) heldUsers(r *http.Request, dirID string) (int, error) {
	hs, err := h.Service.Read().ListHolds(r.Context(), dirID)
	if err != nil {
		return 0, err
	}
	for _, x := range hs {
		if x.Status == directory.HoldOpen {
			return len(x.Users), nil
		}
	}
	return 0, nil
}

// appUser returns how the app sees a user it does not see as the IdP does
// (nil: as the IdP does), for the user page.
func (h *Handler) appUser(r *http.Request, dirID, userID string) (*directory.HeldUser, error) {
	app, err := h.Service.Read().AppUsers(r.Context(), dirID, []string{userID})
	if err != nil {
		return nil, err
	}
	if a, ok := app[userID]; ok {
		return &a, nil
	}
	return nil, nil
}
