package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/client"
)

// TestServeDeliversWebhooks: through the public surfaces only, an
// endpoint created with the Go client receives, signed, the event of a
// user created over SCIM, rendered as the feed renders it.
func TestServeDeliversWebhooks(t *testing.T) {
	a, base, cancel, done := start(t)
	defer func() { cancel(); <-done }()
	var mu sync.Mutex
	var bodies [][]byte
	var verifyErrs []error
	secret := make(chan string, 1)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s := <-secret
		secret <- s
		mu.Lock()
		defer mu.Unlock()
		if err := client.VerifyWebhook(s, r.Header, body, 0); err != nil {
			verifyErrs = append(verifyErrs, err)
		}
		bodies = append(bodies, body)
	}))
	defer rcv.Close()
	c := client.New(base, a.Config.APIKey)
	ctx := context.Background()
	ep, err := c.CreateWebhookEndpoint(ctx, client.WebhookEndpointCreate{URL: rcv.URL, EventTypes: []string{"organization.directory.user_created"}})
	if err != nil {
		t.Fatal(err)
	}
	secret <- ep.Secret
	if got, _ := c.GetWebhookEndpoint(ctx, ep.ID); got.Secret != "" {
		t.Error("GET returned the secret")
	}
	scimURL, token := provision(t, a, base)
	req, _ := http.NewRequest("POST", scimURL+"/Users", strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("SCIM create: %d", resp.StatusCode)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(bodies)
		mu.Unlock()
		if n >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no webhook within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(verifyErrs) > 0 {
		t.Fatalf("signature: %v", verifyErrs[0])
	}
	var p map[string]any
	if err := json.Unmarshal(bodies[0], &p); err != nil {
		t.Fatal(err)
	}
	if p["type"] != "organization.directory.user_created" || p["sequence"] != float64(1) {
		t.Errorf("payload %s", bodies[0])
	}
	// The webhook names the IdP (the directory's token) as the actor.
	if act, _ := p["actor"].(map[string]any); act["type"] != "idp" || !strings.HasPrefix(fmt.Sprint(act["id"]), "dtok_") || act["name"] != "Okta" {
		t.Errorf("webhook actor %v, want the IdP with its dtok_ token id and the directory's name", p["actor"])
	}
	// A change through the management API names the API key.
	dirID := scimURL[strings.LastIndex(scimURL, "/")+1:]
	if _, err := c.DisableDirectory(ctx, dirID); err != nil {
		t.Fatal(err)
	}
	evs, _, err := c.ListEvents(ctx, client.EventsOptions{})
	if err != nil || len(evs) != 2 {
		t.Fatalf("feed: %v %v", evs, err)
	}
	if a := evs[0].Actor; a == nil || a.Type != "idp" || !strings.HasPrefix(a.ID, "dtok_") {
		t.Errorf("feed: user_created actor %+v, want the IdP", a)
	}
	if a := evs[1].Actor; evs[1].Type != "organization.directory_disabled" || a == nil || a.Type != "bootstrap_key" {
		t.Errorf("feed: %s actor %+v, want the bootstrap key", evs[1].Type, a)
	}
	// The secret key was generated into the data directory, private.
	st, err := os.Stat(filepath.Join(a.Config.DataDir, "secret.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("secret key file: %v %v", st, err)
	}
}
