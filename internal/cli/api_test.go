package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/apitest"
	"github.com/scimbridge/scimbridge/internal/app"
	"github.com/scimbridge/scimbridge/internal/config"
)

// apiServer starts a real in-process server and returns the environment
// the API commands need to reach it.
func apiServer(t *testing.T) (map[string]string, *httptest.Server) {
	t.Helper()
	key := strings.Repeat("k", 40)
	cfg := config.Config{DataDir: filepath.Join(t.TempDir(), "data"), Addr: "127.0.0.1:0", PublicURL: "http://scim.test",
		APIKey: key, LogLevel: "warn", LogFormat: "text", ShutdownTimeout: 5 * time.Second}
	a, err := app.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(apitest.Validate(t, a.Handler()))
	t.Cleanup(func() { srv.Close(); a.Close() })
	return map[string]string{"SCIMBRIDGE_SERVER": srv.URL, "SCIMBRIDGE_API_KEY": key}, srv
}

// mustRun runs a command that must succeed and returns its stdout.
func mustRun(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	code, out, stderr := run(t, env, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d\nstdout: %s\nstderr: %s", args, code, out, stderr)
	}
	return out
}

// jsonID runs a command with --json and returns the "id" of its output.
func jsonField(t *testing.T, env map[string]string, field string, args ...string) string {
	t.Helper()
	var v map[string]any
	out := mustRun(t, env, append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	s, _ := v[field].(string)
	return s
}

func scimPost(t *testing.T, srv *httptest.Server, dirID, token, path string, body any) string {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", srv.URL+"/scim/v2/"+dirID+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != 201 {
		t.Fatalf("SCIM POST %s: %d", path, resp.StatusCode)
	}
	return out.ID
}

