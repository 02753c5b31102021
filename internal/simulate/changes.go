package simulate

import (
	"context"
	"fmt"
)

// updates changes the profile of 10% of the users in the IdP's dialect.
func (r *runner) updates(ctx context.Context) error {
	us := r.createdUsers(pick(len(r.m.users), 10, 1))
	for _, u := range us {
		u.givenName = "Renamed" + u.givenName
		u.display = u.givenName + " " + u.familyName
		u.email = fmt.Sprintf("%s.moved.%06d@example.com", r.m.run, u.idx)
		u.employeeNumber = "X" + u.employeeNumber
		u.updated = true
	}
	var manager *user
	if r.d.managerPatch && len(us) > 0 {
		manager = r.createdUsers([]int{0})[0]
		for _, u := range us {
			u.manager = manager.id
		}
	}
	r.parallel(ctx, len(us), func(ctx context.Context, i int) {
		u := us[i]
		path := "/Users/" + u.id
		if manager != nil {
			// Entra sets the manager in its own round trip, as a bare id.
			r.do(ctx, "PATCH", path, patchBody(map[string]any{"op": r.d.op("add"), "path": "manager", "value": manager.id}), ok, noBody)
		}
		switch r.d.update {
		case updateGetPut:
			r.getPut(ctx, u, func(obj map[string]any) {
				obj["displayName"] = u.display
				if name, _ := obj["name"].(map[string]any); name != nil {
					name["givenName"] = u.givenName
				} else {
					obj["name"] = map[string]any{"givenName": u.givenName, "familyName": u.familyName}
				}
				obj["emails"] = []map[string]any{{"primary": true, "type": "work", "value": u.email}}
			})
		case updatePut:
			r.do(ctx, "PUT", path, r.d.userBody(u), ok)
		case updateEntraDefault:
			r.do(ctx, "PATCH", path, patchBody(
				map[string]any{"op": "Replace", "path": "displayName", "value": u.display},
				map[string]any{"op": "Replace", "path": `emails[type eq "work"].value`, "value": u.email},
				map[string]any{"op": "Replace", "path": "name.givenName", "value": u.givenName},
				map[string]any{"op": "Replace", "path": schemaEnterprise + ":employeeNumber", "value": u.employeeNumber},
			), ok, noBody)
		case updateEntraCompliant:
			r.do(ctx, "PATCH", path, patchBody(
				map[string]any{"op": "replace", "path": `emails[type eq "work"].value`, "value": u.email},
				map[string]any{"op": "replace", "value": map[string]any{"displayName": u.display,
					"name.givenName": u.givenName, "name.familyName": u.familyName,
					schemaEnterprise + ":employeeNumber": u.employeeNumber}},
			), ok, noBody)
		case updatePatchPaths:
			r.do(ctx, "PATCH", path, patchBody(
				map[string]any{"op": "replace", "path": "displayName", "value": u.display},
				map[string]any{"op": "replace", "path": "name.givenName", "value": u.givenName},
				map[string]any{"op": "replace", "path": `emails[type eq "work"].value`, "value": u.email},
			), ok, noBody)
		}
	})
	return nil
}

// getPut is Okta's profile push: GET the user, change it, PUT it all back
// (id, meta, groups and all).
func (r *runner) getPut(ctx context.Context, u *user, change func(map[string]any)) {
	resp, err := r.do(ctx, "GET", "/Users/"+u.id, nil, ok)
	if err != nil {
		return
	}
	obj := resp.object()
	if obj == nil {
		r.st.fail("GET /Users/" + u.id + ": not a JSON object")
		return
	}
	change(obj)
	r.do(ctx, "PUT", "/Users/"+u.id, obj, ok)
}

// renames renames 20% of the groups.
func (r *runner) renames(ctx context.Context) error {
	var gs []*group
	for _, i := range pick(len(r.m.groups), 20, 0) {
		if g := r.m.groups[i]; g.id != "" {
			g.displayName = fmt.Sprintf("%s Group %04d renamed", r.m.run, g.idx)
			gs = append(gs, g)
		}
	}
	r.parallel(ctx, len(gs), func(ctx context.Context, i int) {
		g := gs[i]
		switch r.d.rename {
		case renamePathless:
			r.patchGroup(ctx, g, map[string]any{"op": "replace", "value": map[string]any{"id": g.id, "displayName": g.displayName}})
		case renamePath:
			r.patchGroup(ctx, g, map[string]any{"op": r.d.op("replace"), "path": "displayName", "value": g.displayName})
		case renamePut:
			r.do(ctx, "GET", "/Groups/"+g.id, nil, ok)
			r.putGroup(ctx, g, r.m.memberUsers(g))
		}
	})
	return nil
}

