package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// Store is a directory.Store on SQLite or PostgreSQL.
type Store struct {
	postgres bool
	read     *sql.DB // SQLite: a pool of read-only connections; PostgreSQL: the pool
	write    *sql.DB // SQLite: one connection; PostgreSQL: the same pool as read
	batch    *batcher
	schemas  *schema.Schemas

	// SQLite only: prepared statements, and $N → ?N rewrites, both bounded.
	readStmts, writeStmts stmtCache
	qmu                   sync.Mutex
	queries               map[string]string

	// Now is the clock events are stamped with (time.Now when nil).
	Now func() time.Time

	// PostgreSQL only: the process's per-directory writer locks, and those
	// each open transaction holds (dirlock.go).
	dirLocks keyedLocks
	txState  sync.Map // *sql.Tx → *txLocks

	observer observerBox // metrics.go
}

var _ directory.Store = (*Store)(nil)

// Open opens the database named by dsn: a postgres:// or postgresql:// URL
// for PostgreSQL, or a file path (optionally prefixed with sqlite:) for
// SQLite. It does not migrate; call Migrate.
func Open(ctx context.Context, dsn string) (*Store, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"))
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
	return &Store{postgres: true, read: db, write: db, schemas: schema.New()}, nil
}

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
	// Page caches: 16 MiB for the writer, 4 MiB for each reader. Pages that
	// miss come from the OS page cache; bigger caches cost resident memory
	// (the server stays under 100 MB with 100,000 users, docs/performance.md).
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	q.Add("_pragma", "cache_size(-16000)")
	q.Add("_txlock", "immediate")
	write, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("opening sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("opening sqlite %s: %w", path, err)
	}
	rq := url.Values{}
	for _, p := range pragmas {
		rq.Add("_pragma", p)
	}
	rq.Add("_pragma", "query_only(ON)")
	rq.Add("_pragma", "cache_size(-4000)")
	read, err := sql.Open("sqlite", "file:"+path+"?"+rq.Encode())
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("opening sqlite: %w", err)
	}
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	read.SetConnMaxIdleTime(0)
	read.SetConnMaxLifetime(0)
	s := &Store{read: read, write: write, schemas: schema.New(), queries: map[string]string{}}
	s.readStmts.db, s.writeStmts.db = read, write
	s.writeStmts.deferred = true
	s.batch = &batcher{db: write, rebind: s.q, between: s.writeStmts.prepareWanted}
	s.batch.flushEvents = s.numberEvents
	return s, nil
}

// Dialect returns "sqlite" or "postgres".
func (s *Store) Dialect() string {
	if s.postgres {
		return "postgres"
	}
	return "sqlite"
}

// Close closes the database.
func (s *Store) Close() error {
	if s.postgres {
		return s.read.Close()
	}
	s.readStmts.close()
	s.writeStmts.close()
	return errors.Join(s.read.Close(), s.write.Close())
}

// Ping checks the database answers and carries the latest migration.
func (s *Store) Ping(ctx context.Context) error {
	var v int
	err := s.readRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return fmt.Errorf("reading schema version: %w", err)
	}
	want, err := latestVersion(s.Dialect())
	if err != nil {
		return err
	}
	if v < want {
		return fmt.Errorf("database schema is at version %d, this binary needs %d: run `scimbridge migrate`", v, want)
	}
	return nil
}

// q rewrites a query written with $N placeholders for the dialect. SQLite
// accepts ?N, its own numbered form; nothing else is rewritten.
func (s *Store) q(query string) string {
	if s.postgres {
		return query
	}
	s.qmu.Lock()
	v, ok := s.queries[query]
	s.qmu.Unlock()
	if ok {
		return v
	}
	var b strings.Builder
	b.Grow(len(query))
	for i := 0; i < len(query); i++ {
		c := query[i]
		if c == '$' && i+1 < len(query) && query[i+1] >= '0' && query[i+1] <= '9' {
			b.WriteByte('?')
			continue
		}
		b.WriteByte(c)
	}
	out := b.String()
	s.qmu.Lock()
	if s.queries == nil {
		s.queries = map[string]string{}
	}
	if len(s.queries) < maxCached {
		s.queries[query] = out
	}
	s.qmu.Unlock()
	return out
}

// tx runs fn in a write transaction. On SQLite it joins the group commit.
func (s *Store) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if !s.postgres {
		return s.batch.do(ctx, fn)
	}
	// PostgreSQL may abort a transaction to break a deadlock (or a
	// serialization failure); the Store contract lets fn run again, so the
	// whole transaction is retried a few times before the error is
	// returned.
	for attempt := 1; ; attempt++ {
		err := s.pgTx(ctx, fn)
		if attempt < 4 && retryable(err) && ctx.Err() == nil {
			s.noteTxRetry()
			continue
		}
		return refusedValue(err)
	}
}

// pgTx runs fn in one PostgreSQL transaction.
func (s *Store) pgTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	st := &txLocks{held: map[string]bool{}}
	s.txState.Store(tx, st)
	defer func() {
		s.txState.Delete(tx)
		for _, release := range st.release {
			release()
		}
	}()
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return translate(fmt.Errorf("committing: %w", err))
	}
	return nil
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
