package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/client"
)

// Directory data (users, groups) and roles, for the API commands of api.go.

const userHeader = "ID\tUSER NAME\tEMAIL\tNAME\tACTIVE\tROLE\tGROUPS"

func userRows(us ...client.User) func(io.Writer) {
	return func(w io.Writer) {
		for _, u := range us {
			gs := make([]string, 0, len(u.Groups))
			for _, g := range u.Groups {
				gs = append(gs, g.Name)
			}
			name := strings.TrimSpace(u.FirstName + " " + u.LastName)
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%t\t%s\t%s\n", u.ID, u.UserName, dash(u.Email), dash(name), u.Active, dash(u.Role), dash(strings.Join(gs, ", ")))
		}
	}
}

func usersCommand() command {
	return command{name: "users", summary: "a directory's users", subs: []command{
		{name: "list", pos: []string{"DIR_ID"}, flagsHint: "[--group G] [--email E] [--q TEXT] [--active B] [--limit N]",
			summary: "list users", api: usersList},
		{name: "get", pos: []string{"DIR_ID", "USER_ID"}, flagsHint: "[--detail]", summary: "show a user", api: usersGet},
	}}
}

func usersList(a *apiCmd) apiFunc {
	var o client.ListUsersOptions
	a.fs.StringVar(&o.GroupID, "group", "", "only members (direct or nested) of this group id")
	a.fs.StringVar(&o.Email, "email", "", "only the user with this email")
	a.fs.StringVar(&o.Q, "q", "", "free text over user name, names and emails")
	a.fs.Func("active", "true or false: only active or inactive users", func(s string) error {
		b, err := strconv.ParseBool(s)
		o.Active = &b
		return err
	})
	a.fs.Func("updated-after", "only users changed after this RFC 3339 time", func(s string) (err error) {
		o.UpdatedAfter, err = time.Parse(time.RFC3339, s)
		return err
	})
	a.fs.BoolVar(&o.IncludeDetail, "detail", false, "include the full SCIM document (raw_attributes) in --json output")
	limit := a.fs.Int("limit", 0, "print at most this many users; 0 prints all")
	return func(ctx context.Context, c *client.Client) error {
		o.PageSize = 100
		if *limit > 0 && *limit < 100 {
			o.PageSize = *limit
		}
		us := []client.User{}
		for u, err := range c.Users(ctx, a.args[0], o) {
			if err != nil {
				return err
			}
			us = append(us, u)
			if *limit > 0 && len(us) == *limit {
				break
			}
		}
		return a.print(us, userHeader, userRows(us...))
	}
}

func usersGet(a *apiCmd) apiFunc {
	detail := a.fs.Bool("detail", false, "include the full SCIM document (raw_attributes) in --json output")
	return func(ctx context.Context, c *client.Client) error {
		u, err := c.GetUser(ctx, a.args[0], a.args[1], *detail)
		if err != nil {
			return err
		}
		return a.print(u, userHeader, userRows(u))
	}
}

const groupHeader = "ID\tNAME\tEXTERNAL ID\tUPDATED"

func groupRows(gs ...client.Group) func(io.Writer) {
	return func(w io.Writer) {
		for _, g := range gs {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", g.ID, g.Name, dash(g.ExternalID), fmtTime(g.UpdatedAt))
		}
	}
}

func groupsCommand() command {
	dirGroup := []string{"DIR_ID", "GROUP_ID"}
	return command{name: "groups", summary: "a directory's groups", subs: []command{
		{name: "list", pos: []string{"DIR_ID"}, flagsHint: "[--user U] [--q TEXT]", summary: "list groups", api: groupsList},
		{name: "get", pos: dirGroup, summary: "show a group", api: groupsGet},
		{name: "members", pos: dirGroup, summary: "list a group's members", api: groupsMembers},
	}}
}

