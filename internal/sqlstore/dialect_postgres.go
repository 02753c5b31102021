package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/sqlstore/filtersql"
)

// postgresDialect is the store on PostgreSQL: one pool for reads and
// writes, writers of a directory in parallel (dirlock.go), statements
// pipelined where they can be (pgtx.go), and events numbered by readers
// (seal). pgx keeps its own per-connection statement cache.
type postgresDialect struct {
	s *Store

	mu   sync.Mutex
	dirs map[string]dirInfo // what openEvents last read of each directory
}

func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening postgres: %w", err)
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connecting to postgres: %w", err)
	}
	s := &Store{read: db, write: db}
	s.d = &postgresDialect{s: s}
	return s, nil
}

func (*postgresDialect) name() string { return "postgres" }

// poolStats: one pool serves reads and writes.
func (d *postgresDialect) poolStats() map[string]sql.DBStats {
	return map[string]sql.DBStats{"pool": d.s.read.Stats()}
}
func (*postgresDialect) filter() filtersql.Dialect { return filtersql.Postgres }
func (d *postgresDialect) close() error            { return d.s.read.Close() }

func (*postgresDialect) rebind(query string) string                  { return query }
func (*postgresDialect) readStmt(context.Context, string) *sql.Stmt  { return nil }
func (*postgresDialect) writeStmt(context.Context, string) *sql.Stmt { return nil }

func (d *postgresDialect) nativeRow(ctx context.Context, query string, args ...any) rowScanner {
	return pgxRow{ctx: ctx, db: d.s.read, query: query, args: args}
}

// inTx retries: PostgreSQL may abort a transaction to break a deadlock (or
// a serialization failure); the Store contract lets fn run again, so the
// whole transaction is retried before the error is returned. Writers of a
// directory run in parallel and lock rows in the orders their writes
// need, so deadlocks are expected now and then under load.
func (d *postgresDialect) inTx(ctx context.Context, fn func(tx *txn) error) error {
	for attempt := 1; ; attempt++ {
		err := d.once(ctx, fn)
		if attempt < maxTxAttempts && retryable(err) && ctx.Err() == nil {
			d.s.noteTxRetry()
			continue
		}
		return refusedValue(err)
	}
}

// maxTxAttempts bounds how often inTx runs a transaction PostgreSQL
// aborted.
const maxTxAttempts = 8

// once runs fn in one transaction on one connection of the pool: BEGIN
// goes with its first statements and COMMIT with its last (pgtx.go).
func (d *postgresDialect) once(ctx context.Context, fn func(tx *txn) error) error {
	conn, err := d.s.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	defer conn.Close()
	p := &pgTxn{conn: conn}
	tx := &txn{pg: p}
	rollback := func() {
		if p.begun {
			conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
		}
	}
	if err := fn(tx); err != nil {
		rollback()
		if p.err != nil {
			return p.err // the cause: later statements failed because of it
		}
		return err
	}
	if !p.begun && len(p.queued) == 0 {
		return nil // no statement at all
	}
	if err := p.pipeline(ctx, nil, true); err != nil {
		rollback()
		return translate(err)
	}
	return nil
}

// lockDirectories takes each directory's lock in exclusive mode.
func (d *postgresDialect) lockDirectories(ctx context.Context, tx *txn, dirIDs []string) error {
	for _, id := range dirIDs {
		if _, err := d.s.txExec(ctx, tx, exclusiveDirectoryLock, id); err != nil {
			return fmt.Errorf("locking directory: %w", err)
		}
	}
	return nil
}

// lockMigrations takes scimbridge's migration lock (an arbitrary constant).
func (*postgresDialect) lockMigrations(ctx context.Context, conn *sql.Conn) (func(), error) {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7382610551)`); err != nil {
		return nil, fmt.Errorf("migrate: taking lock: %w", err)
	}
	return func() {
		conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(7382610551)`)
	}, nil
}

