package portal

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

var timeZero time.Time

// pageSize is how many rows a list page shows.
const pageSize = 25

// defaultCountShown is Handler.CountShown's default.
const defaultCountShown = 10000

type userRow struct {
	U      directory.User
	Name   string
	Email  string
	Groups []directory.GroupRef
	Role   string
}

type usersData struct {
	Rows          []userRow
	Total         int
	More          bool // there are more than Total (CountShown) matches
	First         bool // the first page (Total is known)
	Q             string
	Status, Group string
	Groups        []directory.Group // for the group filter
	Next, Reset   string
	Filtered      bool
}

// checkID rejects ids that cannot be ids of kind prefix.
func checkID(value, prefix string) error {
	if value == "" {
		return nil
	}
	if !strings.HasPrefix(value, prefix+"_") || len(value) > 64 {
		return directory.Errorf(directory.KindInvalid, "%q is not a valid id.", value)
	}
	return nil
}

// usersTab is GET /portal/users: search, filters and keyset pages.
func (h *Handler) usersTab(w http.ResponseWriter, r *http.Request) error {
	d, dirs, ok, err := h.selectedDir(r)
	if err != nil {
		return err
	}
	p := page{Title: "Users", Tab: "users", Dirs: dirs, Dir: d}
	if !ok {
		return h.render(w, r, http.StatusOK, "users", p)
	}
	v := r.URL.Query()
	data := usersData{Q: strings.TrimSpace(v.Get("q")), Status: v.Get("status"), Group: v.Get("group")}
	if len(data.Q) > 200 {
		return directory.Errorf(directory.KindInvalid, "The search text must be at most 200 characters.")
	}
	after := v.Get("after")
	if err := checkID(after, directory.PrefixUser); err != nil {
		return err
	}
	if err := checkID(data.Group, directory.PrefixGroup); err != nil {
		return err
	}
	q := directory.Query{Search: data.Q, MemberOf: data.Group, After: after, Limit: pageSize + 1, SkipTotal: after != "", CountLimit: h.CountShown + 1}
	switch data.Status {
	case "":
	case "active", "inactive":
		active := data.Status == "active"
		q.Active = &active
	default:
		return directory.Errorf(directory.KindInvalid, "Status must be active or inactive.")
	}
	pg, err := h.Service.Read().ListUsers(r.Context(), d.ID, q)
	if err != nil {
		return err
	}
	data.Total, data.First = pg.Total, after == ""
	if data.Total > h.CountShown {
		data.Total, data.More = h.CountShown, true
	}
	data.Filtered = data.Q != "" || data.Status != "" || data.Group != ""
	users := pg.Users
	if len(users) > pageSize {
		users = users[:pageSize]
		nv := url.Values{"dir": {d.ID}, "after": {users[len(users)-1].ID}}
		for _, k := range []string{"q", "status", "group"} {
			if v.Get(k) != "" {
				nv.Set(k, v.Get(k))
			}
		}
		data.Next = "/portal/users?" + nv.Encode()
	}
	data.Rows, err = h.userRows(r, d, users)
	if err != nil {
		return err
	}
	gp, err := h.Service.Read().ListGroups(r.Context(), d.ID, directory.Query{Limit: 200, SkipTotal: true})
	if err != nil {
		return err
	}
	data.Groups = gp.Groups
	p.Data = data
	return h.render(w, r, http.StatusOK, "users", p)
}

// userRows adds groups and effective roles to users, with two queries.
func (h *Handler) userRows(r *http.Request, d directory.Directory, users []directory.User) ([]userRow, error) {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	groups, err := h.Service.Read().UserGroups(r.Context(), d.ID, ids)
	if err != nil {
		return nil, err
	}
	roles, err := h.Service.EffectiveRoles(r.Context(), d.OrganizationID, d.ID, ids)
	if err != nil {
		return nil, err
	}
	names, err := h.roleNames(r)
	if err != nil {
		return nil, err
	}
	rows := make([]userRow, len(users))
	for i, u := range users {
		rows[i] = userRow{U: u, Name: userName(u), Email: primaryEmail(u), Groups: groups[u.ID], Role: or(names[roles[u.ID].Role], roles[u.ID].Role)}
	}
	return rows, nil
}

func or(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// kv is one profile field; Value is a string, or HTML for times.
type kv struct {
	Label string
	Value any
}

type userData struct {
	userRow
	Roles  []string
	Fields []kv
	Raw    schema.Resource
	Events []eventView
	Feed   bool // the events feed is available
	// App says how the app sees the user when not as the IdP does (a
	// deprovisioning hold or policy; deprovisioning.go).
	App    *directory.HeldUser
	Custom []customRow
}

// customRow is one mapped custom attribute of a user.
type customRow struct {
	Key, Source, Value, Error string
}

// userPage is GET /portal/directories/{dir_id}/users/{user_id}.
func (h *Handler) userPage(w http.ResponseWriter, r *http.Request) error {
	d, err := h.dir(r.Context(), r.PathValue("dir_id"))
	if err != nil {
		return err
	}
	u, err := h.Service.Read().GetUser(r.Context(), d.ID, r.PathValue("user_id"))
	if directory.IsNotFound(err) {
		return directory.Errorf(directory.KindNotFound, "This user does not exist in the directory. It may have been deleted by your identity provider.")
	}
	if err != nil {
		return err
	}
	rows, err := h.userRows(r, d, []directory.User{u})
	if err != nil {
		return err
	}
	eff, err := h.Service.EffectiveRoles(r.Context(), d.OrganizationID, d.ID, []string{u.ID})
	if err != nil {
		return err
	}
	names, err := h.roleNames(r)
	if err != nil {
		return err
	}
	var roles []string
	for _, k := range eff[u.ID].Roles {
		roles = append(roles, or(names[k], k))
	}
	active := "Active"
	if !u.Active {
		active = "Inactive (deactivated by the identity provider)"
	}
	ent := schema.EnterpriseUserURN
	app, err := h.appUser(r, d.ID, u.ID)
	if err != nil {
		return err
	}
	data := userData{userRow: rows[0], Roles: roles, Raw: u.Doc, App: app, Fields: []kv{
		{"User name", u.UserName},
		{"Email", rows[0].Email},
		{"Display name", field(u.Doc, "displayName")},
		{"First name", field(u.Doc, "name", "givenName")},
		{"Last name", field(u.Doc, "name", "familyName")},
		{"Status", active},
		{"Title", field(u.Doc, "title")},
		{"Department", field(u.Doc, ent, "department")},
		{"Employee number", field(u.Doc, ent, "employeeNumber")},
		{"Manager id", field(u.Doc, ent, "manager", "value")},
		{"External id", u.ExternalID},
		{"Id", u.ID},
		{"Created", localTime(u.CreatedAt)},
		{"Updated", localTime(u.UpdatedAt)},
	}}
	for _, m := range d.Attributes.Mappings {
		data.Custom = append(data.Custom, customRow{Key: m.Key, Source: m.Source, Value: attrValue(u.Custom.Values[m.Key]), Error: u.Custom.Errors[m.Key]})
	}
	data.Events, data.Feed, err = h.recentEvents(r, d, u.ID)
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "user", page{Title: rows[0].Name, Tab: "users", Dir: d, Data: data})
}
