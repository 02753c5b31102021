package mgmtapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/apitest"
	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/mgmtapi"
	"github.com/scimbridge/scimbridge/internal/sqlstore"
	"github.com/scimbridge/scimbridge/internal/testenv"
)

const bootstrapKey = "test-bootstrap-key-0123456789abcdef0123"

type env struct {
	t   *testing.T
	srv *httptest.Server
	svc *directory.Service
}

func newEnv(t *testing.T, configure ...func(*mgmtapi.Handler)) *env {
	t.Helper()
	return newEnvStore(t, testenv.Store(t), configure...)
}

// newEnvStore is newEnv on the given store (PostgreSQL, for tests that
// run on both backends).
func newEnvStore(t *testing.T, st *sqlstore.Store, configure ...func(*mgmtapi.Handler)) *env {
	t.Helper()
	svc := testenv.Service(st)
	portal := &directory.Portal{Store: st, Orgs: st, IDs: svc.IDs, Config: directory.PortalConfig{IdleTimeout: time.Hour, MaxLifetime: 12 * time.Hour}}
	h := &mgmtapi.Handler{Service: svc, Logger: svc.Logger, PublicURL: "https://scim.example.com", APIKey: bootstrapKey, Portal: portal}
	for _, fn := range configure {
		fn(h)
	}
	srv := httptest.NewServer(apitest.Validate(t, h.Routes()))
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, svc: svc}
}

func (e *env) call(method, path, key, body string) (int, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			e.t.Fatalf("%s %s: response is not JSON: %s", method, path, raw)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			e.t.Errorf("%s %s: Content-Type %q", method, path, ct)
		}
	}
	return resp.StatusCode, out
}

func errCode(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func TestOrganizationDirectoryTokenFlow(t *testing.T) {
	e := newEnv(t)
	st, org := e.call("POST", "/api/v1/organizations", bootstrapKey, `{"name":"Acme","external_id":"acme-1"}`)
	if st != 201 || !strings.HasPrefix(org["id"].(string), "org_") || org["external_id"] != "acme-1" {
		t.Fatalf("create org: %d %v", st, org)
	}
	orgID := org["id"].(string)
	if st, got := e.call("GET", "/api/v1/organizations/"+orgID, bootstrapKey, ""); st != 200 || got["name"] != "Acme" {
		t.Fatalf("get org: %d %v", st, got)
	}
	if st, got := e.call("POST", "/api/v1/organizations", bootstrapKey, `{"name":"Other","external_id":"acme-1"}`); st != 409 || errCode(got) != "conflict" {
		t.Errorf("duplicate external_id: %d %v", st, got)
	}
	st, dir := e.call("POST", "/api/v1/organizations/"+orgID+"/directories", bootstrapKey, `{"provider":"entra_id","name":"Entra"}`)
	if st != 201 {
		t.Fatalf("create directory: %d %v", st, dir)
	}
	dirID := dir["id"].(string)
	if want := "https://scim.example.com/scim/v2/" + dirID; dir["endpoint_url"] != want {
		t.Errorf("endpoint_url %v, want %s", dir["endpoint_url"], want)
	}
	st, tok := e.call("POST", "/api/v1/directories/"+dirID+"/tokens", bootstrapKey, `{}`)
	if st != 201 {
		t.Fatalf("create token: %d %v", st, tok)
	}
	secret := tok["token"].(string)
	if !strings.HasPrefix(secret, directory.TokenPrefix) || len(secret) < len(directory.TokenPrefix)+43 {
		t.Errorf("token %q: want prefix and 256 bits", secret)
	}
	if !strings.HasSuffix(secret, tok["suffix"].(string)) {
		t.Errorf("suffix %v is not the end of the token", tok["suffix"])
	}
	if _, err := e.svc.AuthenticateDirectory(context.Background(), dirID, secret); err != nil {
		t.Fatalf("new token does not authenticate: %v", err)
	}
	// Listing never shows the secret.
	st, list := e.call("GET", "/api/v1/directories/"+dirID+"/tokens", bootstrapKey, "")
	raw, _ := json.Marshal(list)
	if st != 200 || strings.Contains(string(raw), secret) || len(list["data"].([]any)) != 1 {
		t.Errorf("list tokens: %d %s", st, raw)
	}
	// A second token for rotation, then a third is refused.
	if st, _ := e.call("POST", "/api/v1/directories/"+dirID+"/tokens", bootstrapKey, `{"expires_at":"2999-01-01T00:00:00Z"}`); st != 201 {
		t.Fatalf("second token: %d", st)
	}
	if st, got := e.call("POST", "/api/v1/directories/"+dirID+"/tokens", bootstrapKey, `{}`); st != 409 {
		t.Errorf("third active token: %d %v, want 409", st, got)
	}
	// Revoke: the token stops working at once.
	if st, _ := e.call("DELETE", "/api/v1/directories/"+dirID+"/tokens/"+tok["id"].(string), bootstrapKey, ""); st != 204 {
		t.Fatalf("revoke: %d", st)
	}
	if _, err := e.svc.AuthenticateDirectory(context.Background(), dirID, secret); directory.KindOf(err) != directory.KindUnauthorized {
		t.Errorf("revoked token: err %v, want unauthorized", err)
	}
	st, got := e.call("GET", "/api/v1/directories/"+dirID, bootstrapKey, "")
	if st != 200 || got["user_count"] != float64(0) || got["provider"] != "entra_id" {
		t.Errorf("get directory: %d %v", st, got)
	}
}

func TestErrorsAreActionableJSON(t *testing.T) {
	e := newEnv(t)
	_, org := e.call("POST", "/api/v1/organizations", bootstrapKey, `{"name":"Acme"}`)
	orgID := org["id"].(string)
	cases := []struct {
		name, method, path, key, body string
		status                        int
		code, mentions                string
	}{
		{"no key", "POST", "/api/v1/organizations", "", `{"name":"x"}`, 401, "unauthorized", "API key"},
		{"wrong key", "POST", "/api/v1/organizations", "scimb_ak_nope", `{"name":"x"}`, 401, "unauthorized", "API key"},
		{"unknown field", "POST", "/api/v1/organizations", bootstrapKey, `{"name":"x","colour":"red"}`, 400, "invalid", "colour"},
		{"wrong type", "POST", "/api/v1/organizations", bootstrapKey, `{"name":42}`, 400, "invalid", "name"},
		{"bad json", "POST", "/api/v1/organizations", bootstrapKey, `{"name":`, 400, "invalid", "JSON"},
		{"missing name", "POST", "/api/v1/organizations", bootstrapKey, `{}`, 400, "invalid", "name"},
		{"unknown provider", "POST", "/api/v1/organizations/" + orgID + "/directories", bootstrapKey, `{"provider":"myspace"}`, 400, "invalid", "okta"},
		{"unknown org", "POST", "/api/v1/organizations/org_nope/directories", bootstrapKey, `{"provider":"okta"}`, 404, "not_found", "org_nope"},
		{"unknown directory", "POST", "/api/v1/directories/dir_nope/tokens", bootstrapKey, `{}`, 404, "not_found", "dir_nope"},
		{"unknown token", "DELETE", "/api/v1/directories/dir_nope/tokens/dtok_x", bootstrapKey, ``, 404, "not_found", "dtok_x"},
		{"directory without a name", "POST", "/api/v1/organizations/" + orgID + "/directories", bootstrapKey, `{"provider":"okta"}`, 201, "", ""},
		{"unknown route", "GET", "/api/v1/nothing", bootstrapKey, ``, 404, "not_found", "/api/v1/nothing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, out := e.call(c.method, c.path, c.key, c.body)
			if st != c.status {
				t.Fatalf("status %d, want %d: %v", st, c.status, out)
			}
			if c.code == "" {
				return
			}
			if errCode(out) != c.code {
				t.Errorf("code %q, want %q", errCode(out), c.code)
			}
			msg := out["error"].(map[string]any)["message"].(string)
			if !strings.Contains(msg, c.mentions) {
				t.Errorf("message %q does not mention %q", msg, c.mentions)
			}
		})
	}
}

