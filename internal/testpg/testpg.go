package testpg

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
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
		NoteSkipped("PostgreSQL", "set "+Env+" (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run them; bash .ci/run starts a server and sets it")
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
	u, err := withParams(base, "", name)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	return u
}

// A migrated schema per test, fast. Migrating a fresh schema takes about
// a second here (the suites want hundreds), and PostgreSQL cannot copy a
// schema; cloning a database (CREATE DATABASE … TEMPLATE) and dropping it
// costs even more. So each test binary keeps, per migrate key, a pristine
// schema migrated once and a pool of migrated schemas: a test takes one
// from the pool (migrating a new one only when the pool is empty, i.e. as
// many times as tests run at once) and, when it ends, the schema is reset
// to the pristine one's contents (rows deleted, seed rows copied back,
// sequences set back) and returned to the pool. A test sees exactly what a
// freshly migrated schema holds.
//
// Names: scimtest_<id>_…, where <id> is random per test binary. The binary
// keeps one session open with application_name scimtest_<id> for as long
// as it runs; a binary that finds scimtest_* schemas whose owner has no
// session left drops them, so a test run leaves no litter for long.

// pools holds this process's schemas.
var pools struct {
	sync.Mutex
	id    string
	owner *sql.DB // holds the session that marks id as alive
	byKey map[string]*pool
}

type pool struct {
	pristine string
	reset    []string // statements to run with {schema} the schema to reset
	free     []string
	made     int
}

// Migrated returns a URL whose search_path is a schema migrated by migrate
// (key names the migrate function, e.g. "sqlstore"), holding exactly what
// a freshly migrated schema holds; when t ends the schema is reset and
// kept for the next test. Register it before anything that must close
// first (cleanups run last-in first-out): the schema is reset only after
// every connection of the test has been closed.
func Migrated(t testing.TB, key string, migrate func(ctx context.Context, url string) error) string {
	t.Helper()
	base := URL(t)
	name, err := take(base, key, migrate)
	if err != nil {
		t.Fatalf("preparing a migrated schema: %v", err)
	}
	t.Cleanup(func() {
		if err := give(key, name); err != nil {
			t.Errorf("resetting schema %s: %v", name, err)
		}
	})
	u, err := withParams(base, "", name)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	return u
}

// take returns a free migrated schema for key, making one if none is free.
func take(base, key string, migrate func(ctx context.Context, url string) error) (string, error) {
	pools.Lock()
	defer pools.Unlock()
	ctx := context.Background()
	if pools.owner == nil {
		var b [6]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		id := "scimtest_" + hex.EncodeToString(b[:])
		owner, err := ownerSession(ctx, base, id)
		if err != nil {
			return "", err
		}
		pools.id, pools.owner, pools.byKey = id, owner, map[string]*pool{}
		dropOrphans(ctx, owner)
	}
	p := pools.byKey[key]
	if p == nil {
		p = &pool{pristine: fmt.Sprintf("%s_%d_pristine", pools.id, len(pools.byKey))}
		if err := makeSchema(ctx, base, p.pristine, migrate); err != nil {
			return "", err
		}
		reset, err := resetStatements(ctx, p.pristine)
		if err != nil {
			return "", err
		}
		p.reset = reset
		pools.byKey[key] = p
	}
	if n := len(p.free); n > 0 {
		name := p.free[n-1]
		p.free = p.free[:n-1]
		return name, nil
	}
	name := fmt.Sprintf("%s_%d", p.pristine, p.made)
	p.made++
	return name, makeSchema(ctx, base, name, migrate)
}

