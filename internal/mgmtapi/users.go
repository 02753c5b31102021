package mgmtapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// userOut renders a directory user with its normalized fields (the one
// shape events and webhooks carry too). detail adds the full SCIM document
// under raw_attributes.
func userOut(u directory.User, orgID string, groups []directory.GroupRef, eff *directory.Effective, detail bool) (directory.UserRecord, error) {
	out := directory.NewUserRecord(u, orgID, groups, eff)
	if detail {
		raw, err := json.Marshal(u.Doc)
		if err != nil {
			return out, fmt.Errorf("encoding user %s: %w", u.ID, err)
		}
		out.RawAttributes = raw
	}
	return out, nil
}

// updatedAfter parses an RFC 3339 updated_after; "" is the zero time.
func updatedAfter(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, directory.Errorf(directory.KindInvalid, "updated_after must be an RFC 3339 time such as 2030-01-02T15:04:05Z, got %q", s)
	}
	return t, nil
}

// search reads q: the one search meaning, a case-insensitive prefix
// (directory.Query.Search).
func search(p page) (string, error) {
	q := strings.TrimSpace(p.v.Get("q"))
	if len(q) > 200 {
		return "", directory.Errorf(directory.KindInvalid, "q must be at most 200 characters")
	}
	return q, nil
}

func checkID(name, value, prefix string) error {
	if value != "" && (!strings.HasPrefix(value, prefix+"_") || len(value) > 64 || !isIDChars(value)) {
		return directory.Errorf(directory.KindInvalid, "%s %q is not a %s id", name, value, prefix)
	}
	return nil
}

// userQuery reads the list parameters into a query (without paging).
func userQuery(p page) (directory.Query, error) {
	v := p.v
	var q directory.Query
	if err := checkID("group_id", v.Get("group_id"), directory.PrefixGroup); err != nil {
		return q, err
	}
	q.MemberOf = v.Get("group_id")
	var err error
	if q.UpdatedAfter, err = updatedAfter(v.Get("updated_after")); err != nil {
		return q, err
	}
	if q.Active, err = boolParam(v, "active"); err != nil {
		return q, err
	}
	q.Email = v.Get("email")
	q.Search, err = search(p)
	return q, err
}

// dirOrg returns the directory's organization id, or KindNotFound.
func (h *Handler) dirOrg(r *http.Request) (string, error) {
	d, err := h.Service.Read().GetDirectory(r.Context(), r.PathValue("dir_id"))
	if err != nil {
		return "", err
	}
	return d.OrganizationID, nil
}

// listUsers is GET /api/v1/directories/{dir_id}/users.
func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r, directory.PrefixUser, "group_id", "updated_after", "active", "email", "q", "include_detail")
	if err != nil {
		return err
	}
	detail, err := boolParam(p.v, "include_detail")
	if err != nil {
		return err
	}
	q, err := userQuery(p)
	if err != nil {
		return err
	}
	q.SkipTotal = true
	orgID, err := h.dirOrg(r)
	if err != nil {
		return err
	}
	dirID := r.PathValue("dir_id")
	withDetail := detail != nil && *detail
	// While the app sees some users differently from the IdP (a hold),
	// the filters select on the app's view: the store lists without them
	// and the page keeps the records that match. Other directories pay
	// nothing for it.
	var app appFilter
	if q.Active != nil || q.MemberOf != "" || q.Email != "" || q.Search != "" || !q.UpdatedAfter.IsZero() {
		n, err := h.Service.Read().AppUserCount(r.Context(), dirID)
		if err != nil {
			return err
		}
		if n > 0 {
			app = appFilter{on: true, active: q.Active, group: q.MemberOf, email: q.Email, search: schema.FoldString(q.Search), after: q.UpdatedAfter}
			q.Active, q.MemberOf, q.Email, q.Search, q.UpdatedAfter = nil, "", "", "", time.Time{}
		}
	}
	// Read a chunk at a time within the page byte budget; one item more
	// than the page tells whether there is a next page.
	buf := h.newPageBuf()
	after, lastID, prev, more := p.after, "", 0, false
	idpDone := false
	for !more && !idpDone {
		n := buf.budget.NextChunk(prev, p.size+1-buf.len())
		q.After, q.Limit = after, n
		pg, err := h.Service.Read().ListUsers(r.Context(), dirID, q)
		if err != nil && after != "" && after == p.after && directory.KindOf(err) == directory.KindInvalid {
			// The cursor may name a user only the app has (listed after
			// the IdP's users, below).
			gone, err2 := h.Service.Read().AppUsers(r.Context(), dirID, []string{after})
			if _, ok := gone[after]; ok && err2 == nil {
				idpDone = true
				break
			}
		}
		if err != nil {
			return err
		}
		ids := make([]string, len(pg.Users))
		for i, u := range pg.Users {
			ids[i] = u.ID
		}
		groups, err := h.Service.Read().UserGroups(r.Context(), dirID, ids)
		if err != nil {
			return err
		}
		roles, err := h.Service.EffectiveRoles(r.Context(), orgID, dirID, ids)
		if err != nil {
			return err
		}
		held, err := h.Service.Read().AppUsers(r.Context(), dirID, ids)
		if err != nil {
			return err
		}
		for _, u := range pg.Users {
			eff := roles[u.ID]
			out, err := userOut(u, orgID, groups[u.ID], &eff, withDetail)
			if err != nil {
				return err
			}
			if a, ok := held[u.ID]; ok {
				if out, err = appUserOut(a, out); err != nil {
					return err
				}
			}
			if !app.match(out) {
				continue
			}
			if buf.len() == p.size {
				more = true
				break
			}
			ok, err := buf.add(out)
			if err != nil {
				return err
			}
			if !ok {
				more = true
				break
			}
			lastID = u.ID
		}
		if len(pg.Users) < n {
			break
		}
		after, prev = ids[len(ids)-1], n
	}
	if !more {
		// Then the users the IdP deleted that the app still has (held,
		// diverged or retained), in id order: one range scan of
		// app_users, empty for a directory without any.
		from := ""
		if idpDone {
			from = p.after
		}
		gone, err := h.Service.Read().ListAppUsers(r.Context(), dirID, from, true)
		if err != nil {
			return err
		}
		for _, a := range gone {
			out, err := a.UserRecord()
			if err != nil {
				return err
			}
			if !app.matchAll(out, q) {
				continue
			}
			if buf.len() == p.size {
				more = true
				break
			}
			ok, err := buf.add(out)
			if err != nil {
				return err
			}
			if !ok {
				more = true
				break
			}
			lastID = a.UserID
		}
	}
	return buf.write(w, map[string]any{"next_page_token": nextToken(more, lastID)})
}

