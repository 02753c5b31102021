package portal_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserDeprovisioning: an IdP deactivates 14 of 30 users; the
// default guard (more than max(10, 10 %)) holds the last 4. The IT admin
// sees the hold on the directory's deprovisioning page (who, what, when,
// which request), changes the policy, and releases the hold; at 1280 and
// 390 px wide, without sideways scrolling.
func TestBrowserDeprovisioning(t *testing.T) {
	t.Parallel() // each has its own server and Chromium
	ctx := browser(t)
	s := startServer(t)
	b := tab{t: t, ctx: ctx, dir: artifacts(t)}
	orgID, location := s.portalLink("Contoso")
	st, dir := s.call("POST", s.base+"/api/v1/organizations/"+orgID+"/directories", apiKey, map[string]any{"provider": "entra_id", "name": "Contoso Entra"})
	if st != 201 {
		t.Fatalf("create directory: %d %v", st, dir)
	}
	dirID := dir["id"].(string)
	st, tok := s.call("POST", s.base+"/api/v1/directories/"+dirID+"/tokens", apiKey, map[string]any{})
	if st != 201 {
		t.Fatalf("create token: %d %v", st, tok)
	}
	scim, token := s.base+"/scim/v2/"+dirID, tok["token"].(string)
	var ids []string
	for i := range 30 {
		st, out := s.call("POST", scim+"/Users", token, map[string]any{"userName": fmt.Sprintf("person%02d@contoso.example", i), "active": true})
		if st != 201 {
			t.Fatalf("IdP create: %d %v", st, out)
		}
		ids = append(ids, out["id"].(string))
	}
	for _, id := range ids[:14] {
		if st, out := s.call("PATCH", scim+"/Users/"+id, token, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []any{map[string]any{"op": "Replace", "path": "active", "value": "False"}}}); st != 200 {
			t.Fatalf("IdP deactivate: %d %v", st, out)
		}
	}

	b.open(location)
	b.open(s.base + "/portal/directories/" + dirID)
	wantContains(t, "directory page", b.body(), "4 deprovisioned users are on hold")
	b.click(`.callout a[href="/portal/directories/` + dirID + `/deprovisioning"]`)
	page := b.body()
	wantContains(t, "hold", page, "deprovisioned 4 users", "more than the 10 the guard allows", "person10@contoso.example",
		"person13@contoso.example", "Deactivated", "Release to the application", "Discard: keep these users", "Mass-deprovisioning guard")
	if strings.Contains(page, "person09@contoso.example") {
		t.Error("a user deactivated under the threshold is listed as held")
	}
	b.shot("40-deprovisioning-hold-1280.png")
	b.run("390px viewport", chromedp.EmulateViewport(390, 844))
	b.open(s.base + "/portal/directories/" + dirID + "/deprovisioning")
	if over := get(b, "page width", chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`)); over > 0 {
		wide := get(b, "wide elements", chromedp.Evaluate[string](wideElements))
		t.Errorf("deprovisioning page at 390 px: %d px wider than the screen; past its edge: %s", over, wide)
	}
	b.shot("41-deprovisioning-hold-390.png")
	b.run("back to 1280px", chromedp.EmulateViewport(1280, 900))
	b.open(s.base + "/portal/directories/" + dirID + "/deprovisioning")

	// The policy: keep users the IdP deletes, deactivated.
	b.run("choosing on_delete", chromedp.SetValue(chromedp.CSS("#on_delete"), "deactivate"))
	b.click(`form[action="/portal/directories/` + dirID + `/deprovisioning"] button[type=submit]`)
	wantContains(t, "settings saved", b.body(), "Deprovisioning settings saved")
	if st, d := s.call("GET", s.base+"/api/v1/directories/"+dirID, apiKey, nil); st != 200 || d["settings"].(map[string]any)["on_delete"] != "deactivate" {
		t.Fatalf("settings after the form: %d %v", st, d["settings"])
	}
	// A bad number: the browser's own check (max=100) stops the form.
	b.run("a bad percent", chromedp.SetValue(chromedp.CSS("#guard_percent"), "250"))
	if valid := get(b, "form validity", chromedp.Evaluate[bool](`document.querySelector("#guard_percent").checkValidity()`)); valid {
		t.Error("a percent of 250 passes the form's check")
	}

	// Release: the app gets the held deactivations.
	b.open(s.base + "/portal/directories/" + dirID + "/deprovisioning")
	b.click(`form[action$="/release"] button[type=submit]`)
	page = b.body()
	wantContains(t, "released", page, "The hold was released", "No open hold", "Earlier holds", "Released")
	b.shot("42-deprovisioning-released-1280.png")
	st, evs := s.call("GET", s.base+"/api/v1/events?directory_id="+dirID+"&types=organization.directory.hold_released", apiKey, nil)
	if st != 200 || len(evs["data"].([]any)) != 1 {
		t.Fatalf("hold_released in the feed: %d %v", st, evs)
	}
	if st, u := s.call("GET", s.base+"/api/v1/directories/"+dirID+"/users/"+ids[13], apiKey, nil); st != 200 || u["active"] != false {
		t.Fatalf("a released user: %d %v", st, u)
	}

	// A second burst, discarded: the app keeps the users; the page lists
	// them as differing from the IdP.
	for _, id := range ids[20:22] {
		if st, out := s.call("PATCH", scim+"/Users/"+id, token, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []any{map[string]any{"op": "Replace", "path": "active", "value": "False"}}}); st != 200 {
			t.Fatalf("IdP deactivate: %d %v", st, out)
		}
	}
	b.open(s.base + "/portal/directories/" + dirID + "/deprovisioning")
	wantContains(t, "second hold", b.body(), "deprovisioned 2 users", "person20@contoso.example")
	b.click(`form[action$="/discard"] button[type=submit]`)
	page = b.body()
	wantContains(t, "discarded", page, "The hold was discarded", "Kept after discarding", "person20@contoso.example", "person21@contoso.example", "Discarded")
	b.shot("43-deprovisioning-discarded-1280.png")
	b.open(s.base + "/portal/directories/" + dirID + "/users/" + ids[20])
	wantContains(t, "a kept user's page", b.body(), "Differs from your identity provider", "deactivated this user")
	if st, u := s.call("GET", s.base+"/api/v1/directories/"+dirID+"/users/"+ids[20], apiKey, nil); st != 200 || u["active"] != true || u["diverged"] != true {
		t.Fatalf("a user kept after the discard: %d %v", st, u)
	}
}
