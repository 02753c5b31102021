package portal_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// TestBrowserEventsForAdmins: the Events tab as an admin uses it. The
// user/group filter matches by prefix, like the Users search; every event
// says who made the change; role changes name the roles; rows show that
// they expand; times are in the viewer's time zone with UTC on hover.
func TestBrowserEventsForAdmins(t *testing.T) {
	t.Parallel()                                       // each has its own server and Chromium
	ctx := browser(t, chromedp.Env("TZ=Asia/Kolkata")) // the viewer is in India
	f := newWalkFixture(t)
	b := tab{t: t, ctx: ctx, dir: artifacts(t)}
	b.open(f.location)

	// An admin in the portal maps Engineering to Administrator: its
	// members' role changes are the admin's.
	b.open(f.s.base + "/portal/roles?dir=" + f.dirID)
	b.run("choosing a role", chromedp.SetValue(chromedp.CSS("#role-"+f.groupID), "admin"))
	b.click(`button[value=save]`)

	b.open(f.s.base + "/portal/events?dir=" + f.dirID + "&who=ad")
	main := b.text("main")
	wantContains(t, "events of ad…", main, "Events of", "ada@acme.example", "adam.very-long-email-address-for-layout@acme.example",
		"User created", "Role changed", "by Okta (identity provider) · token …", "by an admin in this portal",
		"by the application (configured API key)", "role: Administrator → Member", "role: Member → Administrator")
	if strings.Contains(main, "bob@acme.example") {
		t.Errorf("the filter ad matches bob's events:\n%s", main)
	}
	// A group matches by prefix too.
	b.open(f.s.base + "/portal/events?dir=" + f.dirID + "&who=engin")
	wantContains(t, "events of engin…", b.text("main"), "Group created", "Engineering", "Member added")
	b.open(f.s.base + "/portal/events?dir=" + f.dirID + "&who=zed")
	wantContains(t, "no match", b.text("main"), "No user or group starts with “zed”")

	b.open(f.s.base + "/portal/events?dir=" + f.dirID)
	// Rows show that they expand, and expand.
	cue := get(b, "expand cue", chromedp.Evaluate[string](`getComputedStyle(document.querySelector("details.req.ev > summary"), "::before").content`))
	if cue == "none" || cue == "" || cue == `""` {
		t.Errorf("event rows show no expand cue (summary::before content %s)", cue)
	}
	b.run("expanding the first event", chromedp.Click(chromedp.CSS("details.req.ev > summary")))
	if open := get(b, "expanded", chromedp.Evaluate[bool](`document.querySelector("details.req.ev").open && document.querySelector("details.req.ev pre").getBoundingClientRect().height > 0`)); !open {
		t.Errorf("clicking an event row did not show its details")
	}
	wantContains(t, "expanded event", b.text("details.req.ev pre"), `"actor"`, `"type": "portal"`)
	// Times: shown in the viewer's zone (India, UTC+5:30), UTC on hover.
	tm := get(b, "time", chromedp.Evaluate[[]string](`(t => [t.textContent, t.title, t.getAttribute("datetime")])(document.querySelector("details.req.ev time"))`))
	at, err := time.Parse(time.RFC3339, tm[2])
	if err != nil {
		t.Fatalf("time element %q: %v", tm, err)
	}
	local := at.In(time.FixedZone("IST", 5*3600+1800))
	if !strings.Contains(tm[0], local.Format("3:04")) || !strings.HasSuffix(tm[1], "UTC") || !strings.Contains(tm[1], at.UTC().Format("15:04:05")) {
		t.Errorf("event time shows %q with title %q; want the time in Asia/Kolkata (%s) and the UTC time on hover", tm[0], tm[1], local.Format("15:04"))
	}
	b.shot("events-actors-local-time.png")
}

