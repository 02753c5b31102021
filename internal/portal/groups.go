package portal

import (
	"net/http"
	"strconv"

	"github.com/scimbridge/scimbridge/internal/directory"
)

type groupRow struct {
	G       directory.Group
	Members int
	More    bool // more than Members (CountShown) members
	Roles   []string
}

type groupsData struct {
	Rows  []groupRow
	Total int
	More  bool // there are more than Total (CountShown) groups
	First bool
	Next  string
}

// mappedRoles returns, per group id, its mappings as "Role name (priority n)".
func (h *Handler) mappedRoles(r *http.Request, dirID string) (map[string][]string, error) {
	ms, err := h.Service.GetRoleMappings(r.Context(), dirID)
	if err != nil {
		return nil, err
	}
	names, err := h.roleNames(r)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, m := range ms {
		out[m.GroupID] = append(out[m.GroupID], names[m.Role]+" (priority "+strconv.Itoa(m.Priority)+")")
	}
	return out, nil
}

func (h *Handler) roleNames(r *http.Request) (map[string]string, error) {
	rs, err := h.Service.ListRoles(r.Context())
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, x := range rs {
		names[x.Key] = x.Name
	}
	return names, nil
}

// groupsTab is GET /portal/groups.
func (h *Handler) groupsTab(w http.ResponseWriter, r *http.Request) error {
	d, dirs, ok, err := h.selectedDir(r)
	if err != nil {
		return err
	}
	p := page{Title: "Groups", Tab: "groups", Dirs: dirs, Dir: d}
	if !ok {
		return h.render(w, r, http.StatusOK, "groups", p)
	}
	after := r.URL.Query().Get("after")
	if err := checkID(after, directory.PrefixGroup); err != nil {
		return err
	}
	pg, err := h.Service.Read().ListGroups(r.Context(), d.ID, directory.Query{After: after, Limit: pageSize + 1, SkipTotal: after != "", CountLimit: h.CountShown + 1})
	if err != nil {
		return err
	}
	data := groupsData{Total: pg.Total, First: after == ""}
	if data.Total > h.CountShown {
		data.Total, data.More = h.CountShown, true
	}
	gs := pg.Groups
	if len(gs) > pageSize {
		gs = gs[:pageSize]
		data.Next = "/portal/groups?dir=" + d.ID + "&after=" + gs[len(gs)-1].ID
	}
	roles, err := h.mappedRoles(r, d.ID)
	if err != nil {
		return err
	}
	for _, g := range gs {
		n, err := h.Service.Read().CountMembers(r.Context(), d.ID, g.ID, h.CountShown+1)
		if err != nil {
			return err
		}
		data.Rows = append(data.Rows, groupRow{G: g, Members: min(n, h.CountShown), More: n > h.CountShown, Roles: roles[g.ID]})
	}
	p.Data = data
	return h.render(w, r, http.StatusOK, "groups", p)
}

type groupData struct {
	groupRow
	List []directory.Member
	Next string
}

// groupPage is GET /portal/directories/{dir_id}/groups/{group_id}.
func (h *Handler) groupPage(w http.ResponseWriter, r *http.Request) error {
	d, err := h.dir(r.Context(), r.PathValue("dir_id"))
	if err != nil {
		return err
	}
	g, err := h.Service.Read().GetGroup(r.Context(), d.ID, r.PathValue("group_id"))
	if directory.IsNotFound(err) {
		return directory.Errorf(directory.KindNotFound, "This group does not exist in the directory. It may have been deleted by your identity provider.")
	}
	if err != nil {
		return err
	}
	after := r.URL.Query().Get("after")
	if len(after) > 64 {
		return directory.Errorf(directory.KindInvalid, "%q is not a valid id.", after)
	}
	n, err := h.Service.Read().CountMembers(r.Context(), d.ID, g.ID, h.CountShown+1)
	if err != nil {
		return err
	}
	ms, err := h.Service.Read().ListMembers(r.Context(), d.ID, g.ID, after, pageSize+1)
	if err != nil {
		return err
	}
	roles, err := h.mappedRoles(r, d.ID)
	if err != nil {
		return err
	}
	data := groupData{groupRow: groupRow{G: g, Members: min(n, h.CountShown), More: n > h.CountShown, Roles: roles[g.ID]}}
	if len(ms) > pageSize {
		ms = ms[:pageSize]
		data.Next = "/portal/directories/" + d.ID + "/groups/" + g.ID + "?after=" + ms[len(ms)-1].ID
	}
	data.List = ms
	return h.render(w, r, http.StatusOK, "group", page{Title: g.DisplayName, Tab: "groups", Dir: d, Data: data})
}
