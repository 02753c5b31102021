package mgmtapi_test

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestPortalLinks(t *testing.T) {
	e := newEnv(t)
	_, org := e.call("POST", "/api/v1/organizations", bootstrapKey, `{"name":"Acme"}`)
	orgID := org["id"].(string)
	base := "/api/v1/organizations/" + orgID + "/portal_links"

	st, l := e.call("POST", base, bootstrapKey, `{"kind":"embed","return_url":"https://app.example.com/admin"}`)
	if st != 201 {
		t.Fatalf("create embed link: %d %v", st, l)
	}
	loc, _ := l["location"].(string)
	u, err := url.Parse(loc)
	if err != nil || u.Scheme+"://"+u.Host+u.Path != "https://scim.example.com/portal/open" || !strings.HasPrefix(u.Query().Get("token"), "scimb_pl_") {
		t.Errorf("location %q: want https://scim.example.com/portal/open?token=scimb_pl_…", loc)
	}
	created, _ := time.Parse(time.RFC3339Nano, l["created_at"].(string))
	expires, _ := time.Parse(time.RFC3339Nano, l["expire_time"].(string))
	if d := expires.Sub(created); d != 5*time.Minute {
		t.Errorf("embed link expire_time - created_at = %v, want 5m", d)
	}
	if !strings.HasPrefix(l["id"].(string), "plink_") || l["kind"] != "embed" || l["return_url"] != "https://app.example.com/admin" {
		t.Errorf("link = %v", l)
	}
	st, s := e.call("POST", base, bootstrapKey, `{"kind":"share"}`)
	if st != 201 {
		t.Fatalf("create share link: %d %v", st, s)
	}
	created, _ = time.Parse(time.RFC3339Nano, s["created_at"].(string))
	expires, _ = time.Parse(time.RFC3339Nano, s["expire_time"].(string))
	if d := expires.Sub(created); d != 7*24*time.Hour {
		t.Errorf("share link lives %v, want 7 days", d)
	}
	for _, tc := range []struct{ body, code string }{
		{`{}`, "invalid"},
		{`{"kind":"forever"}`, "invalid"},
		{`{"kind":"embed","return_url":"javascript:alert(1)"}`, "invalid"},
		{`{"kind":"embed","extra":1}`, "invalid"},
	} {
		if st, out := e.call("POST", base, bootstrapKey, tc.body); st != 400 || errCode(out) != tc.code {
			t.Errorf("POST %s: %d %v, want 400 %s", tc.body, st, out, tc.code)
		}
	}
	if st, out := e.call("POST", "/api/v1/organizations/org_nope/portal_links", bootstrapKey, `{"kind":"embed"}`); st != 404 {
		t.Errorf("link for an unknown organization: %d %v", st, out)
	}
	if st, _ := e.call("POST", base, "", `{"kind":"embed"}`); st != 401 {
		t.Errorf("without an API key: %d, want 401", st)
	}
	st, list := e.call("GET", base, bootstrapKey, "")
	data, _ := list["data"].([]any)
	if st != 200 || len(data) != 2 || data[0].(map[string]any)["id"] != s["id"] {
		t.Fatalf("list: %d %v, want the two links newest first", st, list)
	}
	for _, d := range data {
		if _, ok := d.(map[string]any)["location"]; ok {
			t.Errorf("listed link carries its location: %v", d)
		}
	}
	if st, out := e.call("DELETE", base+"/"+s["id"].(string), bootstrapKey, ""); st != 204 {
		t.Errorf("revoke: %d %v", st, out)
	}
	_, list = e.call("GET", base, bootstrapKey, "")
	if rv := list["data"].([]any)[0].(map[string]any)["revoked_at"]; rv == nil {
		t.Errorf("revoked link has revoked_at null")
	}
	if st, _ := e.call("DELETE", base+"/plink_nope", bootstrapKey, ""); st != 404 {
		t.Errorf("revoking an unknown link: %d, want 404", st)
	}
}
