package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestWebhooksCommands(t *testing.T) {
	env, _ := apiServer(t)
	code, secret, stderr := run(t, env, "webhooks", "create", "--url", "http://127.0.0.1:9/hook", "--types", "organization.directory.user_created", "--description", "prod")
	if code != 0 || !strings.HasPrefix(strings.TrimSpace(secret), "whsec_") || !strings.Contains(stderr, "only time") {
		t.Fatalf("create: %d %q %q", code, secret, stderr)
	}
	var es []map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, env, "webhooks", "list", "--json")), &es); err != nil || len(es) != 1 {
		t.Fatalf("list: %v %v", es, err)
	}
	id := es[0]["id"].(string)
	if strings.Contains(mustRun(t, env, "webhooks", "list"), "whsec_") || strings.Contains(mustRun(t, env, "webhooks", "get", id, "--json"), "whsec_") {
		t.Error("a secret was printed by list or get")
	}
	if out := mustRun(t, env, "webhooks", "update", id, "--types", "all", "--enabled", "false"); !strings.Contains(out, "false") || !strings.Contains(out, "all") {
		t.Errorf("update: %s", out)
	}
	code, rotated, _ := run(t, env, "webhooks", "rotate", id)
	if code != 0 || !strings.HasPrefix(rotated, "whsec_") || rotated == secret {
		t.Errorf("rotate: %d %q", code, rotated)
	}
	if out := mustRun(t, env, "webhooks", "test", id); !strings.Contains(out, "webhook_endpoint.test") {
		t.Errorf("test: %s", out)
	}
	out := mustRun(t, env, "webhooks", "deliveries", id, "--json")
	var ds []map[string]any
	if err := json.Unmarshal([]byte(out), &ds); err != nil || len(ds) != 1 {
		t.Fatalf("deliveries: %v %s", err, out)
	}
	if out := mustRun(t, env, "webhooks", "retry", id, ds[0]["id"].(string)); !strings.Contains(out, "pending") {
		t.Errorf("retry: %s", out)
	}
	if out := mustRun(t, env, "webhooks", "replay", id, "--after", "0"); !strings.Contains(out, "0 events enqueued") {
		t.Errorf("replay: %s", out)
	}
	mustRun(t, env, "webhooks", "delete", id)
	if code, _, stderr := run(t, env, "webhooks", "get", id); code == 0 || !strings.Contains(stderr, "not_found") {
		t.Errorf("get after delete: %d %s", code, stderr)
	}
	if code, _, stderr := run(t, env, "webhooks", "create"); code != 2 || !strings.Contains(stderr, "--url") {
		t.Errorf("create without --url: %d %s", code, stderr)
	}
}
