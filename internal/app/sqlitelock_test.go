package app_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/scimbridge/scimbridge/internal/app"
	"github.com/scimbridge/scimbridge/internal/config"
)

// TestClaimSQLite: a second serve on the same SQLite database is refused
// with a message that says why, until the first lets go; another database
// and PostgreSQL are not affected.
func TestClaimSQLite(t *testing.T) {
	cfg := config.Config{DataDir: filepath.Join(t.TempDir(), "data")}
	first, err := app.ClaimSQLite(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = app.ClaimSQLite(cfg)
	if err == nil || !strings.Contains(err.Error(), "another scimbridge serve is already running on the SQLite database") {
		t.Fatalf("second claim: %v, want a refusal naming the other serve", err)
	}
	other, err := app.ClaimSQLite(config.Config{DataDir: filepath.Join(t.TempDir(), "other")})
	if err != nil {
		t.Fatalf("claim on another database: %v", err)
	}
	other.Close()
	pg, err := app.ClaimSQLite(config.Config{Database: "postgres://127.0.0.1:1/x"})
	if err != nil {
		t.Fatalf("PostgreSQL: %v", err)
	}
	pg.Close()
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := app.ClaimSQLite(cfg)
	if err != nil {
		t.Fatalf("claim after the first was released: %v", err)
	}
	again.Close()
}
