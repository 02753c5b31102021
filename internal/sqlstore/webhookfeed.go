package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// The webhook side's touch points with the event log (events.go): where a
// new endpoint starts, the notice appended when an endpoint is disabled,
// and pruning that keeps what is not delivered yet.

// feedHead is the feed's latest position: a new endpoint receives the
// events committed after it.
func (s *Store) feedHead(ctx context.Context) (int64, error) {
	return s.LastEventPosition(ctx)
}

// PruneEvents deletes events that occurred before before, except those not
// delivered yet: events after the lowest fan-out position of the enabled
// webhook endpoints (not yet fanned out), and events at or after the
// oldest feed event a pending delivery refers to (a delivery's body is
// rendered from its event). It also keeps the newest event and each
// directory's newest event, which the event log numbers new events after
// (events.go). It implements webhook.EventPruner, in chunks so that no one
// transaction holds the writer for long, and returns how many it deleted.
func (s *Store) PruneEvents(ctx context.Context, before time.Time) (int, error) {
	// On PostgreSQL, unsealed events have no position yet: they are
	// never pruned (position IS NULL fails every comparison below).
	return s.deleteInChunks(ctx, "pruning events", `DELETE FROM events WHERE position IN (SELECT e.position FROM events e
		WHERE e.occurred_at < $1
		AND e.position < (SELECT MAX(position) FROM events)
		AND (e.directory_id IS NULL OR e.position < (SELECT MAX(x.position) FROM events x WHERE x.directory_id = e.directory_id))
		AND e.position <= COALESCE((SELECT MIN(fanout_position) FROM webhook_endpoints WHERE enabled), e.position)
		AND e.position < COALESCE((SELECT MIN(d.position) FROM webhook_deliveries d WHERE d.status = 'pending' AND d.position > 0), e.position + 1)
		ORDER BY e.position LIMIT $2)`, micros(before))
}

// pruneChunk is how many rows one pruning transaction deletes at most.
const pruneChunk = 2000

// deleteInChunks runs a DELETE whose last parameter is a chunk size, one
// transaction per chunk (so that no one transaction holds the writer for
// long), until a chunk deletes fewer rows, and returns how many it deleted.
func (s *Store) deleteInChunks(ctx context.Context, what, query string, args ...any) (int, error) {
	args = append(args, pruneChunk)
	total := 0
	for {
		var n int64
		err := s.tx(ctx, func(tx *txn) error {
			res, err := s.txExec(ctx, tx, query, args...)
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			n, _ = res.RowsAffected()
			return nil
		})
		if err != nil {
			return total, err
		}
		total += int(n)
		if n < pruneChunk {
			return total, nil
		}
	}
}

var _ = directory.EventLog((*Store)(nil))