func groupsList(a *apiCmd) apiFunc {
	var o client.ListGroupsOptions
	a.fs.StringVar(&o.UserID, "user", "", "only groups this user id is a direct member of")
	a.fs.StringVar(&o.Q, "q", "", "free text over the group name")
	return func(ctx context.Context, c *client.Client) error {
		o.PageSize = 100
		gs, err := collect(c.Groups(ctx, a.args[0], o))
		if err != nil {
			return err
		}
		return a.print(gs, groupHeader, groupRows(gs...))
	}
}

func groupsGet(a *apiCmd) apiFunc {
	return func(ctx context.Context, c *client.Client) error {
		g, err := c.GetGroup(ctx, a.args[0], a.args[1])
		if err != nil {
			return err
		}
		return a.print(g, "ID\tNAME\tEXTERNAL ID\tMEMBERS\tUPDATED", func(w io.Writer) {
			fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\n", g.ID, g.Name, dash(g.ExternalID), g.MemberCount, fmtTime(g.UpdatedAt))
		})
	}
}

func groupsMembers(a *apiCmd) apiFunc {
	return func(ctx context.Context, c *client.Client) error {
		ms, err := collect(c.Members(ctx, a.args[0], a.args[1], client.ListOptions{PageSize: 100}))
		if err != nil {
			return err
		}
		return a.print(ms, "ID\tTYPE\tDISPLAY", func(w io.Writer) {
			for _, m := range ms {
				fmt.Fprintf(w, "%s\t%s\t%s\n", m.ID, m.Type, dash(m.Display))
			}
		})
	}
}

const roleHeader = "KEY\tNAME\tDEFAULT\tDESCRIPTION"

func roleRows(rs ...client.Role) func(io.Writer) {
	return func(w io.Writer) {
		for _, r := range rs {
			def := ""
			if r.Default {
				def = "default"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.Key, r.Name, dash(def), dash(r.Description))
		}
	}
}

func rolesCommand() command {
	return command{name: "roles", summary: "the roles of your app that users get", subs: []command{
		{name: "list", summary: "list roles", api: rolesList},
		{name: "create", flagsHint: "--key KEY --name NAME [--description D] [--default]", required: []string{"key", "name"},
			summary: "create a role", api: rolesCreate},
		{name: "update", pos: []string{"KEY"}, flagsHint: "[--name NAME] [--description D] [--default]",
			summary: "change a role", api: rolesUpdate},
		{name: "delete", pos: []string{"KEY"}, summary: "delete a role", api: rolesDelete},
	}}
}

func rolesList(a *apiCmd) apiFunc {
	return func(ctx context.Context, c *client.Client) error {
		rs, err := c.ListRoles(ctx)
		if err != nil {
			return err
		}
		return a.print(rs, roleHeader, roleRows(rs...))
	}
}

func rolesCreate(a *apiCmd) apiFunc {
	var r client.Role
	a.fs.StringVar(&r.Key, "key", "", "the role's key, used in your app (required)")
	a.fs.StringVar(&r.Name, "name", "", "the role's display name (required)")
	a.fs.StringVar(&r.Description, "description", "", "what the role may do")
	a.fs.BoolVar(&r.Default, "default", false, "make it the default role")
	return func(ctx context.Context, c *client.Client) error {
		created, err := c.CreateRole(ctx, r)
		if err != nil {
			return err
		}
		return a.print(created, roleHeader, roleRows(created))
	}
}

func rolesUpdate(a *apiCmd) apiFunc {
	var u client.RoleUpdate
	a.fs.Func("name", "new display name", func(s string) error { u.Name = &s; return nil })
	a.fs.Func("description", "new description", func(s string) error { u.Description = &s; return nil })
	a.fs.BoolFunc("default", "make it the default role", func(string) error { t := true; u.Default = &t; return nil })
	return func(ctx context.Context, c *client.Client) error {
		r, err := c.UpdateRole(ctx, a.args[0], u)
		if err != nil {
			return err
		}
		return a.print(r, roleHeader, roleRows(r))
	}
}

