package portal_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/portal"
)

// visitor is a browser without JavaScript: a cookie jar, no redirects
// followed automatically unless asked.
type visitor struct {
	t   *testing.T
	s   *server
	c   *http.Client
	jar *cookiejar.Jar
}

func newVisitor(t *testing.T, s *server) *visitor {
	jar, _ := cookiejar.New(nil)
	return &visitor{t: t, s: s, jar: jar, c: &http.Client{Jar: jar}}
}

func (v *visitor) get(path string) (int, string) {
	v.t.Helper()
	resp, err := v.c.Get(v.s.base + path)
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (v *visitor) post(path string, form url.Values) (int, string) {
	v.t.Helper()
	resp, err := v.c.PostForm(v.s.base+path, form)
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF field in page:\n%.1500s", page)
	}
	return m[1]
}

// signIn opens a new share link for a new organization and returns the
// visitor, the organization id and the SCIM Provisioning page.
func signIn(t *testing.T, s *server, name string) (*visitor, string, string) {
	t.Helper()
	st, org := s.call("POST", s.base+"/api/v1/organizations", apiKey, map[string]any{"name": name})
	if st != 201 {
		t.Fatal(org)
	}
	_, l := s.call("POST", s.base+"/api/v1/organizations/"+org["id"].(string)+"/portal_links", apiKey, map[string]any{"kind": "share"})
	v := newVisitor(t, s)
	code, page := v.get(strings.TrimPrefix(l["location"].(string), s.base))
	if code != 200 || !strings.Contains(page, "SCIM Provisioning") {
		t.Fatalf("opening the share link: %d\n%.1000s", code, page)
	}
	return v, org["id"].(string), page
}

var formKeyField = regexp.MustCompile(`name="form_key" value="([^"]+)"`)

// sessionOrg returns the id of the organization named name.
func sessionOrg(t *testing.T, s *server, name string) string {
	t.Helper()
	os, err := s.app.Service.Store.ListOrganizations(context.Background(), directory.OrgQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range os {
		if o.Name == name {
			return o.ID
		}
	}
	t.Fatalf("no organization %q", name)
	return ""
}

// formKeyOf returns the one-time form key of a page's form.
func formKeyOf(t *testing.T, page string) string {
	t.Helper()
	m := formKeyField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form_key field in page:\n%.1500s", page)
	}
	return m[1]
}

var secretField = regexp.MustCompile(`id="token" type="text" readonly value="([^"]+)"`)

