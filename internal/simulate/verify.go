package simulate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

const maxSample = 500

// listResponse is RFC 7644 §3.4.2's ListResponse; the counts are numbers.
type listResponse struct {
	TotalResults int               `json:"totalResults"`
	ItemsPerPage *int              `json:"itemsPerPage"`
	StartIndex   *int              `json:"startIndex"`
	Resources    []json.RawMessage `json:"Resources"`
}

func parseList(b []byte) (listResponse, error) {
	var l listResponse
	if err := json.Unmarshal(b, &l); err != nil {
		return l, fmt.Errorf("not a ListResponse with numeric counts: %w", err)
	}
	if l.ItemsPerPage != nil && *l.ItemsPerPage != len(l.Resources) {
		return l, fmt.Errorf("itemsPerPage %d but %d Resources", *l.ItemsPerPage, len(l.Resources))
	}
	return l, nil
}

// verify reads back what the model says the server holds.
func (r *runner) verify(ctx context.Context) error {
	// Users: every one, or a sample of at most maxSample spread over the
	// updated, the deactivated, the deleted and the untouched ones.
	var us []*user
	var kinds [4][]*user
	for _, u := range r.m.users {
		switch {
		case u.id == "":
		case u.deleted:
			kinds[0] = append(kinds[0], u)
		case u.toggled:
			kinds[1] = append(kinds[1], u)
		case u.updated:
			kinds[2] = append(kinds[2], u)
		default:
			kinds[3] = append(kinds[3], u)
		}
	}
	nonEmpty := 0
	for _, k := range kinds {
		if len(k) > 0 {
			nonEmpty++
		}
	}
	for _, k := range kinds {
		us = append(us, spread(k, maxSample/max(1, nonEmpty))...)
	}
	r.parallel(ctx, len(us), func(ctx context.Context, i int) { r.verifyUser(ctx, us[i]) })
	var gs []*group
	gstep := max(1, len(r.m.groups)/maxSample)
	for _, g := range r.m.groups {
		if g.id != "" && (g.idx%gstep == 0 || g.large || g.deleted) {
			gs = append(gs, g)
		}
	}
	r.parallel(ctx, len(gs), func(ctx context.Context, i int) { r.verifyGroup(ctx, gs[i]) })
	r.verifyListing(ctx)
	r.note("%d of %d users and %d of %d groups read back", len(us), len(r.m.users), len(gs), len(r.m.groups))
	return nil
}

func (r *runner) verifyUser(ctx context.Context, u *user) {
	r.check.Add(1)
	want := []int{http.StatusOK}
	if u.deleted {
		want = []int{http.StatusNotFound}
	}
	resp, err := r.do(ctx, "GET", "/Users/"+u.id, nil, want...)
	if err != nil {
		if resp.status != 0 {
			r.diff("user %s (%s): GET answered %d, want %d", u.userName, u.id, resp.status, want[0])
		}
		return
	}
	if u.deleted {
		return
	}
	obj := resp.object()
	r.compare("user "+u.userName, "userName", obj["userName"], u.userName)
	r.compare("user "+u.userName, "active", obj["active"], u.active)
	r.compare("user "+u.userName, "displayName", obj["displayName"], u.display)
	r.compare("user "+u.userName, `emails[type eq "work"].value`, workEmail(obj), u.email)
	if u.manager != "" {
		ent, _ := obj[schemaEnterprise].(map[string]any)
		mgr, _ := ent["manager"].(map[string]any)
		r.compare("user "+u.userName, "manager.value", mgr["value"], u.manager)
	}
}

func workEmail(obj map[string]any) any {
	emails, _ := obj["emails"].([]any)
	for _, e := range emails {
		if m, _ := e.(map[string]any); m != nil && m["type"] == "work" {
			return m["value"]
		}
	}
	return nil
}

func (r *runner) compare(what, attr string, got, want any) {
	r.check.Add(1)
	if got != want {
		r.diff("%s: %s is %v, want %v", what, attr, got, want)
	}
}

