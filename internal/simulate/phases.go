package simulate

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
)

const (
	ok      = http.StatusOK
	created = http.StatusCreated
	noBody  = http.StatusNoContent
)

// testConnection sends the IdP's own probe (docs/simulate.md §1).
func (r *runner) testConnection(ctx context.Context) error {
	switch r.d.probe {
	case probeList:
		resp, err := r.do(ctx, "GET", "/Users"+query("startIndex", "1", "count", "2"), nil, ok)
		if err != nil {
			return err
		}
		if l, err := parseList(resp.body); err != nil {
			r.st.fail("GET /Users?startIndex=1&count=2: " + err.Error())
			return err
		} else if len(l.Resources) > 2 {
			r.st.fail(fmt.Sprintf("GET /Users?count=2 returned %d resources", len(l.Resources)))
		}
	case probeRandomGUID:
		guid := r.guid()
		for _, p := range []string{"/Users" + query("filter", eqFilter("userName", guid)),
			"/Groups" + query("excludedAttributes", "members", "filter", eqFilter("displayName", guid))} {
			resp, err := r.do(ctx, "GET", p, nil, ok)
			if err != nil {
				return err
			}
			if l, err := parseList(resp.body); err != nil || l.TotalResults != 0 || len(l.Resources) != 0 {
				err = fmt.Errorf("GET %s: want an empty ListResponse, got %s", p, snippet(resp.body))
				r.st.fail(err.Error())
				return err
			}
		}
	case probeFilter:
		if _, err := r.do(ctx, "GET", "/Users"+query("filter", eqFilter("userName", r.m.run+".probe@example.com")), nil, ok); err != nil {
			return err
		}
	case probeCreate:
		u := &user{userName: r.m.run + ".probe@example.com", givenName: "Test", familyName: "User", display: "Test User",
			email: r.m.run + ".probe@example.com", externalID: r.m.run + "-probe", active: true}
		resp, err := r.do(ctx, "POST", "/Users", r.d.userBody(u), created)
		if err != nil {
			return err
		}
		uid := idOf(resp)
		resp, err = r.do(ctx, "POST", "/Groups", map[string]any{"schemas": []string{schemaGroup},
			"displayName": r.m.run + " probe group"}, created)
		if err != nil {
			return err
		}
		if _, err := r.do(ctx, "DELETE", "/Groups/"+idOf(resp), nil, noBody); err != nil {
			return err
		}
		if _, err := r.do(ctx, "DELETE", "/Users/"+uid, nil, noBody); err != nil {
			return err
		}
	case probeUserZero:
		resp, err := r.do(ctx, "GET", "/Users/0", nil, http.StatusNotFound)
		if err != nil {
			return err
		}
		if e := resp.object(); e == nil || e["status"] == nil {
			r.st.fail("GET /Users/0: 404 without a SCIM Error body: " + snippet(resp.body))
		}
	}
	return nil
}

