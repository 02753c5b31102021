package sqlstore

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// TestAttributesScale measures custom attribute mapping changes on a
// 50,000-user directory on SQLite (docs/performance.md, "Custom attribute
// mapping at 50,000 users"): each PUT changes every user's values (50,000
// user_updated events), re-mapped in chunks while 8 readers loop GetUser.
// It reports the PUT's wall time, the process CPU time per re-mapped user,
// and the readers' latencies. Skipped unless SCIMBRIDGE_SCALE is set:
//
//	SCIMBRIDGE_SCALE=1 go test -run TestAttributesScale -v ./internal/sqlstore/
func TestAttributesScale(t *testing.T) {
	if os.Getenv("SCIMBRIDGE_SCALE") == "" {
		t.Skip("set SCIMBRIDGE_SCALE=1 to run the 50,000-user custom attribute measurement")
	}
	const nUsers = 50000
	ctx := context.Background()
	s := openSQLiteTest(t, filepath.Join(t.TempDir(), "scale.db"))
	svc := &directory.Service{Store: s, Schemas: schema.New(), IDs: directory.IDs{Now: time.Now, Rand: rand.Reader},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		// The whole change inside the PUT (no background job here).
		AttributeApplyBudget: time.Hour}
	org, err := svc.CreateOrganization(ctx, "Scale", "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := svc.CreateDirectory(ctx, org.ID, "okta", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []directory.CustomAttribute{{Key: "cost_center", Type: "string"}, {Key: "mobile", Type: "string"}, {Key: "contractor", Type: "boolean"}} {
		if _, err := svc.CreateCustomAttribute(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	ent := schema.EnterpriseUserURN
	tmpl, err := svc.CreateUser(ctx, d, map[string]any{"userName": "template@example.com", "name": map[string]any{"givenName": "T", "familyName": "U"}, "active": true,
		"phoneNumbers": []any{map[string]any{"type": "mobile", "value": "+1 555 0100"}, map[string]any{"type": "work", "value": "+1 555 0200"}},
		ent:            map[string]any{"costCenter": "CC-1", "department": "R&D"},
		"urn:ietf:params:scim:schemas:extension:acme:2.0:User": map[string]any{"isContractor": "false"}})
	if err != nil {
		t.Fatal(err)
	}
	doc, fold, err := s.userArgs(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	ins, err := tx.PrepareContext(ctx, s.q(`INSERT INTO users (id, directory_id, user_name, user_name_fold, external_id, active, display, doc, doc_fold, version, created_at, updated_at)
		VALUES ($1, $2, $3, $3, NULL, TRUE, $3, $4, $5, 1, $6, $6)`))
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{tmpl.ID}
	for i := 1; i < nUsers; i++ {
		id, _ := svc.IDs.New(directory.PrefixUser)
		if _, err := ins.ExecContext(ctx, id, d.ID, fmt.Sprintf("user%d@example.com", i), doc, fold, micros(time.Now())); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	ins.Close()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.write.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	t.Logf("setup: %d users in %v", nUsers, time.Since(start).Round(time.Millisecond))

	sets := [][]directory.AttributeMapping{
		{{Key: "cost_center", Source: ent + ":costCenter"}, {Key: "mobile", Source: `phoneNumbers[type eq "mobile"].value`},
			{Key: "contractor", Source: "urn:ietf:params:scim:schemas:extension:acme:2.0:User:isContractor"}},
		{{Key: "cost_center", Source: ent + ":department"}, {Key: "mobile", Source: `phoneNumbers[type eq "work"].value`},
			{Key: "contractor", Source: "urn:ietf:params:scim:schemas:extension:acme:2.0:User:isContractor"}},
	}
	put := func(i int) {
		t.Helper()
		cpu0, t0 := cpuTime(), time.Now()
		_, changed, err := svc.PutAttributeMappings(ctx, d.ID, sets[i%2])
		if err != nil {
			t.Fatal(err)
		}
		wall, cpu := time.Since(t0), cpuTime()-cpu0
		if changed != nUsers {
			t.Errorf("PUT %d changed %d users, want %d", i, changed, nUsers)
		}
		t.Logf("PUT %d: %d users re-mapped (one user_updated each) in %v; process CPU %v (%.1f µs per user)",
			i+1, changed, wall.Round(time.Millisecond), cpu.Round(time.Millisecond), float64(cpu.Microseconds())/nUsers)
	}
	// (a) Alone: the CPU a change costs.
	put(0)
	put(1)
	// (b) With 8 readers looping GetUser: what reads see meanwhile.
	var stop atomic.Bool
	var mu sync.Mutex
	var reads []time.Duration
	var wg sync.WaitGroup
	for r := 0; r < 8; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for !stop.Load() {
				t0 := time.Now()
				if _, err := s.GetUser(ctx, d.ID, ids[mrand.IntN(len(ids))]); err != nil {
					t.Error(err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			reads = append(reads, mine...)
			mu.Unlock()
		}()
	}
	put(2)
	put(3)
	stop.Store(true)
	wg.Wait()
	t.Logf("concurrent GetUser, 8 readers, during PUTs 3 and 4 (CPU above includes them): %s", stats(reads))
	u, err := s.GetUser(ctx, d.ID, ids[nUsers/2])
	if err != nil || u.Custom.Values["cost_center"] != "R&D" {
		t.Errorf("after the last PUT: %+v, %v", u.Custom, err)
	}
}
