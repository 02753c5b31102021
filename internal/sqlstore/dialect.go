package sqlstore

import (
	"context"
	"database/sql"

	"github.com/scimbridge/scimbridge/internal/sqlstore/filtersql"
)

// dialect is everything the store does differently on SQLite
// (dialect_sqlite.go) and PostgreSQL (dialect_postgres.go): how write
// transactions run, which locking clauses rows take, how JSON arrays of ids
// are joined, and how events are sequenced and given positions. Everything
// else is shared SQL, written with $N placeholders (rebind adapts them).
type dialect interface {
	// poolStats returns the connection pools' statistics by name.
	poolStats() map[string]sql.DBStats
	name() string // "sqlite" or "postgres", as migrations are filed
	filter() filtersql.Dialect
	close() error

	// rebind rewrites a query written with $N placeholders for the
	// dialect.
	rebind(query string) string
	// readStmt and writeStmt return a prepared statement for query, or nil
	// to run it unprepared.
	readStmt(ctx context.Context, query string) *sql.Stmt
	writeStmt(ctx context.Context, query string) *sql.Stmt
	// nativeRow is a single-row read scanned by the driver itself where
	// that is cheaper than through database/sql (pgx, pgread.go);
	// destinations are those database/sql takes.
	nativeRow(ctx context.Context, query string, args ...any) rowScanner

	// inTx runs fn in a write transaction (fn may run more than once).
	inTx(ctx context.Context, fn func(tx *txn) error) error
	// lockDirectories takes, for the rest of tx, the exclusive lock on
	// each listed directory's writers (dirlock.go), in the order given.
	lockDirectories(ctx context.Context, tx *txn, dirIDs []string) error
	// lockMigrations serializes migrating processes.
	lockMigrations(ctx context.Context, conn *sql.Conn) (unlock func(), err error)

	// Row locking clauses, appended to a SELECT in a write transaction.
	forUpdate() string   // a row the transaction will update
	forDelete() string   // a row the transaction will delete
	forKeyShare() string // a row a new row is about to reference

	// bytewise makes text expression x compare and sort by bytes.
	bytewise(x string) string
	// idsFrom is a FROM item yielding the rows of table, aliased alias,
	// whose id is in the JSON array of strings bound at param (lock is
	// a locking clause for them or ""), and the condition that completes
	// it in the WHERE clause.
	idsFrom(param, table, alias, lock string) (from, cond string)
	// jsonStrings is a subquery yielding the strings of the JSON array
	// bound at param.
	jsonStrings(param string) string
	// jsonInts is a subquery yielding the integers of the JSON array
	// bound at param, as BIGINT.
	jsonInts(param string) string
	// groupRefs is a scalar subquery yielding, as JSON text, the array of
	// [id, display_name] of the groups the user whose pk is the
	// expression userPK is a direct member of, ordered by group pk.
	groupRefs(userPK string) string
	// octetLength is the size in bytes of text column col.
	octetLength(col string) string
	// rowsPerStatement is how many rows one multi-row statement carries.
	rowsPerStatement() int

	// Events (events.go).
	// openEvents readies w; more are single-row queries to run with its
	// own (in one round trip on PostgreSQL).
	openEvents(ctx context.Context, tx *txn, w *eventWriter, more ...pgRow) error
	forgetDirectories()
	flushEvents(ctx context.Context, tx *txn, w *eventWriter) error
	appendNotice(ctx context.Context, tx *txn, r eventRow) error
	insertEventsHead() (head string, cols int)
	eventArgs(args []any, r eventRow) []any
	sealed(ctx context.Context) error
	subjectEvents(from, cond string, param int) (string, string)
	eventByID(id string) (query string, args []any, ok bool)
	lastPositionQuery() string

	// Webhook deliveries (webhooks.go).
	claimableHeads() string
	anythingDue(ctx context.Context, now int64) (bool, error)
}

// txn is one write transaction: on SQLite a database/sql transaction, on
// PostgreSQL a connection with pipelining state (pgtx.go).
type txn struct {
	*sql.Tx        // SQLite
	pg      *pgTxn // PostgreSQL
}
