package testpg

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// Env names the variable holding the URL of a PostgreSQL server the tests
// may create schemas in, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const Env = "SCIMBRIDGE_TEST_POSTGRES_URL"

// URL returns the test server's URL or skips the test.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(Env)
	if u == "" {
		t.Skipf("PostgreSQL test skipped: set %s to a postgres:// URL of a scratch database (each test creates and drops its own schema)", Env)
	}
	return u
}

// Schema creates a uniquely named schema on the test server, drops it when
// t ends (register it before anything that must close first: cleanups run
// last-in first-out), and returns a URL whose search_path is that schema.
func Schema(t testing.TB) string {
	t.Helper()
	base := URL(t)
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("connecting to %s: %v", Env, err)
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := "test_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+name); err != nil {
		admin.Close()
		t.Fatalf("creating schema %s: %v", name, err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+name+` CASCADE`); err != nil {
			t.Errorf("dropping schema %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	q := u.Query()
	q.Set("search_path", name) // pgx sends unknown parameters as run-time parameters
	// A test database need not survive a crash of the server: commits do
	// not wait for the WAL to reach the disk (schema creation and every
	// migration are many small commits).
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	return u.String()
}