func TestAPICommands(t *testing.T) {
	env, srv := apiServer(t)

	org := jsonField(t, env, "id", "orgs", "create", "--name", "Acme", "--external-id", "acme-1")
	if !strings.HasPrefix(org, "org_") {
		t.Fatalf("org id %q", org)
	}
	if out := mustRun(t, env, "orgs", "list"); !strings.Contains(out, "EXTERNAL ID") || !strings.Contains(out, "acme-1") {
		t.Errorf("orgs list:\n%s", out)
	}
	if out := mustRun(t, env, "orgs", "list", "--external-id", "acme-1", "--json"); !strings.Contains(out, org) {
		t.Errorf("orgs list --external-id:\n%s", out)
	}
	if out := mustRun(t, env, "orgs", "get", org); !strings.Contains(out, "Acme") {
		t.Errorf("orgs get:\n%s", out)
	}
	if out := mustRun(t, env, "orgs", "update", org, "--name", "Acme Inc"); !strings.Contains(out, "Acme Inc") {
		t.Errorf("orgs update:\n%s", out)
	}

	dir := jsonField(t, env, "id", "directories", "create", org, "--provider", "okta", "--name", "Okta")
	if out := mustRun(t, env, "directories", "list", org); !strings.Contains(out, dir) || !strings.Contains(out, "awaiting_token") {
		t.Errorf("directories list:\n%s", out)
	}
	if out := mustRun(t, env, "directories", "disable", dir, "--json"); !strings.Contains(out, `"enabled": false`) {
		t.Errorf("directories disable:\n%s", out)
	}
	if out := mustRun(t, env, "directories", "enable", dir); !strings.Contains(out, "true") {
		t.Errorf("directories enable:\n%s", out)
	}
	if out := mustRun(t, env, "directories", "update", dir, "--unknown-members", "reject"); !strings.Contains(out, dir) {
		t.Errorf("directories update:\n%s", out)
	}

	code, secret, stderr := run(t, env, "tokens", "create", dir)
	secret = strings.TrimSpace(secret)
	if code != 0 || secret == "" || strings.Contains(secret, "\n") || !strings.Contains(stderr, "only time") {
		t.Fatalf("tokens create: exit %d, stdout %q, stderr %q", code, secret, stderr)
	}
	list := mustRun(t, env, "tokens", "list", dir)
	if strings.Contains(list, secret) || !strings.Contains(list, "…"+secret[len(secret)-4:]) {
		t.Errorf("tokens list shows the secret, or not its suffix:\n%s", list)
	}
	tokenID := strings.Fields(strings.Split(list, "\n")[1])[0]

	var users []string
	for i := range 3 {
		users = append(users, scimPost(t, srv, dir, secret, "/Users", map[string]any{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": fmt.Sprintf("u%d@acme.test", i),
			"name": map[string]any{"givenName": fmt.Sprintf("Ann%d", i), "familyName": "Lee"}, "active": true,
		}))
	}
	group := scimPost(t, srv, dir, secret, "/Groups", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Engineering",
		"members": []any{map[string]any{"value": users[0]}, map[string]any{"value": users[1]}},
	})

	out := mustRun(t, env, "users", "list", dir)
	if !strings.Contains(out, "USER NAME") || strings.Count(out, "@acme.test") != 3 || !strings.Contains(out, "Engineering") {
		t.Errorf("users list:\n%s", out)
	}
	var us []map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, env, "users", "list", dir, "--group", group, "--json")), &us); err != nil || len(us) != 2 {
		t.Errorf("users list --group --json: %v %v", us, err)
	}
	if out := mustRun(t, env, "users", "list", dir, "--limit", "1", "--json"); strings.Count(out, `"user_name"`) != 1 {
		t.Errorf("users list --limit 1:\n%s", out)
	}
	if out := mustRun(t, env, "users", "get", dir, users[2], "--detail", "--json"); !strings.Contains(out, "raw_attributes") {
		t.Errorf("users get --detail:\n%s", out)
	}
	if out := mustRun(t, env, "groups", "list", dir, "--q", "eng"); !strings.Contains(out, group) {
		t.Errorf("groups list:\n%s", out)
	}
	if out := mustRun(t, env, "groups", "get", dir, group); !strings.Contains(out, "MEMBERS") || !strings.Contains(out, "Engineering") {
		t.Errorf("groups get:\n%s", out)
	}
	if out := mustRun(t, env, "groups", "members", dir, group); strings.Count(out, " user ") != 2 {
		t.Errorf("groups members:\n%s", out)
	}

	if out := mustRun(t, env, "roles", "list"); !strings.Contains(out, "admin") || !strings.Contains(out, "default") {
		t.Errorf("roles list:\n%s", out)
	}
	mustRun(t, env, "roles", "create", "--key", "viewer", "--name", "Viewer")
	if out := mustRun(t, env, "roles", "update", "viewer", "--description", "reads only"); !strings.Contains(out, "reads only") {
		t.Errorf("roles update:\n%s", out)
	}
	if out := mustRun(t, env, "role-mappings", "preview", dir, "--map", group+"=viewer:5"); !strings.HasPrefix(out, "2 users would change role") {
		t.Errorf("role-mappings preview:\n%s", out)
	}
	if out := mustRun(t, env, "role-mappings", "set", dir, "--map", group+"=viewer:5"); !strings.Contains(out, "viewer") {
		t.Errorf("role-mappings set:\n%s", out)
	}
	if out := mustRun(t, env, "role-mappings", "get", dir, "--json"); !strings.Contains(out, `"priority": 5`) {
		t.Errorf("role-mappings get:\n%s", out)
	}
	if out := mustRun(t, env, "users", "get", dir, users[0]); !strings.Contains(out, "viewer") {
		t.Errorf("mapped user:\n%s", out)
	}
	if out := mustRun(t, env, "orgs", "default-role", org, "member"); !strings.Contains(out, "member") {
		t.Errorf("orgs default-role:\n%s", out)
	}
	if out := mustRun(t, env, "orgs", "default-role", org, "--clear"); !strings.Contains(out, "admin") {
		t.Errorf("orgs default-role --clear:\n%s", out)
	}
	mustRun(t, env, "role-mappings", "set", dir)
	mustRun(t, env, "roles", "delete", "viewer")

	if out := mustRun(t, env, "tokens", "revoke", dir, tokenID); !strings.Contains(out, tokenID) {
		t.Errorf("tokens revoke:\n%s", out)
	}
	mustRun(t, env, "directories", "delete", dir)
	if code, _, stderr := run(t, env, "directories", "get", dir); code != 1 || !strings.Contains(stderr, "404") {
		t.Errorf("get a deleted directory: exit %d %q", code, stderr)
	}
	mustRun(t, env, "orgs", "delete", org)
}

