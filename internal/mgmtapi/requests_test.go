package mgmtapi_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

func TestListRequests(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	org, err := e.svc.CreateOrganization(ctx, "Acme", "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.svc.CreateDirectory(ctx, org.ID, "okta", "")
	if err != nil {
		t.Fatal(err)
	}
	methods := []string{"GET", "POST", "PATCH"}
	statuses := []int{200, 201, 404, 500, 302}
	var es []directory.RequestLog
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 12; i++ {
		id, err := e.svc.IDs.New(directory.PrefixRequest)
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, directory.RequestLog{ID: id, DirectoryID: d.ID, OccurredAt: at.Add(time.Duration(i) * time.Second),
			Method: methods[i%3], Path: fmt.Sprintf("/scim/v2/%s/Users?i=%d", d.ID, i), Status: statuses[i%5], Duration: 1500 * time.Microsecond,
			RequestBody: `{"userName":"u"}`, ResponseBody: `{}`})
	}
	if err := e.svc.Store.AppendRequests(ctx, es); err != nil {
		t.Fatal(err)
	}
	base := "/api/v1/directories/" + d.ID + "/requests"

	// Paging, newest first, until next_page_token is null.
	var seen []string
	q := url.Values{"page_size": {"5"}}
	for pages := 0; ; pages++ {
		status, out := e.call("GET", base+"?"+q.Encode(), bootstrapKey, "")
		if status != 200 || pages > 5 {
			t.Fatalf("page %d: %d %v", pages, status, out)
		}
		for _, x := range out["data"].([]any) {
			seen = append(seen, x.(map[string]any)["id"].(string))
		}
		next, ok := out["next_page_token"].(string)
		if !ok {
			if out["next_page_token"] != nil {
				t.Fatalf("next_page_token = %v, want a string or null", out["next_page_token"])
			}
			break
		}
		q.Set("page_token", next)
	}
	if len(seen) != len(es) {
		t.Fatalf("paged through %d entries, want %d", len(seen), len(es))
	}
	for i, id := range seen {
		if want := es[len(es)-1-i].ID; id != want {
			t.Errorf("entry %d = %s, want %s (newest first)", i, id, want)
		}
	}

	// Filters.
	count := func(query string) int {
		t.Helper()
		status, out := e.call("GET", base+"?"+query, bootstrapKey, "")
		if status != 200 {
			t.Fatalf("?%s: %d %v", query, status, out)
		}
		return len(out["data"].([]any))
	}
	for _, tc := range []struct {
		query string
		want  int
	}{
		{"status_class=2xx", 6},
		{"status_class=4xx", 2},
		{"status_class=3xx", 2},
		{"failures_only=true", 4},
		{"failures_only=true&method=GET", 1},
		{"method=patch", 4},
		{"status_class=2xx&failures_only=true", 0},
	} {
		if got := count(tc.query); got != tc.want {
			t.Errorf("?%s: %d entries, want %d", tc.query, got, tc.want)
		}
	}

	// Bad parameters are 400 with a message; an unknown directory is 404.
	for _, query := range []string{"page_size=0", "page_size=101", "page_size=x", "page_token=%%%", "page_token=bm90LWFuLWlk",
		"status_class=6xx", "method=HEAD", "failures_only=maybe", "colour=red"} {
		if status, out := e.call("GET", base+"?"+query, bootstrapKey, ""); status != 400 || errCode(out) != "invalid" {
			t.Errorf("?%s: %d %v, want 400 invalid", query, status, out)
		}
	}
	if status, _ := e.call("GET", "/api/v1/directories/dir_nope/requests", bootstrapKey, ""); status != 404 {
		t.Errorf("unknown directory: %d, want 404", status)
	}
	if status, _ := e.call("GET", base, "", ""); status != 401 {
		t.Errorf("without a key: %d, want 401", status)
	}
}

// TestRequestLogDropsAndBodiesSetting: the request log page reports the
// entries that could not be recorded, entries say whether their bodies
// were stored, and the directory setting request_log_bodies round-trips.
func TestRequestLogDropsAndBodiesSetting(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	org, err := e.svc.CreateOrganization(ctx, "Acme", "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.svc.CreateDirectory(ctx, org.ID, "okta", "")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := e.svc.Store.AppendRequests(ctx, []directory.RequestLog{{ID: "req_x", DirectoryID: d.ID, OccurredAt: at,
		Method: "GET", Path: "/x", Status: 200, MetadataOnly: true}}); err != nil {
		t.Fatal(err)
	}
	base := "/api/v1/directories/" + d.ID + "/requests"
	_, out := e.call("GET", base, bootstrapKey, "")
	if nr, _ := out["not_recorded"].(map[string]any); nr == nil || nr["count"] != float64(0) || nr["since"] != nil {
		t.Errorf("not_recorded with no drops = %v", out["not_recorded"])
	}
	if err := e.svc.Store.NoteRequestsDropped(ctx, map[string]int64{d.ID: 4}, at); err != nil {
		t.Fatal(err)
	}
	_, out = e.call("GET", base, bootstrapKey, "")
	if nr, _ := out["not_recorded"].(map[string]any); nr == nil || nr["count"] != float64(4) || nr["since"] != "2030-01-01T00:00:00Z" {
		t.Errorf("not_recorded = %v, want 4 since 2030-01-01T00:00:00Z", out["not_recorded"])
	}
	if x := out["data"].([]any)[0].(map[string]any); x["metadata_only"] != true || x["repeats"] != float64(0) {
		t.Errorf("entry = %v, want metadata_only true, repeats 0", x)
	}
	dir := "/api/v1/directories/" + d.ID
	_, got := e.call("GET", dir, bootstrapKey, "")
	if s := got["settings"].(map[string]any)["request_log_bodies"]; s != "writes_and_failures" {
		t.Errorf("default request_log_bodies = %v", s)
	}
	status, got := e.call("PATCH", dir, bootstrapKey, `{"settings":{"request_log_bodies":"all"}}`)
	if s := got["settings"].(map[string]any)["request_log_bodies"]; status != 200 || s != "all" {
		t.Errorf("PATCH request_log_bodies all: %d %v", status, got)
	}
	if status, got := e.call("PATCH", dir, bootstrapKey, `{"settings":{"request_log_bodies":"some"}}`); status != 400 {
		t.Errorf("PATCH request_log_bodies some: %d %v, want 400", status, got)
	}
}
