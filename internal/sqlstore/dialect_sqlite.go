package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/scimbridge/scimbridge/internal/sqlstore/filtersql"
)

// sqliteDialect is the store on SQLite: one write connection whose writes
// share commits (batch.go), a pool of read-only connections, prepared
// statements for both, and no row locks (the single writer needs none).
type sqliteDialect struct {
	s     *Store
	batch *batcher

	// Prepared statements, and $N → ?N rewrites, both bounded.
	readStmts, writeStmts stmtCache
	qmu                   sync.Mutex
	queries               map[string]string
}

// softHeapLimit is the memory SQLite's allocations may reach before it
// recycles cache pages (as SQLite counts it: a page's slot in the C
// allocator is about twice its size, so about 32 MiB resident).
const softHeapLimit = 16 << 20

func openSQLite(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("opening sqlite: empty path")
	}
	if err := prepareFiles(path); err != nil {
		return nil, err
	}
	// WAL lets readers run beside the writer; synchronous=FULL makes every
	// commit durable; foreign keys enforce cascades.
	pragmas := []string{
		"busy_timeout(10000)",
		"journal_mode(WAL)",
		"synchronous(FULL)",
		"foreign_keys(ON)",
		"temp_store(MEMORY)",
	}
	// Page caches: 8,000 KiB of pages for the writer, 2,000 KiB for each
	// reader. Each cached 4 KiB page costs 8 KiB of resident memory: page
	// and header (about 4.3 KiB) fill an 8 KiB slot of the C allocator
	// (modernc.org/memory rounds small allocations up to a power of two),
	// so these are about 16 MiB and 4 MiB resident, 48 MiB with every
	// reader open. Pages that miss come from the OS page cache. Twice
	// these sizes put the server at 130-160 MB with a million users
	// (docs/performance.md, "A million users").
	//
	// And all of SQLite's memory together, every connection's caches and
	// temporary b-trees, is held to softHeapLimit: past it, a connection
	// reuses its own least recently used pages instead of allocating more
	// (soft_heap_limit is the process's, the same on every connection).
	// Without it, with a million users, the caches filled to their sizes
	// and the C allocator kept what sorts and big statements had used:
	// 110 MB after the users, 141 MB at rest after a role change.
	pragmas = append(pragmas, fmt.Sprintf("soft_heap_limit(%d)", softHeapLimit))
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	q.Add("_pragma", "cache_size(-8000)")
	q.Add("_txlock", "immediate")
	write, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("opening sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	// The writer idle for a minute is closed too (the next write opens it
	// again, about a millisecond): its page cache and prepared statements
	// are most of what a server at rest would otherwise keep (with a
	// million users, 123 MB at rest with the writer kept open).
	write.SetConnMaxIdleTime(time.Minute)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("opening sqlite %s: %w", path, err)
	}
	rq := url.Values{}
	for _, p := range pragmas {
		rq.Add("_pragma", p)
	}
	rq.Add("_pragma", "query_only(ON)")
	rq.Add("_pragma", "cache_size(-2000)")
	read, err := sql.Open("sqlite", "file:"+path+"?"+rq.Encode())
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("opening sqlite: %w", err)
	}
	// Readers idle for a minute are closed, and their page caches freed:
	// a server at rest keeps little memory.
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	read.SetConnMaxIdleTime(time.Minute)
	read.SetConnMaxLifetime(0)
	s := &Store{read: read, write: write}
	d := &sqliteDialect{s: s, queries: map[string]string{}}
	d.readStmts.db, d.writeStmts.db = read, write
	d.writeStmts.deferred = true
	d.batch = &batcher{db: write, rebind: d.rebind, between: d.writeStmts.prepareWanted}
	d.batch.flushEvents = d.numberEvents
	s.gens = &generations{}
	d.batch.gens = s.gens
	s.d = d
	return s, nil
}

func (*sqliteDialect) name() string { return "sqlite" }

// poolStats: the read-only pool and the single writer.
func (d *sqliteDialect) poolStats() map[string]sql.DBStats {
	return map[string]sql.DBStats{"read": d.s.read.Stats(), "write": d.s.write.Stats()}
}
func (*sqliteDialect) filter() filtersql.Dialect { return filtersql.SQLite }

func (d *sqliteDialect) close() error {
	d.readStmts.close()
	d.writeStmts.close()
	return errors.Join(d.s.read.Close(), d.s.write.Close())
}

