package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"sync"
)

// batcher implements group commit on SQLite's single write connection
// without a background goroutine: the first writer to arrive becomes the
// leader, takes every queued write, runs them in one transaction (each in a
// savepoint, so one failing write does not undo the others), commits once,
// and hands leadership to the next queued writer, if any.
type batcher struct {
	db     *sql.DB
	rebind func(string) string
	// between runs after each commit, while no transaction holds the
	// connection and before leadership passes on.
	between func(context.Context)

	mu      sync.Mutex
	queue   []*job
	leading bool

	// Events of the batch being run (used only by the leader, which runs
	// the jobs one after another): cur collects the running job's events,
	// pending those of the jobs that succeeded, and dirs caches what
	// openEvents reads of a directory. flushEvents writes pending just
	// before the commit.
	cur, pending []eventRow
	// queued is about how many bytes cur and pending hold; past
	// spillEventBytes they are written at once (spill).
	queued int
	// spillAt is spillEventBytes, or less in tests (0: spillEventBytes).
	spillAt     int
	dirs        map[string]dirInfo
	flushEvents func(ctx context.Context, tx *txn, rows []eventRow) error
	// observe, when set, hears each batch's size (metrics.go).
	observe func(n int)
	// touched are the directories whose event logs the batch's writes
	// opened (openEvents); their generations (gens, when set) move on once
	// the batch's transaction has ended.
	touched map[string]struct{}
	gens    *generations
}

type job struct {
	ctx  context.Context
	fn   func(*txn) error
	done chan error    // the job's result
	lead chan struct{} // closed when this job's goroutine must lead
}

// maxBatch bounds how many writes share one commit.
const maxBatch = 256

// keptEventRows bounds the event buffers a batcher keeps between batches.
// A role mapping change can queue an event for each of 200,000 users,
// about 500 MB: kept, that array (and every document it points to) stayed
// resident for good (docs/performance.md, "A million users").
const keptEventRows = 1024

// spillEventBytes bounds the event documents a batch holds before writing
// them: past it the events queued so far are numbered and inserted inside
// the transaction, instead of all at once before the commit. Sixteen
// PATCHes of 1,000 members of a mapped group, sharing a commit, queued an
// event per user each, about 40 MB held to the commit; a role mapping
// change for 200,000 users, hundreds of MB (docs/performance.md, "A
// million users").
const spillEventBytes = 1 << 20

// reuseRows empties rows for the next batch: it drops the rows' documents,
// so that they can be collected, and the array itself when it is large.
func reuseRows(rows []eventRow) []eventRow {
	if cap(rows) > keptEventRows {
		return nil
	}
	clear(rows[:cap(rows)])
	return rows[:0]
}

func (b *batcher) do(ctx context.Context, fn func(*txn) error) error {
	j := &job{ctx: ctx, fn: fn, done: make(chan error, 1), lead: make(chan struct{})}
	b.mu.Lock()
	b.queue = append(b.queue, j)
	if b.leading {
		b.mu.Unlock()
		select {
		case err := <-j.done:
			return err
		case <-j.lead:
		}
	} else {
		b.leading = true
		b.mu.Unlock()
	}
	// Leader: run batches until our own job is done, then pass leadership on.
	for {
		b.gather()
		b.mu.Lock()
		n := len(b.queue)
		if n > maxBatch {
			n = maxBatch
		}
		batch := append([]*job(nil), b.queue[:n]...)
		b.queue = b.queue[n:]
		b.mu.Unlock()
		b.run(batch)
		if b.between != nil {
			b.between(context.WithoutCancel(j.ctx))
		}
		select {
		case err := <-j.done:
			b.mu.Lock()
			if len(b.queue) > 0 {
				close(b.queue[0].lead)
			} else {
				b.leading = false
			}
			b.mu.Unlock()
			return err
		default:
		}
	}
}

// gatherYields bounds how many times a leader yields before it takes a
// batch.
const gatherYields = 8

// gather lets the writers that are ready to run join the batch the leader
// is about to take: it yields the processor (runtime.Gosched, never a
// sleep) as long as yielding brought new writes into the queue. On a
// server with one core (a container's CPU limit, or pinned), the leader
// otherwise took the queue before the handlers it had just woken or the
// requests that arrived during its commit could reach it, and committed
// 1.2-2.1 writes at a time from 8 clients instead of about 4
// (docs/performance.md, "Group commit gathers the ready writers"); with
// more cores it costs a few hundred nanoseconds.
func (b *batcher) gather() {
	n := b.waiting()
	for range gatherYields {
		if n >= maxBatch {
			return
		}
		runtime.Gosched()
		m := b.waiting()
		if m == n {
			return
		}
		n = m
	}
}

