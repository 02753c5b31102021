package sqlstore

import (
	"context"
	"sync"
)

// On PostgreSQL every write transaction of a directory locks the directory
// row first (openEvents). When many requests of one process write to one
// directory at once, they would all queue on that row inside PostgreSQL,
// where every commit wakes every waiter to re-check the row: 32 concurrent
// writers took minutes for what 8 did in a minute. So the process first
// serializes its own writers of a directory with an in-memory lock, and
// only one of them at a time waits on the row (other processes still
// queue there, which is what the row lock is for).
//
// Every path that locks a directory row and may then wait for anything
// else takes the in-memory lock first (holdDirectory), so the two kinds of
// lock are always taken in the same order and cannot deadlock each other.

// keyedLocks is a set of mutexes by key, made on demand.
type keyedLocks struct {
	mu sync.Mutex
	m  map[string]*keyedLock
}

type keyedLock struct {
	ch    chan struct{} // a token: held while the lock is
	users int
}

// lock waits for the key's lock, or for ctx to end.
func (k *keyedLocks) lock(ctx context.Context, key string) (func(), error) {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*keyedLock{}
	}
	l := k.m[key]
	if l == nil {
		l = &keyedLock{ch: make(chan struct{}, 1)}
		k.m[key] = l
	}
	l.users++
	k.mu.Unlock()
	done := func() {
		k.mu.Lock()
		if l.users--; l.users == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
	select {
	case l.ch <- struct{}{}:
		return func() { <-l.ch; done() }, nil
	case <-ctx.Done():
		done()
		return nil, ctx.Err()
	}
}

// holdDirectory takes, for the rest of tx, the process's lock on a
// directory's writers (PostgreSQL only; SQLite has one writer).
func (s *Store) holdDirectory(ctx context.Context, tx *txn, dirID string) error {
	return s.d.holdDirectory(ctx, tx, dirID)
}
