package app_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/app"
	"github.com/scimbridge/scimbridge/internal/config"
)

// TestREADMEWalkthrough runs the README's curl walk-through, as written,
// with bash and curl against a real server (only the port differs).
func TestREADMEWalkthrough(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "sed"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed to run the README walk-through: %v", tool, err)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	var key, setup, idp string
	for _, b := range blocks {
		switch {
		case strings.Contains(b[1], "export SCIMBRIDGE_API_KEY="):
			key = regexp.MustCompile(`SCIMBRIDGE_API_KEY=(\S+)`).FindStringSubmatch(b[1])[1]
		case strings.Contains(b[1], "ORG=$(curl"):
			setup = b[1]
		case strings.Contains(b[1], "USER=$(curl"):
			idp = b[1]
		}
	}
	if key == "" || setup == "" || idp == "" {
		t.Fatal("README no longer has the walk-through blocks this test runs")
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg := config.Config{DataDir: t.TempDir(), Addr: ln.Addr().String(), PublicURL: base, APIKey: key, LogLevel: "warn", LogFormat: "text", ShutdownTimeout: 10 * time.Second}
	cfg.DataDir = filepath.Join(cfg.DataDir, "data")
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()

	script := strings.ReplaceAll(setup+"\n"+idp, "http://127.0.0.1:8080", base)
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("walk-through failed: %v\n%s", err, out)
	}
	text := string(out)
	checks := []struct{ what, want string }{
		{"the endpoint URL is printed", "SCIM base URL: " + base + "/scim/v2/dir_"},
		{"the token is printed", "Bearer token:  scimb_dt_"},
		{"the case-insensitive filter finds the user", `"totalResults":1`},
		{"the user reads back deactivated", `"active":false`},
	}
	for _, c := range checks {
		if !strings.Contains(text, c.want) {
			t.Errorf("%s: output lacks %q:\n%s", c.what, c.want, text)
		}
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if last := lines[len(lines)-1]; last != "204" {
		t.Errorf("DELETE printed %q, want 204", last)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
}
