package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
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
}

type job struct {
	ctx  context.Context
	fn   func(*sql.Tx) error
	done chan error    // the job's result
	lead chan struct{} // closed when this job's goroutine must lead
}

// maxBatch bounds how many writes share one commit.
const maxBatch = 256

func (b *batcher) do(ctx context.Context, fn func(*sql.Tx) error) error {
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

func (b *batcher) run(batch []*job) {
	results := make([]error, len(batch))
	err := b.runTx(batch, results)
	for i, j := range batch {
		if err != nil {
			j.done <- err
		} else {
			j.done <- results[i]
		}
	}
}

func (b *batcher) runTx(batch []*job, results []error) error {
	// The transaction must outlive any one request's context: it carries
	// other requests' writes too.
	ctx := context.WithoutCancel(batch[0].ctx)
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	single := len(batch) == 1
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if single {
			results[i] = j.fn(tx)
			if results[i] != nil {
				tx.Rollback()
				return nil
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
			tx.Rollback()
			return fmt.Errorf("savepoint: %w", err)
		}
		if results[i] = j.fn(tx); results[i] != nil {
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO w"); err != nil {
				tx.Rollback()
				return fmt.Errorf("rolling back to savepoint: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, "RELEASE w"); err != nil {
			tx.Rollback()
			return fmt.Errorf("releasing savepoint: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}
