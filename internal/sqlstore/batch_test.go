package sqlstore

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
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
