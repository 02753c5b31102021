package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/client"
	"github.com/scimbridge/scimbridge/internal/apitest"
	"github.com/scimbridge/scimbridge/internal/app"
	"github.com/scimbridge/scimbridge/internal/config"
)

var apiKey = strings.Repeat("k", 40)

// newServer starts a real in-process scimbridge and returns a client of it.
func newServer(t *testing.T) (*client.Client, *httptest.Server) {
	t.Helper()
	cfg := config.Config{DataDir: filepath.Join(t.TempDir(), "data"), Addr: "127.0.0.1:0", PublicURL: "http://scim.test",
		APIKey: apiKey, LogLevel: "warn", LogFormat: "text", ShutdownTimeout: 5 * time.Second,
		RequestLog: true, RequestLogRetention: time.Hour}
	a, err := app.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	logDone := make(chan error, 1)
	go func() { logDone <- a.RequestLog.Run(ctx) }()
	srv := httptest.NewServer(apitest.Validate(t, a.Handler()))
	t.Cleanup(func() { srv.Close(); cancel(); <-logDone; a.Close() })
	return client.New(srv.URL+"/", apiKey, client.WithHTTPClient(srv.Client())), srv
}

// scim sends a SCIM request to a directory and returns the created id.
func scim(t *testing.T, srv *httptest.Server, dirID, token, method, path string, body any) string {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, srv.URL+"/scim/v2/"+dirID+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ ID string }
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("SCIM %s %s: %d %s", method, path, resp.StatusCode, data)
	}
	json.Unmarshal(data, &out)
	return out.ID
}

// fixture is an organization with a directory holding n users and one
// group "Engineering" of the first three.
type fixture struct {
	org     client.Organization
	dir     client.Directory
	token   client.Token
	userIDs []string
	groupID string
}

func provision(t *testing.T, c *client.Client, srv *httptest.Server, n int) fixture {
	t.Helper()
	ctx := context.Background()
	var f fixture
	var err error
	if f.org, err = c.CreateOrganization(ctx, "Acme", "acme-1"); err != nil {
		t.Fatal(err)
	}
	if f.dir, err = c.CreateDirectory(ctx, f.org.ID, "okta", "Acme Okta"); err != nil {
		t.Fatal(err)
	}
	if f.token, err = c.CreateToken(ctx, f.dir.ID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		f.userIDs = append(f.userIDs, scim(t, srv, f.dir.ID, f.token.Token, "POST", "/Users", map[string]any{
			"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName": fmt.Sprintf("user%02d@acme.test", i), "active": i%2 == 0,
			"name":   map[string]any{"givenName": fmt.Sprintf("Given%02d", i), "familyName": "Family"},
			"emails": []any{map[string]any{"value": fmt.Sprintf("user%02d@acme.test", i), "primary": true}},
		}))
	}
	var members []any
	for _, id := range f.userIDs[:3] {
		members = append(members, map[string]any{"value": id})
	}
	f.groupID = scim(t, srv, f.dir.ID, f.token.Token, "POST", "/Groups", map[string]any{
		"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"displayName": "Engineering", "members": members,
	})
	return f
}

