package sqlstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// TestBatchLetsLargeEventBuffersGo: after a write that queued thousands of
// events (a role mapping change for 3,000 users), the group commit keeps
// neither the array nor the documents it held; small buffers are kept for
// reuse, emptied of their documents.
func TestBatchLetsLargeEventBuffersGo(t *testing.T) {
	ctx := context.Background()
	s := openSQLiteTest(t, filepath.Join(t.TempDir(), "batch.db"))
	svc := &directory.Service{Store: s, Schemas: schema.New(), IDs: directory.IDs{Now: time.Now, Rand: rand.Reader},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	org, err := svc.CreateOrganization(ctx, "Batch", "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := svc.CreateDirectory(ctx, org.ID, "okta", "")
	if err != nil {
		t.Fatal(err)
	}
	g, err := svc.CreateGroup(ctx, d, map[string]any{"displayName": "Everyone"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 3 * keptEventRows
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		id, _ := svc.IDs.New(directory.PrefixUser)
		name := fmt.Sprintf("user%d@example.com", i)
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO users (id, directory_id, user_name, user_name_fold, external_id, active, display, doc, doc_fold, version, created_at, updated_at)
			VALUES ($1, $2, $3, $3, NULL, TRUE, $3, '{}', '{}', 1, 0, 0)`), id, d.ID, name); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO group_members (group_pk, user_pk) SELECT (SELECT pk FROM groups WHERE id = $1), pk FROM users WHERE directory_id = $2`), g.ID, d.ID); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	before := eventsOf(t, s, d.ID)
	if err := svc.PutRoleMappings(ctx, d.ID, []directory.RoleMapping{{GroupID: g.ID, Role: "member", Priority: 1}}); err != nil {
		t.Fatal(err)
	}
	if got := eventsOf(t, s, d.ID) - before; got != n {
		t.Fatalf("the mapping change wrote %d events, want %d (one per user)", got, n)
	}
	b := s.d.(*sqliteDialect).batch
	if cap(b.pending) > keptEventRows || cap(b.cur) > keptEventRows {
		t.Errorf("after a %d-event batch the batcher keeps arrays of %d and %d rows, want at most %d", n, cap(b.pending), cap(b.cur), keptEventRows)
	}
	// A small write: its buffer is kept, without its documents.
	if _, err := svc.CreateUser(ctx, d, map[string]any{"userName": "small@example.com"}); err != nil {
		t.Fatal(err)
	}
	for _, rows := range [][]eventRow{b.pending, b.cur} {
		for i, r := range rows[:cap(rows)] {
			if r.data != nil || r.previous != nil {
				t.Errorf("row %d of a kept buffer still holds a document after the commit", i)
			}
		}
	}
}

func eventsOf(t *testing.T, s *Store, dirID string) int {
	t.Helper()
	var n int
	if err := s.read.QueryRow(s.q(`SELECT count(*) FROM events WHERE directory_id = $1`), dirID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBatchSpillKeepsOtherWritesEvents: in a shared commit where one write
// fails after its events were written early (spill), the events of the
// writes before it stay, numbered without a gap, and the failed write's go.
func TestBatchSpillKeepsOtherWritesEvents(t *testing.T) {
	ctx := context.Background()
	s := openSQLiteTest(t, filepath.Join(t.TempDir(), "spill.db"))
	svc := &directory.Service{Store: s, Schemas: schema.New(), IDs: directory.IDs{Now: time.Now, Rand: rand.Reader},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	org, err := svc.CreateOrganization(ctx, "Spill", "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := svc.CreateDirectory(ctx, org.ID, "okta", "")
	if err != nil {
		t.Fatal(err)
	}
	b := s.d.(*sqliteDialect).batch
	// The first writes' events stay queued; the failing write's, larger,
	// spill with them.
	b.spillAt = 8 << 10
	before := eventsOf(t, s, d.ID)
	write := func(n, size int, fail error) *job {
		return &job{ctx: ctx, done: make(chan error, 1), lead: make(chan struct{}), fn: func(tx *txn) error {
			w, err := s.openEvents(ctx, tx, d.ID)
			if err != nil {
				return err
			}
			for i := range n {
				if err := w.add(directory.EventSpec{Type: "directory.updated", Subject: d.ID, Data: map[string]any{"i": i, "pad": strings.Repeat("x", size)}}); err != nil {
					return err
				}
				if err := s.flushEvents(ctx, tx, w); err != nil {
					return err
				}
			}
			return fail
		}}
	}
	failure := errors.New("this write fails")
	jobs := []*job{write(3, 10, nil), write(2, 10, nil), write(4, 4<<10, failure), write(1, 10, nil)}
	b.run(jobs)
	for i, want := range []error{nil, nil, failure, nil} {
		if got := <-jobs[i].done; got != want {
			t.Errorf("write %d: %v, want %v", i, got, want)
		}
	}
	if got := eventsOf(t, s, d.ID) - before; got != 6 {
		t.Errorf("the batch left %d events, want 6 (3 + 2 + 1: the failed write's 4 rolled back, the others kept)", got)
	}
	rows, err := s.read.Query(s.q(`SELECT sequence FROM events WHERE directory_id = $1 ORDER BY position`), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var last int64
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			t.Fatal(err)
		}
		if seq != last+1 {
			t.Errorf("sequence %d after %d: the feed has a gap", seq, last)
		}
		last = seq
	}
}

// TestBatchGathersReadyWriters: on one processor, writers that are ready
// to run when the leader takes its batch share its commit. Without
// batcher.gather the leader committed its own write alone and the other
// seven in a second commit.
func TestBatchGathersReadyWriters(t *testing.T) {
	ctx := context.Background()
	s := openSQLiteTest(t, filepath.Join(t.TempDir(), "gather.db"))
	b := s.d.(*sqliteDialect).batch
	var sizes []int // written by the leader only, read after every writer returned
	b.observe = func(n int) { sizes = append(sizes, n) }
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	const writers = 8
	errs := make(chan error, writers)
	for range writers {
		go func() {
			errs <- s.tx(ctx, func(tx *txn) error {
				_, err := s.txExec(ctx, tx, `SELECT 1`)
				return err
			})
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if len(sizes) != 1 || sizes[0] != writers {
		t.Fatalf("batch sizes %v, want one commit of all %d writers", sizes, writers)
	}
}
