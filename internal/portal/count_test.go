package portal_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/portal"
)

// TestListCountsStopAtCountShown: the Users and Groups tabs count at most
// CountShown matches (a large directory is not counted row by row on each
// view) and say "More than N" past it; below it they give the exact count.
func TestListCountsStopAtCountShown(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	svc := s.app.Service
	org, err := svc.CreateOrganization(ctx, "Counted", "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := svc.CreateDirectory(ctx, org.ID, "okta", "Okta")
	if err != nil {
		t.Fatal(err)
	}
	var members []any // Ann0-2 and Bob3, in the mapped group Team 0
	var mapped string
	for i := range 5 {
		name := fmt.Sprintf("Ann%d", i)
		if i >= 3 {
			name = fmt.Sprintf("Bob%d", i)
		}
		u, err := svc.CreateUser(ctx, d, map[string]any{"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName": name + "@example.com", "name": map[string]any{"givenName": name, "familyName": "X"}})
		if err != nil {
			t.Fatal(err)
		}
		if i < 4 {
			members = append(members, map[string]any{"value": u.ID})
		}
	}
	for i := range 5 {
		doc := map[string]any{"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": fmt.Sprintf("Team %d", i)}
		if i == 0 {
			doc["members"] = members
		}
		g, err := svc.CreateGroup(ctx, d, doc)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			mapped = g.ID
		}
	}
	if err := svc.PutRoleMappings(ctx, d.ID, []directory.RoleMapping{{GroupID: mapped, Role: "member", Priority: 1}}); err != nil {
		t.Fatal(err)
	}
	p := &directory.Portal{Store: s.app.Store, Orgs: s.app.Store, IDs: svc.IDs}
	h, err := portal.New(portal.Handler{Service: svc, Portal: p, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), CountShown: 3})
	if err != nil {
		t.Fatal(err)
	}
	_, tok, err := p.CreateLink(ctx, org.ID, directory.PortalShare, "")
	if err != nil {
		t.Fatal(err)
	}
	routes := h.Routes()
	rec := httptest.NewRecorder()
	routes.ServeHTTP(rec, httptest.NewRequest("GET", "/portal/open?token="+tok, nil))
	if rec.Code != 303 {
		t.Fatalf("open: %d", rec.Code)
	}
	cookie := rec.Result().Cookies()[0]
	for _, tc := range []struct{ path, want, not string }{
		{"/portal/users?dir=" + d.ID, "More than 3 users", ""},
		{"/portal/users?dir=" + d.ID + "&q=ann", "3 users match", "More than"},
		{"/portal/users?dir=" + d.ID + "&q=bob", "2 users match", "More than"},
		{"/portal/groups?dir=" + d.ID, "More than 3 groups", ""},
		// Team 0's 4 members: more than 3.
		{"/portal/groups?dir=" + d.ID, "<td>More than 3</td>", ""},
		{"/portal/directories/" + d.ID + "/groups/" + mapped, "More than 3 members", ""},
		// The Roles tab counts the users in no mapped group: 5 - 4.
		{"/portal/roles?dir=" + d.ID, "currently <strong>1 user</strong>", ""},
	} {
		req := httptest.NewRequest("GET", tc.path, nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		routes.ServeHTTP(rec, req)
		body := rec.Body.String()
		if rec.Code != 200 || !strings.Contains(body, tc.want) || (tc.not != "" && strings.Contains(body, tc.not)) {
			t.Errorf("GET %s: %d; want a page saying %q (and not %q):\n%.3000s", tc.path, rec.Code, tc.want, tc.not, body)
		}
	}
}

// TestLargeDirectoryCountsAreReused: the directory status counts a
// directory of at most CountShown users on every poll, and reuses a larger
// directory's counts for 30 seconds.
func TestLargeDirectoryCountsAreReused(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	clock := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	app := s.app.Service
	svc := directory.Service{Store: app.Store, Schemas: app.Schemas, Logger: app.Logger, MaxPatchOperations: app.MaxPatchOperations,
		Limits: app.Limits, IDs: directory.IDs{Now: func() time.Time { return clock }, Rand: app.IDs.Rand}}
	org, err := svc.CreateOrganization(ctx, "Counted", "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := svc.CreateDirectory(ctx, org.ID, "okta", "Okta")
	if err != nil {
		t.Fatal(err)
	}
	addUser := func(i int) {
		t.Helper()
		if _, err := svc.CreateUser(ctx, d, map[string]any{"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName": fmt.Sprintf("u%d@example.com", i)}); err != nil {
			t.Fatal(err)
		}
	}
	p := &directory.Portal{Store: s.app.Store, Orgs: s.app.Store, IDs: svc.IDs}
	h, err := portal.New(portal.Handler{Service: &svc, Portal: p, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), CountShown: 2})
	if err != nil {
		t.Fatal(err)
	}
	_, tok, err := p.CreateLink(ctx, org.ID, directory.PortalShare, "")
	if err != nil {
		t.Fatal(err)
	}
	routes := h.Routes()
	rec := httptest.NewRecorder()
	routes.ServeHTTP(rec, httptest.NewRequest("GET", "/portal/open?token="+tok, nil))
	cookie := rec.Result().Cookies()[0]
	users := func() string {
		t.Helper()
		req := httptest.NewRequest("GET", "/portal/directories/"+d.ID+"/status", nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		routes.ServeHTTP(rec, req)
		var st struct{ Users json.Number }
		if err := json.Unmarshal(rec.Body.Bytes(), &st); rec.Code != 200 || err != nil {
			t.Fatalf("status: %d %v %s", rec.Code, err, rec.Body)
		}
		return st.Users.String()
	}
	for i := range 2 {
		addUser(i)
		if got, want := users(), fmt.Sprint(i+1); got != want {
			t.Errorf("a small directory: status says %s users, want %s (counted on every poll)", got, want)
		}
	}
	addUser(2) // now larger than CountShown: counted, then reused
	if got := users(); got != "3" {
		t.Errorf("status says %s users, want 3", got)
	}
	addUser(3)
	clock = clock.Add(29 * time.Second)
	if got := users(); got != "3" {
		t.Errorf("29 s later: status says %s users, want the count of 3 reused", got)
	}
	clock = clock.Add(2 * time.Second)
	if got := users(); got != "4" {
		t.Errorf("31 s later: status says %s users, want 4 (counted again)", got)
	}
}
