package mgmtapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/scimbridge/scimbridge/internal/mgmtapi"
	"github.com/scimbridge/scimbridge/internal/web"
)

// Lists of large users (and the events about them) end early at the page
// byte budget, and following the cursor still reaches every item.
func TestListPageByteBudget(t *testing.T) {
	const budget = 256 << 10
	e := newEnv(t, func(h *mgmtapi.Handler) { h.PageBytes = budget })
	ctx := context.Background()
	org, err := e.svc.CreateOrganization(ctx, "Acme", "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.svc.CreateDirectory(ctx, org.ID, "okta", "")
	if err != nil {
		t.Fatal(err)
	}
	st, out := e.call("GET", "/api/v1/events?after=latest", bootstrapKey, "")
	if st != 200 {
		t.Fatalf("events: %d", st)
	}
	cursor := out["next_cursor"].(string)
	title := strings.Repeat("x", 60<<10)
	want := map[string]bool{}
	for i := range 10 {
		u, err := e.svc.CreateUser(ctx, d, map[string]any{"userName": fmt.Sprintf("u%02d@example.com", i), "title": title})
		if err != nil {
			t.Fatal(err)
		}
		want[u.ID] = true
	}

	pageSizes := func(first string, next func(out map[string]any) (string, bool)) (map[string]bool, []int) {
		got, sizes := map[string]bool{}, []int{}
		path := first
		for range 20 {
			req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+bootstrapKey)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if len(raw) > budget+4096 {
				t.Fatalf("GET %s: page of %d bytes, budget %d", path, len(raw), budget)
			}
			_, out := e.call("GET", path, bootstrapKey, "")
			data := out["data"].([]any)
			for _, item := range data {
				m := item.(map[string]any)
				id, _ := m["id"].(string)
				if d, ok := m["data"].(map[string]any); ok { // an event
					id, _ = d["id"].(string)
				}
				got[id] = true
			}
			sizes = append(sizes, len(data))
			p, ok := next(out)
			if !ok {
				break
			}
			path = p
		}
		return got, sizes
	}

	base := "/api/v1/directories/" + d.ID + "/users?include_detail=true&page_size=100"
	got, sizes := pageSizes(base, func(out map[string]any) (string, bool) {
		tok, ok := out["next_page_token"].(string)
		return base + "&page_token=" + tok, ok
	})
	if len(got) != 10 || len(sizes) < 3 || sizes[0] > 2 {
		// Each user with include_detail is about 120 KiB: 2 per page.
		t.Fatalf("users: reached %d of 10 in pages of %v", len(got), sizes)
	}

	got, sizes = pageSizes("/api/v1/events?limit=1000&types=organization.directory.user_created&after="+cursor, func(out map[string]any) (string, bool) {
		data := out["data"].([]any)
		return "/api/v1/events?limit=1000&types=organization.directory.user_created&after=" + out["next_cursor"].(string), len(data) > 0
	})
	for id := range want {
		if !got[id] {
			t.Fatalf("events: user %s not reached; pages %v", id, sizes)
		}
	}
	if sizes[0] > 4 {
		t.Fatalf("events: first page of %d events of 60 KiB, budget %d", sizes[0], budget)
	}
}

// When every slot of the limiter is taken, a request is answered 503 with
// Retry-After and a JSON error.
func TestInFlightLimit(t *testing.T) {
	lim := web.NewLimiter(1, 0)
	e := newEnv(t, func(h *mgmtapi.Handler) { h.Limiter = lim })
	release, ok := lim.Acquire(context.Background())
	if !ok {
		t.Fatal("could not take a free slot")
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/organizations", nil)
	req.Header.Set("Authorization", "Bearer "+bootstrapKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") != "1" {
		t.Fatalf("status %d, Retry-After %q; want 503, 1", res.StatusCode, res.Header.Get("Retry-After"))
	}
	st, out := e.call("GET", "/api/v1/organizations", bootstrapKey, "")
	if st != http.StatusServiceUnavailable || errCode(out) != "unavailable" ||
		!strings.Contains(out["error"].(map[string]any)["message"].(string), "limit of 1 requests in flight") {
		t.Fatalf("%d %v", st, out)
	}
	release()
	if st, out := e.call("GET", "/api/v1/organizations", bootstrapKey, ""); st != http.StatusOK {
		t.Fatalf("after release: %d %v", st, out)
	}
}
