package mgmtapi

import (
	"context"
	"net/http"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// The deprovisioning guard's holds and the deprovisioning settings
// (docs/deprovisioning-guard.md, docs/deprovisioning-policy.md).

// deprovisionSettingsIn are the settings PATCH /api/v1/directories/{id}
// accepts for the guard and the policies (embedded in its settings).
type deprovisionSettingsIn struct {
	OnDelete         *string `json:"on_delete"`
	OnDeactivate     *string `json:"on_deactivate"`
	DeleteAfterDays  *int    `json:"delete_after_days"`
	DeprovisionGuard *struct {
		Enabled       *bool `json:"enabled"`
		MinUsers      *int  `json:"min_users"`
		Percent       *int  `json:"percent"`
		WindowMinutes *int  `json:"window_minutes"`
	} `json:"deprovision_guard"`
}

func (in deprovisionSettingsIn) change() directory.DeprovisionChange {
	c := directory.DeprovisionChange{OnDelete: in.OnDelete, OnDeactivate: in.OnDeactivate, DeleteAfterDays: in.DeleteAfterDays}
	if g := in.DeprovisionGuard; g != nil {
		c.GuardEnabled, c.GuardMin, c.GuardPercent, c.GuardWindowMin = g.Enabled, g.MinUsers, g.Percent, g.WindowMinutes
	}
	return c
}

// deprovisionSettingsOut renders the settings into a directory's settings.
func deprovisionSettingsOut(into map[string]any, s directory.DeprovisionSettings) {
	var days any
	if s.DeleteAfterDays > 0 {
		days = s.DeleteAfterDays
	}
	into["on_delete"] = s.OnDelete
	into["on_deactivate"] = s.OnDeactivate()
	into["delete_after_days"] = days
	into["deprovision_guard"] = map[string]any{
		"enabled":        s.GuardEnabled,
		"min_users":      s.GuardMin,
		"percent":        s.GuardPercent,
		"window_minutes": int(s.GuardWindow / time.Minute),
	}
}

// withDeprovisionSettings adds the directory's guard and policy settings to
// its rendering.
func (h *Handler) withDeprovisionSettings(r *http.Request, out map[string]any) error {
	set, err := h.Service.Read().DeprovisionSettings(r.Context(), out["id"].(string))
	if err != nil {
		return err
	}
	if m, ok := out["settings"].(map[string]any); ok {
		deprovisionSettingsOut(m, set)
	}
	return nil
}

// listHolds is GET /api/v1/directories/{dir_id}/holds: the directory's
// holds, newest first, with their users.
func (h *Handler) listHolds(w http.ResponseWriter, r *http.Request) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	hs, err := h.Service.Read().ListHolds(r.Context(), r.PathValue("dir_id"))
	if err != nil {
		return err
	}
	data := make([]directory.HoldRecord, 0, len(hs))
	for _, x := range hs {
		data = append(data, directory.NewHoldRecord(x, true))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"data": data})
}

// releaseHold is POST /api/v1/directories/{dir_id}/holds/{hold_id}/release.
func (h *Handler) releaseHold(w http.ResponseWriter, r *http.Request) error {
	return h.closeHold(w, r, h.Service.ReleaseHold)
}

// discardHold is POST /api/v1/directories/{dir_id}/holds/{hold_id}/discard.
func (h *Handler) discardHold(w http.ResponseWriter, r *http.Request) error {
	return h.closeHold(w, r, h.Service.DiscardHold)
}

func (h *Handler) closeHold(w http.ResponseWriter, r *http.Request, fn func(ctx context.Context, dirID, holdID, by string) (directory.Hold, error)) error {
	if err := checkID("hold_id", r.PathValue("hold_id"), directory.PrefixHold); err != nil {
		return err
	}
	typ, id := h.Service.APIKeyActor(r.Context(), bearer(r), h.APIKey)
	x, err := fn(r.Context(), r.PathValue("dir_id"), r.PathValue("hold_id"), typ+":"+id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, directory.NewHoldRecord(x, true))
}

// appUserOut replaces the IdP's record of a user by the app's, when the
// app sees it differently (held, diverged or retained).
func appUserOut(a directory.HeldUser, idp directory.UserRecord) (directory.UserRecord, error) {
	mine, err := a.UserRecord()
	if err != nil {
		return idp, err
	}
	mine.RawAttributes = idp.RawAttributes // what the IdP sent, on detail views
	return mine, nil
}
