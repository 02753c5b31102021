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
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// TestRolesScale measures effective roles and mapping changes with 50,000
// users and 200 groups on SQLite (docs/performance.md, "Roles"). It is
// skipped unless SCIMBRIDGE_SCALE is set:
//
//	SCIMBRIDGE_SCALE=1 go test -run TestRolesScale -v ./internal/sqlstore/
func TestRolesScale(t *testing.T) {
	if os.Getenv("SCIMBRIDGE_SCALE") == "" {
		t.Skip("set SCIMBRIDGE_SCALE=1 to run the 50,000-user roles measurement")
	}
	const nUsers, nGroups = 50000, 200
	ctx := context.Background()
	s := openSQLiteTest(t, filepath.Join(t.TempDir(), "scale.db"))
	svc := &directory.Service{Store: s, Schemas: schema.New(), IDs: directory.IDs{Now: time.Now, Rand: rand.Reader},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	org, err := svc.CreateOrganization(ctx, "Scale", "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := svc.CreateDirectory(ctx, org.ID, "okta", "")
	if err != nil {
		t.Fatal(err)
	}

	// Setup, straight into the tables for speed: users (copies of one
	// template document), 200 groups, every user in group 0 ("everyone")
	// and in one of the other 199.
	start := time.Now()
	tmpl, err := svc.CreateUser(ctx, d, map[string]any{"userName": "template@example.com", "name": map[string]any{"givenName": "T", "familyName": "U"}, "active": true})
	if err != nil {
		t.Fatal(err)
	}
	doc, fold, err := s.userArgs(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	ins, err := tx.PrepareContext(ctx, s.q(`INSERT INTO users (id, directory_id, user_name, user_name_fold, external_id, active, display, doc, doc_fold, version, created_at, updated_at)
		VALUES ($1, $2, $3, $3, NULL, TRUE, $3, $4, $5, 1, $6, $6)`))
	if err != nil {
		t.Fatal(err)
	}
	userIDs := make([]string, 0, nUsers)
	for i := 1; i < nUsers; i++ {
		id, _ := svc.IDs.New(directory.PrefixUser)
		if _, err := ins.ExecContext(ctx, id, d.ID, fmt.Sprintf("user%d@example.com", i), doc, fold, micros(time.Now())); err != nil {
			t.Fatal(err)
		}
		userIDs = append(userIDs, id)
	}
	userIDs = append(userIDs, tmpl.ID)
	ins.Close()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	groupIDs := make([]string, nGroups)
	for i := range groupIDs {
		g, err := svc.CreateGroup(ctx, d, map[string]any{"displayName": fmt.Sprintf("group %03d", i)})
		if err != nil {
			t.Fatal(err)
		}
		groupIDs[i] = g.ID
	}
	if _, err := s.write.ExecContext(ctx, s.q(`INSERT INTO group_members (group_pk, user_pk)
		SELECT (SELECT pk FROM groups WHERE id = $1), pk FROM users WHERE directory_id = $2`), groupIDs[0], d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.write.ExecContext(ctx, s.q(`INSERT INTO group_members (group_pk, user_pk)
		SELECT g.pk, u.pk FROM users u JOIN groups g ON g.directory_id = u.directory_id AND g.pk = (SELECT min(pk) FROM groups WHERE directory_id = $1) + 1 + u.pk % 199
		WHERE u.directory_id = $1`), d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.write.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	// Every group mapped: the everyone group to member, the others to admin
	// at a lower priority, so each user has two grants.
	mappings := func(everyone string, prio int) []directory.RoleMapping {
		ms := []directory.RoleMapping{{GroupID: groupIDs[0], Role: everyone, Priority: prio}}
		for _, g := range groupIDs[1:] {
			ms = append(ms, directory.RoleMapping{GroupID: g, Role: "admin", Priority: 1})
		}
		return ms
	}
	if err := svc.PutRoleMappings(ctx, d.ID, mappings("member", 10)); err != nil {
		t.Fatal(err)
	}
	t.Logf("setup: %d users, %d groups, %d membership rows, 200 mappings in %v", nUsers, nGroups, 2*nUsers, time.Since(start).Round(time.Millisecond))

	// (a) A 100-user page: the page query, then EffectiveRoles for it.
	var page, eff, both []time.Duration
	for i := 0; i < 300; i++ {
		t0 := time.Now()
		p, err := s.ListUsers(ctx, d.ID, directory.Query{Offset: mrand.IntN(nUsers - 100), Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]string, len(p.Users))
		for j, u := range p.Users {
			ids[j] = u.ID
		}
		t1 := time.Now()
		got, err := svc.EffectiveRoles(ctx, org.ID, d.ID, ids)
		if err != nil {
			t.Fatal(err)
		}
		t2 := time.Now()
		if len(got) != 100 || got[ids[0]].Role != "member" || len(got[ids[0]].Roles) != 2 {
			t.Fatalf("effective roles of %s: %+v", ids[0], got[ids[0]])
		}
		page, eff, both = append(page, t1.Sub(t0)), append(eff, t2.Sub(t1)), append(both, t2.Sub(t0))
	}
	t.Logf("(a) ListUsers 100 (offset page):  %s", stats(page))
	t.Logf("(a) EffectiveRoles for 100 users: %s", stats(eff))
	t.Logf("(a) page + EffectiveRoles:        %s", stats(both))

	// Preview of flipping the everyone group, which changes all 50,000 users.
	t0 := time.Now()
	prev, err := svc.PreviewRoleMappings(ctx, d.ID, mappings("admin", 10))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("preview of a change affecting everyone: %d users changing, %v", prev.UsersChangingRole, time.Since(t0).Round(time.Millisecond))
	if prev.UsersChangingRole != nUsers {
		t.Errorf("preview: %d users changing, want %d", prev.UsersChangingRole, nUsers)
	}

	// (b) PutRoleMappings flipping the everyone group's role, 20 times,
	// while 8 readers loop GetUser + EffectiveRoles.
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
				id := userIDs[mrand.IntN(len(userIDs))]
				t0 := time.Now()
				if _, err := s.GetUser(ctx, d.ID, id); err != nil {
					t.Error(err)
					return
				}
				if _, err := svc.EffectiveRoles(ctx, org.ID, d.ID, []string{id}); err != nil {
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
	var puts []time.Duration
	for i := 0; i < 20; i++ {
		role := []string{"admin", "member"}[i%2]
		t0 := time.Now()
		if err := svc.PutRoleMappings(ctx, d.ID, mappings(role, 10)); err != nil {
			t.Fatal(err)
		}
		puts = append(puts, time.Since(t0))
		time.Sleep(10 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	got, err := svc.EffectiveRoles(ctx, org.ID, d.ID, userIDs[:1])
	if err != nil || got[userIDs[0]].Role != "member" {
		t.Errorf("after the last PUT: %+v, %v", got, err)
	}
	t.Logf("(b) PutRoleMappings (200 mappings, everyone group flipped, 50,000 users affected): %s", stats(puts))
	t.Logf("(b) concurrent GetUser + EffectiveRoles, 8 readers, %d reads: %s", len(reads), stats(reads))
}

func stats(ds []time.Duration) string {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	q := func(p float64) time.Duration { return s[int(p*float64(len(s)-1))].Round(time.Microsecond) }
	return fmt.Sprintf("n=%d median %v p90 %v p99 %v max %v", len(s), q(0.5), q(0.9), q(0.99), s[len(s)-1].Round(time.Microsecond))
}
