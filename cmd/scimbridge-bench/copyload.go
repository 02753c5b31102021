package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // the source of -from
)

// The million scenario's PostgreSQL loader for -from: on this shared
// 2-core machine, one directory loads over SCIM at 230-900 users a second
// on PostgreSQL (its writers are serialized per directory), too slow for a
// million. -from takes a SQLite database that a million-scenario run loaded
// over SCIM (every row written by the store's own write path: users,
// groups, memberships, role mappings and their events) and copies its
// directory data into the run's freshly migrated PostgreSQL schema with
// COPY, column by column, converting SQLite's integers to booleans where
// PostgreSQL has them. Counters the store keeps (the directory's event
// sequence, the feed's last position, the key sequences) are set from the
// copied rows, and VACUUM ANALYZE does what autovacuum does to a database
// loaded over hours. Tokens, API keys and the request log are not copied:
// the bench makes a new SCIM token through the management API.
//
// Make the source with a SQLite run and a snapshot taken while it runs
// (after "after load:" is printed):
//
//	sqlite3 -readonly /tmp/scimbridge-million-*/data/scimbridge.db ".backup /tmp/src1m.db"

// copyTables are copied in this order (foreign keys).
var copyTables = []string{"organizations", "directories", "users", "groups", "group_members", "group_subgroups", "role_mappings", "events"}

// copyFrom copies from's directory data into the PostgreSQL schema of dsn.
func copyFrom(ctx context.Context, from, dsn, schema string) error {
	src, err := sql.Open("sqlite", "file:"+from+"?mode=ro")
	if err != nil {
		return err
	}
	defer src.Close()
	pg, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer pg.Close(ctx)
	for _, table := range copyTables {
		start := time.Now()
		n, err := copyTable(ctx, src, pg, schema, table)
		if err != nil {
			return fmt.Errorf("copying %s: %w", table, err)
		}
		fmt.Printf("  copied %s: %d rows, %.1fs\n", table, n, time.Since(start).Seconds())
	}
	start := time.Now()
	for _, q := range []string{
		`UPDATE directories d SET event_seq = COALESCE((SELECT max(sequence) FROM events e WHERE e.directory_id = d.id), 0)`,
		`UPDATE event_feed SET last_position = (SELECT COALESCE(max(position), 0) FROM events)`,
		`SELECT setval(pg_get_serial_sequence('users', 'pk'), (SELECT COALESCE(max(pk), 1) FROM users))`,
		`SELECT setval(pg_get_serial_sequence('groups', 'pk'), (SELECT COALESCE(max(pk), 1) FROM groups))`,
		`VACUUM ANALYZE`,
	} {
		if _, err := pg.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	fmt.Printf("  counters set, VACUUM ANALYZE: %.1fs\n", time.Since(start).Seconds())
	return nil
}

// copyTable copies the columns table has in both databases.
func copyTable(ctx context.Context, src *sql.DB, pg *pgx.Conn, schema, table string) (int64, error) {
	srcCols := map[string]bool{}
	rows, err := src.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return 0, err
		}
		srcCols[name] = true
	}
	rows.Close()
	var cols []string
	isBool := map[int]bool{}
	prows, err := pg.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = $1 AND table_name = $2 AND is_identity = 'NO' ORDER BY ordinal_position`, schema, table)
	if err != nil {
		return 0, err
	}
	for prows.Next() {
		var name, typ string
		if err := prows.Scan(&name, &typ); err != nil {
			prows.Close()
			return 0, err
		}
		if srcCols[name] {
			if typ == "boolean" {
				isBool[len(cols)] = true
			}
			cols = append(cols, name)
		}
	}
	prows.Close()
	if err := prows.Err(); err != nil {
		return 0, err
	}
	order := ""
	if table == "events" {
		order = " ORDER BY position" // the identity key follows the feed
	}
	rows, err = src.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM `+table+order)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	return pg.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromFunc(func() ([]any, error) {
		if !rows.Next() {
			return nil, rows.Err()
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out := make([]any, len(vals))
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			if isBool[i] && v != nil {
				v = v.(int64) != 0
			}
			out[i] = v
		}
		return out, nil
	}))
}

var userNumber = regexp.MustCompile(`^User\.(\d{7})@Example\.com$`)

// attach points the bench at the directory copied into the run's schema
// (or, on SQLite, the snapshot put in place as the server's database):
// its organization, a new SCIM token, its users in the order the loading
// run created them (user i is User.i@Example.com), and its groups.
func (r *millionRun) attach(ctx context.Context) error {
	driver, dsn := "pgx", r.dsn
	if dsn == "" {
		driver, dsn = "sqlite", "file:"+filepath.Join(r.tmp, "data", "scimbridge.db")+"?mode=ro"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.QueryRowContext(ctx, `SELECT id, organization_id FROM directories`).Scan(&r.b.dir, &r.b.org); err != nil {
		return fmt.Errorf("the copied directory: %w", err)
	}
	var tok map[string]any
	if err := r.b.mgmt("POST", "/api/v1/directories/"+r.b.dir+"/tokens", `{}`, r.b.key, &tok); err != nil {
		return err
	}
	r.b.token = tok["token"].(string)
	rows, err := db.QueryContext(ctx, `SELECT id, user_name FROM users WHERE directory_id = $1`, r.b.dir)
	if err != nil {
		return err
	}
	var ids []string
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			rows.Close()
			return err
		}
		m := userNumber.FindStringSubmatch(name)
		if m == nil {
			rows.Close()
			return fmt.Errorf("user %s: userName %q is not one the million scenario makes", id, name)
		}
		i, _ := strconv.Atoi(m[1])
		for len(ids) <= i {
			ids = append(ids, "")
		}
		ids[i] = id
	}
	rows.Close()
	for i, id := range ids {
		if id == "" {
			return fmt.Errorf("the copied directory has no User.%07d@Example.com", i)
		}
	}
	r.ids = ids
	grows, err := db.QueryContext(ctx, `SELECT id, display_name FROM groups WHERE directory_id = $1 ORDER BY pk`, r.b.dir)
	if err != nil {
		return err
	}
	defer grows.Close()
	for grows.Next() {
		var id, name string
		if err := grows.Scan(&id, &name); err != nil {
			return err
		}
		if name == "Big" {
			r.big = id
		} else {
			r.small = append(r.small, id)
		}
	}
	if r.big == "" {
		return fmt.Errorf("the copied directory has no group called Big")
	}
	return grows.Err()
}

// withSearchPath is dsn with its search_path set to schema.
func withSearchPath(dsn, schema string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
