package mgmtapi_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/scimbridge/scimbridge/internal/apitest"
	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/mgmtapi"
	"github.com/scimbridge/scimbridge/internal/testenv"
)

// reverseBox "seals" by reversing bytes: enough to check that the API
// never shows what is stored (internal/webhook has the real AES-GCM box).
type reverseBox struct{}

func (reverseBox) Seal(p []byte) ([]byte, error) { return reversed(p), nil }
func (reverseBox) Open(p []byte) ([]byte, error) { return reversed(p), nil }

func reversed(p []byte) []byte {
	out := make([]byte, len(p))
	for i, b := range p {
		out[len(p)-1-i] = b
	}
	return out
}

func newWebhookEnv(t *testing.T) (*env, *directory.WebhookService) {
	t.Helper()
	st := testenv.Store(t)
	svc := testenv.Service(st)
	ids, logger := svc.IDs, svc.Logger
	wh := &directory.WebhookService{Store: st, Events: st, Secrets: reverseBox{}, IDs: ids, Logger: logger}
	h := &mgmtapi.Handler{Service: svc, Webhooks: wh, Logger: logger, PublicURL: "https://scim.example.com", APIKey: bootstrapKey}
	srv := httptest.NewServer(apitest.Validate(t, h.Routes()))
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, svc: svc}, wh
}

func TestWebhookEndpointsAPI(t *testing.T) {
	e, _ := newWebhookEnv(t)
	k := bootstrapKey
	st, ep := e.call("POST", "/api/v1/webhook_endpoints", k, `{"url":"https://app.example.com/hooks","description":"prod",
		"event_types":["organization.directory.user_created"]}`)
	if st != 201 || !strings.HasPrefix(ep["id"].(string), "whep_") || ep["enabled"] != true {
		t.Fatalf("create: %d %v", st, ep)
	}
	secret, _ := ep["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") || len(secret) < 40 {
		t.Fatalf("secret %q", secret)
	}
	id := ep["id"].(string)
	path := "/api/v1/webhook_endpoints/" + id
	st, got := e.call("GET", path, k, "")
	if st != 200 || got["secret"] != nil || got["url"] != "https://app.example.com/hooks" {
		t.Fatalf("get: %d %v", st, got)
	}
	st, list := e.call("GET", "/api/v1/webhook_endpoints", k, "")
	if st != 200 || len(list["data"].([]any)) != 1 || strings.Contains(fmt.Sprint(list), "whsec_") {
		t.Fatalf("list: %d %v", st, list)
	}
	for _, bad := range []string{`{"url":"ftp://x"}`, `{"url":"/relative"}`, `{"url":"https://x","event_types":["nope"]}`,
		`{"url":"https://x","organization_ids":["dir_1"]}`, `{"url":"https://x","secret":"mine"}`} {
		if st, out := e.call("POST", "/api/v1/webhook_endpoints", k, bad); st != 400 || errCode(out) != "invalid" {
			t.Errorf("create %s: %d %v, want 400 invalid", bad, st, out)
		}
	}
	st, up := e.call("PATCH", path, k, `{"enabled":false,"event_types":[]}`)
	if st != 200 || up["enabled"] != false || len(up["event_types"].([]any)) != 0 {
		t.Fatalf("patch: %d %v", st, up)
	}
	if st, out := e.call("PATCH", path, k, `{"url":"nope"}`); st != 400 {
		t.Errorf("patch bad url: %d %v", st, out)
	}
	st, rot := e.call("POST", path+"/rotate_secret", k, "")
	if st != 200 || rot["secret"] == secret || !strings.HasPrefix(rot["secret"].(string), "whsec_") || rot["previous_secret_expires_at"] == nil {
		t.Fatalf("rotate: %d %v", st, rot)
	}
	st, d := e.call("POST", path+"/test", k, "")
	if st != 202 || d["status"] != "pending" || !strings.HasPrefix(d["id"].(string), "msg_") {
		t.Fatalf("test: %d %v", st, d)
	}
	if p := d["payload"].(map[string]any); p["type"] != "webhook_endpoint.test" {
		t.Errorf("test payload %v", p)
	}
	st, ds := e.call("GET", path+"/deliveries", k, "")
	if st != 200 || len(ds["data"].([]any)) != 1 {
		t.Fatalf("deliveries: %d %v", st, ds)
	}
	st, r := e.call("POST", path+"/deliveries/"+d["id"].(string)+"/retry", k, "")
	if st != 200 || r["status"] != "pending" || r["attempt_count"] != float64(0) {
		t.Fatalf("retry: %d %v", st, r)
	}
	if st, out := e.call("POST", path+"/deliveries/msg_nope/retry", k, ""); st != 404 {
		t.Errorf("retry unknown: %d %v", st, out)
	}
	if st, out := e.call("POST", path+"/replay", k, `{}`); st != 400 {
		t.Errorf("replay without a start: %d %v", st, out)
	}
	if st, out := e.call("POST", path+"/replay", k, `{"after":"x"}`); st != 400 {
		t.Errorf("replay with a bad position: %d %v", st, out)
	}
	if st, out := e.call("POST", path+"/replay", k, `{"after":"0","until":5}`); st != 202 || out["enqueued"] != float64(0) {
		t.Errorf("replay of nothing: %d %v", st, out)
	}
	if st, _ := e.call("DELETE", path, k, ""); st != 204 {
		t.Errorf("delete: %d", st)
	}
	if st, _ := e.call("GET", path, k, ""); st != 404 {
		t.Errorf("get after delete: %d", st)
	}
	if st, _ := e.call("GET", path+"/deliveries", k, ""); st != 404 {
		t.Errorf("deliveries after delete: %d", st)
	}
	if st, _ := e.call("GET", "/api/v1/webhook_endpoints", "", ""); st != 401 {
		t.Errorf("without a key: %d", st)
	}
}

func TestWebhookReplayAPI(t *testing.T) {
	e, _ := newWebhookEnv(t)
	k := bootstrapKey
	_, ep := e.call("POST", "/api/v1/webhook_endpoints", k, `{"url":"http://127.0.0.1:9/hook"}`)
	path := "/api/v1/webhook_endpoints/" + ep["id"].(string)
	ctx := context.Background()
	org, _ := e.svc.CreateOrganization(ctx, "Acme", "")
	dir, _ := e.svc.CreateDirectory(ctx, org.ID, "okta", "")
	for i := 0; i < 3; i++ {
		if _, err := e.svc.CreateUser(ctx, dir, map[string]any{"userName": fmt.Sprintf("u%d@x", i)}); err != nil {
			t.Fatal(err)
		}
	}
	// Without a worker the events are not fanned out yet: nothing to replay.
	if st, out := e.call("POST", path+"/replay", k, `{"after":0}`); st != 202 || out["enqueued"] != float64(0) {
		t.Errorf("replay before fan-out: %d %v", st, out)
	}
}
