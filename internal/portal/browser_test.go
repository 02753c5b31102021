package portal_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/scimbridge/scimbridge/internal/app"
	"github.com/scimbridge/scimbridge/internal/config"
	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/testpg"
)

const apiKey = "portal-test-bootstrap-key-0123456789abcdef"

// server is a whole scimbridge process in the test: SQLite, the SCIM
// surface, the management API and the portal, on a real listener.
type server struct {
	t    *testing.T
	app  *app.App
	base string
}

func startServer(t *testing.T) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg := config.Config{DataDir: filepath.Join(t.TempDir(), "data"), Addr: ln.Addr().String(), PublicURL: base,
		APIKey: apiKey, LogLevel: "warn", LogFormat: "text", ShutdownTimeout: 5 * time.Second,
		RequestLog: true, RequestLogRetention: time.Hour, PortalName: "Acme Cloud", PortalAccent: "#0e7490"}
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
		a.Close()
	})
	return &server{t: t, app: a, base: base}
}

// call makes an HTTP request with a bearer secret and decodes the JSON
// answer.
func (s *server) call(method, url, bearer string, body any) (int, map[string]any) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// portalLink creates an organization and an embed link through the
// management API, as the app would.
func (s *server) portalLink(orgName string) (orgID, location string) {
	s.t.Helper()
	st, org := s.call("POST", s.base+"/api/v1/organizations", apiKey, map[string]any{"name": orgName})
	if st != 201 {
		s.t.Fatalf("create organization: %d %v", st, org)
	}
	orgID = org["id"].(string)
	st, l := s.call("POST", s.base+"/api/v1/organizations/"+orgID+"/portal_links", apiKey,
		map[string]any{"kind": "embed", "return_url": "https://app.example.com/settings"})
	if st != 201 {
		s.t.Fatalf("create portal link: %d %v", st, l)
	}
	return orgID, l["location"].(string)
}

// browser starts headless Chromium, or skips the test when it is missing.
func browser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := os.Getenv("SCIMBRIDGE_CHROMIUM")
	if path == "" {
		for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
			if _, err := os.Stat(p); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		if p, err := exec.LookPath("chromium"); err == nil {
			path = p
		}
	}
	if path == "" {
		testpg.NoteSkipped("browser (Admin Portal)", "no Chromium found; install it with `apt-get install -y chromium` or set SCIMBRIDGE_CHROMIUM; bash .ci/run installs it")
		t.Skip("browser tests skipped: no Chromium found (install it with `apt-get install -y chromium`, or set SCIMBRIDGE_CHROMIUM to its path); .ci/run installs it")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	opts = append(opts, extra...)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser; no timeout on this first call
		t.Fatalf("starting Chromium at %s: %v", path, err)
	}
	return ctx
}

// artifacts is where the screenshots go (git-ignored).
func artifacts(t *testing.T) string {
	dir := filepath.Join("..", "..", "test-artifacts", "portal")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

type tab struct {
	t   *testing.T
	ctx context.Context
	dir string
}

// get runs one action that returns a value, failing the test on error.
func get[T any](b tab, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		b.t.Fatalf("%s: %v (page %s)", what, err, loc)
	}
	return v
}

func (b tab) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	get(b, what, chromedp.Steps(steps...))
}

func (b tab) text(sel string) string {
	b.t.Helper()
	return get(b, "reading "+sel, chromedp.Text(chromedp.CSS(sel)))
}

func (b tab) body() string { return b.text("body") }