func TestStoredAPIKeys(t *testing.T) {
	e := newEnv(t)
	k, secret, err := e.svc.CreateAPIKey(context.Background(), "ci")
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := e.call("POST", "/api/v1/organizations", secret, `{"name":"A"}`); st != 201 {
		t.Fatalf("stored key refused: %d", st)
	}
	if err := e.svc.Store.RevokeAPIKey(context.Background(), k.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.call("POST", "/api/v1/organizations", secret, `{"name":"A"}`); st != 401 {
		t.Fatalf("revoked key accepted: %d", st)
	}
}

func TestUpdateDirectory(t *testing.T) {
	e := newEnv(t)
	_, org := e.call("POST", "/api/v1/organizations", bootstrapKey, `{"name":"Acme"}`)
	_, dir := e.call("POST", "/api/v1/organizations/"+org["id"].(string)+"/directories", bootstrapKey, `{"provider":"okta"}`)
	id := dir["id"].(string)
	if s := dir["settings"].(map[string]any); s["strict"] != false || s["unknown_members"] != "ignore" {
		t.Errorf("default settings: %v", s)
	}
	st, got := e.call("PATCH", "/api/v1/directories/"+id, bootstrapKey, `{"name":"Acme Entra","provider":"entra_id","settings":{"unknown_members":"reject"}}`)
	if st != 200 || got["name"] != "Acme Entra" || got["provider"] != "entra_id" || got["enabled"] != true {
		t.Fatalf("PATCH: %d %v", st, got)
	}
	if s := got["settings"].(map[string]any); s["strict"] != false || s["unknown_members"] != "reject" {
		t.Errorf("settings after PATCH: %v", s)
	}
	st, got = e.call("PATCH", "/api/v1/directories/"+id, bootstrapKey, `{"enabled":false,"settings":{"strict":true}}`)
	if s := got["settings"].(map[string]any); st != 200 || got["enabled"] != false || s["strict"] != true || s["unknown_members"] != "reject" {
		t.Errorf("second PATCH: %d %v", st, got)
	}
	for _, c := range []struct{ body, mentions string }{
		{`{"settings":{"unknown_members":"maybe"}}`, "unknown_members"},
		{`{"provider":"myspace"}`, "provider"},
		{`{"name":"  "}`, "name"},
		{`{"enabled":"no"}`, "enabled"},
		{`{"colour":"red"}`, "colour"},
	} {
		st, out := e.call("PATCH", "/api/v1/directories/"+id, bootstrapKey, c.body)
		if st != 400 || !strings.Contains(out["error"].(map[string]any)["message"].(string), c.mentions) {
			t.Errorf("PATCH %s: %d %v", c.body, st, out)
		}
	}
	if st, _ := e.call("PATCH", "/api/v1/directories/dir_nope", bootstrapKey, `{"enabled":true}`); st != 404 {
		t.Errorf("unknown directory: %d", st)
	}
}
