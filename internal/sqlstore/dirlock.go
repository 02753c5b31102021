package sqlstore

import (
	"context"
	"sort"
)

// Directory locks (PostgreSQL; SQLite has one writer and needs none).
//
// Writers of one directory do not exclude each other: each takes the
// directory's lock in shared mode (openEvents), so any number commit in
// parallel, and their events are numbered after commit (events.go, seal).
// What they must not race with is a change to what decides every user's
// effective roles, the directory's role mappings or its default role: a
// user created with the old default role while the default changes would
// be reported with the wrong role and never corrected. Those changes take
// the lock in exclusive mode (lockDirectories, from withRoleEvents and
// PutRoleMappings), so they wait for the writers in flight and the writers
// that come after wait for them. A change of the directory's custom
// attribute mappings does too (PutAttributeMappings): a user write then
// reads, under its shared lock, the mapping version it must store.
//
// The lock is a transaction-scoped advisory lock keyed by the directory id
// (pg_advisory_xact_lock_shared / pg_advisory_xact_lock): the lock manager
// queues a shared request behind a waiting exclusive one, so a role change
// is not starved by a stream of writers, and unlike a row lock it never
// blocks the updates of the directory row itself (last_request_at). Two ids
// that hash alike only share a lock: more waiting, never less exclusion.
//
// Rows are still locked as before (users, groups, memberships), and the
// writers that conflict on them are ordered by those locks. Writers that
// lock the same rows in different orders can deadlock; PostgreSQL aborts
// one, and inTx runs it again.

// The first key of every directory advisory lock is 738261 (the second is
// hashtext(directory id)); the migration lock uses the one-key form, a
// separate key space.

// sharedDirectoryLock is the statement that takes directory $1's lock in
// shared mode for the rest of the transaction.
const sharedDirectoryLock = `SELECT pg_advisory_xact_lock_shared(738261, hashtext($1))`

// exclusiveDirectoryLock takes it in exclusive mode.
const exclusiveDirectoryLock = `SELECT pg_advisory_xact_lock(738261, hashtext($1))`

// lockDirectories takes the exclusive lock of each directory, in id order
// (so that two role changes take them in the same order).
func (s *Store) lockDirectories(ctx context.Context, tx *txn, dirIDs []string) error {
	ids := append([]string(nil), dirIDs...)
	sort.Strings(ids)
	return s.d.lockDirectories(ctx, tx, ids)
}