func (b tab) shot(name string) {
	b.t.Helper()
	png := get(b, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(b.dir, name), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func (b tab) open(url string) {
	b.t.Helper()
	b.run("opening "+url, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body")))
}

// navigating runs an action that loads a new page (a click on a link or a
// button, a form submission) and waits until the new page has loaded.
func (b tab) navigating(what string, a chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	get(b, what+": marking the page", chromedp.Evaluate[int](`window.__stale = 1`))
	b.run(what, a)
	// Evaluations fail while the old page's context goes away: retry.
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__stale === undefined && document.readyState === "complete"`))
		cancel()
		if err == nil && done {
			return
		}
		if time.Now().After(deadline) {
			loc, _ := chromedp.Run(b.ctx, chromedp.Location())
			b.t.Fatalf("%s: the next page did not load (last error %v, page %s)", what, err, loc)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b tab) click(sel string) {
	b.t.Helper()
	b.navigating("clicking "+sel, chromedp.Click(chromedp.CSS(sel)))
}

func (b tab) submit(sel string) {
	b.t.Helper()
	b.navigating("submitting "+sel, chromedp.Submit(chromedp.CSS(sel)))
}

func wantContains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s: %q not found in:\n%s", what, w, got)
		}
	}
}

// TestBrowserSeedFlow walks the design's flow as an IT admin would, in
// headless Chromium, with the test acting as the IdP over real HTTP.
func TestBrowserSeedFlow(t *testing.T) {
	t.Parallel() // each has its own server and Chromium
	ctx := browser(t)
	s := startServer(t)
	b := tab{t: t, ctx: ctx, dir: artifacts(t)}
	_, location := s.portalLink("Acme Corp")

	// 1. Open the link: the token leaves the URL.
	b.open(location)
	url := get(b, "location", chromedp.Location())
	if url != s.base+"/portal/scim" || strings.Contains(url, "token") {
		t.Fatalf("after opening the link the browser is at %s, want %s/portal/scim without the token", url, s.base)
	}
	page := b.body()
	wantContains(t, "SCIM Provisioning tab", page, "Acme Cloud", "Acme Corp", "Back to app", "Okta", "Microsoft Entra ID", "JumpCloud",
		"OneLogin", "PingIdentity", "Rippling", "Custom Provider", "Google Workspace", "Not available")
	b.shot("01-scim-providers.png")

	// 2. Custom Provider → Configure.
	b.click(`a[href="/portal/scim/providers/custom"]`)
	wantContains(t, "Custom Provider page", b.body(), "Configure", "Setup guide")
	b.click(`form[action="/portal/scim/providers/custom"] button[type=submit]`)
	b.run("waiting for the token", chromedp.WaitVisible(chromedp.CSS("#token")))
	endpoint := get(b, "endpoint", chromedp.Value(chromedp.CSS("#endpoint")))
	token := get(b, "token", chromedp.Value(chromedp.CSS("#token")))
	if !strings.HasPrefix(endpoint, s.base+"/scim/v2/dir_") || !strings.HasPrefix(token, directory.TokenPrefix) {
		t.Fatalf("endpoint %q, token %q: want the SCIM base URL and a %s token", endpoint, token, directory.TokenPrefix)
	}
	dirID := endpoint[strings.LastIndex(endpoint, "/")+1:]
	page = b.body()
	wantContains(t, "configured directory page", page, "you won't see it again", "Waiting for the first request from your IdP", "Copy", "step by step")
	b.shot("02-configured-endpoint-and-token.png")

	// 3. The test is the IdP: 3 users, 2 groups, with the copied values.
	ids := map[string]string{}
	for _, u := range []struct{ user, given, family string }{{"ada", "Ada", "Lovelace"}, {"bob", "Bob", "Builder"}, {"eve", "Eve", "Online"}} {
		st, out := s.call("POST", endpoint+"/Users", token, map[string]any{
			"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName": u.user + "@acme.example", "active": true,
			"name":   map[string]any{"givenName": u.given, "familyName": u.family},
			"emails": []any{map[string]any{"value": u.user + "@acme.example", "primary": true, "type": "work"}},
		})
		if st != 201 {
			t.Fatalf("IdP creating %s: %d %v", u.user, st, out)
		}
		ids[u.user] = out["id"].(string)
	}
	for _, g := range []struct {
		name    string
		members []string
	}{{"Engineering", []string{"ada", "bob"}}, {"Support", []string{"eve"}}} {
		var ms []any
		for _, m := range g.members {
			ms = append(ms, map[string]any{"value": ids[m]})
		}
		st, out := s.call("POST", endpoint+"/Groups", token, map[string]any{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": g.name, "members": ms})
		if st != 201 {
			t.Fatalf("IdP creating group %s: %d %v", g.name, st, out)
		}
		ids[g.name] = out["id"].(string)
	}

	// 4. The status panel shows the connection without a reload.
	b.run("waiting for the live status", chromedp.WaitVisible(chromedp.CSS(`section.status.connected`)))
	get(b, "waiting for the counts", chromedp.Poll[bool](`document.querySelector('[data-field="users"]').textContent === "3" && document.querySelector('[data-field="groups"]').textContent === "2"`, chromedp.WithPollingTimeout(10*time.Second)))
	wantContains(t, "status panel", b.text("section.status"), "Connected", "just now")
	if v := get(b, "token again", chromedp.Value(chromedp.CSS("#token"))); v != token {
		t.Errorf("the token field changed while the status updated: %q", v)
	}
	b.shot("03-status-connected.png")

	// 5. Users and Groups tabs list them.
	b.click(`nav.tabs a[href^="/portal/users"]`)
	users := b.text("table")
	wantContains(t, "Users tab", users, "Ada Lovelace", "ada@acme.example", "Bob Builder", "Eve Online", "Engineering", "Support", "Active", "Administrator")
	wantContains(t, "Users tab", b.body(), "3 users")
	b.shot("04-users.png")
	b.run("searching", chromedp.SetValue(chromedp.CSS("#q"), "BOB"))
	b.submit("#q")
	users = b.text("table")
	if !strings.Contains(users, "Bob Builder") || strings.Contains(users, "Ada") {
		t.Errorf("search BOB lists:\n%s", users)
	}
	b.click(`nav.tabs a[href^="/portal/groups"]`)
	groups := b.text("table")
	wantContains(t, "Groups tab", groups, "Engineering", "Support", "2", "1", "None")
	b.shot("05-groups.png")
	b.click(`a[href$="/groups/` + ids["Engineering"] + `"]`)
	wantContains(t, "group page", b.body(), "ada@acme.example", "bob@acme.example", "2 members")

	// 6. Map Engineering to member: preview, then save.
	b.click(`nav.tabs a[href^="/portal/roles"]`)
	wantContains(t, "Roles tab", b.body(), "Default role: Administrator", "3 users")
	b.run("choosing member", chromedp.SetValue(chromedp.CSS("#role-"+ids["Engineering"]), "member"),
		chromedp.SetValue(chromedp.CSS("#prio-"+ids["Engineering"]), "10"))
	b.click(`button[value=preview]`)
	wantContains(t, "preview", b.body(), "Preview: 2 users change role", "ada@acme.example", "bob@acme.example", "Administrator", "Member", "Nothing is saved yet")
	b.shot("06-roles-preview.png")
	b.click(`button[value=save]`)
	wantContains(t, "after saving", b.body(), "Role assignments saved", "1 user")

	// 7. The user's roles changed.
	b.open(s.base + "/portal/directories/" + dirID + "/users/" + ids["ada"])
	page = b.body()
	wantContains(t, "Ada's page", page, "Roles", "Member", "Engineering", "Raw SCIM attributes", "Lovelace", "User created")
	roles := get(b, "roles", chromedp.Text(chromedp.CSS(`section[aria-labelledby="roles-h"] p`)))
	if strings.TrimSpace(roles) != "Member" {
		t.Errorf("Ada's roles after mapping Engineering to member: %q, want Member", roles)
	}
	b.shot("07-user-detail.png")

	// 8. The IdP updates Bob and deactivates Eve; the Events tab shows
	// creations, the update and the deactivation.
	if st, out := s.call("PATCH", endpoint+"/Users/"+ids["bob"], token, map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "replace", "path": "title", "value": "Site lead"}}}); st != 200 {
		t.Fatalf("IdP updating bob: %d %v", st, out)
	}
	if st, out := s.call("PATCH", endpoint+"/Users/"+ids["eve"], token, map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "replace", "value": map[string]any{"active": false}}}}); st != 200 {
		t.Fatalf("IdP deactivating eve: %d %v", st, out)
	}
	s.call("GET", endpoint+"/Users/diruser_nope", token, nil) // a failing request for the log
	b.click(`nav.tabs a[href^="/portal/events"]`)
	events := b.text("main")
	wantContains(t, "Events tab", events, "User created", "User updated", "User deactivated", "Role changed", "Member added", "Group created",
		"title: none → Site lead", "active: true → false")
	b.shot("08-events.png")
	b.run("filtering by user", chromedp.SetValue(chromedp.CSS("#who"), "eve@acme.example"))
	b.submit("#who")
	events = b.text("main")
	if !strings.Contains(events, "User deactivated") || strings.Contains(events, "Bob Builder") {
		t.Errorf("events of eve@acme.example:\n%s", events)
	}
	b.click(`a[href^="/portal/events/requests"]`)
	wantContains(t, "request log", b.text("main"), "POST", "/Users", "201", "PATCH")
	b.run("failures only", chromedp.SetValue(chromedp.CSS("#failures"), "1"))
	b.submit("#failures")
	log := b.text("main")
	if !strings.Contains(log, "404") || strings.Contains(log, "201") {
		t.Errorf("failures-only request log:\n%s", log)
	}
	b.shot("09-request-log-failures.png")

	// 9. Leaving and re-opening the directory: the token is not shown.
	b.open(s.base + "/portal/directories/" + dirID)
	page = b.body()
	if strings.Contains(page, token) {
		t.Errorf("the token is visible after leaving and re-opening the directory page")
	}
	html := get(b, "html", chromedp.OuterHTML(chromedp.CSS("html")))
	if strings.Contains(html, token) || strings.Contains(html, `id="token"`) {
		t.Errorf("the token is in the re-opened page's HTML")
	}
	wantContains(t, "re-opened directory page", page, "shown only once", "Generate new token")
	if v := get(b, "endpoint again", chromedp.Value(chromedp.CSS("#endpoint"))); v != endpoint {
		t.Errorf("re-opened directory page shows endpoint %q, want %q", v, endpoint)
	}
	b.shot("10-directory-reopened.png")

	// 10. A POST without the CSRF token is refused, and changes nothing.
	status := get(b, "POST without CSRF", chromedp.Evaluate[int](`fetch("/portal/directories/`+dirID+`/disable", {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: "x=1"}).then(r => r.status)`,
		chromedp.EvalAwaitPromise))
	if status != http.StatusForbidden {
		t.Errorf("POST without CSRF token: status %d, want 403", status)
	}
	if d, err := s.app.Service.Store.GetDirectory(context.Background(), dirID); err != nil || !d.Enabled {
		t.Errorf("after a POST without CSRF token the directory is enabled=%v (%v), want still enabled", d.Enabled, err)
	}

	// 11. Another organization's pages are not reachable by changing ids.
	other, err := s.app.Service.CreateOrganization(context.Background(), "Other Co", "")
	if err != nil {
		t.Fatal(err)
	}
	od, err := s.app.Service.CreateDirectory(context.Background(), other.ID, "okta", "Other Okta")
	if err != nil {
		t.Fatal(err)
	}
	ou, err := s.app.Service.CreateUser(context.Background(), od, map[string]any{"userName": "secret.person@other.example"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		"/portal/directories/" + od.ID,
		"/portal/directories/" + od.ID + "/users/" + ou.ID,
		"/portal/directories/" + dirID + "/users/" + ou.ID,
		"/portal/users?dir=" + od.ID,
		"/portal/events?dir=" + od.ID,
		"/portal/directories/" + od.ID + "/status",
	} {
		b.open(s.base + p)
		page := b.body()
		if strings.Contains(page, "secret.person") || strings.Contains(page, "Other Okta") || !strings.Contains(page, "Not found") {
			t.Errorf("%s in organization Acme's session:\n%s", p, page)
		}
	}
	b.shot("11-other-organization-not-found.png")

	// 12. The portal in a 600-pixel-tall frame.
	b.run("600px viewport", chromedp.EmulateViewport(1280, 600))
	b.open(s.base + "/portal/users?dir=" + dirID)
	b.shot("12-users-1280x600.png")
	b.run("back to 900px", chromedp.EmulateViewport(1280, 900))

	// 12b. On a phone (390 pixels wide) the pages fit: nothing scrolls
	// sideways (tables scroll inside their own box).
	b.run("390px viewport", chromedp.EmulateViewport(390, 844))
	for _, p := range []struct{ path, name string }{
		{"/portal/scim", "15-providers-390.png"},
		{"/portal/directories/" + dirID, "16-directory-390.png"},
		{"/portal/users?dir=" + dirID, "17-users-390.png"},
		{"/portal/events?dir=" + dirID, "18-events-390.png"},
	} {
		b.open(s.base + p.path)
		if over := get(b, "page width "+p.path, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`)); over > 0 {
			wide := get(b, "wide elements", chromedp.Evaluate[string](wideElements))
			t.Errorf("%s at 390 px: the page is %d px wider than the screen; elements past its edge: %s", p.path, over, wide)
		}
		b.shot(p.name)
	}
	b.run("back to 1280px", chromedp.EmulateViewport(1280, 900))

	// 13. The embed link, opened again in this browser (a reload of the
	// app's frame), continues the session; in a browser without one, it is
	// refused with a clear page that leads back to the app.
	b.open(location)
	if url := get(b, "location", chromedp.Location()); url != s.base+"/portal/scim" {
		t.Errorf("reopening the used embed link with a live session: at %s, want %s/portal/scim", url, s.base)
	}
	b = tab{t: t, ctx: browser(t), dir: b.dir} // another browser: no cookies
	b.open(location)
	wantContains(t, "reused embed link", b.body(), "already used", "open the portal again", "Back to the application")
	if href := get(b, "return link", chromedp.Evaluate[string](`(document.querySelector('.error-page a[href^="https://app.example.com"]') || {}).href || ""`)); href != "https://app.example.com/settings" {
		t.Errorf("the used-link page links back to %q, want the link's return_url", href)
	}
	b.shot("13-link-already-used.png")
}

