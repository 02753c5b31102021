package cli

import (
	"strings"
	"testing"
)

func TestCustomAttributeCommands(t *testing.T) {
	env, srv := apiServer(t)
	org := jsonField(t, env, "id", "orgs", "create", "--name", "Acme")
	dir := jsonField(t, env, "id", "directories", "create", org, "--provider", "entra_id")
	_, secret, _ := run(t, env, "tokens", "create", dir)
	secret = strings.TrimSpace(secret)
	scimPost(t, srv, dir, secret, "/Users", map[string]any{
		"userName": "dana@contoso.test",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"department": "Sales"},
		"urn:ietf:params:scim:schemas:extension:contoso:2.0:User":    map[string]any{"CostCenter": "4711"},
	})

	if out := mustRun(t, env, "custom-attributes", "create", "--key", "cost_center", "--type", "string", "--description", "Cost center"); !strings.Contains(out, "cost_center") {
		t.Errorf("create:\n%s", out)
	}
	mustRun(t, env, "custom-attributes", "create", "--key", "department", "--type", "string")
	if out := mustRun(t, env, "custom-attributes", "update", "department", "--description", "Dept"); !strings.Contains(out, "Dept") {
		t.Errorf("update:\n%s", out)
	}
	if out := mustRun(t, env, "custom-attributes", "list"); !strings.Contains(out, "DEFAULT SOURCE") || !strings.Contains(out, "department") {
		t.Errorf("list:\n%s", out)
	}
	out := mustRun(t, env, "attribute-mappings", "sources", dir)
	for _, want := range []string{"urn:ietf:params:scim:schemas:extension:contoso:2.0:User:CostCenter", "4711",
		"--map department=urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"} {
		if !strings.Contains(out, want) {
			t.Errorf("sources: %q missing in\n%s", want, out)
		}
	}
	maps := []string{"--map", "cost_center=urn:ietf:params:scim:schemas:extension:contoso:2.0:User:CostCenter",
		"--map", "department=urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}
	if out := mustRun(t, env, append([]string{"attribute-mappings", "preview", dir}, maps...)...); !strings.HasPrefix(out, "1 of the 1 sampled users would change") || !strings.Contains(out, "4711") {
		t.Errorf("preview:\n%s", out)
	}
	if out := mustRun(t, env, append([]string{"attribute-mappings", "set", dir}, maps...)...); !strings.HasPrefix(out, "1 users' values changed") {
		t.Errorf("set:\n%s", out)
	}
	if out := mustRun(t, env, "attribute-mappings", "get", dir, "--json"); !strings.Contains(out, `"pending_users": 0`) || !strings.Contains(out, "CostCenter") {
		t.Errorf("get:\n%s", out)
	}
	if code, _, stderr := run(t, env, "attribute-mappings", "set", dir, "--map", "nope"); code != 2 || !strings.Contains(stderr, "KEY=SOURCE") {
		t.Errorf("bad --map: exit %d, %s", code, stderr)
	}
	mustRun(t, env, "attribute-mappings", "set", dir)
	if out := mustRun(t, env, "custom-attributes", "delete", "department"); !strings.Contains(out, "deleted") {
		t.Errorf("delete:\n%s", out)
	}
}
