package cli

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/app"
	"github.com/scimbridge/scimbridge/internal/config"
)

func TestSimulateUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"simulate"},
		{"simulate", "--idp", "gopher", "--endpoint", "http://127.0.0.1:1/scim/v2", "--token", "t"},
		{"simulate", "--idp", "okta", "--endpoint", "file:///etc/passwd", "--token", "t"},
		{"simulate", "--idp", "okta", "--endpoint", "http://127.0.0.1:1/scim/v2"},
		{"simulate", "--idp", "okta", "--endpoint", "http://127.0.0.1:1/scim/v2", "--token", "t", "--users", "5", "--members", "6"},
	} {
		if code, _, stderr := run(t, nil, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2 (%s)", args, code, stderr)
		}
	}
}

func TestSimulateExitCodes(t *testing.T) {
	ctx := context.Background()
	cfg := config.Config{DataDir: filepath.Join(t.TempDir(), "data"), LogLevel: "error", LogFormat: "text"}
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	org, err := a.Service.CreateOrganization(ctx, "Acme", "")
	if err != nil {
		t.Fatal(err)
	}
	dir, err := a.Service.CreateDirectory(ctx, org.ID, "entra_id", "Entra")
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := a.Service.CreateToken(ctx, dir.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	env := map[string]string{"SCIMBRIDGE_SIMULATE_TOKEN": token}
	code, stdout, stderr := run(t, env, "simulate", "--idp", "entra", "--endpoint", srv.URL+"/scim/v2/"+dir.ID,
		"--users", "20", "--groups", "3", "--json")
	var s struct{ Pass bool }
	if err := json.Unmarshal([]byte(stdout), &s); err != nil || code != 0 || !s.Pass || !strings.Contains(stderr, "PASS") {
		t.Fatalf("exit %d, stdout %s, stderr %s", code, stdout, stderr)
	}

	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer broken.Close()
	if code, stdout, _ := run(t, env, "simulate", "--idp", "okta", "--endpoint", broken.URL); code != 1 || !strings.Contains(stdout, "FAIL") {
		t.Errorf("broken server: exit %d, stdout %s", code, stdout)
	}
}