func TestDirectoryLifecycleWithoutJavaScript(t *testing.T) {
	s := startServer(t)
	v, _, page := signIn(t, s, "Acme")
	csrf := csrfOf(t, page)
	// Google Workspace cannot be configured.
	if code, _ := v.post("/portal/scim/providers/google_workspace", url.Values{"csrf": {csrf}}); code != 400 {
		t.Errorf("configuring Google Workspace: %d, want 400", code)
	}
	_, page = v.get("/portal/scim/providers/okta")
	key := formKeyOf(t, page)
	code, page := v.post("/portal/scim/providers/okta", url.Values{"csrf": {csrf}, "form_key": {key}, "name": {"Acme <Okta>"}})
	if code != 200 {
		t.Fatalf("Configure (after its redirect): %d\n%.2000s", code, page)
	}
	// The same form again (a double click, or re-sent after Back): the
	// same directory, no second one, and the token is not shown again.
	code, again := v.post("/portal/scim/providers/okta", url.Values{"csrf": {csrf}, "form_key": {key}, "name": {"Acme <Okta>"}})
	if code != 200 || secretField.MatchString(again) || !strings.Contains(again, "Acme &lt;Okta&gt;") {
		t.Errorf("Configure sent twice: %d, token shown again: %v", code, secretField.MatchString(again))
	}
	if ds, _ := s.app.Service.Store.ListDirectories(context.Background(), sessionOrg(t, s, "Acme"), "", 10); len(ds) != 1 {
		t.Errorf("Configure sent twice made %d directories, want 1", len(ds))
	}
	// Without a form key (a page from before this version), nothing is made.
	if code, _ := v.post("/portal/scim/providers/okta", url.Values{"csrf": {csrf}}); code != 400 {
		t.Errorf("Configure without a form key: %d, want 400", code)
	}
	if !strings.Contains(page, "Acme &lt;Okta&gt;") || strings.Contains(page, "<Okta>") {
		t.Errorf("the directory name is not escaped")
	}
	first := secretField.FindStringSubmatch(page)[1]
	dirID := regexp.MustCompile(`/portal/directories/(dir_[a-z0-9]+)/status`).FindStringSubmatch(page)[1]
	// Rotation: a second token is shown once; a third is refused.
	code, page = v.post("/portal/directories/"+dirID+"/tokens", url.Values{"csrf": {csrf}, "form_key": {formKeyOf(t, page)}})
	m := secretField.FindStringSubmatch(page)
	if code != 200 || m == nil || m[1] == first {
		t.Fatalf("second token: %d %v", code, m)
	}
	second := m[1]
	if code, page := v.post("/portal/directories/"+dirID+"/tokens", url.Values{"csrf": {csrf}, "form_key": {formKeyOf(t, page)}}); code != 409 || !strings.Contains(page, "revoke one") {
		t.Errorf("third token: %d, want 409 saying to revoke one", code)
	}
	_, page = v.get("/portal/directories/" + dirID)
	if strings.Contains(page, first) || strings.Contains(page, second) {
		t.Errorf("a token secret is visible on the directory page")
	}
	ts, _ := s.app.Service.Store.ListTokens(context.Background(), dirID)
	if code, page := v.post("/portal/directories/"+dirID+"/tokens/"+ts[0].ID+"/revoke", url.Values{"csrf": {csrf}}); code != 200 || !strings.Contains(page, "The token was revoked") {
		t.Errorf("revoke: %d", code)
	}
	endpoint := s.base + "/scim/v2/" + dirID
	if st, _ := s.call("GET", endpoint+"/Users", first, nil); st != 401 {
		t.Errorf("SCIM with the revoked token: %d, want 401", st)
	}
	if st, _ := s.call("GET", endpoint+"/Users", second, nil); st != 200 {
		t.Errorf("SCIM with the second token: %d, want 200", st)
	}
	// Disable refuses the IdP; enable lets it back in.
	v.post("/portal/directories/"+dirID+"/disable", url.Values{"csrf": {csrf}})
	if st, _ := s.call("GET", endpoint+"/Users", second, nil); st != 403 {
		t.Errorf("SCIM on a disabled directory: %d, want 403", st)
	}
	v.post("/portal/directories/"+dirID+"/enable", url.Values{"csrf": {csrf}})
	if st, _ := s.call("GET", endpoint+"/Users", second, nil); st != 200 {
		t.Errorf("SCIM after enabling: %d, want 200", st)
	}
	// Delete asks for the name.
	if code, page := v.post("/portal/directories/"+dirID+"/delete", url.Values{"csrf": {csrf}, "confirm": {"acme"}}); code != 400 || !strings.Contains(page, "does not match") {
		t.Errorf("delete with the wrong name: %d", code)
	}
	if _, err := s.app.Service.Store.GetDirectory(context.Background(), dirID); err != nil {
		t.Fatalf("the directory is gone after a wrong confirmation: %v", err)
	}
	if code, page := v.post("/portal/directories/"+dirID+"/delete", url.Values{"csrf": {csrf}, "confirm": {"Acme <Okta>"}}); code != 200 || !strings.Contains(page, "was deleted") {
		t.Errorf("delete: %d", code)
	}
	if _, err := s.app.Service.Store.GetDirectory(context.Background(), dirID); !directory.IsNotFound(err) {
		t.Errorf("the directory still exists after delete: %v", err)
	}
	// Empty states.
	_, page = v.get("/portal/users")
	if !strings.Contains(page, "No directory yet") {
		t.Errorf("Users tab without directories has no empty state")
	}
}

func TestSessionsAndCSRF(t *testing.T) {
	s := startServer(t)
	v, orgID, page := signIn(t, s, "Acme")
	csrf := csrfOf(t, page)
	// A CSRF token of another session is refused too.
	w, _, other := signIn(t, s, "Other")
	if code, _ := v.post("/portal/scim/providers/custom", url.Values{"csrf": {csrfOf(t, other)}}); code != 403 {
		t.Errorf("POST with another session's CSRF token: %d, want 403", code)
	}
	if ds, _ := s.app.Service.Store.ListDirectories(context.Background(), orgID, "", 0); len(ds) != 0 {
		t.Errorf("a directory was created by a refused POST")
	}
	// Sign out ends the session.
	if code, _ := v.post("/portal/logout", url.Values{"csrf": {csrf}}); code != 200 {
		t.Errorf("sign out: %d", code)
	}
	if code, page := v.get("/portal/scim"); code != 401 || !strings.Contains(page, "not signed in") {
		t.Errorf("after sign out: %d", code)
	}
	// Revoking a share link ends its sessions.
	_, links := s.call("GET", s.base+"/api/v1/organizations/"+orgID+"/portal_links", apiKey, nil)
	_ = links
	ls, _ := s.app.Portal.ListLinks(context.Background(), orgID)
	s.call("DELETE", s.base+"/api/v1/organizations/"+orgID+"/portal_links/"+ls[0].ID, apiKey, nil)
	// w belongs to "Other": still signed in.
	if code, _ := w.get("/portal/scim"); code != 200 {
		t.Errorf("another organization's session after revoking Acme's link: %d", code)
	}
	// The status endpoint answers JSON, and 404 for another organization.
	if code, _ := w.get("/portal/directories/dir_01aaaaaaaaaaaaaaaaaaaaaaaa/status"); code != 404 {
		t.Errorf("status of an unknown directory: %d", code)
	}
	// Malformed input is a clear 400 page, never a crash.
	for _, p := range []string{"/portal/users?status=maybe", "/portal/users?after=x", "/portal/events?type=nope", "/portal/events/requests?before=zzz"} {
		s.app.Service.CreateDirectory(context.Background(), orgID, "custom", "")
		if code, page := w.get(p); code != 200 && code != 400 {
			t.Errorf("%s: %d\n%.500s", p, code, page)
		}
	}
}