// forUpdate: NO KEY UPDATE, as the row's key never changes, and the weaker
// lock does not block the KEY SHARE locks that foreign-key checks take
// when members are inserted (FOR UPDATE made two groups nesting each other
// concurrently deadlock).
func (*postgresDialect) forUpdate() string        { return ` FOR NO KEY UPDATE` }
func (*postgresDialect) forDelete() string        { return ` FOR UPDATE` }
func (*postgresDialect) forKeyShare() string      { return ` FOR KEY SHARE` }
func (*postgresDialect) bytewise(x string) string { return x + ` COLLATE "C"` }

// idsFrom: the ids are looked up in a subquery behind an OFFSET 0 fence,
// so the caller's directory_id condition filters the few rows found
// instead of steering the plan to the (directory_id, pk) index (a new,
// small-looking directory made it scan 20,000 rows).
func (*postgresDialect) idsFrom(param, table, alias, lock string) (string, string) {
	return `(SELECT * FROM ` + table + ` WHERE id = ANY(ARRAY(SELECT jsonb_array_elements_text(` + param + `::jsonb))) OFFSET 0` + lock + `) AS ` + alias, `TRUE`
}

func (*postgresDialect) jsonStrings(param string) string {
	return `SELECT jsonb_array_elements_text(` + param + `::jsonb)`
}

func (*postgresDialect) jsonInts(param string) string {
	return `SELECT jsonb_array_elements_text(` + param + `::jsonb)::bigint`
}

func (*postgresDialect) groupRefs(userPK string) string {
	return `(SELECT json_agg(json_build_array(g.id, g.display_name) ORDER BY g.pk)::text FROM group_members gm
		JOIN groups g ON g.pk = gm.group_pk WHERE gm.user_pk = ` + userPK + `)`
}

func (*postgresDialect) octetLength(col string) string { return "octet_length(" + col + ")" }

// rowsPerStatement: long statements save round trips.
func (*postgresDialect) rowsPerStatement() int { return 200 }

// ---- Events. ----

// openEvents takes the directory's lock in shared mode (dirlock.go), then
// reads its organization and default role: two statements, so that the
// read sees every role change committed before the lock was granted, sent
// with BEGIN in one round trip when they are the transaction's first.
func (d *postgresDialect) openEvents(ctx context.Context, tx *txn, w *eventWriter, more ...pgRow) error {
	var one any
	rows := append([]pgRow{{query: sharedDirectoryLock, args: []any{w.dirID}, dest: []any{&one}}, d.s.eventDirectoryRow(w),
		// The deprovisioning guard's question, in the same round trip.
		{query: `SELECT EXISTS (SELECT 1 FROM app_users WHERE directory_id = $1)`, args: []any{w.dirID}, dest: []any{&w.hasApp}}}, more...)
	w.appKnown = true
	if err := d.s.prelude(ctx, tx, rows...); err != nil {
		return err
	}
	d.mu.Lock()
	if d.dirs == nil {
		d.dirs = map[string]dirInfo{}
	}
	d.dirs[w.dirID] = dirInfo{orgID: w.orgID, def: w.def}
	d.mu.Unlock()
	return nil
}

// staleDirectory: a directory's organization, default role or mapping
// version was not what createUserOneTrip expected.
type staleDirectory struct{}

func (staleDirectory) Error() string { return "the directory changed since it was last read" }