func TestOrganizations(t *testing.T) {
	c, _ := newServer(t)
	ctx := context.Background()
	var ids []string
	for i := range 5 {
		o, err := c.CreateOrganization(ctx, fmt.Sprintf("Org %d", i), fmt.Sprintf("ext-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		if o.ID == "" || o.CreatedAt.IsZero() || o.ExternalID != fmt.Sprintf("ext-%d", i) {
			t.Fatalf("created %+v", o)
		}
		ids = append(ids, o.ID)
	}
	sorted := slices.Sorted(slices.Values(ids)) // lists are in id order
	got, err := c.GetOrganization(ctx, ids[2])
	if err != nil || got.Name != "Org 2" {
		t.Fatalf("get: %+v %v", got, err)
	}
	page, next, err := c.ListOrganizations(ctx, client.ListOptions{PageSize: 2})
	if err != nil || len(page) != 2 || next == "" {
		t.Fatalf("page: %d %q %v", len(page), next, err)
	}
	var all []string
	for o, err := range c.Organizations(ctx, client.ListOptions{PageSize: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, o.ID)
	}
	if strings.Join(all, ",") != strings.Join(sorted, ",") {
		t.Errorf("iterator: got %v, want %v", all, sorted)
	}
	// Breaking out of the loop stops the iteration.
	n := 0
	for range c.Organizations(ctx, client.ListOptions{PageSize: 2}) {
		n++
		if n == 3 {
			break
		}
	}
	o, err := c.LookupOrganizationByExternalID(ctx, "ext-3")
	if err != nil || o.ID != ids[3] {
		t.Fatalf("lookup: %+v %v", o, err)
	}
	if _, err := c.LookupOrganizationByExternalID(ctx, "nope"); !client.IsNotFound(err) {
		t.Errorf("lookup of a missing external id: %v", err)
	}
	name, clear := "Renamed", ""
	o, err = c.UpdateOrganization(ctx, ids[0], client.OrganizationUpdate{Name: &name, ExternalID: &clear})
	if err != nil || o.Name != "Renamed" || o.ExternalID != "" {
		t.Fatalf("update: %+v %v", o, err)
	}
	if err := c.DeleteOrganization(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetOrganization(ctx, ids[0]); !client.IsNotFound(err) {
		t.Errorf("get after delete: %v", err)
	}
}

func TestDirectoriesAndTokens(t *testing.T) {
	c, _ := newServer(t)
	ctx := context.Background()
	org, err := c.CreateOrganization(ctx, "Acme", "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.CreateDirectory(ctx, org.ID, "okta", "Okta")
	if err != nil {
		t.Fatal(err)
	}
	if d.SetupState != client.SetupAwaitingToken || d.State != "waiting" || d.StateReason == "" || !d.Enabled || !strings.HasSuffix(d.EndpointURL, "/scim/v2/"+d.ID) {
		t.Errorf("created %+v", d)
	}
	for range 2 {
		if _, err := c.CreateDirectory(ctx, org.ID, "entra_id", "Entra"); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for d, err := range c.Directories(ctx, org.ID, client.ListOptions{PageSize: 1}) {
		if err != nil || d.OrganizationID != org.ID {
			t.Fatal(d, err)
		}
		n++
	}
	if n != 3 {
		t.Errorf("iterated %d directories, want 3", n)
	}
	if ds, next, err := c.ListDirectories(ctx, org.ID, client.ListOptions{}); err != nil || len(ds) != 3 || next != "" {
		t.Errorf("list: %d %q %v", len(ds), next, err)
	}
	tok, err := c.CreateToken(ctx, d.ID, time.Now().Add(time.Hour))
	if err != nil || !strings.HasSuffix(tok.Token, tok.Suffix) || tok.Token == "" || tok.ExpiresAt.IsZero() {
		t.Fatalf("token: %+v %v", tok, err)
	}
	if got, _ := c.GetDirectory(ctx, d.ID); got.SetupState != client.SetupAwaitingFirstRequest {
		t.Errorf("setup state with a token: %q", got.SetupState)
	}
	ts, err := c.ListTokens(ctx, d.ID)
	if err != nil || len(ts) != 1 || ts[0].Token != "" || !ts[0].Active {
		t.Fatalf("tokens: %+v %v", ts, err)
	}
	if err := c.RevokeToken(ctx, d.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	if ts, _ := c.ListTokens(ctx, d.ID); ts[0].Active || ts[0].RevokedAt.IsZero() {
		t.Errorf("after revoke: %+v", ts[0])
	}
	if d, err = c.DisableDirectory(ctx, d.ID); err != nil || d.Enabled {
		t.Fatalf("disable: %+v %v", d, err)
	}
	if d, err = c.EnableDirectory(ctx, d.ID); err != nil || !d.Enabled {
		t.Fatalf("enable: %+v %v", d, err)
	}
	name, strict, reject := "Okta prod", true, "reject"
	d, err = c.UpdateDirectory(ctx, d.ID, client.DirectoryUpdate{Name: &name,
		Settings: &client.DirectorySettingsUpdate{Strict: &strict, UnknownMembers: &reject}})
	if err != nil || d.Name != name || !d.Settings.Strict || d.Settings.UnknownMembers != "reject" {
		t.Fatalf("update: %+v %v", d, err)
	}
	if err := c.DeleteDirectory(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetDirectory(ctx, d.ID); !client.IsNotFound(err) {
		t.Errorf("get after delete: %v", err)
	}
}

func TestUsersGroupsAndRequests(t *testing.T) {
	c, srv := newServer(t)
	ctx := context.Background()
	f := provision(t, c, srv, 7)
	var got []string
	for u, err := range c.Users(ctx, f.dir.ID, client.ListUsersOptions{PageSize: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, u.ID)
	}
	if strings.Join(got, ",") != strings.Join(f.userIDs, ",") {
		t.Errorf("users: got %v, want %v", got, f.userIDs)
	}
	yes := true
	for _, tc := range []struct {
		name string
		opts client.ListUsersOptions
		want int
	}{
		{"active", client.ListUsersOptions{Active: &yes}, 4},
		{"group", client.ListUsersOptions{GroupID: f.groupID}, 3},
		{"email", client.ListUsersOptions{Email: "USER03@acme.test"}, 1},
		{"q", client.ListUsersOptions{Q: "USER0"}, 7}, // a prefix of the user name (the portal's search)
		{"updated_after", client.ListUsersOptions{UpdatedAfter: time.Now().Add(time.Hour)}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			us, next, err := c.ListUsers(ctx, f.dir.ID, tc.opts)
			if err != nil || len(us) != tc.want || next != "" {
				t.Errorf("got %d users (next %q, %v), want %d", len(us), next, err, tc.want)
			}
		})
	}
	u, err := c.GetUser(ctx, f.dir.ID, f.userIDs[0], true)
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "user00@acme.test" || u.FirstName != "Given00" || !u.Active || u.Role != "admin" ||
		len(u.Groups) != 1 || u.Groups[0].Name != "Engineering" || u.RawAttributes["userName"] != "user00@acme.test" {
		t.Errorf("user: %+v", u)
	}
	if u, _ := c.GetUser(ctx, f.dir.ID, f.userIDs[0], false); u.RawAttributes != nil {
		t.Errorf("raw attributes without include_detail")
	}
	g, err := c.GetGroup(ctx, f.dir.ID, f.groupID)
	if err != nil || g.Name != "Engineering" || g.MemberCount != 3 {
		t.Fatalf("group: %+v %v", g, err)
	}
	gs, _, err := c.ListGroups(ctx, f.dir.ID, client.ListGroupsOptions{UserID: f.userIDs[1], Q: "eng"})
	if err != nil || len(gs) != 1 {
		t.Fatalf("groups: %+v %v", gs, err)
	}
	n := 0
	for _, err := range c.Groups(ctx, f.dir.ID, client.ListGroupsOptions{PageSize: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 1 {
		t.Errorf("iterated %d groups", n)
	}
	var ms []string
	for m, err := range c.Members(ctx, f.dir.ID, f.groupID, client.ListOptions{PageSize: 2}) {
		if err != nil || m.Type != "user" {
			t.Fatal(m, err)
		}
		ms = append(ms, m.ID)
	}
	if len(ms) != 3 {
		t.Errorf("members %v", ms)
	}
	if page, next, err := c.ListMembers(ctx, f.dir.ID, f.groupID, client.ListOptions{PageSize: 2}); err != nil || len(page) != 2 || next == "" {
		t.Errorf("members page: %d %q %v", len(page), next, err)
	}
	d, _ := c.GetDirectory(ctx, f.dir.ID)
	if d.UserCount != 7 || d.GroupCount != 1 || d.SetupState != client.SetupConnected || d.LastRequestAt.IsZero() {
		t.Errorf("directory: %+v", d)
	}
	// The request log holds the 8 SCIM requests above, newest first.
	// The request log is written in the background: wait for it.
	var reqs []client.RequestLogEntry
	for deadline := time.Now().Add(5 * time.Second); len(reqs) < 8 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		reqs = reqs[:0]
		for e, err := range c.Requests(ctx, f.dir.ID, client.ListRequestsOptions{PageSize: 3}) {
			if err != nil {
				t.Fatal(err)
			}
			reqs = append(reqs, e)
		}
	}
	if len(reqs) != 8 || reqs[0].Path != "/scim/v2/"+f.dir.ID+"/Groups" || reqs[0].Method != "POST" || reqs[0].Status != 201 {
		t.Errorf("requests: %d, first %+v", len(reqs), reqs[0])
	}
	if es, _, err := c.ListRequests(ctx, f.dir.ID, client.ListRequestsOptions{FailuresOnly: true, Method: "GET", StatusClass: "4xx"}); err != nil || len(es) != 0 {
		t.Errorf("failures: %d %v", len(es), err)
	}
}

func TestRolesAndMappings(t *testing.T) {
	c, srv := newServer(t)
	ctx := context.Background()
	f := provision(t, c, srv, 4)
	rs, err := c.ListRoles(ctx)
	if err != nil || len(rs) != 2 {
		t.Fatalf("roles: %+v %v", rs, err)
	}
	r, err := c.CreateRole(ctx, client.Role{Key: "viewer", Name: "Viewer", Description: "reads"})
	if err != nil || r.Key != "viewer" || r.Default {
		t.Fatalf("create role: %+v %v", r, err)
	}
	name := "Read only"
	if r, err = c.UpdateRole(ctx, "viewer", client.RoleUpdate{Name: &name}); err != nil || r.Name != name {
		t.Fatalf("update role: %+v %v", r, err)
	}
	want := []client.RoleMapping{{GroupID: f.groupID, Role: "viewer", Priority: 1}}
	p, err := c.PreviewRoleMappings(ctx, f.dir.ID, want)
	if err != nil || p.UsersChangingRole != 3 || len(p.Sample) != 3 || p.Sample[0].ToRole != "viewer" {
		t.Fatalf("preview: %+v %v", p, err)
	}
	if ms, _ := c.GetRoleMappings(ctx, f.dir.ID); len(ms) != 0 {
		t.Errorf("preview applied the mappings: %+v", ms)
	}
	ms, err := c.PutRoleMappings(ctx, f.dir.ID, want)
	if err != nil || len(ms) != 1 || ms[0] != want[0] {
		t.Fatalf("put: %+v %v", ms, err)
	}
	if ms, err := c.GetRoleMappings(ctx, f.dir.ID); err != nil || len(ms) != 1 {
		t.Fatalf("get: %+v %v", ms, err)
	}
	if u, _ := c.GetUser(ctx, f.dir.ID, f.userIDs[0], false); u.Role != "viewer" {
		t.Errorf("mapped user role %q", u.Role)
	}
	dr, err := c.SetOrganizationDefaultRole(ctx, f.org.ID, "member")
	if err != nil || dr.Role != "member" || dr.EffectiveDefaultRole != "member" {
		t.Fatalf("default role: %+v %v", dr, err)
	}
	if u, _ := c.GetUser(ctx, f.dir.ID, f.userIDs[3], false); u.Role != "member" {
		t.Errorf("unmapped user role %q, want the organization default", u.Role)
	}
	if dr, err = c.SetOrganizationDefaultRole(ctx, f.org.ID, ""); err != nil || dr.Role != "" || dr.EffectiveDefaultRole != "admin" {
		t.Fatalf("clear default role: %+v %v", dr, err)
	}
	if err := c.DeleteRole(ctx, "viewer"); err != nil {
		t.Fatal(err)
	}
	if u, _ := c.GetUser(ctx, f.dir.ID, f.userIDs[0], false); u.Role != "admin" {
		t.Errorf("after role delete: %q", u.Role)
	}
	if _, err := c.PutRoleMappings(ctx, f.dir.ID, nil); err != nil {
		t.Fatal(err)
	}
}

func TestErrors(t *testing.T) {
	c, srv := newServer(t)
	ctx := context.Background()
	var ae *client.APIError
	_, err := c.GetDirectory(ctx, "dir_missing")
	if !errors.As(err, &ae) || ae.Status != 404 || ae.Code != "not_found" || ae.Message == "" || !client.IsNotFound(err) {
		t.Errorf("404: %#v", err)
	}
	if _, err := c.CreateRole(ctx, client.Role{Key: "admin", Name: "Again"}); !client.IsConflict(err) {
		t.Errorf("409: %v", err)
	}
	bad := client.New(srv.URL, "wrong-key-"+strings.Repeat("x", 30), client.WithHTTPClient(srv.Client()))
	_, err = bad.ListRoles(ctx)
	if !client.IsUnauthorized(err) {
		t.Errorf("401: %v", err)
	}
	if strings.Contains(err.Error(), "wrong-key") || strings.Contains(fmt.Sprintf("%v %#v %+v", bad, bad, bad), "wrong-key") {
		t.Errorf("the API key leaks: %v / %v", err, bad)
	}
	// An unknown field: the client itself never sends one, so send it raw.
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/organizations", strings.NewReader(`{"name":"x","colour":"red"}`))
	req.Header.Set("Authorization", "Bearer "+apiKey)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("unknown field: %d", resp.StatusCode)
	}
	// 400 through the client: a bad enum value and a bad page token.
	um := "sometimes"
	org, _ := c.CreateOrganization(ctx, "Acme", "")
	d, _ := c.CreateDirectory(ctx, org.ID, "okta", "Okta")
	_, err = c.UpdateDirectory(ctx, d.ID, client.DirectoryUpdate{Settings: &client.DirectorySettingsUpdate{UnknownMembers: &um}})
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Code != "invalid" || !strings.Contains(ae.Message, "unknown_members") {
		t.Errorf("400: %v", err)
	}
	if _, _, err := c.ListUsers(ctx, d.ID, client.ListUsersOptions{PageToken: "!!"}); !errors.As(err, &ae) || ae.Status != 400 {
		t.Errorf("bad page token: %v", err)
	}
	// An iterator yields the error once and stops.
	n := 0
	for _, err := range c.Users(ctx, "dir_missing", client.ListUsersOptions{}) {
		n++
		if !client.IsNotFound(err) {
			t.Errorf("iterator error: %v", err)
		}
	}
	if n != 1 {
		t.Errorf("iterator yielded %d times", n)
	}
	// A connection error is not an APIError.
	down := client.New("http://127.0.0.1:1", apiKey)
	if _, err := down.ListRoles(ctx); err == nil || errors.As(err, &ae) {
		t.Errorf("connection error: %v", err)
	}
}