// wideElements names the innermost elements that reach past the right edge
// of the viewport, for a failure message.
const wideElements = `Array.from(document.querySelectorAll("body *")).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !Array.from(e.children).some(c => c.getBoundingClientRect().right > window.innerWidth + 1)).slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? "." + String(e.className).split(" ").join(".") : "") + " (" + Math.round(e.getBoundingClientRect().right) + "px)").join(", ")`

// TestBrowserExpiredLink: an embed link older than 5 minutes is refused
// with a page that says so.
func TestBrowserExpiredLink(t *testing.T) {
	t.Parallel() // each has its own server and Chromium
	ctx := browser(t)
	s := startServer(t)
	b := tab{t: t, ctx: ctx, dir: artifacts(t)}
	org, err := s.app.Service.CreateOrganization(context.Background(), "Late Inc", "")
	if err != nil {
		t.Fatal(err)
	}
	past := &directory.Portal{Store: s.app.Store, Orgs: s.app.Store,
		IDs: directory.IDs{Now: func() time.Time { return time.Now().Add(-6 * time.Minute) }, Rand: rand.Reader}}
	_, tok, err := past.CreateLink(context.Background(), org.ID, directory.PortalEmbed, "")
	if err != nil {
		t.Fatal(err)
	}
	b.open(s.base + "/portal/open?token=" + tok)
	page := b.body()
	wantContains(t, "expired link page", page, "has expired", "open the portal again")
	if strings.Contains(page, "Users") && strings.Contains(page, "Groups") {
		t.Errorf("the expired link's page shows the portal's tabs:\n%s", page)
	}
	b.shot("14-link-expired.png")
	// Without a session, pages are refused too.
	b.open(s.base + "/portal/users")
	wantContains(t, "no session", b.body(), "not signed in")
}