// createUserOneTrip creates a user in one round trip to PostgreSQL
// (BEGIN, the directory's shared lock, a check, the INSERT, the event's
// INSERT and COMMIT in one pipeline) when openEvents has read the
// directory before: the event is made with the organization and default
// role read then, and the check, run after the lock like openEvents' read
// (so it sees every role change committed before the lock was granted),
// fails the transaction when they, or the directory's mapping version
// the user was mapped with, are no longer current. Then, or when the
// directory was not read yet, done is false and the caller creates the
// user as before (two round trips). query and args are the user's
// INSERT, insertErr maps its failure.
//
// With cred set, the check is also the request's authentication
// (CreateUserWithCredential): it reads the token of that hash with its
// directory into cred, and fails the transaction unless the token is the
// one hinted, of u's directory, active at cred.now, and the directory is
// enabled and has the settings u was made with.
func (d *postgresDialect) createUserOneTrip(ctx context.Context, u directory.User, query string, args []any,
	insertErr func(error) error, cred *pendingCredential) (done bool, err error) {
	d.mu.Lock()
	info, ok := d.dirs[u.DirectoryID]
	d.mu.Unlock()
	if !ok {
		return false, nil
	}
	s := d.s
	err = s.tx(ctx, func(tx *txn) error {
		tx.pg.oneTrip = true // no BEGIN, no COMMIT: one pipeline
		w := s.newEventWriter(ctx, u.DirectoryID)
		w.orgID, w.def = info.orgID, info.def
		if err := s.later(ctx, tx, nil, sharedDirectoryLock, u.DirectoryID); err != nil {
			return err
		}
		if cred != nil {
			cred.queue(s, tx, u, info)
		} else if err := s.later(ctx, tx, stale, `SELECT 1 / (SELECT CASE WHEN d.organization_id = $2 AND `+directoryDefaultRole+` = $3
			AND d.attr_version = $4 THEN 1 ELSE 0 END FROM directories d WHERE d.id = $1)`,
			u.DirectoryID, info.orgID, info.def, u.AttrVersion); err != nil {
			// 1/0 (division_by_zero) aborts the transaction; no directory:
			// 1/NULL, and the INSERT's foreign key refuses the user.
			return err
		}
		if err := s.later(ctx, tx, insertErr, query, args...); err != nil {
			return err
		}
		return s.userCreatedEvent(ctx, tx, w, u)
	})
	if errors.As(err, new(staleDirectory)) {
		d.mu.Lock()
		delete(d.dirs, u.DirectoryID)
		d.mu.Unlock()
		return false, nil
	}
	return true, err
}

// pendingCredential is a token checked in a create's transaction
// (createUserOneTrip): the hint it must match, the time it must be active
// at, and, once the transaction ran, the token and directory read.
type pendingCredential struct {
	hint directory.CredentialHint
	now  time.Time

	t  directory.Token
	d  directory.Directory
	ok bool // the check passed: t and d were read
}

// queue queues the statement that reads the token and its directory and
// checks them: one row even without a token (the LEFT JOIN), and 1/0
// (division_by_zero, mapped to staleDirectory) unless every condition
// holds, so nothing after it in the transaction commits. The conditions
// are Service.authenticate's (the hash, the directory, Token.Active,
// Directory.Enabled), the hinted token id (the event's actor), and the
// directory's organization, default role (the event) and the settings
// the user was made and is answered with (name, strictness, mapping
// version, request log bodies).
func (c *pendingCredential) queue(s *Store, tx *txn, u directory.User, info dirInfo) {
	h := c.hint.Directory
	s.laterRow(tx, stale, func(row interface{ Scan(...any) error }) error {
		var one int
		t, d, err := scanCredential(row, &one)
		// A failure of the statement (the check's division by zero) is
		// PostgreSQL's error. Any other (decoding the row, a broken
		// connection) is the create's error, without falling back: the
		// check may have passed and the transaction committed.
		var pe *pgconn.PgError
		if !errors.As(err, &pe) {
			c.t, c.d, c.ok = t, d, true
		}
		return err
	}, `SELECT `+credentialColumns+`, 1 / CASE WHEN t.directory_id = $2 AND t.id = $3 AND t.revoked_at IS NULL
			AND (t.expires_at IS NULL OR t.expires_at > $4) AND d.enabled AND d.organization_id = $5
			AND `+directoryDefaultRole+` = $6 AND d.attr_version = $7 AND d.name = $8 AND d.strict = $9
			AND d.request_log_bodies = $10 THEN 1 ELSE 0 END
		FROM (SELECT 1) one LEFT JOIN (directory_tokens t JOIN directories d ON d.id = t.directory_id) ON t.hash = $1`,
		c.hint.Hash, u.DirectoryID, c.hint.Token.ID, micros(c.now), info.orgID, info.def, u.AttrVersion, h.Name, h.Settings.Strict,
		string(h.Settings.RequestLogBodies))
}