func rolesDelete(a *apiCmd) apiFunc {
	return func(ctx context.Context, c *client.Client) error {
		if err := c.DeleteRole(ctx, a.args[0]); err != nil {
			return err
		}
		fmt.Fprintf(a.env.Stdout, "deleted role %s\n", a.args[0])
		return nil
	}
}

// parseMapping parses GROUP_ID=ROLE:PRIORITY (priority defaults to 0).
func parseMapping(s string) (client.RoleMapping, error) {
	group, rest, ok := strings.Cut(s, "=")
	if !ok || group == "" || rest == "" {
		return client.RoleMapping{}, fmt.Errorf("want GROUP_ID=ROLE:PRIORITY, got %q", s)
	}
	m := client.RoleMapping{GroupID: group, Role: rest}
	if role, prio, ok := strings.Cut(rest, ":"); ok {
		n, err := strconv.Atoi(prio)
		if err != nil || role == "" {
			return client.RoleMapping{}, fmt.Errorf("want GROUP_ID=ROLE:PRIORITY with an integer priority, got %q", s)
		}
		m.Role, m.Priority = role, n
	}
	return m, nil
}

const mappingHeader = "GROUP ID\tROLE\tPRIORITY"

func mappingRows(ms []client.RoleMapping) func(io.Writer) {
	return func(w io.Writer) {
		for _, m := range ms {
			fmt.Fprintf(w, "%s\t%s\t%d\n", m.GroupID, m.Role, m.Priority)
		}
	}
}

func roleMappingsCommand() command {
	dir := []string{"DIR_ID"}
	maps := "--map GROUP_ID=ROLE:PRIORITY …"
	return command{name: "role-mappings", summary: "which role a directory's groups give their members", subs: []command{
		{name: "get", pos: dir, summary: "show a directory's role mappings", api: roleMappingsGet},
		{name: "set", pos: dir, flagsHint: maps, summary: "replace a directory's role mappings", api: roleMappingsSet},
		{name: "preview", pos: dir, flagsHint: maps, summary: "show whose role a set would change", api: roleMappingsPreview},
	}}
}

// mapFlags defines the repeatable --map flag; the list is never nil, so that
// no --map sends an empty list.
func mapFlags(a *apiCmd) *[]client.RoleMapping {
	ms := []client.RoleMapping{}
	a.fs.Func("map", "GROUP_ID=ROLE:PRIORITY; repeat for each group (a higher priority wins); none removes every mapping", func(s string) error {
		m, err := parseMapping(s)
		ms = append(ms, m)
		return err
	})
	return &ms
}

func roleMappingsGet(a *apiCmd) apiFunc {
	return func(ctx context.Context, c *client.Client) error {
		ms, err := c.GetRoleMappings(ctx, a.args[0])
		if err != nil {
			return err
		}
		return a.print(ms, mappingHeader, mappingRows(ms))
	}
}

func roleMappingsSet(a *apiCmd) apiFunc {
	ms := mapFlags(a)
	return func(ctx context.Context, c *client.Client) error {
		got, err := c.PutRoleMappings(ctx, a.args[0], *ms)
		if err != nil {
			return err
		}
		return a.print(got, mappingHeader, mappingRows(got))
	}
}

func roleMappingsPreview(a *apiCmd) apiFunc {
	ms := mapFlags(a)
	return func(ctx context.Context, c *client.Client) error {
		p, err := c.PreviewRoleMappings(ctx, a.args[0], *ms)
		if err != nil {
			return err
		}
		if !a.asJSON {
			fmt.Fprintf(a.env.Stdout, "%d users would change role\n", p.UsersChangingRole)
			if len(p.Sample) == 0 {
				return nil
			}
		}
		return a.print(p, "USER ID\tNAME\tFROM\tTO", func(w io.Writer) {
			for _, s := range p.Sample {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", s.UserID, dash(s.DisplayName), s.FromRole, s.ToRole)
			}
		})
	}
}