// TestBrowserSaferControls: revoking a recently used token asks first
// (with the page's script disabled: it works without JavaScript); an
// unused token is revoked at once; a disabled button looks disabled; the
// roles page's count does not move before Save.
func TestBrowserSaferControls(t *testing.T) {
	t.Parallel() // each has its own server and Chromium
	ctx := browser(t)
	f := newWalkFixture(t)
	b := tab{t: t, ctx: ctx, dir: artifacts(t)}
	bg := context.Background()
	b.open(f.location)
	// A second browser with JavaScript off, signed in with a link of its
	// own, for the revoke flow.
	nojs := tab{t: t, ctx: browser(t, chromedp.Flag("blink-settings", "scriptEnabled=false")), dir: b.dir}
	nojs.open(f.s.base + f.s.newLink(f.orgID))

	// A second token: two are active, so "Generate new token" is disabled
	// and looks it.
	spare, _, err := f.s.app.Service.CreateToken(bg, f.dirID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	b.open(f.s.base + "/portal/directories/" + f.dirID)
	look := get(b, "disabled button", chromedp.Evaluate[[]string](`(btn => { const s = getComputedStyle(btn), a = getComputedStyle(document.querySelector("form[action$='/disable'] button, .btn:not(.secondary)") || btn); return [String(btn.disabled), s.backgroundColor, s.cursor, getComputedStyle(document.querySelector("a.btn.danger")).backgroundColor]; })(document.querySelector("form[action$='/tokens'] button"))`))
	accent := get(b, "accent", chromedp.Evaluate[string](`(() => { const e = document.createElement("button"); document.body.appendChild(e); const c = getComputedStyle(e).backgroundColor; e.remove(); return c; })()`))
	if look[0] != "true" || look[1] == accent || look[2] != "not-allowed" {
		t.Errorf("the disabled Generate button: disabled=%s background %s (an enabled button's: %s), cursor %s; want it to look disabled", look[0], look[1], accent, look[2])
	}

	// Without JavaScript from here on.
	if js := get(nojs, "script", chromedp.Evaluate[bool](`!!document.querySelector("button[data-copy]:not([hidden])")`)); js {
		t.Fatalf("the page's script ran in the browser meant to have JavaScript off")
	}
	b, main := nojs, b
	active := func(id string) bool {
		t.Helper()
		ts, err := f.s.app.Service.Read().ListTokens(bg, f.dirID)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range ts {
			if tk.ID == id {
				return tk.Active(time.Now())
			}
		}
		t.Fatalf("token %s not found", id)
		return false
	}
	// The unused token is revoked at once.
	b.open(f.s.base + "/portal/directories/" + f.dirID)
	b.submit(`form[action$="/tokens/` + spare.ID + `/revoke"] button`)
	wantContains(t, "after revoking the unused token", b.body(), "The token was revoked")
	if active(spare.ID) {
		t.Errorf("the unused token is still active after Revoke")
	}
	// The token the IdP used seconds ago asks first; Cancel keeps it.
	b.submit(`form[action$="/tokens/` + f.tokenID + `/revoke"] button`)
	if url := get(b, "location", chromedp.Location()); !strings.HasSuffix(url, "/tokens/"+f.tokenID+"/revoke") {
		t.Fatalf("revoking a token used seconds ago went to %s, want its confirmation page", url)
	}
	wantContains(t, "confirmation page", b.body(), "Revoke the token ending", "Your identity provider used this token", "provisioning stops")
	if !active(f.tokenID) {
		t.Fatalf("the token was revoked before the admin confirmed")
	}
	b.shot("revoke-confirm-no-js.png")
	b.click(`main a.btn.secondary`)
	if !active(f.tokenID) {
		t.Fatalf("Cancel revoked the token")
	}
	b.open(f.s.base + "/portal/directories/" + f.dirID + "/tokens/" + f.tokenID + "/revoke")
	b.submit(`main form button.danger`)
	wantContains(t, "after confirming", b.body(), "The token was revoked")
	if active(f.tokenID) {
		t.Errorf("the token is active after the admin confirmed")
	}
	// The audit log holds the two revocations, not the request that only
	// asked for confirmation.
	es, err := f.s.app.Audit.List(bg, directory.AuditQuery{Action: "token.revoke"})
	if err != nil || len(es) != 2 {
		t.Errorf("audit entries for token.revoke: %d (%v), want 2", len(es), err)
	}

	// Roles: a preview does not change the saved count; Save does.
	b = main
	b.open(f.s.base + "/portal/roles?dir=" + f.dirID)
	before := b.text(".callout.info")
	wantContains(t, "roles page", before, "currently 1 user")
	b.run("unmapping Engineering", chromedp.SetValue(chromedp.CSS("#role-"+f.groupID), ""))
	b.click(`button[value=preview]`)
	wantContains(t, "preview", b.body(), "Preview: 2 users change role")
	if after := b.text(".callout.info"); after != before {
		t.Errorf("the roles page's count changed on Preview, before Save: %q, was %q", after, before)
	}
	b.click(`button[value=save]`)
	wantContains(t, "after Save", b.text(".callout.info"), "currently 3 users")
}
