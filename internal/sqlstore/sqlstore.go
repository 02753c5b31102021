package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/filter"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
	"github.com/scimbridge/scimbridge/internal/sqlstore/filtersql"
)

// Store is a directory.Store on SQLite or PostgreSQL.
type Store struct {
	d       dialect // what differs per database (dialect.go)
	read    *sql.DB // SQLite: a pool of read-only connections; PostgreSQL: the pool
	write   *sql.DB // SQLite: one connection; PostgreSQL: the same pool as read
	schemas *schema.Schemas

	// Now is the clock events are stamped with (time.Now when nil).
	Now func() time.Time

	observer observerBox // metrics.go

	// gens are the directories' generations (generation.go); nil on
	// PostgreSQL.
	gens *generations

	// userReads are the statements of the hot reads of one user, made
	// once for the dialect (a GET's query text was concatenated per call).
	userReads userReadQueries
}

var _ directory.Store = (*Store)(nil)

// Options configure Open.
type Options struct {
	// Schemas are the service's SCIM schemas, which documents are folded
	// and filters resolved by (schema.New() when nil).
	Schemas *schema.Schemas
	// MaxConns caps the PostgreSQL pool (open and idle connections); zero
	// keeps the default of 20. SQLite ignores it: it has one writer and
	// its own pool of readers.
	MaxConns int
}

// DefaultMaxConns is the PostgreSQL pool's size when Options.MaxConns is
// zero (the default of --database-max-conns).
const DefaultMaxConns = 20

// Open is OpenWith with the default Options (for tests and tools).
func Open(ctx context.Context, dsn string) (*Store, error) {
	return OpenWith(ctx, dsn, Options{})
}

// OpenWith opens the database named by dsn: a postgres:// or postgresql://
// URL for PostgreSQL, or a file path (optionally prefixed with sqlite:) for
// SQLite. It does not migrate; call Migrate.
func OpenWith(ctx context.Context, dsn string, opts Options) (*Store, error) {
	var s *Store
	var err error
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		s, err = openPostgres(ctx, dsn)
	} else {
		s, err = openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"))
	}
	if err != nil {
		return nil, err
	}
	s.userReads = newUserReadQueries(s.d)
	if s.Dialect() == "postgres" {
		n := opts.MaxConns
		if n <= 0 {
			n = DefaultMaxConns
		}
		s.read.SetMaxOpenConns(n)
		s.read.SetMaxIdleConns(n)
	}
	s.schemas = opts.Schemas
	if s.schemas == nil {
		s.schemas = schema.New()
	}
	return s, nil
}

// Dialect returns "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.name() }

// Close closes the database.
func (s *Store) Close() error { return s.d.close() }

// Ping checks the database answers, carries the latest migration, and
// holds no newer migration this binary cannot run against (a release's
// breaking migration, see breakingSuffix).
func (s *Store) Ping(ctx context.Context) error {
	want, err := latestVersion(s.Dialect())
	if err != nil {
		return err
	}
	var v, breaking int
	err = s.readRow(ctx, `SELECT COALESCE(MAX(version), 0),
		COALESCE(MAX(CASE WHEN version > $1 AND name LIKE $2 THEN version END), 0) FROM schema_migrations`,
		want, "%"+breakingSuffix).Scan(&v, &breaking)
	if err != nil {
		return fmt.Errorf("reading schema version: %w", err)
	}
	if v < want {
		return fmt.Errorf("database schema is at version %d, this binary needs %d: run `scimbridge migrate`", v, want)
	}
	if breaking > 0 {
		return fmt.Errorf("database schema has migration %d of a newer release, which this binary (version %d) cannot run against: replace this process with the new release", breaking, want)
	}
	return nil
}

// q rewrites a query written with $N placeholders for the dialect.
func (s *Store) q(query string) string { return s.d.rebind(query) }

// tx runs fn in a write transaction (on SQLite it joins the group commit;
// on PostgreSQL it is retried when aborted to break a deadlock).
func (s *Store) tx(ctx context.Context, fn func(tx *txn) error) error {
	return s.d.inTx(ctx, fn)
}

// micros converts a time to the stored representation.
func micros(t time.Time) int64 { return t.UnixMicro() }

// nullMicros stores the zero time as NULL.
func nullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func fromNullMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMicros(v.Int64)
}

func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

// placeholders returns "$from, $from+1, …" n times.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(from+i))
	}
	return b.String()
}

// compileWhere compiles filter e for the table aliased alias in the
// store's dialect; parameters start at $first (filtersql.Where).
func (s *Store) compileWhere(rt *schema.ResourceType, alias string, e filter.Expr, first int) (string, []any, error) {
	return filtersql.Where(s.d.filter(), rt, alias, e, first)
}

// orderBy returns the ORDER BY list for q (filtersql.OrderBy).
func (s *Store) orderBy(rt *schema.ResourceType, alias string, q directory.Query) (string, error) {
	return filtersql.OrderBy(s.d.filter(), rt, alias, q)
}
