package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// On SQLite, preparing a statement costs more than running a simple one, so
// the store keeps prepared statements for the queries it runs, keyed by
// their text. The cache is bounded: filter queries are built per request,
// and once maxCached texts are cached, new ones run unprepared. PostgreSQL's
// driver (pgx) keeps its own per-connection statement cache.
const maxCached = 512

type stmtCache struct {
	db *sql.DB
	// deferred: prepare later, in prepareWanted, instead of in get. The
	// write database has one connection, which a transaction holds while
	// its statements run: preparing on the database then would wait for
	// that very connection.
	deferred bool

	mu     sync.Mutex
	m      map[string]*sql.Stmt
	wanted map[string]bool
}

// get returns the prepared statement for query, or nil when it should run
// unprepared (not prepared yet, cache full, or preparing failed: the
// unprepared run then reports the error). The mutex is never held while
// preparing.
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	if c.db == nil {
		return nil
	}
	c.mu.Lock()
	st, ok := c.m[query]
	full := len(c.m) >= maxCached
	if !ok && !full && c.deferred {
		if c.wanted == nil {
			c.wanted = map[string]bool{}
		}
		c.wanted[query] = true
	}
	c.mu.Unlock()
	if ok || full || c.deferred {
		return st
	}
	return c.prepare(ctx, query)
}

func (c *stmtCache) prepare(ctx context.Context, query string) *sql.Stmt {
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[query]; ok { // another goroutine won
		st.Close()
		return old
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = st
	return st
}

// prepareWanted prepares the statements get was asked for while they could
// not be prepared. The batcher calls it between transactions.
func (c *stmtCache) prepareWanted(ctx context.Context) {
	c.mu.Lock()
	if len(c.wanted) == 0 {
		c.mu.Unlock()
		return
	}
	var qs []string
	for q := range c.wanted {
		qs = append(qs, q)
	}
	c.wanted = nil
	c.mu.Unlock()
	for _, q := range qs {
		c.prepare(ctx, q)
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}

func (s *Store) readRow(ctx context.Context, query string, args ...any) *sql.Row {
	query = s.q(query)
	if st := s.d.readStmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.read.QueryRowContext(ctx, query, args...)
}

func (s *Store) readRows(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query = s.q(query)
	if st := s.d.readStmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return s.read.QueryContext(ctx, query, args...)
}

// txStmt returns the cached statement bound to tx, or nil.
func (s *Store) txStmt(ctx context.Context, tx *txn, query string) *sql.Stmt {
	if st := s.d.writeStmt(ctx, query); st != nil {
		return tx.StmtContext(ctx, st)
	}
	return nil
}

func (s *Store) txRow(ctx context.Context, tx *txn, query string, args ...any) *sql.Row {
	query = s.q(query)
	if st := s.txStmt(ctx, tx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, query, args...)
}

func (s *Store) txRows(ctx context.Context, tx *txn, query string, args ...any) (*sql.Rows, error) {
	query = s.q(query)
	if st := s.txStmt(ctx, tx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, query, args...)
}

func (s *Store) txExec(ctx context.Context, tx *txn, query string, args ...any) (sql.Result, error) {
	query = s.q(query)
	if st := s.txStmt(ctx, tx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}