func TestAPICommandErrors(t *testing.T) {
	env, _ := apiServer(t)
	noKey := map[string]string{"SCIMBRIDGE_SERVER": env["SCIMBRIDGE_SERVER"]}
	wrongKey := map[string]string{"SCIMBRIDGE_SERVER": env["SCIMBRIDGE_SERVER"], "SCIMBRIDGE_API_KEY": "secret-wrong-" + strings.Repeat("x", 30)}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"no subcommand", env, []string{"orgs"}, 2, "needs a subcommand"},
		{"unknown subcommand", env, []string{"users", "delete"}, 2, "unknown users subcommand"},
		{"missing argument", env, []string{"directories", "get"}, 2, "DIR_ID"},
		{"extra argument", env, []string{"roles", "list", "x"}, 2, "no arguments"},
		{"missing flag", env, []string{"orgs", "create"}, 2, "--name"},
		{"bad mapping", env, []string{"role-mappings", "set", "dir_x", "--map", "nope"}, 2, "GROUP_ID=ROLE:PRIORITY"},
		{"no API key", noKey, []string{"roles", "list"}, 2, "SCIMBRIDGE_API_KEY"},
		{"wrong API key", wrongKey, []string{"roles", "list"}, 1, "401"},
		{"not found", env, []string{"orgs", "get", "org_missing"}, 1, "not_found"},
		{"conflict", env, []string{"roles", "create", "--key", "admin", "--name", "A"}, 1, "409"},
		{"invalid", env, []string{"directories", "create", "org_x", "--provider", "fax"}, 1, "400"},
		{"server down", map[string]string{"SCIMBRIDGE_API_KEY": "k"}, []string{"roles", "list", "--server", "http://127.0.0.1:1"}, 1, "127.0.0.1:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, tc.env, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", code, tc.code, stderr, tc.want)
			}
			if strings.Contains(stderr, "secret-wrong") {
				t.Errorf("stderr shows the API key: %q", stderr)
			}
		})
	}
	if code, out, _ := run(t, env, "roles", "list", "-h"); code != 0 || out != "" {
		t.Errorf("-h: exit %d", code)
	}
}

func TestPortalLinkCommand(t *testing.T) {
	env, _ := apiServer(t)
	org := jsonField(t, env, "id", "orgs", "create", "--name", "Acme")
	code, loc, stderr := run(t, env, "portal-link", "create", org, "--kind", "embed", "--return-url", "https://app.example.com")
	loc = strings.TrimSpace(loc)
	if code != 0 || !strings.HasPrefix(loc, "http://scim.test/portal/open?token=scimb_pl_") || !strings.Contains(stderr, "shown only now") {
		t.Fatalf("portal-link create: exit %d, stdout %q, stderr %q", code, loc, stderr)
	}
	share := jsonField(t, env, "id", "portal-link", "create", org)
	list := mustRun(t, env, "portal-link", "list", org)
	if !strings.Contains(list, share) || !strings.Contains(list, "embed") || !strings.Contains(list, "https://app.example.com") || strings.Contains(list, "scimb_pl_") {
		t.Errorf("portal-link list:\n%s", list)
	}
	if out := mustRun(t, env, "portal-link", "revoke", org, share); !strings.Contains(out, "revoked "+share) {
		t.Errorf("portal-link revoke: %s", out)
	}
	if code, _, stderr := run(t, env, "portal-link", "create", org, "--kind", "forever"); code == 0 || !strings.Contains(stderr, "kind") {
		t.Errorf("portal-link create --kind forever: exit %d, stderr %q", code, stderr)
	}
}
