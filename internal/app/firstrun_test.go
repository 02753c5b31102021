package app_test

import (
	"bytes"
	"context"
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

// TestStartupNotes: started without --public-url and without any API key,
// the server says, once each, that IdPs cannot reach its endpoint URLs and
// that the management API is closed and how to open it; with both set it
// says neither.
func TestStartupNotes(t *testing.T) {
	open := func(cfg config.Config) (*app.App, *bytes.Buffer) {
		t.Helper()
		var logs bytes.Buffer
		cfg.DataDir, cfg.LogLevel, cfg.LogFormat, cfg.ShutdownTimeout = filepath.Join(t.TempDir(), "data"), "info", "text", time.Second
		a, err := app.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		logs.Reset()
		if err := a.LogStartupNotes(context.Background()); err != nil {
			t.Fatal(err)
		}
		return a, &logs
	}
	_, logs := open(config.Config{Addr: "127.0.0.1:8080", PublicURL: "http://127.0.0.1:8080", PublicURLDefaulted: true})
	for _, want := range []string{"--public-url is not set", "cloud IdP cannot reach", "management API is closed", "SCIMBRIDGE_API_KEY", "scimbridge apikeys create"} {
		if strings.Count(logs.String(), want) != 1 {
			t.Errorf("start-up log has %q %d times, want once:\n%s", want, strings.Count(logs.String(), want), logs.String())
		}
	}
	a, logs := open(config.Config{Addr: "127.0.0.1:8080", PublicURL: "https://scim.example.com", APIKey: strings.Repeat("k", 40)})
	if logs.Len() != 0 {
		t.Errorf("start-up log with a public URL and a key:\n%s", logs.String())
	}
	// A stored key opens the API too.
	if _, _, err := a.Service.CreateAPIKey(context.Background(), "ops"); err != nil {
		t.Fatal(err)
	}
	a.Config.APIKey = ""
	var again bytes.Buffer
	a.Logger = slog.New(slog.NewTextHandler(&again, nil))
	if err := a.LogStartupNotes(context.Background()); err != nil || again.Len() != 0 {
		t.Errorf("with a stored key: %v\n%s", err, again.String())
	}

	// GET / says what the server is, not a bare 404.
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusOK || !strings.Contains(string(body), "/api/v1/") || !strings.Contains(string(body), "/scim/v2/") {
		t.Errorf("GET /: %d\n%s", rec.Code, body)
	}
}