func (r *runner) verifyGroup(ctx context.Context, g *group) {
	r.check.Add(1)
	if g.deleted {
		if resp, err := r.do(ctx, "GET", "/Groups/"+g.id, nil, http.StatusNotFound); err != nil && resp.status != 0 {
			r.diff("deleted group %s: GET answered %d, want 404", g.id, resp.status)
		}
		return
	}
	resp, err := r.do(ctx, "GET", "/Groups/"+g.id, nil, http.StatusOK)
	if err != nil {
		return
	}
	obj := resp.object()
	what := "group " + g.displayName
	r.compare(what, "displayName", obj["displayName"], g.displayName)
	want := map[string]bool{}
	for _, u := range r.m.memberUsers(g) {
		want[u.id] = true
	}
	got := map[string]bool{}
	raw, present := obj["members"].([]any)
	if !present && len(want) > 0 {
		// Members omitted from the resource: ask with a filter instead.
		r.note("%s: GET /Groups/{id} omitted members; read them with filter groups.value eq", what)
		got = r.membersByFilter(ctx, g)
	}
	for _, m := range raw {
		if mm, _ := m.(map[string]any); mm != nil {
			v, _ := mm["value"].(string)
			got[v] = true
		}
	}
	r.check.Add(1)
	var missing, extra []string
	for id := range want {
		if !got[id] {
			missing = append(missing, id)
		}
	}
	for id := range got {
		if !want[id] {
			extra = append(extra, id)
		}
	}
	if len(missing)+len(extra) > 0 {
		slices.Sort(missing)
		slices.Sort(extra)
		r.diff("%s: %d members, want %d: %d missing %s, %d unexpected %s", what, len(got), len(want),
			len(missing), firstFew(missing), len(extra), firstFew(extra))
	}
}

func firstFew(ids []string) string {
	if len(ids) > 3 {
		return "[" + strings.Join(ids[:3], " ") + " …]"
	}
	return "[" + strings.Join(ids, " ") + "]"
}

// membersByFilter pages through GET /Users?filter=groups.value eq "<id>".
func (r *runner) membersByFilter(ctx context.Context, g *group) map[string]bool {
	got := map[string]bool{}
	for start := 1; ; {
		resp, err := r.do(ctx, "GET", "/Users"+query("filter", eqFilter("groups.value", g.id),
			"attributes", "id", "startIndex", fmt.Sprint(start), "count", "1000"), nil, http.StatusOK)
		if err != nil {
			return got
		}
		l, err := parseList(resp.body)
		if err != nil {
			r.st.fail("members of " + g.id + ": " + err.Error())
			return got
		}
		for _, raw := range l.Resources {
			var u struct{ ID string }
			json.Unmarshal(raw, &u)
			got[u.ID] = true
		}
		start += len(l.Resources)
		if len(l.Resources) == 0 || start > l.TotalResults {
			return got
		}
	}
}

// verifyListing pages through the run's users the way Okta imports them
// (count=100) and counts the run's groups, checking totalResults, paging
// and the set of ids against the model.
func (r *runner) verifyListing(ctx context.Context) {
	want := map[string]bool{}
	for _, u := range r.m.users {
		if u.id != "" && !u.deleted {
			want[u.id] = true
		}
	}
	filter := fmt.Sprintf("userName sw %q", r.m.userPrefix())
	got := map[string]bool{}
	dups := 0
	total := -1
	for start := 1; ; {
		resp, err := r.do(ctx, "GET", "/Users"+query("filter", filter, "startIndex", fmt.Sprint(start), "count", "100"), nil, http.StatusOK)
		if err != nil {
			return
		}
		l, err := parseList(resp.body)
		if err != nil {
			r.diff("GET /Users?filter=%s&startIndex=%d: %v", filter, start, err)
			return
		}
		if total >= 0 && l.TotalResults != total {
			r.diff("GET /Users?filter=%s: totalResults changed from %d to %d between pages", filter, total, l.TotalResults)
		}
		total = l.TotalResults
		for _, raw := range l.Resources {
			var u struct{ ID string }
			json.Unmarshal(raw, &u)
			if got[u.ID] {
				dups++
			}
			got[u.ID] = true
		}
		start += len(l.Resources)
		if len(l.Resources) == 0 || start > l.TotalResults || start > 10*len(r.m.users)+1 {
			break
		}
	}
	r.compare("user listing", "totalResults", total, len(want))
	r.compare("user listing", "distinct ids read", len(got), len(want))
	r.compare("user listing", "duplicates across pages", dups, 0)
	for id := range got {
		if !want[id] {
			r.diff("user listing: unexpected id %s", id)
			break
		}
	}

	wantGroups := 0
	for _, g := range r.m.groups {
		if g.id != "" && !g.deleted {
			wantGroups++
		}
	}
	gfilter := fmt.Sprintf("displayName sw %q", r.m.groupPrefix())
	resp, err := r.do(ctx, "GET", "/Groups"+query("filter", gfilter, "excludedAttributes", "members", "count", "0"), nil, http.StatusOK)
	if err != nil {
		return
	}
	l, err := parseList(resp.body)
	if err != nil {
		r.diff("GET /Groups?filter=%s&count=0: %v", gfilter, err)
		return
	}
	r.compare("group listing", "totalResults", l.TotalResults, wantGroups)
}
