package mgmtapi

import (
	"net/http"
	"strings"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// listGroups is GET /api/v1/directories/{dir_id}/groups.
func (h *Handler) listGroups(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r, directory.PrefixGroup, "user_id", "updated_after", "q")
	if err != nil {
		return err
	}
	q := directory.Query{SkipTotal: true, HasMember: p.v.Get("user_id")}
	if err := checkID("user_id", q.HasMember, directory.PrefixUser); err != nil {
		return err
	}
	if q.UpdatedAfter, err = updatedAfter(p.v.Get("updated_after")); err != nil {
		return err
	}
	if q.Search, err = search(p); err != nil {
		return err
	}
	orgID, err := h.dirOrg(r)
	if err != nil {
		return err
	}
	// Read a chunk at a time within the page byte budget (a group's
	// document can be large); one item more than the page tells whether
	// there is a next page.
	buf := h.newPageBuf()
	after, lastID, prev, more := p.after, "", 0, false
	for !more {
		n := buf.budget.NextChunk(prev, p.size+1-buf.len())
		q.After, q.Limit = after, n
		pg, err := h.Service.Read().ListGroups(r.Context(), r.PathValue("dir_id"), q)
		if err != nil {
			return err
		}
		for _, g := range pg.Groups {
			if buf.len() == p.size {
				more = true
				break
			}
			ok, err := buf.add(directory.NewGroupRecord(g, orgID))
			if err != nil {
				return err
			}
			if !ok {
				more = true
				break
			}
			lastID = g.ID
		}
		if len(pg.Groups) < n {
			break
		}
		after, prev = pg.Groups[len(pg.Groups)-1].ID, n
	}
	return buf.write(w, map[string]any{"next_page_token": nextToken(more, lastID)})
}

// getGroup is GET /api/v1/directories/{dir_id}/groups/{group_id}, with its
// member count.
func (h *Handler) getGroup(w http.ResponseWriter, r *http.Request) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	orgID, err := h.dirOrg(r)
	if err != nil {
		return err
	}
	dirID, id := r.PathValue("dir_id"), r.PathValue("group_id")
	g, err := h.Service.Read().GetGroup(r.Context(), dirID, id)
	if err != nil {
		return err
	}
	n, err := h.Service.Read().CountMembers(r.Context(), dirID, id, 0)
	if err != nil {
		return err
	}
	av, err := h.appMembers(r, dirID, id)
	if err != nil {
		return err
	}
	n += len(av.extra) - len(av.hidden)
	out := directory.NewGroupRecord(g, orgID)
	out.MemberCount = &n
	return writeJSON(w, http.StatusOK, out)
}

// listMembers is GET /api/v1/directories/{dir_id}/groups/{group_id}/members:
// users first, then nested groups, each in creation order; one page is
// read at a time.
func (h *Handler) listMembers(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r, "")
	if err != nil {
		return err
	}
	if p.after != "" && !strings.HasPrefix(p.after, directory.PrefixUser+"_") && !strings.HasPrefix(p.after, directory.PrefixGroup+"_") {
		return directory.Errorf(directory.KindInvalid, "page_token is not valid: pass the next_page_token of a previous page as is")
	}
	dirID, groupID := r.PathValue("dir_id"), r.PathValue("group_id")
	av, err := h.appMembers(r, dirID, groupID)
	if err != nil {
		return err
	}
	var ms []directory.Member
	if len(av.extra) == 0 && len(av.hidden) == 0 {
		if ms, err = h.Service.Read().ListMembers(r.Context(), dirID, groupID, p.after, p.size+1); err != nil {
			return err
		}
	} else {
		// The app's view: the IdP's members but those the app sees out
		// of the group, then those the app sees in it and the IdP not.
		after, fromExtra := p.after, false
		for _, m := range av.extra {
			fromExtra = fromExtra || m.ID == p.after
		}
		if fromExtra {
			if _, err := h.Service.Read().GetGroup(r.Context(), dirID, groupID); err != nil {
				return err
			}
		}
		for !fromExtra {
			n := p.size + 1 - len(ms)
			chunk, err := h.Service.Read().ListMembers(r.Context(), dirID, groupID, after, n)
			if err != nil {
				return err
			}
			for _, m := range chunk {
				if !av.hidden[m.ID] {
					ms = append(ms, m)
				}
			}
			if len(chunk) < n || len(ms) > p.size {
				break
			}
			after = chunk[len(chunk)-1].ID
		}
		for _, m := range av.extra {
			if len(ms) > p.size {
				break
			}
			if fromExtra && m.ID <= p.after {
				continue
			}
			ms = append(ms, m)
		}
	}
	data := make([]any, 0, len(ms))
	for _, m := range ms {
		typ := "user"
		if m.Type == directory.MemberGroup {
			typ = "group"
		}
		data = append(data, map[string]any{"object": "group_member", "id": m.ID, "type": typ, "display": m.Display})
	}
	return writePage(w, p.size, data, func(i int) string { return ms[i].ID })
}

// appView is how the app's view of a group's members differs from the
// IdP's while the directory has users the app sees differently.
type appView struct {
	hidden map[string]bool    // IdP members the app sees out of the group
	extra  []directory.Member // members for the app only, in id order
}

// appMembers computes the group's appView: one range scan of app_users
// (empty for a directory without any), and for a directory with some,
// the IdP's groups of those users.
func (h *Handler) appMembers(r *http.Request, dirID, groupID string) (appView, error) {
	av := appView{hidden: map[string]bool{}}
	apps, err := h.Service.Read().ListAppUsers(r.Context(), dirID, "", false)
	if err != nil || len(apps) == 0 {
		return av, err
	}
	ids := make([]string, len(apps))
	for i, a := range apps {
		ids[i] = a.UserID
	}
	idp, err := h.Service.Read().UserGroups(r.Context(), dirID, ids)
	if err != nil {
		return av, err
	}
	for _, a := range apps {
		rec, err := a.UserRecord()
		if err != nil {
			return av, err
		}
		inIdP := false
		for _, g := range idp[a.UserID] {
			inIdP = inIdP || g.ID == groupID
		}
		switch inApp := inGroup(rec, groupID); {
		case inApp && !inIdP:
			display := rec.UserName
			if rec.DisplayName != nil && *rec.DisplayName != "" {
				display = *rec.DisplayName
			}
			av.extra = append(av.extra, directory.Member{ID: a.UserID, Type: directory.MemberUser, Display: display})
		case !inApp && inIdP:
			av.hidden[a.UserID] = true
		}
	}
	return av, nil
}
