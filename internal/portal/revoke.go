package portal

import (
	"net/http"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// recentUse is how recently a token must have been used for revoking it to
// ask for confirmation: the IdP is probably still sending it, and
// provisioning stops until a new token is pasted.
const recentUse = 24 * time.Hour

type revokeData struct {
	D        directory.Directory
	T        directory.Token
	LastUsed time.Time
}

// token returns the directory's token with that id (KindNotFound when the
// directory has none).
func (h *Handler) token(r *http.Request, d directory.Directory, id string) (directory.Token, error) {
	ts, err := h.Service.Read().ListTokens(r.Context(), d.ID)
	if err != nil {
		return directory.Token{}, err
	}
	for _, t := range ts {
		if t.ID == id {
			return t, nil
		}
	}
	return directory.Token{}, directory.Errorf(directory.KindNotFound, "This token does not exist in this directory.")
}

// revokePage is GET /portal/directories/{dir_id}/tokens/{token_id}/revoke:
// the confirmation asked before revoking a token used in the last 24
// hours. It is a page of its own, so that it works without JavaScript and
// survives a reload.
func (h *Handler) revokePage(w http.ResponseWriter, r *http.Request) error {
	d, err := h.dir(r.Context(), r.PathValue("dir_id"))
	if err != nil {
		return err
	}
	t, err := h.token(r, d, r.PathValue("token_id"))
	if err != nil {
		return err
	}
	if !t.Active(h.Service.IDs.Now()) {
		return redirect(w, r, "/portal/directories/"+d.ID, "")
	}
	return h.render(w, r, http.StatusOK, "revoke", page{Title: "Revoke token", Tab: "scim", Dir: d,
		Data: revokeData{D: d, T: t, LastUsed: t.LastUsedAt}})
}

// revokeToken is POST /portal/directories/{dir_id}/tokens/{token_id}/revoke.
// A token used in the last 24 hours is revoked only with confirm=yes (sent
// by the confirmation page); without it the answer is that page.
func (h *Handler) revokeToken(w http.ResponseWriter, r *http.Request) error {
	d, err := h.dir(r.Context(), r.PathValue("dir_id"))
	if err != nil {
		return err
	}
	t, err := h.token(r, d, r.PathValue("token_id"))
	if err != nil {
		return err
	}
	now := h.Service.IDs.Now()
	if !t.LastUsedAt.IsZero() && now.Sub(t.LastUsedAt) < recentUse && r.PostForm.Get("confirm") != "yes" {
		noteUnchanged(r.Context())
		return redirect(w, r, "/portal/directories/"+d.ID+"/tokens/"+t.ID+"/revoke", "")
	}
	if err := h.Service.RevokeToken(r.Context(), d.ID, t.ID); err != nil {
		return err
	}
	return redirect(w, r, "/portal/directories/"+d.ID, "token_revoked")
}
