package app_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/client"
	"github.com/scimbridge/scimbridge/internal/directory"
)

// TestAuditLogWalk makes every kind of administrative change through the
// management API (with a stored API key and with the bootstrap key) and the
// Admin Portal, then reads GET /api/v1/audit_log: each change left exactly
// one entry with actor, action, target, time and source address, and no
// secret handed out along the way appears in any entry or in the table.
func TestAuditLogWalk(t *testing.T) {
	a, base, cancel, done := start(t)
	defer func() { cancel(); <-done }()
	ctx := context.Background()
	boot := client.New(base, a.Config.APIKey)
	k, keySecret, err := a.Service.CreateAPIKey(ctx, "ops")
	if err != nil {
		t.Fatal(err)
	}
	c := client.New(base, keySecret)
	var secrets []string
	secrets = append(secrets, keySecret, a.Config.APIKey)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	type want struct{ action, target, actor string }
	var wants []want

	org, err := c.CreateOrganization(ctx, "Acme", "")
	must(err)
	wants = append(wants, want{"organization.create", org.ID, k.ID})
	name := "Acme Inc"
	_, err = c.UpdateOrganization(ctx, org.ID, client.OrganizationUpdate{Name: &name})
	must(err)
	wants = append(wants, want{"organization.update", org.ID, k.ID})
	dir, err := c.CreateDirectory(ctx, org.ID, "okta", "Okta")
	must(err)
	wants = append(wants, want{"directory.create", dir.ID, k.ID})
	_, err = c.DisableDirectory(ctx, dir.ID)
	must(err)
	wants = append(wants, want{"directory.update", dir.ID, k.ID})
	tok, err := c.CreateToken(ctx, dir.ID, time.Time{})
	must(err)
	secrets = append(secrets, tok.Token)
	wants = append(wants, want{"token.create", tok.ID, k.ID})
	must(c.RevokeToken(ctx, dir.ID, tok.ID))
	wants = append(wants, want{"token.revoke", tok.ID, k.ID})
	_, err = c.CreateRole(ctx, client.Role{Key: "auditor", Name: "Auditor"})
	must(err)
	wants = append(wants, want{"role.create", "auditor", k.ID})
	rn := "Administrator"
	_, err = c.UpdateRole(ctx, "auditor", client.RoleUpdate{Name: &rn})
	must(err)
	wants = append(wants, want{"role.update", "auditor", k.ID})
	_, err = c.PutRoleMappings(ctx, dir.ID, []client.RoleMapping{})
	must(err)
	wants = append(wants, want{"role_mappings.set", dir.ID, k.ID})
	_, err = c.PreviewRoleMappings(ctx, dir.ID, []client.RoleMapping{}) // changes nothing: no entry
	must(err)
	_, err = c.SetOrganizationDefaultRole(ctx, org.ID, "auditor")
	must(err)
	wants = append(wants, want{"organization.default_role.set", org.ID, k.ID})
	ep, err := boot.CreateWebhookEndpoint(ctx, client.WebhookEndpointCreate{URL: "https://hooks.example.com/in"})
	must(err)
	secrets = append(secrets, ep.Secret)
	wants = append(wants, want{"webhook_endpoint.create", ep.ID, ""})
	desc := "prod"
	_, err = c.UpdateWebhookEndpoint(ctx, ep.ID, client.WebhookEndpointUpdate{Description: &desc})
	must(err)
	wants = append(wants, want{"webhook_endpoint.update", ep.ID, k.ID})
	rot, err := c.RotateWebhookSecret(ctx, ep.ID)
	must(err)
	secrets = append(secrets, rot.Secret)
	wants = append(wants, want{"webhook_endpoint.rotate_secret", ep.ID, k.ID})
	d, err := c.SendTestWebhook(ctx, ep.ID)
	must(err)
	wants = append(wants, want{"webhook_endpoint.test", ep.ID, k.ID})
	_, err = c.RetryWebhookDelivery(ctx, ep.ID, d.ID)
	must(err)
	wants = append(wants, want{"webhook_delivery.retry", d.ID, k.ID})
	_, err = c.ReplayWebhookEvents(ctx, ep.ID, client.WebhookReplay{After: 0})
	must(err)
	wants = append(wants, want{"webhook_endpoint.replay", ep.ID, k.ID})
	must(c.DeleteWebhookEndpoint(ctx, ep.ID))
	wants = append(wants, want{"webhook_endpoint.delete", ep.ID, k.ID})
	link, err := c.CreatePortalLink(ctx, org.ID, client.PortalShare, "")
	must(err)
	secrets = append(secrets, link.Location[strings.Index(link.Location, "token=")+len("token="):])
	wants = append(wants, want{"portal_link.create", link.ID, k.ID})

	// The Admin Portal, signed in with the link.
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	resp, err := hc.Get(link.Location)
	must(err)
	resp.Body.Close()
	u, _ := url.Parse(base + "/portal/")
	var cookie string
	for _, ck := range jar.Cookies(u) {
		cookie = ck.Value
	}
	if cookie == "" {
		t.Fatal("no portal session cookie")
	}
	secrets = append(secrets, cookie)
	post := func(path string, form url.Values) {
		t.Helper()
		form.Set("csrf", directory.CSRFToken(cookie))
		resp, err := hc.PostForm(base+path, form)
		must(err)
		resp.Body.Close()
		if resp.StatusCode >= 400 {
			t.Fatalf("portal POST %s: %d", path, resp.StatusCode)
		}
	}
	post("/portal/scim/providers/okta", url.Values{"name": {"Portal Okta"}, "form_key": {"audit-walk-configure-0001"}})
	dirs, _, err := c.ListDirectories(ctx, org.ID, client.ListOptions{})
	must(err)
	var pdir string
	for _, x := range dirs {
		if x.Name == "Portal Okta" {
			pdir = x.ID
		}
	}
	wants = append(wants, want{"directory.create", pdir, link.ID})
	post("/portal/directories/"+pdir+"/tokens", url.Values{"form_key": {"audit-walk-new-token-0001"}})
	toks, err := c.ListTokens(ctx, pdir)
	must(err)
	if len(toks) != 2 {
		t.Fatalf("portal directory has %d tokens, want 2", len(toks))
	}
	newest := toks[0]
	if toks[1].CreatedAt.After(newest.CreatedAt) || (toks[1].CreatedAt.Equal(newest.CreatedAt) && toks[1].ID > newest.ID) {
		newest = toks[1]
	}
	wants = append(wants, want{"token.create", newest.ID, link.ID})
	post("/portal/directories/"+pdir+"/tokens/"+newest.ID+"/revoke", url.Values{})
	wants = append(wants, want{"token.revoke", newest.ID, link.ID})
	post("/portal/directories/"+pdir+"/disable", url.Values{})
	wants = append(wants, want{"directory.disable", pdir, link.ID})
	post("/portal/directories/"+pdir+"/enable", url.Values{})
	wants = append(wants, want{"directory.enable", pdir, link.ID})
	post("/portal/roles", url.Values{"dir": {pdir}, "action": {"preview"}}) // no entry
	post("/portal/roles", url.Values{"dir": {pdir}, "action": {"save"}})
	wants = append(wants, want{"role_mappings.set", org.ID, link.ID})
	post("/portal/directories/"+pdir+"/delete", url.Values{"confirm": {"Portal Okta"}})
	wants = append(wants, want{"directory.delete", pdir, link.ID})

	// Then the rest through the API.
	must(c.RevokePortalLink(ctx, org.ID, link.ID))
	wants = append(wants, want{"portal_link.revoke", link.ID, k.ID})
	must(c.DeleteRole(ctx, "auditor"))
	wants = append(wants, want{"role.delete", "auditor", k.ID})
	must(c.DeleteDirectory(ctx, dir.ID))
	wants = append(wants, want{"directory.delete", dir.ID, k.ID})
	must(c.DeleteOrganization(ctx, org.ID))
	wants = append(wants, want{"organization.delete", org.ID, k.ID})

	// A refused change leaves no entry.
	if _, err := c.CreateDirectory(ctx, "org_missing", "okta", "x"); err == nil {
		t.Fatal("directory in a missing organization created")
	}

	var got []client.AuditEntry
	for e, err := range c.AuditLog(ctx, client.AuditOptions{PageSize: 7}) {
		must(err)
		got = append(got, e)
	}
	if len(got) != len(wants) {
		var acts []string
		for _, e := range got {
			acts = append(acts, e.Action)
		}
		t.Fatalf("%d entries, want %d: %v", len(got), len(wants), acts)
	}
	for i, w := range wants {
		e := got[len(got)-1-i] // newest first
		actorType := "api_key"
		if w.actor == "" {
			actorType = "bootstrap_key"
		}
		if strings.HasPrefix(w.actor, "plink_") {
			actorType = "portal"
		}
		if e.Action != w.action || e.Target.ID != w.target || e.Actor.ID != w.actor || e.Actor.Type != actorType {
			t.Errorf("entry %d: %s %s by %s:%s, want %s %s by %s:%s", i, e.Action, e.Target.ID, e.Actor.Type, e.Actor.ID,
				w.action, w.target, actorType, w.actor)
		}
		if e.SourceIP != "127.0.0.1" || e.OccurredAt.IsZero() || time.Since(e.OccurredAt) > time.Minute || e.RequestID == "" || e.Status < 200 || e.Status >= 400 {
			t.Errorf("entry %d (%s): source %q, time %v, request %q, status %d", i, e.Action, e.SourceIP, e.OccurredAt, e.RequestID, e.Status)
		}
		if actorType == "portal" && e.OrganizationID != org.ID {
			t.Errorf("portal entry %d (%s) has organization %q", i, e.Action, e.OrganizationID)
		}
	}
	// Filters.
	byKey, _, err := c.ListAuditLog(ctx, client.AuditOptions{ActorType: "portal", PageSize: 100})
	must(err)
	if len(byKey) != 7 {
		t.Errorf("portal entries: %d, want 7", len(byKey))
	}
	byTarget, _, err := c.ListAuditLog(ctx, client.AuditOptions{TargetID: ep.ID, Action: "webhook_endpoint.update"})
	must(err)
	if len(byTarget) != 1 {
		t.Errorf("entries for the endpoint's update: %d, want 1", len(byTarget))
	}

	// No secret anywhere: in the API's answer or in the table.
	raw, _ := json.Marshal(got)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(a.Config.DataDir, "scimbridge.db")+"?mode=ro")
	must(err)
	defer db.Close()
	rows, err := db.Query(`SELECT id, actor_type, actor_id, organization_id, action, method, route, target_type, target_id, source_ip, request_id FROM audit_log`)
	must(err)
	var table strings.Builder
	for rows.Next() {
		f := make([]string, 11)
		p := make([]any, 11)
		for i := range f {
			p[i] = &f[i]
		}
		must(rows.Scan(p...))
		table.WriteString(strings.Join(f, "|") + "\n")
	}
	rows.Close()
	for _, s := range secrets {
		if s == "" {
			t.Fatal("a secret was not captured")
		}
		if strings.Contains(string(raw), s) || strings.Contains(table.String(), s) {
			t.Errorf("a secret (%.6s…) appears in the audit log", s)
		}
	}
}
