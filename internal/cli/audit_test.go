package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// TestAuditLogCommand: changes made with API commands are listed by
// `audit-log list`, filtered, as a table and as JSON (the response checked
// against docs/openapi.yaml by apiServer's validator).
func TestAuditLogCommand(t *testing.T) {
	env, _ := apiServer(t)
	org := jsonField(t, env, "id", "orgs", "create", "--name", "Acme")
	dir := jsonField(t, env, "id", "directories", "create", org, "--provider", "okta", "--name", "Okta")
	out := mustRun(t, env, "audit-log", "list")
	if !strings.Contains(out, "organization.create") || !strings.Contains(out, "directory.create") || !strings.Contains(out, dir) {
		t.Errorf("table:\n%s", out)
	}
	var es []map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, env, "audit-log", "list", "--action", "directory.create", "--json")), &es); err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0]["target"].(map[string]any)["id"] != dir || es[0]["actor"].(map[string]any)["type"] != "bootstrap_key" {
		t.Errorf("filtered: %v", es)
	}
	if code, _, stderr := run(t, env, "audit-log", "list", "--since", "yesterday"); code != 2 || !strings.Contains(stderr, "RFC 3339") {
		t.Errorf("bad --since: exit %d: %s", code, stderr)
	}
}

// TestAPIKeyCommandsAudited: keys created and revoked with the local
// apikeys command are recorded with actor cli.
func TestAPIKeyCommandsAudited(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	env := map[string]string{"SCIMBRIDGE_DATA_DIR": dataDir}
	if code, _, stderr := run(t, env, "migrate"); code != 0 {
		t.Fatalf("migrate: %d %s", code, stderr)
	}
	code, _, stderr := run(t, env, "apikeys", "create", "--name", "ops")
	if code != 0 {
		t.Fatalf("apikeys create: %d %s", code, stderr)
	}
	id := stderr[strings.Index(stderr, "key_") : strings.Index(stderr, "key_")+len("key_")+26]
	if code, _, stderr := run(t, env, "apikeys", "revoke", id); code != 0 {
		t.Fatalf("apikeys revoke: %d %s", code, stderr)
	}
	a, err := openApp(t.Context(), "test", []string{"--data-dir", dataDir}, Env{Getenv: func(string) string { return "" }}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	es, err := a.Store.ListAudit(t.Context(), auditQuery(10))
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].Action != "api_key.revoke" || es[1].Action != "api_key.create" || es[1].TargetID != id || es[0].ActorType != "cli" {
		t.Errorf("entries: %+v", es)
	}
}

func auditQuery(limit int) directory.AuditQuery { return directory.AuditQuery{Limit: limit} }
