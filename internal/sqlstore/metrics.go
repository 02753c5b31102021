package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"time"
)

// Observer is told of what the Store does that only it sees; the app
// turns it into metrics (docs/operations.md, "Metrics"). Its methods must
// be cheap and safe for concurrent use.
type Observer interface {
	// TxRetried: PostgreSQL aborted a transaction (deadlock or
	// serialization failure) and it runs again.
	TxRetried()
	// BatchCommitted: SQLite's group commit ran n writes in one
	// transaction.
	BatchCommitted(n int)
}

// observerBox holds the Store's Observer; nil until SetObserver.
type observerBox struct{ v atomic.Pointer[Observer] }

func (b *observerBox) get() Observer {
	if p := b.v.Load(); p != nil {
		return *p
	}
	return nil
}

// SetObserver makes o hear about transaction retries and group commits.
// Call it before serving.
func (s *Store) SetObserver(o Observer) {
	s.observer.v.Store(&o)
	if d, ok := s.d.(*sqliteDialect); ok {
		d.batch.observe = o.BatchCommitted
	}
}

func (s *Store) noteTxRetry() {
	if o := s.observer.get(); o != nil {
		o.TxRetried()
	}
}

// PoolStats returns the connection pools' statistics by name: "read" and
// "write" on SQLite, one "pool" on PostgreSQL.
func (s *Store) PoolStats() map[string]sql.DBStats {
	return s.d.poolStats()
}

// EndpointBacklog is one webhook endpoint's undelivered work.
type EndpointBacklog struct {
	EndpointID string
	Pending    int64     // deliveries not yet delivered (pending)
	Oldest     time.Time // creation of the oldest pending delivery; zero when none
	FeedLag    int64     // feed events written but not yet fanned out to it
}

// OpsSnapshot is what a metrics scrape reads from the database.
type OpsSnapshot struct {
	// LastEventPosition is the feed position of the newest event (events
	// written since the database was created).
	LastEventPosition int64
	Endpoints         []EndpointBacklog
}

// OpsSnapshot reads the feed's head and every enabled webhook endpoint's
// backlog. Both queries use indexes (events' primary key, the pending
// deliveries' partial index).
func (s *Store) OpsSnapshot(ctx context.Context) (OpsSnapshot, error) {
	var out OpsSnapshot
	if err := s.readRow(ctx, `SELECT COALESCE(MAX(position), 0) FROM events`).Scan(&out.LastEventPosition); err != nil {
		return out, fmt.Errorf("reading feed head: %w", err)
	}
	rows, err := s.readRows(ctx, `SELECT e.id, e.fanout_position,
		(SELECT COUNT(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.status = 'pending'),
		(SELECT MIN(d.created_at) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.status = 'pending')
		FROM webhook_endpoints e WHERE e.enabled ORDER BY e.id`)
	if err != nil {
		return out, fmt.Errorf("reading webhook backlog: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b EndpointBacklog
		var fanout int64
		var oldest sql.NullInt64
		if err := rows.Scan(&b.EndpointID, &fanout, &b.Pending, &oldest); err != nil {
			return out, fmt.Errorf("reading webhook backlog: %w", err)
		}
		b.Oldest = fromNullMicros(oldest)
		b.FeedLag = max(out.LastEventPosition-fanout, 0)
		out.Endpoints = append(out.Endpoints, b)
	}
	return out, rows.Err()
}
