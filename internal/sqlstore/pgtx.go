package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// A PostgreSQL write transaction pays one network round trip per statement,
// and BEGIN and COMMIT are statements too. pgTxn saves two of them without
// changing how the store's code sends its statements (database/sql, one at
// a time):
//   - BEGIN is not sent on its own: it goes in one pipeline (a pgx batch)
//     with the transaction's first statements (prelude, used by
//     openEvents) or, failing that, just before the first other statement;
//   - statements whose results nothing reads before the transaction ends
//     (the event INSERT, a group's UPDATE) are queued (later) and sent in
//     one pipeline with COMMIT, or just before the next statement if
//     another one comes first, so they still run in the order written.
//
// A pipeline runs on the transaction's connection through Conn.Raw; every
// other statement through database/sql on the same connection.
type pgTxn struct {
	conn  *sql.Conn
	begun bool // BEGIN was sent
	// oneTrip: the whole transaction is to be sent in the pipeline of its
	// commit. If it is, BEGIN and COMMIT are left out: the statements of
	// one pipeline, up to its single Sync, are one implicit transaction,
	// committed (durably, as COMMIT would) when the last one succeeds and
	// rolled back when any fails (PostgreSQL's protocol, "Pipelining").
	oneTrip bool
	queued  []queuedExec // statements waiting for the next pipeline
	err     error        // the first error a pipelined statement returned
}

// queuedExec is a statement whose result is only its error; mapErr (may be
// nil) turns a failure into the error the write returns. With scan set it
// is a single-row query whose row scan reads (laterRow).
type queuedExec struct {
	query  string
	args   []any
	mapErr func(error) error
	scan   func(row interface{ Scan(...any) error }) error
}

// pgRow is a single-row query sent in a pipeline, scanned into dest (or a
// statement returning no rows, when dest is empty);
// check, if set, hears the Scan's error (sql.ErrNoRows when there was no
// row) and returns the error to keep.
type pgRow struct {
	query string
	args  []any
	dest  []any
	check func(error) error
}

// pipeline sends, in one round trip, BEGIN (if not sent yet), the queued
// statements, then rows, then COMMIT if commit is set. It reads every
// result in order and returns the first error.
func (p *pgTxn) pipeline(ctx context.Context, rows []pgRow, commit bool) error {
	if p.err != nil {
		return p.err
	}
	b := &pgx.Batch{}
	implicit := p.oneTrip && !p.begun && commit
	begin := !p.begun && !implicit
	if begin {
		b.Queue("BEGIN")
	}
	queued := p.queued
	p.queued = nil
	for _, q := range queued {
		b.Queue(q.query, q.args...)
	}
	for _, r := range rows {
		b.Queue(r.query, r.args...)
	}
	commit = commit && !implicit
	if commit {
		b.Queue("COMMIT")
	}
	if b.Len() == 0 {
		return nil
	}
	p.begun = !implicit // nothing to roll back after an implicit transaction
	err := p.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("pipelining: driver connection is %T, not pgx", dc)
		}
		return readPipeline(c.Conn().SendBatch(ctx, b), begin, queued, rows, commit)
	})
	if err != nil {
		p.err = err
	}
	return err
}

// readPipeline reads the results of a pipeline's statements in the order
// pipeline queued them, scanning rows and queued scans, and returns the
// first error (mapped by its statement's mapErr or check).
func readPipeline(br pgx.BatchResults, begin bool, queued []queuedExec, rows []pgRow, commit bool) error {
	var first error
	if begin {
		if _, err := br.Exec(); err != nil {
			first = fmt.Errorf("beginning transaction: %w", err)
		}
	}
	for _, q := range queued {
		var err error
		if q.scan != nil {
			err = q.scan(br.QueryRow())
		} else {
			_, err = br.Exec()
		}
		if first == nil && err != nil {
			first = err
			if q.mapErr != nil {
				first = q.mapErr(err)
			}
		}
	}
	for _, r := range rows {
		var err error
		if len(r.dest) == 0 {
			_, err = br.Exec()
		} else if err = br.QueryRow().Scan(r.dest...); errors.Is(err, pgx.ErrNoRows) {
			err = sql.ErrNoRows
		}
		if r.check != nil {
			err = r.check(err)
		}
		if first == nil && err != nil && err != sql.ErrNoRows {
			first = err
		}
	}
	if commit {
		if _, err := br.Exec(); first == nil && err != nil {
			first = fmt.Errorf("committing: %w", err)
		}
	}
	if err := br.Close(); first == nil && err != nil {
		first = err
	}
	return first
}

// flush sends BEGIN and the queued statements, if any, before a statement
// that database/sql sends.
func (p *pgTxn) flush(ctx context.Context) error {
	if p.begun && len(p.queued) == 0 {
		return p.err
	}
	return p.pipeline(ctx, nil, false)
}

