package portal

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// maxRoleRows caps the groups the role form lists (mapped groups are
// always listed).
const maxRoleRows = 200

type roleRow struct {
	G        directory.Group
	Role     string // the mapping edited in the form; "" for none
	Priority int
	Extra    []directory.RoleMapping // further mappings of the group, kept as they are
}

type rolesData struct {
	Roles        []directory.Role
	Rows         []roleRow
	DefaultRole  string // name
	DefaultUsers int    // users in no mapped group
	Preview      *directory.RolePreview
	Names        map[string]string
	Truncated    bool
}

// roleForm builds the rows for the directory: mapped groups first, then
// other groups up to maxRoleRows. submitted, when not nil, overrides the
// stored mappings with what the form sent.
func (h *Handler) roleForm(r *http.Request, d directory.Directory, submitted []directory.RoleMapping) (rolesData, []directory.RoleMapping, error) {
	var data rolesData
	ctx := r.Context()
	roles, err := h.Service.ListRoles(ctx)
	if err != nil {
		return data, nil, err
	}
	data.Roles = roles
	data.Names = map[string]string{}
	for _, x := range roles {
		data.Names[x.Key] = x.Name
	}
	stored, err := h.Service.GetRoleMappings(ctx, d.ID)
	if err != nil {
		return data, nil, err
	}
	ms := stored
	if submitted != nil {
		ms = submitted
	}
	if _, err := h.roleRows(ctx, d, ms, &data); err != nil {
		return data, nil, err
	}
	// The count is of the saved mappings: a preview does not change it
	// before Save (the preview says who would change).
	var saved []string
	seen := map[string]bool{}
	for _, m := range stored {
		if !seen[m.GroupID] {
			seen[m.GroupID] = true
			saved = append(saved, m.GroupID)
		}
	}
	def, users, err := h.defaultRoleUsers(ctx, d, saved)
	if err != nil {
		return data, nil, err
	}
	data.DefaultRole, data.DefaultUsers = data.Names[def], users
	return data, stored, nil
}

// roleRows fills data's rows from the mappings ms: the mapped groups
// first, in mapping order, then other groups up to maxRoleRows. It returns
// the mapped groups' ids.
func (h *Handler) roleRows(ctx context.Context, d directory.Directory, ms []directory.RoleMapping, data *rolesData) ([]string, error) {
	byGroup := map[string][]directory.RoleMapping{}
	var order []string
	for _, m := range ms {
		if _, ok := byGroup[m.GroupID]; !ok {
			order = append(order, m.GroupID)
		}
		byGroup[m.GroupID] = append(byGroup[m.GroupID], m)
	}
	seen := map[string]bool{}
	var groups []directory.Group
	for _, id := range order {
		g, err := h.Service.Read().GetGroup(ctx, d.ID, id)
		if err != nil {
			return nil, err
		}
		seen[id] = true
		groups = append(groups, g)
	}
	gp, err := h.Service.Read().ListGroups(ctx, d.ID, directory.Query{Limit: maxRoleRows + 1, SkipTotal: true})
	if err != nil {
		return nil, err
	}
	if len(gp.Groups) > maxRoleRows {
		data.Truncated = true
		gp.Groups = gp.Groups[:maxRoleRows]
	}
	for _, g := range gp.Groups {
		if !seen[g.ID] {
			groups = append(groups, g)
		}
	}
	for _, g := range groups {
		row := roleRow{G: g}
		if m := byGroup[g.ID]; len(m) > 0 {
			row.Role, row.Priority, row.Extra = m[0].Role, m[0].Priority, m[1:]
		}
		data.Rows = append(data.Rows, row)
	}
	return order, nil
}

// defaultRoleUsers returns the key of the directory's default role and
// how many users get it: those in none of the mapped groups.
func (h *Handler) defaultRoleUsers(ctx context.Context, d directory.Directory, mapped []string) (string, int, error) {
	global, override, err := h.Service.Read().DefaultRoles(ctx, d.OrganizationID)
	if err != nil {
		return "", 0, err
	}
	def := override
	if def == "" {
		def = global
	}
	total, _, err := h.countDirectory(ctx, d.ID)
	if err != nil {
		return "", 0, err
	}
	// Counted in the database: the mapped groups of a large directory
	// can hold hundreds of thousands of members.
	inMapped, err := h.Service.Read().CountUsersIn(ctx, d.ID, mapped)
	if err != nil {
		return "", 0, err
	}
	return def, max(total-inMapped, 0), nil
}

// rolesTab is GET /portal/roles.
func (h *Handler) rolesTab(w http.ResponseWriter, r *http.Request) error {
	d, dirs, ok, err := h.selectedDir(r)
	if err != nil {
		return err
	}
	p := page{Title: "Roles", Tab: "roles", Dirs: dirs, Dir: d}
	if !ok {
		return h.render(w, r, http.StatusOK, "roles", p)
	}
	data, _, err := h.roleForm(r, d, nil)
	if err != nil {
		return err
	}
	p.Data = data
	return h.render(w, r, http.StatusOK, "roles", p)
}

// parseMappings reads the role form: for each listed group, role.<id>
// and priority.<id>; extra.<id> carries mappings the form does not edit.
func parseMappings(r *http.Request) ([]directory.RoleMapping, error) {
	var ms []directory.RoleMapping
	for _, gid := range r.PostForm["group"] {
		if err := checkID(gid, directory.PrefixGroup); err != nil {
			return nil, err
		}
		role := r.PostForm.Get("role." + gid)
		if role == "" {
			continue
		}
		prio := 0
		if s := strings.TrimSpace(r.PostForm.Get("priority." + gid)); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < -1000000 || n > 1000000 {
				return nil, directory.Errorf(directory.KindInvalid, "Priority must be a whole number, got %q.", s)
			}
			prio = n
		}
		ms = append(ms, directory.RoleMapping{GroupID: gid, Role: role, Priority: prio})
		for _, x := range r.PostForm["extra."+gid] {
			role, p, ok := strings.Cut(x, ":")
			n, err := strconv.Atoi(p)
			if !ok || err != nil {
				return nil, directory.Errorf(directory.KindInvalid, "The form is malformed: reload the page.")
			}
			ms = append(ms, directory.RoleMapping{GroupID: gid, Role: role, Priority: n})
		}
	}
	return ms, nil
}

// saveRoles is POST /portal/roles?dir=…: action "preview" shows how many
// users would change role; "save" stores the mappings.
func (h *Handler) saveRoles(w http.ResponseWriter, r *http.Request) error {
	d, dirs, ok, err := h.selectedDir(r)
	if err != nil {
		return err
	}
	if !ok {
		return directory.Errorf(directory.KindNotFound, "This organization has no directory yet.")
	}
	ms, err := parseMappings(r)
	if err != nil {
		return err
	}
	if ms == nil {
		ms = []directory.RoleMapping{}
	}
	switch r.PostForm.Get("action") {
	case "save":
		if err := h.Service.PutRoleMappings(r.Context(), d.ID, ms); err != nil {
			return err
		}
		return redirect(w, r, "/portal/roles?dir="+d.ID, "roles_saved")
	case "preview":
		pv, err := h.Service.PreviewRoleMappings(r.Context(), d.ID, ms)
		if err != nil {
			return err
		}
		data, _, err := h.roleForm(r, d, ms)
		if err != nil {
			return err
		}
		data.Preview = &pv
		return h.render(w, r, http.StatusOK, "roles", page{Title: "Roles", Tab: "roles", Dirs: dirs, Dir: d, Data: data})
	default:
		return directory.Errorf(directory.KindInvalid, "Choose Preview or Save.")
	}
}