// stale maps createUserOneTrip's check's failure to staleDirectory.
func stale(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "22012" {
		return staleDirectory{}
	}
	return err
}

func (*postgresDialect) forgetDirectories() {}

// flushEvents queues the events' INSERT to go with the COMMIT (pgtx.go).
// They carry no sequence, position or id yet: seal gives them.
func (d *postgresDialect) flushEvents(ctx context.Context, tx *txn, w *eventWriter) error {
	s := d.s
	for start := 0; start < len(w.rows); start += eventsPerInsert {
		query, args := s.insertEventsQuery(w.rows[start:min(start+eventsPerInsert, len(w.rows))])
		if err := s.later(ctx, tx, appendingEvents, query, args...); err != nil {
			return err
		}
	}
	w.rows = w.rows[:0]
	return nil
}

func appendingEvents(err error) error { return fmt.Errorf("appending events: %w", err) }

func (d *postgresDialect) appendNotice(ctx context.Context, tx *txn, r eventRow) error {
	query, args := d.s.insertEventsQuery([]eventRow{r})
	return d.s.later(ctx, tx, appendingEvents, query, args...)
}

// insertEventsHead: events are inserted without a position, a sequence or
// an id (seal gives them).
func (*postgresDialect) insertEventsHead() (string, int) {
	return `INSERT INTO events (type, occurred_at, organization_id, directory_id, sequence, subject_id, member_id, data, previous, actor) VALUES `, 10
}

func (*postgresDialect) eventArgs(args []any, _ eventRow) []any { return args }

// sealed gives positions to the committed events before the feed is read.
func (d *postgresDialect) sealed(ctx context.Context) error { return d.seal(ctx) }

// subjectEvents: one index scan per column, united: with the OR,
// PostgreSQL's generic plan walked events_position through every event
// (90 ms at 150,000 events) instead of the two indexes.
func (*postgresDialect) subjectEvents(_, cond string, n int) (string, string) {
	return fmt.Sprintf(`(SELECT * FROM events WHERE subject_id = $%[1]d UNION ALL
				SELECT * FROM events WHERE member_id = $%[1]d AND subject_id IS DISTINCT FROM $%[1]d) AS events`, n), cond
}

func (*postgresDialect) eventByID(id string) (string, []any, bool) {
	return `SELECT ` + eventColumns + ` FROM events WHERE id = $1`, []any{id}, true
}

func (*postgresDialect) lastPositionQuery() string {
	return `SELECT last_position FROM event_feed WHERE id = 1`
}

// sealBatch bounds how many events one sealing statement numbers.
const sealBatch = 10000

