package sqlstore

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// TestPostgresCreateUserWithCredential: POST /Users's token checked in the
// create's own transaction (Service.CreateUserWithCredential) takes one
// round trip, and writes nothing, returning ErrUnconfirmed, whenever the
// token or the directory would not pass authenticate: a revocation, a
// disabled directory or changed settings, done through another replica's
// store, apply to the very next create.
func TestPostgresCreateUserWithCredential(t *testing.T) {
	base := newPostgresMigrated(t)
	dsn, proxy := proxied(t, base, 0)
	s := openPostgresTest(t, dsn, false)
	other := &directory.Service{Store: openPostgresTest(t, base, false), Schemas: schema.New(),
		IDs: directory.IDs{Now: time.Now, Rand: rand.Reader}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx := context.Background()
	svc := &directory.Service{Store: s, Schemas: schema.New(), IDs: directory.IDs{Now: time.Now, Rand: rand.Reader},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	org, err := svc.CreateOrganization(ctx, "Credential", "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := svc.CreateDirectory(ctx, org.ID, "okta", "credential")
	if err != nil {
		t.Fatal(err)
	}
	tok, secret, err := svc.CreateToken(ctx, d.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	_, d, err = svc.AuthenticateSCIM(ctx, d.ID, secret) // the hint
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, d, map[string]any{"userName": "first"}); err != nil { // reads the directory
		t.Fatal(err)
	}
	create := func(name string) (directory.Directory, int64, error) {
		t.Helper()
		h, ok := svc.SCIMHint(d.ID, secret)
		if !ok {
			t.Fatalf("creating %s: no hint", name)
		}
		before := proxy.RoundTrips()
		_, got, _, err := svc.CreateUserWithCredential(ctx, h, map[string]any{"userName": name})
		return got, proxy.RoundTrips() - before, err
	}
	exists := func(name string) bool {
		t.Helper()
		var n int
		if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE directory_id = $1 AND user_name = $2`, d.ID, name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
	create("prepare") // prepares the statements (pgx's cache)
	got, trips, err := create("one-trip")
	if err != nil || got.ID != d.ID || !exists("one-trip") {
		t.Fatalf("create: %v, directory %q", err, got.ID)
	}
	if trips != 1 {
		t.Errorf("create with its token: %d round trips, want 1", trips)
	}
	if _, _, err := create("one-trip"); directory.KindOf(err) != directory.KindConflict {
		t.Errorf("taken userName: %v, want a conflict", err)
	}

	// rearm authenticates and creates the usual way, as the handler does
	// after a refusal: the hint and the directory read are back.
	rearm := func(name string) {
		t.Helper()
		if _, d, err = svc.AuthenticateSCIM(ctx, d.ID, secret); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateUser(ctx, d, map[string]any{"userName": name}); err != nil {
			t.Fatal(err)
		}
	}
	refused := func(what, name string) {
		t.Helper()
		if _, _, err := create(name); !errors.Is(err, directory.ErrUnconfirmed) {
			t.Errorf("%s: %v, want ErrUnconfirmed", what, err)
		}
		if exists(name) {
			t.Errorf("%s: the user was created", what)
		}
		rearm("after-" + name)
	}
	strict := true
	if _, err := other.UpdateDirectory(ctx, d.ID, directory.DirectoryChange{Strict: &strict}); err != nil {
		t.Fatal(err)
	}
	refused("settings changed", "strict")
	global, _, err := s.DefaultRoles(ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	next := "member"
	if global == next {
		next = "admin"
	}
	if err := other.SetOrganizationDefaultRole(ctx, org.ID, next); err != nil {
		t.Fatal(err)
	}
	refused("default role changed", "role")

	off := false
	if _, err := other.UpdateDirectory(ctx, d.ID, directory.DirectoryChange{Enabled: &off}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := create("disabled"); !errors.Is(err, directory.ErrUnconfirmed) || exists("disabled") {
		t.Errorf("disabled directory: %v, created %v; want ErrUnconfirmed, nothing", err, exists("disabled"))
	}
	if _, _, err := svc.AuthenticateSCIM(ctx, d.ID, secret); directory.KindOf(err) != directory.KindForbidden {
		t.Errorf("disabled directory, the usual way: %v", err)
	}
	on := true
	if _, err := other.UpdateDirectory(ctx, d.ID, directory.DirectoryChange{Enabled: &on}); err != nil {
		t.Fatal(err)
	}
	rearm("enabled")
	if err := other.RevokeToken(ctx, d.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := create("revoked"); !errors.Is(err, directory.ErrUnconfirmed) || exists("revoked") {
		t.Errorf("revoked token: %v, created %v; want ErrUnconfirmed, nothing", err, exists("revoked"))
	}
	if _, ok := svc.SCIMHint(d.ID, secret); ok {
		t.Error("the revoked token's hint is still kept")
	}
	if _, _, err := svc.AuthenticateSCIM(ctx, d.ID, secret); directory.KindOf(err) != directory.KindUnauthorized {
		t.Errorf("revoked token, the usual way: %v", err)
	}
}

// TestPostgresIndexesServeQueries: the queries on events, whose indexes
// 0016 made partial (sealed events only), still find one of them in the
// plans PostgreSQL makes for their prepared statements (generic, as after
// five executions; on these empty tables the planner may pick any index
// the query's conditions prove usable).
func TestPostgresIndexesServeQueries(t *testing.T) {
	s := openPostgresTest(t, newPostgresMigrated(t), false)
	ctx := context.Background()
	conn, err := s.write.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{`SET enable_seqscan = off`, `SET plan_cache_mode = force_generic_plan`} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ name, query string }{
		{"event by id", `SELECT ` + eventColumns + ` FROM events WHERE id = $1`},
		{"feed", `SELECT ` + eventColumns + ` FROM events WHERE position > $1 ORDER BY position LIMIT $2`},
		{"directory feed", `SELECT ` + eventColumns + ` FROM events WHERE position > $1 AND directory_id = $2 ORDER BY position LIMIT $3`},
		{"subject feed", `SELECT ` + eventColumns + ` FROM (SELECT * FROM events WHERE subject_id = $2 UNION ALL
			SELECT * FROM events WHERE member_id = $2 AND subject_id IS DISTINCT FROM $2) AS events WHERE position > $1 ORDER BY position LIMIT $3`},
		{"last position", `SELECT COALESCE(MAX(position), 0) FROM events`},
		{"directory's last sequence", `SELECT x.sequence FROM events x WHERE x.directory_id = $1 AND x.position IS NOT NULL ORDER BY x.position DESC LIMIT 1`},
		{"delivery's event", `SELECT d.id FROM webhook_deliveries d LEFT JOIN events e ON d.payload IS NULL AND d.position > 0 AND e.position = d.position WHERE d.id = $1`},
	} {
		if _, err := conn.ExecContext(ctx, `PREPARE q AS `+c.query); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		n := 0
		for i := 1; strings.Contains(c.query, "$"+strconv.Itoa(i)); i++ {
			n = i
		}
		args := strings.TrimSuffix(strings.Repeat("NULL, ", n), ", ")
		explain := `EXPLAIN EXECUTE q`
		if n > 0 {
			explain += `(` + args + `)`
		}
		rows, err := conn.QueryContext(ctx, explain)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		if _, err := conn.ExecContext(ctx, `DEALLOCATE q`); err != nil {
			t.Fatal(err)
		}
		text := strings.Join(plan, "\n")
		if strings.Contains(text, "Seq Scan") {
			t.Errorf("%s: no index serves it:\n%s", c.name, text)
		}
	}
}
