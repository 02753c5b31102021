package portal_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// configureIn opens the provider page and clicks Configure, and returns the
// directory id of the page it lands on.
func configureIn(b tab, base, slug string) string {
	b.t.Helper()
	b.open(base + "/portal/scim/providers/" + slug)
	b.click(`form[action="/portal/scim/providers/` + slug + `"] button[type=submit]`)
	endpoint := get(b, "endpoint", chromedp.Value(chromedp.CSS("#endpoint")))
	return endpoint[strings.LastIndex(endpoint, "/")+1:]
}

// jsNavigate runs script (which starts a navigation: Reload, Back,
// Forward, as the browser's buttons do) and waits for the new page.
func jsNavigate(b tab, what, script string) {
	b.t.Helper()
	before := get(b, what+": marking the page", chromedp.Evaluate[string](`window.__stale = 1, location.href`))
	get(b, what, chromedp.Evaluate[int](`setTimeout(() => { `+script+` }, 0), 1`))
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		// A page restored from the back/forward cache keeps its marks:
		// a new location counts as loaded too.
		done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(window.__stale === undefined || location.href !== `+strconv.Quote(before)+`) && document.readyState === "complete"`))
		cancel()
		if err == nil && done {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: the page did not load (last error %v)", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fitsScreen fails the test when the page is wider than the viewport.
func fitsScreen(b tab, what string) {
	b.t.Helper()
	if over := get(b, "page width "+what, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`)); over > 0 {
		b.t.Errorf("%s: the page is %d px wider than the screen; past its edge: %s", what, over, get(b, "wide elements", chromedp.Evaluate[string](wideElements)))
	}
}

func (s *server) countDirsAndTokens(orgID string) (dirs, tokens int) {
	s.t.Helper()
	ds, err := s.app.Service.Store.ListDirectories(context.Background(), orgID, "", 100)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, d := range ds {
		ts, err := s.app.Service.Store.ListTokens(context.Background(), d.ID)
		if err != nil {
			s.t.Fatal(err)
		}
		tokens += len(ts)
	}
	return len(ds), tokens
}

// TestBrowserConfigureOnce: Configure answers with a redirect; Reload, Back
// and a double submit leave exactly one directory and one token, and the
// token is shown once, by the page after the redirect.
func TestBrowserConfigureOnce(t *testing.T) {
	t.Parallel() // each has its own server and Chromium
	ctx := browser(t)
	s := startServer(t)
	b := tab{t: t, ctx: ctx, dir: artifacts(t)}
	orgID, location := s.portalLink("Once Inc")
	b.open(location)

	b.open(s.base + "/portal/scim/providers/okta")
	if name := get(b, "suggested name", chromedp.Value(chromedp.CSS("#name"))); name != "Okta" {
		t.Errorf("suggested directory name %q, want Okta", name)
	}
	b.shot("20-configure-okta-1280.png")
	b.click(`form[action="/portal/scim/providers/okta"] button[type=submit]`)
	url := get(b, "location", chromedp.Location())
	token := get(b, "token", chromedp.Value(chromedp.CSS("#token")))
	if !strings.Contains(url, "/portal/directories/dir_") || !strings.HasPrefix(token, directory.TokenPrefix) {
		t.Fatalf("after Configure: at %s with token %q, want the directory page showing a token", url, token)
	}
	// The guide has the token at the step where it is pasted.
	if g := get(b, "guide token", chromedp.Value(chromedp.CSS("#guide-token"))); g != token {
		t.Errorf("the guide's token field holds %q, want the new token", g)
	}
	b.shot("21-configured-okta-1280.png")

	// Reload: the same directory page, without the token, nothing created.
	jsNavigate(b, "reload", `location.reload()`)
	if html := get(b, "html", chromedp.OuterHTML(chromedp.CSS("html"))); strings.Contains(html, token) {
		t.Errorf("the token is shown again after Reload")
	}
	if u := get(b, "location", chromedp.Location()); u != url {
		t.Errorf("after Reload at %s, want %s", u, url)
	}
	// Back: the provider page (a GET), no resubmission; then Forward.
	jsNavigate(b, "back", `history.back()`)
	if u := get(b, "location", chromedp.Location()); !strings.HasSuffix(u, "/portal/scim/providers/okta") {
		t.Errorf("Back went to %s, want the provider page", u)
	}
	jsNavigate(b, "forward", `history.forward()`)
	if d, tk := s.countDirsAndTokens(orgID); d != 1 || tk != 1 {
		t.Errorf("after Configure, Reload, Back and Forward: %d directories, %d tokens; want 1 and 1", d, tk)
	}

	// A double submit of one form (the same form key twice, as a double
	// click sends it) creates one directory; both answers lead to it.
	b.open(s.base + "/portal/scim/providers/okta")
	if name := get(b, "suggested name", chromedp.Value(chromedp.CSS("#name"))); name != "Okta 2" {
		t.Errorf("second suggested directory name %q, want Okta 2", name)
	}
	urls := get(b, "double submit", chromedp.Evaluate[[]string](`(async () => {
		const body = new URLSearchParams(new FormData(document.querySelector('form[action="/portal/scim/providers/okta"]')));
		const send = () => fetch("/portal/scim/providers/okta", {method: "POST", body: body, redirect: "manual"}).then(r => r.type + " " + r.status);
		const a = await Promise.all([send(), send()]);
		return a;
	})()`, chromedp.EvalAwaitPromise))
	for _, u := range urls {
		if u != "opaqueredirect 0" {
			t.Errorf("a double-submitted Configure answered %q, want a redirect", u)
		}
	}
	if d, tk := s.countDirsAndTokens(orgID); d != 2 || tk != 2 {
		t.Errorf("after a double submit: %d directories, %d tokens; want 2 and 2", d, tk)
	}
	b.open(s.base + "/portal/scim")
	list := b.text("table")
	wantContains(t, "directory list", list, "Okta", "Okta 2", "from Okta")
	b.shot("22-directories-1280.png")
	b.run("390px viewport", chromedp.EmulateViewport(390, 844))
	b.open(s.base + "/portal/scim")
	fitsScreen(b, "22-directories-390.png")
	b.shot("22-directories-390.png")
	b.open(s.base + "/portal/scim/providers/okta")
	fitsScreen(b, "20-configure-okta-390.png")
	b.shot("20-configure-okta-390.png")
	b.open(url)
	fitsScreen(b, "21-directory-okta-390.png")
	b.shot("21-directory-okta-390.png")
	b.open(s.base + "/portal/roles")
	wantContains(t, "roles page", b.body(), "Group based role assignment")
	fitsScreen(b, "27-roles-390.png")
	b.shot("27-roles-390.png")
	b.run("back to 1280px", chromedp.EmulateViewport(1280, 900))
	b.open(s.base + "/portal/roles")
	b.shot("27-roles-1280.png")

	// Sign out answers with a redirect too.
	b.click(`form[action="/portal/logout"] button`)
	wantContains(t, "signed out", b.body(), "You have signed out", "Back to the application")
	if u := get(b, "location", chromedp.Location()); !strings.HasSuffix(u, "/portal/signed-out") {
		t.Errorf("after signing out at %s, want /portal/signed-out", u)
	}
	b.shot("23-signed-out-1280.png")
	b.run("390px viewport", chromedp.EmulateViewport(390, 844))
	jsNavigate(b, "reload", `location.reload()`)
	wantContains(t, "signed out, reloaded", b.body(), "You have signed out")
	fitsScreen(b, "23-signed-out-390.png")
	b.shot("23-signed-out-390.png")
	b.run("back to 1280px", chromedp.EmulateViewport(1280, 900))
}