// seal gives the committed events that have none their position, their
// directory's sequence and their id, in one transaction holding the
// event_feed row lock:
//   - sealers run one at a time, each numbering after the last position
//     and after each directory's last sequence the previous ones gave, and
//     a sealer's numbers become visible all at once when it commits; so
//     positions, and each directory's sequences, become visible in
//     increasing order without gaps, and a reader that has seen position p
//     (or sequence n of a directory) will never see a new event at or
//     below it;
//   - an event is numbered by the first sealer that sees it committed:
//     an event committed after another was sealed comes after it, whatever
//     order the two were inserted in (the order writers of a directory
//     commit in, not the order they began or inserted, decides);
//   - events that become visible to the same sealer are numbered in
//     insertion (pk) order. Two such writes that conflict on a row are in
//     commit order: the later one waited for the earlier one's commit to
//     take the row's lock, and events are inserted when the transaction
//     commits, after all its locks. Writes that do not conflict are
//     concurrent, and either order is one in which they could have run.
//
// A directory's last sequence is that of its newest sealed event (pruning
// keeps each directory's newest event), found through events_directory.
// Ids derive from the directory and sequence (eventID), or for notices
// from the position (positionEventID), as they could not before sealing.
func (d *postgresDialect) seal(ctx context.Context) error {
	tx, err := d.s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sealing events: %w", err)
	}
	defer tx.Rollback()
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT last_position FROM event_feed WHERE id = 1 FOR UPDATE`).Scan(&last); err != nil {
		return fmt.Errorf("sealing events: %w", err)
	}
	total := int64(0)
	for {
		n, err := d.sealChunk(ctx, tx, last+total)
		if err != nil {
			return fmt.Errorf("sealing events: %w", err)
		}
		total += n
		if n < sealBatch {
			break
		}
	}
	if total == 0 {
		return nil // nothing to seal: the rollback releases the lock
	}
	if _, err := tx.ExecContext(ctx, `UPDATE event_feed SET last_position = $1 WHERE id = 1`, last+total); err != nil {
		return fmt.Errorf("sealing events: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sealing events: %w", err)
	}
	return nil
}

// sealChunk numbers up to sealBatch unsealed events after position last
// and returns how many it numbered. The numbers are read first and the
// ids made from them (eventID), then each event is written once with all
// three: one new version of each event row and of its index entries, where
// numbering and then naming in two UPDATEs wrote two (issue 16). Only a
// sealer updates unsealed events, and sealers run one at a time.
func (d *postgresDialect) sealChunk(ctx context.Context, tx *sql.Tx, last int64) (int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT b.pk, b.occurred_at, b.directory_id, $1 + b.rn,
			CASE WHEN b.directory_id IS NULL THEN NULL ELSE COALESCE(l.seq, 0) + b.drn END
		FROM (SELECT pk, occurred_at, directory_id, row_number() OVER (ORDER BY pk) AS rn,
				row_number() OVER (PARTITION BY directory_id ORDER BY pk) AS drn
			FROM (SELECT pk, occurred_at, directory_id FROM events WHERE position IS NULL ORDER BY pk LIMIT $2) t) b
		LEFT JOIN LATERAL (SELECT x.sequence AS seq FROM events x
			WHERE x.directory_id = b.directory_id AND x.position IS NOT NULL ORDER BY x.position DESC LIMIT 1) l ON TRUE`, last, sealBatch)
	if err != nil {
		return 0, err
	}
	var pks, positions, sequences []int64
	var ids []string
	for rows.Next() {
		var pk, at, pos int64
		var dir sql.NullString
		var seq sql.NullInt64
		if err := rows.Scan(&pk, &at, &dir, &pos, &seq); err != nil {
			rows.Close()
			return 0, err
		}
		id := positionEventID(fromMicros(at), pos)
		if dir.Valid {
			id = eventID(fromMicros(at), dir.String, seq.Int64)
		}
		// A notice (no directory) has no sequence: 0 here, NULL stored
		// (a directory's sequences start at 1).
		pks, positions, sequences, ids = append(pks, pk), append(positions, pos), append(sequences, seq.Int64), append(ids, id)
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(pks) == 0 {
		return 0, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE events e SET position = v.position, sequence = NULLIF(v.sequence, 0), id = v.id
		FROM (SELECT unnest($1::bigint[]) AS pk, unnest($2::bigint[]) AS position, unnest($3::bigint[]) AS sequence, unnest($4::text[]) AS id) v
		WHERE e.pk = v.pk`, pks, positions, sequences, ids); err != nil {
		return 0, err
	}
	return int64(len(pks)), nil
}

// ---- Webhook deliveries. ----

// claimableHeads checks every due pending delivery for an older one in its
// stream, and locks the heads it returns (FOR UPDATE SKIP LOCKED, so
// concurrent claimers pass over each other's).
func (*postgresDialect) claimableHeads() string {
	return `SELECT d.id, d.endpoint_id, d.directory_id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
	WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.lease_until IS NULL OR d.lease_until < $1) AND e.enabled
	AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.status = 'pending' AND p.endpoint_id = d.endpoint_id
		AND p.directory_id = d.directory_id AND (p.sequence < d.sequence OR (p.sequence = d.sequence AND p.pk < d.pk)))
	ORDER BY d.next_attempt_at, d.pk LIMIT $2 FOR UPDATE OF d SKIP LOCKED`
}

// anythingDue: claimers do not block each other or writers; just claim.
func (*postgresDialect) anythingDue(context.Context, int64) (bool, error) { return true, nil }
