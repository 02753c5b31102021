package app_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/app"
	"github.com/scimbridge/scimbridge/internal/config"
)

func start(t *testing.T) (*app.App, string, context.CancelFunc, chan error) {
	return startB(t)
}

func startB(t testing.TB) (*app.App, string, context.CancelFunc, chan error) {
	t.Helper()
	return startBWith(t, nil)
}

// startBWith is startB with the configuration changed by change (if not
// nil) before the app opens.
func startBWith(t testing.TB, change func(*config.Config)) (*app.App, string, context.CancelFunc, chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg := config.Config{DataDir: filepath.Join(t.TempDir(), "data"), Addr: ln.Addr().String(), PublicURL: base,
		APIKey: strings.Repeat("k", 40), LogLevel: "warn", LogFormat: "text", ShutdownTimeout: 10 * time.Second}
	if change != nil {
		change(&cfg)
	}
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	return a, base, cancel, done
}

func TestHealthAndReadiness(t *testing.T) {
	_, base, cancel, done := start(t)
	defer func() { cancel(); <-done }()
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]string
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != 200 || body["status"] == "" {
			t.Errorf("%s: %d %v", p, resp.StatusCode, body)
		}
		if resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s: no X-Request-Id", p)
		}
	}
}

// provision creates an organization, a directory and a token, and returns
// the directory's SCIM base URL and the token.
func provision(t testing.TB, a *app.App, base string) (string, string) {
	t.Helper()
	ctx := context.Background()
	org, err := a.Service.CreateOrganization(ctx, "Acme", "")
	if err != nil {
		t.Fatal(err)
	}
	dir, err := a.Service.CreateDirectory(ctx, org.ID, "okta", "Okta")
	if err != nil {
		t.Fatal(err)
	}
	_, secret, err := a.Service.CreateToken(ctx, dir.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return base + "/scim/v2/" + dir.ID, secret
}

// TestGracefulShutdownFinishesInFlightRequests starts a request whose body
// is still arriving, stops the server, then finishes the body: the request
// must complete and its write must be stored.
func TestGracefulShutdownFinishesInFlightRequests(t *testing.T) {
	a, base, cancel, done, ln := startWatched(t, false)
	ctx := context.Background()
	org, err := a.Service.CreateOrganization(ctx, "Acme", "")
	if err != nil {
		t.Fatal(err)
	}
	finish := startInFlight(t, ln, "POST", base+"/api/v1/organizations/"+org.ID+"/directories",
		http.Header{"Authorization": {"Bearer " + strings.Repeat("k", 40)}, "Content-Type": {"application/json"}},
		`{"provider":`, `"okta","name":"late"}`)
	cancel()
	ln.waitClosed(t) // shutdown has begun
	resp, err := finish()
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("in-flight request: %v %v, want 201", resp, err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("server still accepts connections after shutdown")
	}
}