// TestBrowserRefusedState: requests with a wrong token turn the connection
// panel to refused, with the count; a good request turns it back.
func TestBrowserRefusedState(t *testing.T) {
	t.Parallel() // each has its own server and Chromium
	ctx := browser(t)
	s := startServer(t)
	b := tab{t: t, ctx: ctx, dir: artifacts(t)}
	_, location := s.portalLink("Refused Ltd")
	b.open(location)
	dirID := configureIn(b, s.base, "okta")
	token := get(b, "token", chromedp.Value(chromedp.CSS("#token")))
	endpoint := s.base + "/scim/v2/" + dirID
	wantContains(t, "setup path", b.text(".setup-path"), "Choose your identity provider", "Paste them into Okta")
	if n := get(b, "steps done", chromedp.Evaluate[int](`document.querySelectorAll(".setup-path li.done").length`)); n != 2 {
		t.Errorf("%d setup steps done after Configure, want 2 (provider, copy)", n)
	}
	for i := 0; i < 8; i++ { // below the 10 a minute logged one by one; more arrive as a summary a minute later
		if st, _ := s.call("GET", endpoint+"/Users", "scimb_dt_wrong"+strings.Repeat("0", 43), nil); st != 401 {
			t.Fatalf("wrong token: %d", st)
		}
	}
	b.run("waiting for the refused state", chromedp.WaitVisible(chromedp.CSS(`section.status.refused`)))
	get(b, "waiting for the count", chromedp.Poll[bool](`document.querySelector('[data-field="detail"]').textContent.includes("8 refused requests")`, chromedp.WithPollingTimeout(10*time.Second)))
	panel := b.text("section.status")
	wantContains(t, "refused panel", panel, "Refused requests", "8 refused requests", "Generate a new token and paste it into Okta", "See the failing requests")
	if n := get(b, "steps done", chromedp.Evaluate[int](`document.querySelectorAll(".setup-path li.done").length`)); n != 3 {
		t.Errorf("%d setup steps done after refused requests, want 3 (provider, copy, paste)", n)
	}
	b.shot("24-status-refused-1280.png")
	b.click(`[data-link-wrap] a`)
	wantContains(t, "the failing requests", b.text("main"), "401", "GET")
	b.open(s.base + "/portal/scim")
	wantContains(t, "directory list", b.text("table"), "Refused requests (8)")
	b.open(s.base + "/portal/directories/" + dirID)

	// The IdP gets the right token: connected again, the users arrive.
	if st, out := s.call("POST", endpoint+"/Users", token, map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "ann@refused.example"}); st != 201 {
		t.Fatalf("good token: %d %v", st, out)
	}
	b.run("waiting for the connected state", chromedp.WaitVisible(chromedp.CSS(`section.status.connected`)))
	get(b, "waiting for the steps", chromedp.Poll[bool](`document.querySelectorAll(".setup-path li.done").length === 5`, chromedp.WithPollingTimeout(10*time.Second)))
	if hidden := get(b, "failing link", chromedp.Evaluate[bool](`document.querySelector("[data-link-wrap]").hidden`)); !hidden {
		t.Errorf("the failing requests link is still shown when connected")
	}
	b.shot("25-status-connected-setup-path-1280.png")
	b.run("390px viewport", chromedp.EmulateViewport(390, 844))
	b.open(s.base + "/portal/directories/" + dirID)
	fitsScreen(b, "25-status-connected-setup-path-390.png")
	b.shot("25-status-connected-setup-path-390.png")
	b.run("back to 1280px", chromedp.EmulateViewport(1280, 900))
}