func (r *runner) guid() string {
	b := make([]byte, 16)
	io.ReadFull(r.cfg.Rand, b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func idOf(resp response) string {
	id, _ := resp.object()["id"].(string)
	return id
}

// importUsers looks each user up by userName, then creates it.
func (r *runner) importUsers(ctx context.Context) error {
	if r.d.inactiveEvery > 0 {
		for _, u := range r.m.users {
			if u.idx%r.d.inactiveEvery == r.d.inactiveEvery-1 {
				u.active = false
			}
		}
		r.note("every %dth user created with active false (Provision Disabled Users)", r.d.inactiveEvery)
	}
	r.parallel(ctx, len(r.m.users), func(ctx context.Context, i int) {
		u := r.m.users[i]
		lookup := "/Users" + query("filter", eqFilter("userName", u.userName))
		if r.d.probe == probeList {
			lookup += "&startIndex=1&count=100"
		}
		resp, err := r.do(ctx, "GET", lookup, nil, ok)
		if err != nil {
			return
		}
		if l, err := parseList(resp.body); err != nil || l.TotalResults != 0 {
			r.st.fail(fmt.Sprintf("GET %s before create: want 0 results, got %s", lookup, snippet(resp.body)))
			return
		}
		resp, err = r.do(ctx, "POST", "/Users", r.d.userBody(u), created)
		if err != nil {
			return
		}
		if u.id = idOf(resp); u.id == "" {
			r.st.fail("POST /Users: 201 without an id: " + snippet(resp.body))
		}
	})
	return nil
}

// importGroups pushes every group, then its members.
func (r *runner) importGroups(ctx context.Context) error {
	if r.d.listGroups {
		// PingFederate finds groups by listing them all, page by page.
		for start := 1; ; start += 100 {
			resp, err := r.do(ctx, "GET", "/Groups"+query("startIndex", fmt.Sprint(start), "count", "100"), nil, ok)
			if err != nil {
				break
			}
			l, err := parseList(resp.body)
			if err != nil || len(l.Resources) == 0 || start+len(l.Resources) > l.TotalResults {
				break
			}
		}
	}
	r.parallel(ctx, len(r.m.groups), func(ctx context.Context, i int) {
		g := r.m.groups[i]
		switch r.d.groupCreate {
		case groupOktaAIW:
			r.do(ctx, "GET", "/Groups"+query("filter", eqFilter("displayName", g.displayName)), nil, ok)
		case groupEntra:
			r.do(ctx, "GET", "/Groups"+query("excludedAttributes", "members", "filter", eqFilter("displayName", g.displayName)), nil, ok)
		}
		resp, err := r.do(ctx, "POST", "/Groups", r.d.groupBody(g), created)
		if err != nil {
			return
		}
		g.id = idOf(resp)
		switch r.d.groupCreate {
		case groupOktaReplace:
			// "metadata reconciliation", sent right after create.
			r.do(ctx, "PATCH", "/Groups/"+g.id, patchBody(map[string]any{"op": "replace",
				"value": map[string]any{"id": g.id, "displayName": g.displayName}}), ok, noBody)
		case groupOktaAIW:
			r.do(ctx, "GET", "/Groups/"+g.id, nil, ok)
		}
	})
	// Memberships: one job per request, run in parallel across groups and
	// within the large group.
	var jobs []func(context.Context)
	for _, g := range r.m.groups {
		if g.id == "" {
			continue
		}
		us := r.m.memberUsers(g)
		switch r.d.members {
		case membersPut:
			jobs = append(jobs, func(ctx context.Context) { r.putGroup(ctx, g, us) })
		case membersPatchEach:
			for _, u := range us {
				jobs = append(jobs, func(ctx context.Context) {
					r.patchGroup(ctx, g, map[string]any{"op": r.d.op("add"), "path": "members", "value": r.d.memberValues([]*user{u})})
				})
			}
		case membersPatchBatch:
			for chunk := range chunks(us, r.d.memberBatch) {
				jobs = append(jobs, func(ctx context.Context) {
					r.patchGroup(ctx, g, map[string]any{"op": r.d.op("add"), "path": "members", "value": r.d.memberValues(chunk)})
				})
			}
		}
	}
	r.parallel(ctx, len(jobs), func(ctx context.Context, i int) { jobs[i](ctx) })
	return nil
}

func chunks[T any](s []T, n int) func(func([]T) bool) {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k:k]) {
				return
			}
			s = s[k:]
		}
	}
}

func (r *runner) patchGroup(ctx context.Context, g *group, ops ...map[string]any) {
	if r.d.reconcileName {
		// Okta sends the group's name with every membership update.
		ops = append([]map[string]any{{"op": "replace", "value": map[string]any{"id": g.id, "displayName": g.displayName}}}, ops...)
	}
	r.do(ctx, "PATCH", "/Groups/"+g.id, patchBody(ops...), ok, noBody)
}

// putGroup is Okta AIW's push: the whole group with every member.
func (r *runner) putGroup(ctx context.Context, g *group, us []*user) {
	r.do(ctx, "PUT", "/Groups/"+g.id, map[string]any{"schemas": []string{schemaGroup}, "id": g.id,
		"displayName": g.displayName, "members": r.d.memberValues(us)}, ok)
}

// createdUsers returns the created, not deleted users among idxs.
func (r *runner) createdUsers(idxs []int) []*user {
	var out []*user
	for _, i := range idxs {
		if u := r.m.users[i]; u.id != "" && !u.deleted {
			out = append(out, u)
		}
	}
	return out
}
