package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimbridge/scimbridge/internal/directory"
)

func auditTests() []subtest {
	return []subtest{
		{"AuditRecordAndFilter", testAuditRecordAndFilter},
		{"AuditCursorPagination", testAuditCursor},
	}
}

func auditStore(t *testing.T, s directory.Store) directory.AuditStore {
	as, ok := s.(directory.AuditStore)
	if !ok {
		t.Skip("the store keeps no audit log")
	}
	return as
}

func auditEntry(i int, at time.Time) directory.AuditEntry {
	return directory.AuditEntry{ID: fmt.Sprintf("aud_%03d", i), ActorType: "api_key", ActorID: fmt.Sprintf("key_%d", i%2),
		OrganizationID: "org_1", Action: []string{"directory.update", "token.create"}[i%2], Method: "PATCH",
		Route: "/api/v1/directories/{dir_id}", TargetType: "directory", TargetID: fmt.Sprintf("dir_%d", i%3),
		Status: 200, SourceIP: "192.0.2.1", RequestID: "req", OccurredAt: at}
}

func testAuditRecordAndFilter(t *testing.T, s directory.Store) {
	as := auditStore(t, s)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	var all []directory.AuditEntry
	for i := range 6 {
		e := auditEntry(i, t0.Add(time.Duration(i)*time.Minute))
		if err := as.RecordAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
		all = append(all, e)
	}
	got, err := as.ListAudit(ctx, directory.AuditQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	want := []directory.AuditEntry{all[5], all[4], all[3], all[2], all[1], all[0]}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("newest first, every field kept (-want +got):\n%s", d)
	}
	cases := []struct {
		q    directory.AuditQuery
		want []string
	}{
		{directory.AuditQuery{ActorID: "key_1"}, []string{"aud_005", "aud_003", "aud_001"}},
		{directory.AuditQuery{Action: "directory.update"}, []string{"aud_004", "aud_002", "aud_000"}},
		{directory.AuditQuery{TargetID: "dir_0"}, []string{"aud_003", "aud_000"}},
		{directory.AuditQuery{Since: t0.Add(2 * time.Minute), Until: t0.Add(4 * time.Minute)}, []string{"aud_003", "aud_002"}},
		{directory.AuditQuery{OrganizationID: "org_2"}, nil},
		{directory.AuditQuery{ActorType: "portal"}, nil},
	}
	for _, c := range cases {
		c.q.Limit = 100
		got, err := as.ListAudit(ctx, c.q)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, e := range got {
			ids = append(ids, e.ID)
		}
		if d := cmp.Diff(c.want, ids); d != "" {
			t.Errorf("%+v (-want +got):\n%s", c.q, d)
		}
	}
}

func testAuditCursor(t *testing.T, s directory.Store) {
	as := auditStore(t, s)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range 7 {
		// Same timestamp for all: the cursor orders by insertion.
		if err := as.RecordAudit(ctx, auditEntry(i, t0)); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	before := ""
	for range 10 {
		page, err := as.ListAudit(ctx, directory.AuditQuery{Before: before, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			ids = append(ids, e.ID)
		}
		before = page[len(page)-1].ID
	}
	want := []string{"aud_006", "aud_005", "aud_004", "aud_003", "aud_002", "aud_001", "aud_000"}
	if d := cmp.Diff(want, ids); d != "" {
		t.Errorf("pages (-want +got):\n%s", d)
	}
	if _, err := as.ListAudit(ctx, directory.AuditQuery{Before: "aud_missing", Limit: 3}); directory.KindOf(err) != directory.KindInvalid {
		t.Errorf("unknown cursor: %v, want invalid", err)
	}
}