// TestBrowserProviderGuides: every provider's page and its configured
// directory's page carry an admin guide in the IdP's words with the real
// endpoint URL, and none of the developer reference.
func TestBrowserProviderGuides(t *testing.T) {
	t.Parallel() // each has its own server and Chromium
	ctx := browser(t)
	s := startServer(t)
	b := tab{t: t, ctx: ctx, dir: artifacts(t)}
	_, location := s.portalLink("Guides GmbH")
	b.open(location)
	words := map[string][]string{
		"okta":         {"SCIM connector base URL", "Unique identifier field for users", "HTTP Header", "Push New Users", "Test Connector Configuration"},
		"entra_id":     {"Tenant URL", "Secret Token", "Test Connection", "Provisioning Status", "On"},
		"jumpcloud":    {"Base URL", "Token Key", "Test Connection", "Activate"},
		"onelogin":     {"SCIM Base URL", "SCIM Bearer Token", "Enable provisioning"},
		"pingidentity": {"SCIM Base URL", "OAuth 2 Bearer Token", "Test Connection"},
		"rippling":     {"SCIM Base URL", "Bearer Token", "User Management via SCIM"},
		"custom":       {"SCIM 2.0 Base URL", "OAuth Bearer Token"},
	}
	forbidden := []string{"README", "$KEY", "curl", "dir_…", "dir_01jd", "scimb_dt_…", "example.com", "RFC", "endpoint_url"}
	for _, slug := range []string{"okta", "entra_id", "jumpcloud", "onelogin", "pingidentity", "rippling", "custom"} {
		b.open(s.base + "/portal/scim/providers/" + slug)
		guide := b.text(".guide")
		wantContains(t, slug+" provider page guide", guide, words[slug]...)
		html := get(b, "html", chromedp.OuterHTML(chromedp.CSS("main")))
		for _, bad := range forbidden {
			if strings.Contains(html, bad) {
				t.Errorf("%s provider page contains %q", slug, bad)
			}
		}
		b.click(`form[action="/portal/scim/providers/` + slug + `"] button[type=submit]`)
		endpoint := get(b, "endpoint", chromedp.Value(chromedp.CSS("#endpoint")))
		if !strings.HasPrefix(endpoint, s.base+"/scim/v2/dir_") {
			t.Fatalf("%s: endpoint %q", slug, endpoint)
		}
		if g := get(b, "guide endpoint", chromedp.Value(chromedp.CSS(".guide #guide-endpoint"))); g != endpoint {
			t.Errorf("%s directory page: the guide's endpoint is %q, want %q", slug, g, endpoint)
		}
		if n := get(b, "copy buttons", chromedp.Evaluate[int](`document.querySelectorAll('.guide button[data-copy="guide-endpoint"]:not([hidden]), .guide button[data-copy="guide-token"]:not([hidden])').length`)); n != 2 {
			t.Errorf("%s directory page: %d visible copy buttons in the guide, want 2 (endpoint URL, token)", slug, n)
		}
		wantContains(t, slug+" directory page guide", b.text(".guide"), words[slug]...)
		html = get(b, "html", chromedp.OuterHTML(chromedp.CSS("main")))
		for _, bad := range forbidden {
			if strings.Contains(html, bad) {
				t.Errorf("%s directory page contains %q", slug, bad)
			}
		}
		if slug == "entra_id" || slug == "custom" {
			b.shot("26-guide-" + slug + "-1280.png")
			b.run("390px viewport", chromedp.EmulateViewport(390, 844))
			b.open(endpointPage(s.base, endpoint))
			fitsScreen(b, slug+" directory page at 390 px")
			b.shot("26-guide-" + slug + "-390.png")
			b.run("back to 1280px", chromedp.EmulateViewport(1280, 900))
		}
	}
}

func endpointPage(base, endpoint string) string {
	return base + "/portal/directories/" + endpoint[strings.LastIndex(endpoint, "/")+1:]
}