// deactivations deactivates 10% of the users, then reactivates half of them.
func (r *runner) deactivations(ctx context.Context) error {
	us := r.createdUsers(pick(len(r.m.users), 10, 3))
	var again []*user
	for k, u := range us {
		if k%2 == 0 {
			again = append(again, u)
		}
	}
	for _, step := range []struct {
		us     []*user
		active bool
	}{{us, false}, {again, true}} {
		for _, u := range step.us {
			u.active, u.toggled = step.active, true
		}
		r.parallel(ctx, len(step.us), func(ctx context.Context, i int) { r.setActive(ctx, step.us[i]) })
	}
	r.note("%d deactivated, %d of them reactivated", len(us), len(again))
	return nil
}

func (r *runner) setActive(ctx context.Context, u *user) {
	path := "/Users/" + u.id
	switch r.d.activation {
	case activePathless:
		r.do(ctx, "PATCH", path, patchBody(map[string]any{"op": "replace", "value": map[string]any{"active": u.active}}), ok, noBody)
	case activeEntraString:
		v := "False"
		if u.active {
			v = "True"
		}
		r.do(ctx, "PATCH", path, patchBody(map[string]any{"op": "Replace", "path": "active", "value": v}), ok, noBody)
	case activePath:
		r.do(ctx, "PATCH", path, patchBody(map[string]any{"op": "replace", "path": "active", "value": u.active}), ok, noBody)
	case activeGetPut:
		r.getPut(ctx, u, func(obj map[string]any) { obj["active"] = u.active })
	case activePut:
		r.do(ctx, "PUT", path, r.d.userBody(u), ok)
	}
}

// removals removes 10% of the large group's members.
func (r *runner) removals(ctx context.Context) error {
	g := r.m.large()
	if g.id == "" {
		return nil
	}
	members := r.m.memberUsers(g)
	var gone []*user
	for k, u := range members {
		if k%10 == 5 {
			gone = append(gone, u)
			delete(g.members, u.idx)
		}
	}
	if len(gone) == 0 {
		r.note("the large group has too few members to remove any")
		return nil
	}
	var jobs []func(context.Context)
	switch r.d.removal {
	case removeFilter:
		for chunk := range chunks(gone, 256) {
			jobs = append(jobs, func(ctx context.Context) {
				var ops []map[string]any
				for _, u := range chunk {
					ops = append(ops, map[string]any{"op": r.d.op("remove"), "path": fmt.Sprintf("members[value eq %q]", u.id)})
				}
				r.patchGroup(ctx, g, ops...)
			})
		}
	case removeValueEach:
		for _, u := range gone {
			jobs = append(jobs, func(ctx context.Context) {
				r.patchGroup(ctx, g, map[string]any{"op": r.d.op("remove"), "path": "members", "value": r.d.memberValues([]*user{u})})
			})
		}
	case removeValueBatch:
		for chunk := range chunks(gone, 100) {
			jobs = append(jobs, func(ctx context.Context) {
				r.patchGroup(ctx, g, map[string]any{"op": r.d.op("remove"), "path": "members", "value": r.d.memberValues(chunk)})
			})
		}
	case removePut:
		jobs = append(jobs, func(ctx context.Context) { r.putGroup(ctx, g, r.m.memberUsers(g)) })
	}
	r.parallel(ctx, len(jobs), func(ctx context.Context, i int) { jobs[i](ctx) })
	r.note("%d of %d members removed from %q", len(gone), len(members), g.displayName)
	return nil
}

// deletes deletes 5% of the users (not for Okta, which never does) and one
// group.
func (r *runner) deletes(ctx context.Context) error {
	var us []*user
	if r.d.deleteUsers {
		us = r.createdUsers(pick(len(r.m.users), 5, 7))
		for _, u := range us {
			u.deleted = true
			for _, g := range r.m.groups {
				delete(g.members, u.idx) // DELETE removes a user's memberships
			}
		}
	} else {
		r.note("%s never sends DELETE /Users: user deletes skipped", r.d.name)
	}
	r.parallel(ctx, len(us), func(ctx context.Context, i int) {
		r.do(ctx, "DELETE", "/Users/"+us[i].id, nil, noBody)
	})
	if g := r.m.groups[len(r.m.groups)-1]; g.id != "" && !g.large {
		g.deleted = true
		r.do(ctx, "DELETE", "/Groups/"+g.id, nil, noBody)
		r.note("%d users and group %q deleted", len(us), g.displayName)
	}
	return nil
}
