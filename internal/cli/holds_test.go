package cli

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestHoldsCommands: the deprovisioning settings through "directories
// update", and a hold listed, shown and released through "holds".
func TestHoldsCommands(t *testing.T) {
	env, srv := apiServer(t)
	org := jsonField(t, env, "id", "orgs", "create", "--name", "Acme")
	dir := jsonField(t, env, "id", "directories", "create", org, "--provider", "entra_id")
	out := mustRun(t, env, "directories", "update", dir, "--on-delete", "deactivate", "--on-deactivate", "delete_after",
		"--delete-after-days", "30", "--guard-min-users", "0", "--guard-percent", "0", "--json")
	for _, want := range []string{`"on_delete": "deactivate"`, `"delete_after_days": 30`, `"min_users": 0`} {
		if !strings.Contains(out, want) {
			t.Fatalf("directories update: no %s in\n%s", want, out)
		}
	}
	if code, _, stderr := run(t, env, "directories", "update", dir, "--guard", "maybe"); code != 2 || !strings.Contains(stderr, "on or off") {
		t.Fatalf("--guard maybe: exit %d, %s", code, stderr)
	}
	token := strings.TrimSpace(mustRun(t, env, "tokens", "create", dir))
	id := scimPost(t, srv, dir, token, "/Users", map[string]any{"userName": "ada@example.com"})
	body, _ := json.Marshal(map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "replace", "path": "active", "value": false}}})
	req, _ := http.NewRequest("PATCH", srv.URL+"/scim/v2/"+dir+"/Users/"+id, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := srv.Client().Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("SCIM PATCH: %v %v", resp, err)
	}
	resp.Body.Close()
	var holds []struct{ ID, Status string }
	if err := json.Unmarshal([]byte(mustRun(t, env, "holds", "list", dir, "--json")), &holds); err != nil || len(holds) != 1 || holds[0].Status != "open" {
		t.Fatalf("holds list: %v %v", holds, err)
	}
	if out := mustRun(t, env, "holds", "show", dir, holds[0].ID); !strings.Contains(out, "ada@example.com") || !strings.Contains(out, "deactivated") {
		t.Fatalf("holds show:\n%s", out)
	}
	if out := mustRun(t, env, "holds", "release", dir, holds[0].ID); !strings.Contains(out, "released") {
		t.Fatalf("holds release:\n%s", out)
	}
	if code, _, stderr := run(t, env, "holds", "discard", dir, holds[0].ID); code != 1 || !strings.Contains(stderr, "409") {
		t.Fatalf("discard of a released hold: exit %d, %s", code, stderr)
	}
}