// give resets schema name to the pristine contents and returns it to
// key's pool; a schema that cannot be reset is dropped instead.
func give(key, name string) error {
	pools.Lock()
	p, owner := pools.byKey[key], pools.owner
	pools.Unlock()
	ctx := context.Background()
	err := func() error {
		tx, err := owner.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		for _, st := range p.reset {
			if _, err := tx.ExecContext(ctx, strings.ReplaceAll(st, "{schema}", name)); err != nil {
				return err
			}
		}
		return tx.Commit()
	}()
	if err != nil {
		owner.ExecContext(ctx, `DROP SCHEMA IF EXISTS `+name+` CASCADE`)
		return err
	}
	pools.Lock()
	p.free = append(p.free, name)
	pools.Unlock()
	return nil
}

// makeSchema creates schema name and migrates it.
func makeSchema(ctx context.Context, base, name string, migrate func(ctx context.Context, url string) error) error {
	if _, err := pools.owner.ExecContext(ctx, `CREATE SCHEMA `+name); err != nil {
		return fmt.Errorf("creating schema %s: %w", name, err)
	}
	u, err := withParams(base, "", name)
	if err != nil {
		return err
	}
	if err := migrate(ctx, u); err != nil {
		return fmt.Errorf("migrating schema %s: %w", name, err)
	}
	return nil
}

// resetStatements returns the statements that bring a schema migrated
// like pristine back to pristine's contents, {schema} standing for the
// schema: foreign keys (and other triggers) off for the transaction, every
// table emptied and refilled with pristine's rows, every sequence set to
// pristine's position.
func resetStatements(ctx context.Context, pristine string) ([]string, error) {
	db := pools.owner
	out := []string{`SET LOCAL session_replication_role = replica`}
	rows, err := db.QueryContext(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename`, pristine)
	if err != nil {
		return nil, err
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		tables = append(tables, n)
	}
	rows.Close()
	for _, tb := range tables {
		out = append(out, `DELETE FROM {schema}.`+tb)
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+pristine+`.`+tb).Scan(&n); err != nil {
			return nil, err
		}
		if n > 0 {
			out = append(out, `INSERT INTO {schema}.`+tb+` OVERRIDING SYSTEM VALUE SELECT * FROM `+pristine+`.`+tb)
		}
	}
	rows, err = db.QueryContext(ctx, `SELECT sequencename, last_value IS NOT NULL, coalesce(last_value, start_value) FROM pg_sequences WHERE schemaname = $1`, pristine)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var seq string
		var called bool
		var v int64
		if err := rows.Scan(&seq, &called, &v); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf(`SELECT setval('{schema}.%s', %d, %t)`, seq, v, called))
	}
	return out, rows.Err()
}

// ownerSession opens one session, kept open, whose application_name marks
// id as belonging to a live test binary.
func ownerSession(ctx context.Context, base, id string) (*sql.DB, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("application_name", id)
	u.RawQuery = q.Encode()
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connecting to %s: %w", Env, err)
	}
	return db, nil
}

// dropOrphans drops scimtest_* schemas whose test binary has no session
// left. Failures are ignored: another binary may be dropping them too.
func dropOrphans(ctx context.Context, db *sql.DB) {
	rows, err := db.QueryContext(ctx, `SELECT nspname FROM pg_namespace n
		WHERE nspname LIKE 'scimtest\_%'
		AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a
			WHERE a.application_name LIKE 'scimtest\_%' AND n.nspname LIKE a.application_name || '\_%')`)
	if err != nil {
		return
	}
	var names []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil {
			names = append(names, n)
		}
	}
	rows.Close()
	for _, n := range names {
		db.ExecContext(ctx, `DROP SCHEMA IF EXISTS `+n+` CASCADE`)
	}
}

// withParams returns base with database name (if not empty) and
// search_path (if not empty) set, and synchronous_commit off: a test
// database need not survive a crash of the server, so commits do not wait
// for the WAL to reach the disk (migrations are many small commits).
func withParams(base, database, searchPath string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	if database != "" {
		u.Path = "/" + database
	}
	q := u.Query()
	if searchPath != "" {
		q.Set("search_path", searchPath) // pgx sends unknown parameters as run-time parameters
	}
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	return u.String(), nil
}
