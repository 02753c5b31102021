package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/apitest"
)

// TestDirectoryStateThroughTheAPI drives every connection state of a
// directory with real SCIM requests and reads it back from
// GET /api/v1/directories/{id}, each answer checked against
// docs/openapi.yaml.
func TestDirectoryStateThroughTheAPI(t *testing.T) {
	a, base, _, _ := startLogged(t, true)
	key := strings.Repeat("k", 40)
	api := apitest.Validate(t, a.Handler())
	call := func(method, path string, body any) map[string]any {
		t.Helper()
		var rd *bytes.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		} else {
			rd = bytes.NewReader(nil)
		}
		req := httptest.NewRequest(method, path, rd)
		req.Header.Set("Authorization", "Bearer "+key)
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		var out map[string]any
		json.Unmarshal(rec.Body.Bytes(), &out)
		if rec.Code >= 300 {
			t.Fatalf("%s %s: %d %v", method, path, rec.Code, out)
		}
		return out
	}
	scim := func(path, token string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	org := call("POST", "/api/v1/organizations", map[string]any{"name": "Acme"})
	dir := call("POST", "/api/v1/organizations/"+org["id"].(string)+"/directories", map[string]any{"provider": "okta"})
	if dir["state"] != "waiting" || !strings.Contains(dir["state_reason"].(string), "Okta") {
		t.Errorf("new directory: state %v (%v), want waiting", dir["state"], dir["state_reason"])
	}
	id := dir["id"].(string)
	tok := call("POST", "/api/v1/directories/"+id+"/tokens", nil)["token"].(string)

	// The request log writes in batches: wait (bounded) for the state.
	waitState := func(what, want string, reason ...string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			d := call("GET", "/api/v1/directories/"+id, nil)
			ok := d["state"] == want
			for _, r := range reason {
				ok = ok && strings.Contains(d["state_reason"].(string), r)
			}
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: state %v (%v), want %s with %q", what, d["state"], d["state_reason"], want, reason)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitState("before any request", "waiting")
	for i := 0; i < 3; i++ {
		if st := scim("/scim/v2/"+id+"/Users", "scimb_dt_wrong"+strings.Repeat("x", 40)); st != 401 {
			t.Fatalf("wrong token: %d", st)
		}
	}
	waitState("wrong tokens", "refused", "3 refused requests", "paste it into Okta")
	if st := scim("/scim/v2/"+id+"/Users", tok); st != 200 {
		t.Fatalf("good token: %d", st)
	}
	waitState("a good request", "connected")
	if st := scim("/scim/v2/"+id+"/Users/diruser_nope", tok); st != 404 {
		t.Fatalf("missing user: %d", st)
	}
	waitState("a failing request", "errors", "1 request failed")
	call("PATCH", "/api/v1/directories/"+id, map[string]any{"enabled": false})
	waitState("disabled", "disabled")

	// Stalled: a directory connected long ago and silent since.
	old := call("POST", "/api/v1/organizations/"+org["id"].(string)+"/directories", map[string]any{"provider": "entra_id"})
	if err := a.Store.TouchDirectory(context.Background(), old["id"].(string), time.Now().Add(-8*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if d := call("GET", "/api/v1/directories/"+old["id"].(string), nil); d["state"] != "stalled" || !strings.Contains(d["state_reason"].(string), "Microsoft Entra ID") {
		t.Errorf("silent for 8 days: state %v (%v), want stalled", d["state"], d["state_reason"])
	}
	// The list carries the state too.
	list := call("GET", "/api/v1/organizations/"+org["id"].(string)+"/directories", nil)
	for _, d := range list["data"].([]any) {
		if d.(map[string]any)["state"] == nil {
			t.Errorf("listed directory without state: %v", d)
		}
	}
}
