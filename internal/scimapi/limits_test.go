package scimapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
	"github.com/scimbridge/scimbridge/internal/scimapi"
	"github.com/scimbridge/scimbridge/internal/web"
)

// overLimit is a string one byte over the default limit per string value.
var overLimit = strings.Repeat("t", directory.DefaultMaxValueBytes+1)

// wantTooBig checks a 400 invalidValue whose detail names the attribute
// and the limit.
func wantTooBig(t *testing.T, r *response, attr string) {
	t.Helper()
	r.want(t, http.StatusBadRequest, schema.ErrInvalidValue)
	want := fmt.Sprintf("%s is %d bytes; the limit is %d bytes per string value", attr, len(overLimit), directory.DefaultMaxValueBytes)
	if got := r.str("detail"); !strings.Contains(got, want) {
		t.Fatalf("detail %q, want it to contain %q", got, want)
	}
}

func patchOne(op, path string, value any) map[string]any {
	o := map[string]any{"op": op, "value": value}
	if path != "" {
		o["path"] = path
	}
	return map[string]any{"schemas": []string{schema.PatchOpURN}, "Operations": []any{o}}
}

// A string value over the limit is refused on every write, naming the
// attribute; nothing is stored.
func TestStringValueLimit(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("limits@example.com")
	user := func(extra map[string]any) map[string]any {
		m := map[string]any{"schemas": []string{schema.UserURN}, "userName": "limits@example.com"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}

	t.Run("POST", func(t *testing.T) {
		wantTooBig(t, e.do("POST", "Users", user(map[string]any{"userName": "new@example.com", "title": overLimit})), "title")
		if n := e.do("GET", "Users?filter="+`userName%20eq%20%22new@example.com%22`, nil).want(t, http.StatusOK).num("totalResults"); n != 0 {
			t.Fatalf("the refused user was stored: totalResults %d", n)
		}
	})
	t.Run("POST extension attribute", func(t *testing.T) {
		r := e.do("POST", "Users", user(map[string]any{"userName": "ext@example.com",
			schema.EnterpriseUserURN: map[string]any{"department": overLimit}}))
		wantTooBig(t, r, schema.EnterpriseUserURN+":department")
	})
	t.Run("POST sub-attribute", func(t *testing.T) {
		r := e.do("POST", "Users", user(map[string]any{"userName": "sub@example.com",
			"addresses": []any{map[string]any{"type": "work", "streetAddress": overLimit}}}))
		wantTooBig(t, r, "addresses.streetAddress")
	})
	t.Run("PUT", func(t *testing.T) {
		wantTooBig(t, e.do("PUT", "Users/"+id, user(map[string]any{"title": overLimit})), "title")
	})
	t.Run("PATCH with path", func(t *testing.T) {
		wantTooBig(t, e.do("PATCH", "Users/"+id, patchOne("replace", "title", overLimit)), "title")
	})
	t.Run("PATCH without path", func(t *testing.T) {
		wantTooBig(t, e.do("PATCH", "Users/"+id, patchOne("add", "", map[string]any{"title": overLimit})), "title")
	})
	t.Run("Bulk", func(t *testing.T) {
		r := e.do("POST", "Bulk", bulkRequest(0,
			map[string]any{"method": "POST", "path": "/Users", "bulkId": "b1", "data": user(map[string]any{"userName": "bulk@example.com", "title": overLimit})},
			map[string]any{"method": "PUT", "path": "/Users/" + id, "data": user(map[string]any{"title": overLimit})},
			map[string]any{"method": "PATCH", "path": "/Users/" + id, "data": patchOne("replace", "title", overLimit)},
		)).want(t, http.StatusOK)
		for i := range 3 {
			op := fmt.Sprintf("Operations.%d.", i)
			if got := r.str(op + "status"); got != "400" {
				t.Fatalf("operation %d: status %q, want 400; body %.300s", i, got, r.raw)
			}
			if got := r.str(op + "response.scimType"); got != schema.ErrInvalidValue {
				t.Fatalf("operation %d: scimType %q, want invalidValue", i, got)
			}
			if got := r.str(op + "response.detail"); !strings.HasPrefix(got, "title is ") {
				t.Fatalf("operation %d: detail %q does not name title", i, got)
			}
		}
	})
	t.Run("group in an unknown extension", func(t *testing.T) {
		r := e.do("POST", "Groups", map[string]any{"schemas": []string{schema.GroupURN}, "displayName": "Big",
			"urn:example:params:scim:schemas:extension:acme:2.0:Group": map[string]any{"note": overLimit}})
		wantTooBig(t, r, "urn:example:params:scim:schemas:extension:acme:2.0:Group:note")
	})
	t.Run("at the limit", func(t *testing.T) {
		title := overLimit[1:]
		r := e.do("PATCH", "Users/"+id, patchOne("replace", "title", title)).want(t, http.StatusOK)
		if got := r.str("title"); got != title {
			t.Fatalf("title of %d bytes not stored", len(got))
		}
	})
}

// A document over the limit per resource is refused, whether it comes
// whole (POST, PUT) or is the result of a PATCH of small values.
func TestResourceLimit(t *testing.T) {
	e := newEnv(t)
	// 15 addresses of 60 KiB: about 900 KiB, under 1 MiB.
	street := strings.Repeat("s", 60<<10)
	addresses := func(n int) []any {
		list := make([]any, n)
		for i := range list {
			list[i] = map[string]any{"type": fmt.Sprintf("t%d", i), "streetAddress": street}
		}
		return list
	}
	id := e.createUser("big@example.com", map[string]any{"addresses": addresses(15)})

	wantTooLarge := func(t *testing.T, r *response) {
		t.Helper()
		r.want(t, http.StatusBadRequest, schema.ErrInvalidValue)
		d := r.str("detail")
		if !strings.Contains(d, "the limit is 1048576 bytes per resource") || !strings.Contains(d, "largest attribute is addresses") {
			t.Fatalf("detail %q does not name the limit and the attribute", d)
		}
	}
	t.Run("POST", func(t *testing.T) {
		wantTooLarge(t, e.do("POST", "Users", map[string]any{"userName": "bigger@example.com", "addresses": addresses(20)}))
	})
	t.Run("PUT", func(t *testing.T) {
		wantTooLarge(t, e.do("PUT", "Users/"+id, map[string]any{"userName": "big@example.com", "addresses": addresses(20)}))
	})
	t.Run("PATCH result", func(t *testing.T) {
		more := []any{}
		for i := range 3 {
			more = append(more, map[string]any{"type": fmt.Sprintf("new%d", i), "streetAddress": strings.Repeat("n", 60<<10)})
		}
		wantTooLarge(t, e.do("PATCH", "Users/"+id, patchOne("add", "addresses", more)))
		r := e.do("GET", "Users/"+id, nil).want(t, http.StatusOK)
		if n := len(r.get("addresses").([]any)); n != 15 {
			t.Fatalf("addresses = %d after the refused PATCH, want 15", n)
		}
	})
	t.Run("group members do not count", func(t *testing.T) {
		// Members are rows: a group with more member data than the limit
		// per resource is fine.
		ids := make([]string, 0, 40)
		for i := range 40 {
			ids = append(ids, e.createUser(fmt.Sprintf("m%d@example.com", i)))
		}
		list := make([]any, 0, 20000)
		for i := range 20000 {
			list = append(list, map[string]any{"value": ids[i%len(ids)], "display": strings.Repeat("d", 50)})
		}
		e.do("POST", "Groups", map[string]any{"displayName": "Many", "members": list}).want(t, http.StatusCreated)
	})
}

// A resource stored under higher limits can still be updated (an IdP must
// be able to deactivate it) as long as the update adds no oversized value
// and does not grow it.
func TestLimitsLetOversizedResourcesShrink(t *testing.T) {
	e := newEnv(t)
	e.svc.Limits = directory.Limits{MaxValueBytes: 1 << 20, MaxResourceBytes: 4 << 20}
	id := e.createUser("legacy@example.com", map[string]any{"title": overLimit})
	e.svc.Limits = directory.Limits{}
	e.do("PATCH", "Users/"+id, patchOne("replace", "active", false)).want(t, http.StatusOK)
	wantTooBig(t, e.do("PATCH", "Users/"+id, patchOne("replace", "nickName", overLimit)), "nickName")
	e.do("PATCH", "Users/"+id, patchOne("replace", "title", "Engineer")).want(t, http.StatusOK)
}

// A list of large users is cut at the page byte budget; itemsPerPage says
// how many came, and paging by startIndex reaches every user.
func TestListPageByteBudget(t *testing.T) {
	const budget = 256 << 10
	e := newEnv(t, func(h *scimapi.Handler) { h.PageBytes = budget })
	title := strings.Repeat("x", 60<<10) // about 60 KiB per user: 5 reach 256 KiB
	want := map[string]bool{}
	for i := range 12 {
		id := e.createUser(fmt.Sprintf("u%02d@example.com", i), map[string]any{"title": title})
		want[id] = true
	}
	got := map[string]bool{}
	pages := 0
	for start := 1; ; pages++ {
		r := e.do("GET", fmt.Sprintf("Users?startIndex=%d&count=100", start), nil).want(t, http.StatusOK)
		n := r.num("itemsPerPage")
		// Resources are streamed: a page exceeds the budget by less than
		// one resource.
		if len(r.raw) > budget+len(title)+4096 {
			t.Fatalf("page of %d bytes, budget %d", len(r.raw), budget)
		}
		if n != len(r.resources()) || r.num("totalResults") != 12 || r.num("startIndex") != start {
			t.Fatalf("itemsPerPage %d, %d resources, totalResults %d, startIndex %d", n, len(r.resources()), r.num("totalResults"), r.num("startIndex"))
		}
		if n == 0 {
			break
		}
		if n > 5 {
			t.Fatalf("page of %d users of 60 KiB, want at most 5 for %d bytes", n, budget)
		}
		for _, res := range r.resources() {
			got[res["id"].(string)] = true
		}
		start += n
	}
	if len(got) != len(want) {
		t.Fatalf("paging reached %d users, want %d", len(got), len(want))
	}
	if pages < 3 {
		t.Fatalf("%d pages, want at least 3", pages)
	}

	// The first resource is always returned, however large.
	e2 := newEnv(t, func(h *scimapi.Handler) { h.PageBytes = 1 })
	e2.createUser("one@example.com")
	e2.createUser("two@example.com")
	r := e2.do("GET", "Users", nil).want(t, http.StatusOK)
	if r.num("itemsPerPage") != 1 || r.num("totalResults") != 2 {
		t.Fatalf("itemsPerPage %d, totalResults %d; want 1, 2", r.num("itemsPerPage"), r.num("totalResults"))
	}

	// POST /.search pages within the budget across both types too.
	r = e.do("POST", ".search", map[string]any{"schemas": []string{schema.SearchRequestURN}, "count": 100}).want(t, http.StatusOK)
	if n := r.num("itemsPerPage"); n < 1 || n > 5 || r.num("totalResults") != 12 {
		t.Fatalf(".search: itemsPerPage %d, totalResults %d", n, r.num("totalResults"))
	}
}

// Membership (a group's members, a user's groups) does not count against
// the page budget: Okta advances startIndex by count, so a page of groups
// must not end early because the groups have many members.
func TestListPageBudgetIgnoresMembership(t *testing.T) {
	e := newEnv(t, func(h *scimapi.Handler) { h.PageBytes = 4 << 10 })
	var users []string
	for i := range 60 {
		users = append(users, e.createUser(fmt.Sprintf("m%02d@example.com", i)))
	}
	for i := range 3 {
		e.createGroup(fmt.Sprintf("Group %d", i), users...) // about 8 KiB of members each
	}
	r := e.do("GET", "Groups?count=100", nil).want(t, http.StatusOK)
	if n := r.num("itemsPerPage"); n != 3 || len(r.raw) < 3*(8<<10) {
		t.Fatalf("itemsPerPage %d (%d bytes), want all 3 groups with their members", n, len(r.raw))
	}
	// Users of three groups each: about 1 KiB of groups per user, 60 users
	// of about 600 bytes of their own: the page ends at the budget of
	// their own attributes only.
	r = e.do("GET", "Users?count=100", nil).want(t, http.StatusOK)
	if n := r.num("itemsPerPage"); n < 5 || n >= 60 {
		t.Fatalf("users: itemsPerPage %d", n)
	}
}

// When every slot of the limiter is taken, a request is answered 503 with
// Retry-After and a SCIM error body; once a slot is free it is served.
func TestInFlightLimit(t *testing.T) {
	lim := web.NewLimiter(2, 0)
	e := newEnv(t, func(h *scimapi.Handler) { h.Limiter = lim })
	var releases []func()
	for range 2 {
		release, ok := lim.Acquire(context.Background())
		if !ok {
			t.Fatal("could not take a free slot")
		}
		releases = append(releases, release)
	}
	r := e.do("GET", "Users", nil).want(t, http.StatusServiceUnavailable)
	if got := r.header.Get("Retry-After"); got != "1" {
		t.Fatalf("Retry-After %q, want 1", got)
	}
	if d := r.str("detail"); !strings.Contains(d, "limit of 2 requests in flight") {
		t.Fatalf("detail %q", d)
	}
	releases[0]()
	e.do("GET", "Users", nil).want(t, http.StatusOK)
	releases[1]()

	// A request waits for a slot that frees within the limiter's wait.
	lim2 := web.NewLimiter(1, time.Minute)
	e2 := newEnv(t, func(h *scimapi.Handler) { h.Limiter = lim2 })
	release, _ := lim2.Acquire(context.Background())
	done := make(chan *response)
	go func() { done <- e2.do("GET", "Users", nil) }()
	release()
	(<-done).want(t, http.StatusOK)
}

// A page is read in several chunks (two resources, then more); the page
// is the same as one read would give, in every order.
func TestListPageReadInChunks(t *testing.T) {
	e := newEnv(t)
	var ids []string
	names := map[string]string{}
	for i := range 40 {
		name := fmt.Sprintf("u%02d@example.com", (i*17)%40) // creation order is not name order
		id := e.createUser(name)
		ids = append(ids, id)
		names[id] = name
	}
	order := func(path string) []string {
		r := e.do("GET", path, nil).want(t, http.StatusOK)
		var got []string
		for _, res := range r.resources() {
			got = append(got, res["id"].(string))
		}
		return got
	}
	join := func(s []string) string { return strings.Join(s, ",") }
	if got := order("Users?count=40"); join(got) != join(ids) {
		t.Fatalf("creation order:\n got %v\nwant %v", got, ids)
	}
	if got := order("Users?startIndex=5&count=30"); join(got) != join(ids[4:34]) {
		t.Fatalf("startIndex 5, count 30:\n got %v\nwant %v", got, ids[4:34])
	}
	rev := make([]string, len(ids))
	for i, id := range ids {
		rev[len(ids)-1-i] = id
	}
	if got := order("Users?count=40&sortOrder=descending"); join(got) != join(rev) {
		t.Fatalf("descending creation order:\n got %v\nwant %v", got, rev)
	}
	got := order("Users?count=40&sortBy=userName&sortOrder=descending")
	for i := 1; i < len(got); i++ {
		if names[got[i-1]] < names[got[i]] {
			t.Fatalf("sortBy userName descending: %s before %s", names[got[i-1]], names[got[i]])
		}
	}
	if len(got) != 40 {
		t.Fatalf("sortBy userName: %d users", len(got))
	}
}