// waiting is how many writes wait for a batch.
func (b *batcher) waiting() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queue)
}

func (b *batcher) run(batch []*job) {
	results := make([]error, len(batch))
	// Fast path: every write of the batch in one transaction without
	// savepoints. If any write fails, roll back and run the batch again
	// with a savepoint around each write, so that the failure undoes only
	// its own write. Write functions may run more than once (the Store
	// contract says so), and failures are rare (a userName taken, an id not
	// found), so the retry costs little. A batch of one needs no retry: its
	// failure rolled back only its own write.
	err, failed := b.runTx(batch, results, false)
	if err == nil && failed && len(batch) > 1 {
		err, _ = b.runTx(batch, results, true)
	}
	if b.observe != nil && err == nil {
		b.observe(len(batch))
	}
	for i, j := range batch {
		if err != nil {
			j.done <- err
		} else {
			j.done <- results[i]
		}
	}
}

// runTx runs the batch in one transaction. Without savepoints it stops at
// the first failing write, rolls back and reports failed; with savepoints
// it commits whatever succeeded.
func (b *batcher) runTx(batch []*job, results []error, savepoints bool) (err error, failed bool) {
	// After the commit (or the rollback): a reader that sees a directory's
	// new generation must see what the batch wrote.
	defer b.bumpTouched()
	// The transaction must outlive any one request's context: it carries
	// other requests' writes too.
	ctx := context.WithoutCancel(batch[0].ctx)
	sqlTx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err), false
	}
	tx := &txn{Tx: sqlTx}
	b.pending, b.dirs, b.queued = b.pending[:0], nil, 0
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		b.cur = b.cur[:0]
		if savepoints && len(b.pending) > 0 {
			// A write that spills its events (spill) must write only its
			// own inside its savepoint: rolled back, it would take the
			// earlier writes' events with it.
			if err := b.spill(ctx, tx); err != nil {
				tx.Rollback()
				return err, false
			}
		}
		if !savepoints {
			if results[i] = j.fn(tx); results[i] != nil {
				tx.Rollback()
				return nil, true
			}
			b.pending = append(b.pending, b.cur...)
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
			tx.Rollback()
			return fmt.Errorf("savepoint: %w", err), false
		}
		if results[i] = j.fn(tx); results[i] != nil {
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO w"); err != nil {
				tx.Rollback()
				return fmt.Errorf("rolling back to savepoint: %w", err), false
			}
		} else {
			b.pending = append(b.pending, b.cur...)
		}
		if _, err := tx.ExecContext(ctx, "RELEASE w"); err != nil {
			tx.Rollback()
			return fmt.Errorf("releasing savepoint: %w", err), false
		}
	}
	if len(b.pending) > 0 && b.flushEvents != nil {
		if err := b.flushEvents(ctx, tx, b.pending); err != nil {
			tx.Rollback()
			return err, false
		}
	}
	b.pending, b.cur, b.dirs, b.queued = reuseRows(b.pending), reuseRows(b.cur), nil, 0
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err), false
	}
	return nil, false
}

// touch records that the running batch writes to directory dirID.
func (b *batcher) touch(dirID string) {
	if b.gens == nil {
		return
	}
	if b.touched == nil {
		b.touched = map[string]struct{}{}
	}
	b.touched[dirID] = struct{}{}
}

func (b *batcher) bumpTouched() {
	for dir := range b.touched {
		b.gens.bump(dir)
	}
	clear(b.touched)
}

// queueEvents adds a write's events to the batch, and writes the batch's events
// so far (spill) once they hold more than spillEventBytes. The events
// keep their order: those of earlier writes of the batch (pending), then
// the running write's (cur).
func (b *batcher) queueEvents(ctx context.Context, tx *txn, rows ...eventRow) error {
	b.cur = append(b.cur, rows...)
	for _, r := range rows {
		b.queued += r.size()
	}
	limit := b.spillAt
	if limit == 0 {
		limit = spillEventBytes
	}
	if b.queued < limit {
		return nil
	}
	return b.spill(ctx, tx)
}

// spill numbers and inserts the events queued so far in tx: the events
// already in the table count when the next ones are numbered, so the
// sequences stay gapless and in the order of the writes.
func (b *batcher) spill(ctx context.Context, tx *txn) error {
	rows := append(b.pending, b.cur...)
	b.cur = reuseRows(b.cur)
	b.queued = 0
	if len(rows) > 0 && b.flushEvents != nil {
		if err := b.flushEvents(ctx, tx, rows); err != nil {
			return err
		}
	}
	b.pending = reuseRows(rows)
	return nil
}
