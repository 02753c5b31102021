package portal_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserAttributeMapping: the app declares custom attributes, an
// Okta-shaped IdP pushes users, and the IT admin maps the attributes on
// the Attributes tab: starts from Okta's defaults, previews (one value
// does not fit its type), saves, and sees the values on a user's page and
// the changes on the Events tab. Screenshots at 1280 and 390 px.
func TestBrowserAttributeMapping(t *testing.T) {
	t.Parallel() // each has its own server and Chromium
	ctx := browser(t)
	s := startServer(t)
	b := tab{t: t, ctx: ctx, dir: artifacts(t)}
	orgID, location := s.portalLink("Acme Corp")

	for _, a := range []map[string]any{
		{"key": "cost_center", "type": "string", "description": "Finance cost center, for billing reports"},
		{"key": "mobile", "type": "string", "description": "Mobile phone, for SMS alerts"},
		{"key": "contractor", "type": "boolean", "description": "External staff get no admin rights"},
		{"key": "start_date", "type": "datetime"},
	} {
		if st, out := s.call("POST", s.base+"/api/v1/custom_attributes", apiKey, a); st != 201 {
			t.Fatalf("declaring %v: %d %v", a["key"], st, out)
		}
	}
	st, d := s.call("POST", s.base+"/api/v1/organizations/"+orgID+"/directories", apiKey, map[string]any{"provider": "okta", "name": "Okta"})
	if st != 201 {
		t.Fatalf("creating the directory: %d %v", st, d)
	}
	dirID := d["id"].(string)
	st, tok := s.call("POST", s.base+"/api/v1/directories/"+dirID+"/tokens", apiKey, map[string]any{})
	if st != 201 {
		t.Fatalf("creating a token: %d %v", st, tok)
	}
	token := tok["token"].(string)
	endpoint := s.base + "/scim/v2/" + dirID
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	const custom = "urn:ietf:params:scim:schemas:extension:acmecorp:2.0:User"
	ids := map[string]string{}
	for _, u := range []struct{ user, cc, mobile, contractor string }{
		{"ada", "CC-100", "+1 555 0101", "false"}, {"bob", "CC-200", "+1 555 0102", "maybe"}, {"eve", "CC-100", "+1 555 0103", "true"}} {
		st, out := s.call("POST", endpoint+"/Users", token, map[string]any{
			"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User", ent, custom},
			"userName": u.user + "@acme.example", "active": true,
			"name":         map[string]any{"givenName": strings.ToUpper(u.user[:1]) + u.user[1:], "familyName": "Test"},
			"emails":       []any{map[string]any{"value": u.user + "@acme.example", "primary": true, "type": "work"}},
			"phoneNumbers": []any{map[string]any{"value": u.mobile, "type": "mobile"}, map[string]any{"value": "+1 555 0000", "type": "work"}},
			ent:            map[string]any{"costCenter": u.cc, "department": "Engineering"},
			custom:         map[string]any{"isContractor": u.contractor},
		})
		if st != 201 {
			t.Fatalf("IdP creating %s: %d %v", u.user, st, out)
		}
		ids[u.user] = out["id"].(string)
	}

	b.open(location)
	b.open(s.base + "/portal/attributes?dir=" + dirID)
	page := b.body()
	wantContains(t, "Attributes tab", page, "cost_center", "Finance cost center", "What your identity provider sends",
		`phoneNumbers[type eq "mobile"].value`, "+1 555 0101", ent+":costCenter", custom+":isContractor", "Use Okta defaults")

	// Okta's defaults fill the form (nothing saved yet).
	b.click(`button[value=defaults]`)
	for key, want := range map[string]string{
		"cost_center": ent + ":costCenter",
		"mobile":      `phoneNumbers[type eq "mobile"].value`,
		"contractor":  "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User:contractor",
	} {
		if got := get(b, "source of "+key, chromedp.Value(chromedp.CSS("#src-"+key))); got != want {
			t.Errorf("Okta default for %s = %q, want %q", key, got, want)
		}
	}
	// The admin points contractor at the attribute their Okta app sends.
	b.run("mapping contractor", chromedp.SetValue(chromedp.CSS("#src-contractor"), custom+":isContractor"))
	b.click(`button[value=preview]`)
	page = b.body()
	wantContains(t, "preview", page, "Preview: 3 of the 3 sampled users would change", "CC-100", "+1 555 0102",
		`"maybe" is not a boolean`, "Nothing is saved yet")
	b.shot("30-attributes-preview-1280.png")

	b.click(`button[value=save]`)
	page = b.body()
	wantContains(t, "after saving", page, "Attribute mappings saved", "1 user has no value", `"maybe" is not a boolean`)
	if got := get(b, "saved source", chromedp.Value(chromedp.CSS("#src-contractor"))); got != custom+":isContractor" {
		t.Errorf("saved contractor source = %q", got)
	}
	b.shot("31-attributes-saved-1280.png")

	// The user's page shows the values and why one is empty.
	b.open(s.base + "/portal/directories/" + dirID + "/users/" + ids["bob"])
	wantContains(t, "Bob's page", b.text(`section[aria-labelledby="custom-h"]`), "cost_center", "CC-200", "+1 555 0102", "No value", "is not a boolean")
	b.shot("32-user-custom-attributes-1280.png")

	// The IdP changes a mapped value: the Events tab shows it.
	if st, out := s.call("PATCH", endpoint+"/Users/"+ids["ada"], token, map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "replace", "path": ent + ":costCenter", "value": "CC-300"}}}); st != 200 {
		t.Fatalf("IdP updating ada: %d %v", st, out)
	}
	b.open(s.base + "/portal/events?dir=" + dirID)
	wantContains(t, "Events tab", b.text("main"), "cost_center: CC-100 → CC-300", "cost_center: none → CC-200")

	// On a phone the tab fits the screen.
	b.run("390px viewport", chromedp.EmulateViewport(390, 844))
	for _, p := range []struct{ path, name string }{
		{"/portal/attributes?dir=" + dirID, "33-attributes-390.png"},
		{"/portal/directories/" + dirID + "/users/" + ids["bob"], "34-user-custom-attributes-390.png"},
	} {
		b.open(s.base + p.path)
		if over := get(b, "page width "+p.path, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`)); over > 0 {
			wide := get(b, "wide elements", chromedp.Evaluate[string](wideElements))
			t.Errorf("%s at 390 px: the page is %d px wider than the screen; elements past its edge: %s", p.path, over, wide)
		}
		b.shot(p.name)
	}
	b.run("back to 1280px", chromedp.EmulateViewport(1280, 900))
}
