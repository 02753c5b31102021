package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
)

// rowScanner is a single row to scan, as *sql.Row is.
type rowScanner interface{ Scan(dest ...any) error }

// pgxRow is a single-row read on PostgreSQL run by pgx itself on a
// connection of the pool (Conn.Raw), scanned by pgx straight into the
// destinations: database/sql would first convert every column to a
// driver.Value and then each into its destination, allocating for both
// (a third of the hot GET's allocations went there). The statement is
// prepared and cached per connection by pgx, as through database/sql.
type pgxRow struct {
	ctx   context.Context
	db    *sql.DB
	query string
	args  []any
}

// Scan runs the query and scans its first row into dest; sql.ErrNoRows
// when there is none, as *sql.Row. As database/sql does for its own
// queries, a connection that failed before the query was sent (pgx's
// SafeToRetry: closed by the server while in the pool) is dropped and the
// query sent on another, at most maxBadConnTries times in all.
func (r pgxRow) Scan(dest ...any) error {
	for try := 1; ; try++ {
		err := r.scanOnce(dest)
		if try < maxBadConnTries && errors.Is(err, driver.ErrBadConn) && r.ctx.Err() == nil {
			continue
		}
		return err
	}
}

// maxBadConnTries bounds pgxRow's tries, as database/sql's own retries
// (two on pooled connections, one on a new one).
const maxBadConnTries = 3

func (r pgxRow) scanOnce(dest []any) error {
	conn, err := r.db.Conn(r.ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("reading: driver connection is %T, not pgx", dc)
		}
		err := c.Conn().QueryRow(r.ctx, r.query, r.args...).Scan(dest...)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return sql.ErrNoRows
		case err != nil && pgconn.SafeToRetry(err):
			// Raw drops a connection that returns ErrBadConn.
			return fmt.Errorf("%w: %w", driver.ErrBadConn, err)
		}
		return err
	})
}

// Nullable destinations that both drivers scan: database/sql through Scan
// (sql.Scanner), pgx through its own scanner interfaces (ScanInt64,
// ScanText, ScanBool), which take the value without boxing it in an
// interface or planning a sql.Scanner conversion per column.

// optInt is a nullable BIGINT, as sql.NullInt64.
type optInt struct{ sql.NullInt64 }

func (n *optInt) ScanInt64(v pgtype.Int8) error {
	n.Int64, n.Valid = v.Int64, v.Valid
	return nil
}

// optText is a nullable TEXT, as sql.NullString.
type optText struct{ sql.NullString }

func (n *optText) ScanText(v pgtype.Text) error {
	n.String, n.Valid = v.String, v.Valid
	return nil
}

// zeroString, zeroInt and zeroBool scan into *p, or its zero value for
// NULL (orNull).
type (
	zeroString struct{ p *string }
	zeroInt    struct{ p *int64 }
	zeroBool   struct{ p *bool }
)

func (z zeroString) Scan(src any) error { return scanZero(z.p, src) }
func (z zeroInt) Scan(src any) error    { return scanZero(z.p, src) }
func (z zeroBool) Scan(src any) error   { return scanZero(z.p, src) }

func (z zeroString) ScanText(v pgtype.Text) error {
	*z.p = v.String
	return nil
}

func (z zeroInt) ScanInt64(v pgtype.Int8) error {
	*z.p = v.Int64
	return nil
}

func (z zeroBool) ScanBool(v pgtype.Bool) error {
	*z.p = v.Bool
	return nil
}

func scanZero[T any](p *T, src any) error {
	var v sql.Null[T]
	err := v.Scan(src)
	*p = v.V
	return err
}
