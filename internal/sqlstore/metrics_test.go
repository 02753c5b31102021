package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// TestOpsSnapshot: the scrape-time queries run on both dialects and report
// an enabled endpoint's backlog and fan-out lag.
func TestOpsSnapshot(t *testing.T) {
	for name, open := range map[string]func(*testing.T) directory.Store{"sqlite": newSQLiteStore, "postgres": newPostgresStore} {
		t.Run(name, func(t *testing.T) {
			s := open(t).(*Store)
			ctx := context.Background()
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			ep := directory.WebhookEndpoint{ID: "we_1", URL: "https://example.com", Enabled: true, Secret: []byte("sealed"),
				EventTypes: []string{}, OrganizationIDs: []string{}, CreatedAt: now, UpdatedAt: now}
			if err := s.CreateWebhookEndpoint(ctx, ep); err != nil {
				t.Fatal(err)
			}
			snap, err := s.OpsSnapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(snap.Endpoints) != 1 || snap.Endpoints[0].EndpointID != "we_1" || snap.Endpoints[0].Pending != 0 || !snap.Endpoints[0].Oldest.IsZero() {
				t.Errorf("snapshot %+v", snap)
			}
			if len(s.PoolStats()) == 0 {
				t.Error("no pool statistics")
			}
		})
	}
}