func TestHeaders(t *testing.T) {
	s := startServer(t)
	v, _, _ := signIn(t, s, "Acme")
	resp, err := v.c.Get(s.base + "/portal/scim")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'none'") || resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers without frame ancestors: CSP %q, XFO %q, Cache-Control %q", csp, resp.Header.Get("X-Frame-Options"), resp.Header.Get("Cache-Control"))
	}

	// Over HTTPS with frame ancestors: the cookie works in a third-party
	// iframe, and only the listed origins may frame the portal.
	st := s.app.Store
	p := &directory.Portal{Store: st, Orgs: st, IDs: s.app.Service.IDs}
	org, _ := s.app.Service.CreateOrganization(context.Background(), "Framed", "")
	_, tok, err := p.CreateLink(context.Background(), org.ID, directory.PortalEmbed, "")
	if err != nil {
		t.Fatal(err)
	}
	h, err := portal.New(portal.Handler{Service: s.app.Service, Portal: p, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		PublicURL: "https://scim.example.com", FrameAncestors: []string{"https://app.example.com", "https://admin.example.com"},
		Branding: portal.Branding{Name: "Acme Cloud", Accent: "#123456"}})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.Routes().ServeHTTP(rec, httptest.NewRequest("GET", "/portal/open?token="+tok, nil))
	if rec.Code != 303 {
		t.Fatalf("open: %d", rec.Code)
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors https://app.example.com https://admin.example.com") || rec.Header().Get("X-Frame-Options") != "" {
		t.Errorf("CSP with frame ancestors: %q (X-Frame-Options %q)", csp, rec.Header().Get("X-Frame-Options"))
	}
	c := rec.Result().Cookies()[0]
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteNoneMode || !c.Partitioned || c.Path != "/portal/" {
		t.Errorf("session cookie over HTTPS with frame ancestors: %+v", c)
	}
	rec = httptest.NewRecorder()
	h.Routes().ServeHTTP(rec, httptest.NewRequest("GET", "/portal/static/theme.css", nil))
	if !strings.Contains(rec.Body.String(), "--accent: #123456") {
		t.Errorf("theme.css: %s", rec.Body)
	}
	// Plain HTTP: Lax, not Secure.
	_, tok, _ = p.CreateLink(context.Background(), org.ID, directory.PortalEmbed, "")
	resp, err = (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(s.base + "/portal/open?token=" + tok)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	c = resp.Cookies()[0]
	if !c.HttpOnly || c.Secure || c.SameSite != http.SameSiteLaxMode {
		t.Errorf("session cookie over HTTP: %+v", c)
	}
	if resp.Header.Get("Location") != "/portal/scim" {
		t.Errorf("open redirects to %q", resp.Header.Get("Location"))
	}
}

// TestRequestLogViewShowsDropsAndMetadata: the request log page says how
// many entries were not recorded since when, marks entries stored as
// metadata only, and shows summary entries with their count.
func TestRequestLogViewShowsDropsAndMetadata(t *testing.T) {
	s := startServer(t)
	v, orgID, _ := signIn(t, s, "Acme")
	ctx := context.Background()
	d, err := s.app.Service.CreateDirectory(ctx, orgID, "custom", "")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	es := []directory.RequestLog{
		{ID: "req_01aaaaaaaaaaaaaaaaaaaaaaab", DirectoryID: d.ID, OccurredAt: at, Method: "GET", Path: "/scim/v2/" + d.ID + "/Users", Status: 200, MetadataOnly: true},
		{ID: "req_01aaaaaaaaaaaaaaaaaaaaaaac", DirectoryID: d.ID, OccurredAt: at, Method: "GET", Path: "99 more refused requests (status 401) from 192.0.2.7", Status: 401, MetadataOnly: true, Repeats: 99},
	}
	if err := s.app.Store.AppendRequests(ctx, es); err != nil {
		t.Fatal(err)
	}
	if err := s.app.Store.NoteRequestsDropped(ctx, map[string]int64{d.ID: 3}, at); err != nil {
		t.Fatal(err)
	}
	code, page := v.get("/portal/events/requests?dir=" + d.ID)
	if code != 200 {
		t.Fatalf("request log page: %d\n%.1000s", code, page)
	}
	for _, want := range []string{"3 entries were not recorded", "metadata only", "99 more", "successful reads are stored as metadata only"} {
		if !strings.Contains(page, want) {
			t.Errorf("the request log page lacks %q", want)
		}
	}
}