// appFilter is the user list's selection applied to the app's records
// (while the directory has users the app sees differently).
type appFilter struct {
	on     bool
	active *bool
	group  string
	email  string
	search string // folded
	after  time.Time
}

// match reports whether the record passes the filter (always when off).
func (f appFilter) match(u directory.UserRecord) bool {
	if !f.on {
		return true
	}
	if f.active != nil && u.Active != *f.active {
		return false
	}
	if f.group != "" && !inGroup(u, f.group) {
		return false
	}
	if f.email != "" && (u.Email == nil || !strings.EqualFold(*u.Email, f.email)) {
		return false
	}
	if f.search != "" && !searchMatch(u, f.search) {
		return false
	}
	if !f.after.IsZero() {
		t, err := time.Parse(time.RFC3339Nano, deref(u.UpdatedAt))
		if err != nil || !t.After(f.after) {
			return false
		}
	}
	return true
}

// matchAll is match for a user the IdP no longer has: when the filter is
// off, the selection is still in q (the store had nothing to select).
func (f appFilter) matchAll(u directory.UserRecord, q directory.Query) bool {
	if f.on {
		return f.match(u)
	}
	return appFilter{on: true, active: q.Active, group: q.MemberOf, email: q.Email, search: schema.FoldString(q.Search), after: q.UpdatedAfter}.match(u)
}

// searchMatch is directory.Query.Search on a record: a folded prefix of
// the userName, primary email, display name or family name.
func searchMatch(u directory.UserRecord, folded string) bool {
	for _, v := range []string{u.UserName, deref(u.Email), deref(u.DisplayName), deref(u.LastName)} {
		if v != "" && strings.HasPrefix(schema.FoldString(v), folded) {
			return true
		}
	}
	return false
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// getUser is GET /api/v1/directories/{dir_id}/users/{user_id}.
func (h *Handler) getUser(w http.ResponseWriter, r *http.Request) error {
	v, err := queryParams(r, "include_detail")
	if err != nil {
		return err
	}
	detail, err := boolParam(v, "include_detail")
	if err != nil {
		return err
	}
	orgID, err := h.dirOrg(r)
	if err != nil {
		return err
	}
	dirID := r.PathValue("dir_id")
	u, err := h.Service.Read().GetUser(r.Context(), dirID, r.PathValue("user_id"))
	if err != nil && directory.KindOf(err) == directory.KindNotFound {
		// Gone for the IdP; the app may still have it (a hold, a policy).
		if out, err2 := directory.AppOnlyUser(r.Context(), h.Service.Read(), dirID, r.PathValue("user_id")); err2 == nil {
			return writeJSON(w, http.StatusOK, out)
		}
	}
	if err != nil {
		return err
	}
	groups, err := h.Service.Read().UserGroups(r.Context(), dirID, []string{u.ID})
	if err != nil {
		return err
	}
	roles, err := h.Service.EffectiveRoles(r.Context(), orgID, dirID, []string{u.ID})
	if err != nil {
		return err
	}
	eff := roles[u.ID]
	out, err := userOut(u, orgID, groups[u.ID], &eff, detail != nil && *detail)
	if err != nil {
		return err
	}
	app, err := h.Service.Read().AppUsers(r.Context(), dirID, []string{u.ID})
	if err != nil {
		return err
	}
	if a, held := app[u.ID]; held {
		if out, err = appUserOut(a, out); err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

// inGroup reports whether the record lists the group among its groups.
func inGroup(u directory.UserRecord, groupID string) bool {
	for _, g := range u.Groups {
		if g.ID == groupID {
			return true
		}
	}
	return false
}