// ExecContext, QueryContext and QueryRowContext are the transaction's
// statements (they shadow *sql.Tx's: on PostgreSQL txn has no sql.Tx).
func (t *txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if t.pg == nil {
		return t.Tx.ExecContext(ctx, query, args...)
	}
	if err := t.pg.flush(ctx); err != nil {
		return nil, err
	}
	return t.pg.conn.ExecContext(ctx, query, args...)
}

func (t *txn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if t.pg == nil {
		return t.Tx.QueryContext(ctx, query, args...)
	}
	if err := t.pg.flush(ctx); err != nil {
		return nil, err
	}
	return t.pg.conn.QueryContext(ctx, query, args...)
}

func (t *txn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if t.pg == nil {
		return t.Tx.QueryRowContext(ctx, query, args...)
	}
	if err := t.pg.flush(ctx); err != nil {
		// A *sql.Row cannot be made with an error: run the query on a
		// cancelled context, whose Scan fails; inTx returns p.err.
		dead, cancel := context.WithCancel(ctx)
		cancel()
		return t.pg.conn.QueryRowContext(dead, query, args...)
	}
	return t.pg.conn.QueryRowContext(ctx, query, args...)
}

// later queues a statement whose result is only its error to run before
// the transaction's next statement or with its COMMIT (on SQLite it runs
// now). mapErr (may be nil) maps its failure to the write's error.
func (s *Store) later(ctx context.Context, tx *txn, mapErr func(error) error, query string, args ...any) error {
	if tx.pg == nil {
		_, err := s.txExec(ctx, tx, query, args...)
		if err != nil && mapErr != nil {
			return mapErr(err)
		}
		return err
	}
	tx.pg.queued = append(tx.pg.queued, queuedExec{query: query, args: args, mapErr: mapErr})
	return nil
}

// laterRow is later for a single-row query on PostgreSQL: scan reads its
// row when the pipeline that sends it runs, in the order it was queued.
func (s *Store) laterRow(tx *txn, mapErr func(error) error, scan func(row interface{ Scan(...any) error }) error, query string, args ...any) {
	tx.pg.queued = append(tx.pg.queued, queuedExec{query: query, args: args, mapErr: mapErr, scan: scan})
}

// prelude runs single-row queries at the start of a transaction: on
// PostgreSQL in one pipeline with BEGIN (one round trip for all), on
// SQLite one after another.
func (s *Store) prelude(ctx context.Context, tx *txn, rows ...pgRow) error {
	if tx.pg != nil {
		return tx.pg.pipeline(ctx, rows, false)
	}
	for _, r := range rows {
		var err error
		if len(r.dest) == 0 {
			_, err = s.txExec(ctx, tx, r.query, r.args...)
		} else {
			err = s.txRow(ctx, tx, r.query, r.args...).Scan(r.dest...)
		}
		if r.check != nil {
			err = r.check(err)
		}
		if err != nil && err != sql.ErrNoRows {
			return err
		}
	}
	return nil
}

// copyRequests writes request log entries with one COPY (binary format)
// in the transaction. A multi-row INSERT of a batch costs PostgreSQL a
// parse and a plan of a statement of up to 3,200 parameters, one per
// distinct batch size and connection (pgx caches prepared statements by
// their text), and the server an interface value per parameter; COPY
// streams the rows, with the column types pgx caches per connection.
func (p *pgTxn) copyRequests(ctx context.Context, entries []*directory.RequestLog) error {
	if len(entries) == 0 {
		return nil
	}
	if err := p.flush(ctx); err != nil {
		return err
	}
	columns := []string{"id", "directory_id", "occurred_at", "method", "path", "status", "duration_us",
		"request_body", "response_body", "request_truncated", "response_truncated", "request_id", "user_agent", "remote_addr",
		"metadata_only", "repeats"}
	row := make([]any, len(columns))
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == len(entries) {
			return nil, nil
		}
		e := entries[i]
		i++
		row[0], row[1], row[2], row[3], row[4], row[5], row[6] = e.ID, e.DirectoryID, micros(e.OccurredAt), e.Method, e.Path, int32(e.Status), e.Duration.Microseconds()
		row[7], row[8], row[9], row[10], row[11], row[12], row[13] = e.RequestBody, e.ResponseBody, e.RequestTruncated, e.ResponseTruncated, e.RequestID, e.UserAgent, e.RemoteAddr
		row[14], row[15] = e.MetadataOnly, int32(e.Repeats)
		return row, nil
	})
	return p.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("copying: driver connection is %T, not pgx", dc)
		}
		_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{"scim_requests"}, columns, src)
		return err
	})
}