// rebind: SQLite accepts ?N, its own numbered form; nothing else is
// rewritten. When the query uses $1, $2, … each once and in that order it
// becomes plain "?" parameters instead: the driver asks SQLite for the
// name of every parameter it binds, and SQLite finds a ?N name by a linear
// walk of the statement's parameter list, so binding n numbered parameters
// costs O(n²) (a 200-row request log INSERT spent more time naming its
// parameters than inserting), while anonymous ones have no names to walk.
func (d *sqliteDialect) rebind(query string) string {
	d.qmu.Lock()
	v, ok := d.queries[query]
	d.qmu.Unlock()
	if ok {
		return v
	}
	out := rebindSQLite(query)
	d.qmu.Lock()
	if d.queries == nil {
		d.queries = map[string]string{}
	}
	if len(d.queries) < maxCached {
		d.queries[query] = out
	}
	d.qmu.Unlock()
	return out
}

// rebindSQLite rewrites $N placeholders as "?" when they run $1, $2, …
// in order, each once, else as ?N.
func rebindSQLite(query string) string {
	var b strings.Builder
	b.Grow(len(query))
	ordered := true
	next := 1
	for i := 0; i < len(query); i++ {
		c := query[i]
		if c == '$' && i+1 < len(query) && query[i+1] >= '0' && query[i+1] <= '9' {
			n, j := 0, i+1
			for ; j < len(query) && query[j] >= '0' && query[j] <= '9'; j++ {
				n = n*10 + int(query[j]-'0')
			}
			if n != next {
				ordered = false
			}
			next++
			b.WriteByte('?')
			if !ordered {
				// Numbered form from here on; rewrite the whole query so.
				break
			}
			i = j - 1
			continue
		}
		b.WriteByte(c)
	}
	if ordered {
		return b.String()
	}
	b.Reset()
	for i := 0; i < len(query); i++ {
		c := query[i]
		if c == '$' && i+1 < len(query) && query[i+1] >= '0' && query[i+1] <= '9' {
			b.WriteByte('?')
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func (d *sqliteDialect) readStmt(ctx context.Context, query string) *sql.Stmt {
	return d.readStmts.get(ctx, query)
}

// nativeRow: modernc.org/sqlite is a database/sql driver.
func (d *sqliteDialect) nativeRow(ctx context.Context, query string, args ...any) rowScanner {
	return d.s.readRow(ctx, query, args...)
}

func (d *sqliteDialect) writeStmt(ctx context.Context, query string) *sql.Stmt {
	return d.writeStmts.get(ctx, query)
}

// inTx joins the group commit.
func (d *sqliteDialect) inTx(ctx context.Context, fn func(tx *txn) error) error {
	return d.batch.do(ctx, fn)
}

// lockDirectories: SQLite has one writer.
func (*sqliteDialect) lockDirectories(context.Context, *txn, []string) error { return nil }

// lockMigrations: the single write connection is the lock.
func (*sqliteDialect) lockMigrations(context.Context, *sql.Conn) (func(), error) {
	return func() {}, nil
}

func (*sqliteDialect) groupRefs(userPK string) string {
	return `(SELECT json_group_array(json_array(x.id, x.display_name)) FROM (SELECT g.id, g.display_name FROM group_members gm
		JOIN groups g ON g.pk = gm.group_pk WHERE gm.user_pk = ` + userPK + ` ORDER BY g.pk) AS x)`
}

// userRelations is three columns for a user row aliased alias: its groups
// as a JSON array of {"ID", "DisplayName"} in the order userGroups returns
// them, its role grants as a JSON array of {"Role", "Priority"} (what
// userRoles returns), and whether its directory has app_users rows.
func (*sqliteDialect) userRelations(alias string) string {
	return `(SELECT json_group_array(json_object('ID', x.id, 'DisplayName', x.display_name)) FROM (SELECT g.id, g.display_name FROM group_members gm
			JOIN groups g ON g.pk = gm.group_pk WHERE gm.user_pk = ` + alias + `.pk ORDER BY g.pk) AS x),
		(SELECT json_group_array(json_object('Role', rm.role_key, 'Priority', rm.priority)) FROM group_members gm
			JOIN role_mappings rm ON rm.group_pk = gm.group_pk WHERE gm.user_pk = ` + alias + `.pk),
		EXISTS (SELECT 1 FROM app_users a WHERE a.directory_id = ` + alias + `.directory_id)`
}

func (*sqliteDialect) forUpdate() string        { return `` }
func (*sqliteDialect) forDelete() string        { return `` }
func (*sqliteDialect) forKeyShare() string      { return `` }
func (*sqliteDialect) bytewise(x string) string { return x }

// idsFrom: the array is the outer loop of a CROSS JOIN, which SQLite never
// reorders (an IN (subquery) made it scan the directory).
func (*sqliteDialect) idsFrom(param, table, alias, _ string) (string, string) {
	return `json_each(` + param + `) AS j CROSS JOIN ` + table + ` ` + alias, alias + `.id = j.value`
}

func (*sqliteDialect) jsonStrings(param string) string {
	return `SELECT value FROM json_each(` + param + `)`
}

func (*sqliteDialect) jsonInts(param string) string {
	return `SELECT value FROM json_each(` + param + `)`
}

func (*sqliteDialect) octetLength(col string) string { return "length(CAST(" + col + " AS BLOB))" }

// rowsPerStatement: SQLite looks numbered parameters up in a list, so long
// statements cost more per row than short prepared ones.
func (*sqliteDialect) rowsPerStatement() int { return 16 }

// ---- Events. ----

// openEvents: the single writer needs no lock, and the sequence is given
// when the group commit writes the batch's events (numberEvents), so this
// only needs the organization and default role, read once per batch.
func (d *sqliteDialect) openEvents(ctx context.Context, tx *txn, w *eventWriter, more ...pgRow) error {
	d.batch.touch(w.dirID)
	if info, ok := d.batch.dirs[w.dirID]; ok {
		w.orgID, w.def = info.orgID, info.def
		return d.s.prelude(ctx, tx, more...)
	}
	if err := d.s.prelude(ctx, tx, append([]pgRow{d.s.eventDirectoryRow(w)}, more...)...); err != nil {
		return err
	}
	if d.batch.dirs == nil {
		d.batch.dirs = map[string]dirInfo{}
	}
	d.batch.dirs[w.dirID] = dirInfo{orgID: w.orgID, def: w.def}
	return nil
}

// forgetDirectories drops what openEvents cached (the default role may
// have changed).
func (d *sqliteDialect) forgetDirectories() { d.batch.dirs = nil }

// flushEvents hands the events to the group commit, which writes the
// events of every write of the batch that succeeded at once, just before
// committing (numberEvents): one INSERT per batch instead of per write,
// unless they grow past spillEventBytes (batcher.queueEvents).
func (d *sqliteDialect) flushEvents(ctx context.Context, tx *txn, w *eventWriter) error {
	err := d.batch.queueEvents(ctx, tx, w.rows...)
	clear(w.rows)
	w.rows = w.rows[:0]
	return err
}

func (d *sqliteDialect) appendNotice(ctx context.Context, tx *txn, r eventRow) error {
	return d.batch.queueEvents(ctx, tx, r)
}

// numberEvents gives the rows of one batch their sequences, after each
// directory's last, and their positions, then inserts them.
func (d *sqliteDialect) numberEvents(ctx context.Context, tx *txn, rows []eventRow) error {
	last := map[string]int64{}
	var order []string
	for _, r := range rows {
		if _, ok := last[r.dirID]; !ok {
			last[r.dirID] = 0
			order = append(order, r.dirID)
		}
	}
	// A directory's last sequence is that of its newest event (pruning
	// keeps each directory's newest event), read through events_directory:
	// no counter row to rewrite on every commit.
	// Positions are given here, explicitly, after the newest (pruning keeps
	// the newest event, so a position is never given twice). One statement
	// reads the last position and the first directory's last sequence (a
	// batch is usually of one directory).
	var pos int64
	for i, id := range order {
		var seq int64
		var err error
		if i == 0 {
			err = d.s.txRow(ctx, tx, `SELECT COALESCE((SELECT MAX(position) FROM events), 0),
				COALESCE((SELECT sequence FROM events WHERE directory_id = $1 ORDER BY position DESC LIMIT 1), 0)`, id).Scan(&pos, &seq)
		} else {
			err = d.s.txRow(ctx, tx, `SELECT COALESCE((SELECT sequence FROM events WHERE directory_id = $1 ORDER BY position DESC LIMIT 1), 0)`, id).Scan(&seq)
		}
		if err != nil {
			return fmt.Errorf("reading event sequence: %w", err)
		}
		last[id] = seq // "" (notices) reads 0 and is never used
	}
	for i := range rows {
		if rows[i].dirID != "" {
			last[rows[i].dirID]++
			rows[i].seq = last[rows[i].dirID]
		}
		pos++
		rows[i].pos = pos
	}
	return d.s.insertEvents(ctx, tx, rows)
}

// insertEventsHead: the position is given at commit, explicitly.
func (*sqliteDialect) insertEventsHead() (string, int) {
	return `INSERT INTO events (position, id, type, occurred_at, organization_id, directory_id, sequence, subject_id, member_id, data, previous, actor) VALUES `, 12
}

func (*sqliteDialect) eventArgs(args []any, r eventRow) []any {
	return append(args, r.pos, positionEventID(r.at, r.pos))
}

// sealed: positions are given at commit, in commit order.
func (*sqliteDialect) sealed(context.Context) error { return nil }

func (*sqliteDialect) subjectEvents(from, cond string, n int) (string, string) {
	return from, cond + fmt.Sprintf(` AND (subject_id = $%d OR member_id = $%d)`, n, n)
}

// eventByID finds the event by the position its id encodes.
func (*sqliteDialect) eventByID(id string) (string, []any, bool) {
	pos, ok := positionOfEventID(id)
	if !ok {
		return "", nil, false
	}
	return `SELECT ` + eventColumns + ` FROM events WHERE position = $1 AND id = $2`, []any{pos, id}, true
}

func (*sqliteDialect) lastPositionQuery() string {
	return `SELECT COALESCE(MAX(position), 0) FROM events`
}

// ---- Webhook deliveries. ----

// claimableHeads: claims are serialized by the single writer, and checking
// every due pending delivery for an older one in its stream would cost a
// lookup per pending delivery, which a large backlog (an endpoint back
// after an outage) makes slow; instead the query walks the streams, one
// index seek each (a recursive "loose index scan" over
// webhook_deliveries_stream), and takes each stream's first pending
// delivery.
//
// Each step goes to the next directory of the same endpoint, or to the
// first directory of the next endpoint: index seeks on
// (endpoint_id = ?, directory_id > ?) and (endpoint_id > ?).
func (*sqliteDialect) claimableHeads() string {
	return `WITH RECURSIVE streams(endpoint_id, directory_id) AS (
		SELECT * FROM (SELECT endpoint_id, directory_id FROM webhook_deliveries WHERE status = 'pending'
			ORDER BY endpoint_id, directory_id LIMIT 1)
		UNION ALL
		SELECT
			CASE WHEN EXISTS (SELECT 1 FROM webhook_deliveries n WHERE n.status = 'pending'
					AND n.endpoint_id = s.endpoint_id AND n.directory_id > s.directory_id)
				THEN s.endpoint_id
				ELSE (SELECT n.endpoint_id FROM webhook_deliveries n WHERE n.status = 'pending'
					AND n.endpoint_id > s.endpoint_id ORDER BY n.endpoint_id LIMIT 1) END,
			COALESCE(
				(SELECT n.directory_id FROM webhook_deliveries n WHERE n.status = 'pending'
					AND n.endpoint_id = s.endpoint_id AND n.directory_id > s.directory_id ORDER BY n.directory_id LIMIT 1),
				(SELECT n.directory_id FROM webhook_deliveries n WHERE n.status = 'pending'
					AND n.endpoint_id = (SELECT m.endpoint_id FROM webhook_deliveries m WHERE m.status = 'pending'
						AND m.endpoint_id > s.endpoint_id ORDER BY m.endpoint_id LIMIT 1)
					ORDER BY n.directory_id LIMIT 1))
		FROM streams s WHERE s.endpoint_id IS NOT NULL)
	SELECT d.id, d.endpoint_id, d.directory_id FROM streams s
	JOIN webhook_deliveries d ON d.pk = (SELECT p.pk FROM webhook_deliveries p WHERE p.status = 'pending'
		AND p.endpoint_id = s.endpoint_id AND p.directory_id = s.directory_id ORDER BY p.sequence, p.pk LIMIT 1)
	JOIN webhook_endpoints e ON e.id = d.endpoint_id
	WHERE e.enabled AND d.next_attempt_at <= $1 AND (d.lease_until IS NULL OR d.lease_until < $1)
	ORDER BY d.next_attempt_at, d.pk LIMIT $2`
}

// anythingDue: a claim takes the single writer, which SCIM writes wait
// for, so a read connection looks first whether anything is due at all.
func (d *sqliteDialect) anythingDue(ctx context.Context, now int64) (bool, error) {
	var n int
	if err := d.s.readRow(ctx, `SELECT count(*) FROM (`+d.claimableHeads()+`) t`, now, 1).Scan(&n); err != nil {
		return false, fmt.Errorf("finding due webhook deliveries: %w", err)
	}
	return n > 0, nil
}
