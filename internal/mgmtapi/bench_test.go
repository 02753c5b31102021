package mgmtapi_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/mgmtapi"
	"github.com/scimbridge/scimbridge/internal/testenv"
)

// BenchmarkListUsers loads 50,000 users and 200 groups (250 members each)
// into SQLite through the store, then measures
// GET /api/v1/directories/{dir}/users?page_size=100 at the server (the
// handler, no network): the first page, a deep page (after user 40,000) by
// page_token, and q searches (a prefix with 10,000 matches from user 40,000
// on, and one with 10 matches).
//
//	go test ./internal/mgmtapi -run '^$' -bench ListUsers -benchtime 200x
func BenchmarkListUsers(b *testing.B) {
	const users, groups = 50000, 200
	ctx := context.Background()
	st := testenv.Store(b)
	svc := testenv.Service(st)
	org, err := svc.CreateOrganization(ctx, "Acme", "")
	if err != nil {
		b.Fatal(err)
	}
	d, err := svc.CreateDirectory(ctx, org.ID, "okta", "")
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	ids := make([]string, users)
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < users; i += 32 {
				u, err := svc.CreateUser(ctx, d, map[string]any{
					"userName": fmt.Sprintf("user%05d@acme.test", i), "displayName": fmt.Sprintf("User %05d", i), "externalId": fmt.Sprint(i),
					"name":   map[string]any{"givenName": "Given", "familyName": fmt.Sprintf("Family%05d", i)},
					"emails": []any{map[string]any{"value": fmt.Sprintf("user%05d@acme.test", i), "type": "work", "primary": true}},
					"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"department": "Dept", "employeeNumber": fmt.Sprint(i)},
				})
				if err != nil {
					errs <- err
					return
				}
				ids[i] = u.ID
			}
		}(w)
	}
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	for g := 0; g < groups; g++ {
		var ms []any
		for i := g; i < users; i += groups {
			ms = append(ms, map[string]any{"value": ids[i]})
		}
		if _, err := svc.CreateGroup(ctx, d, map[string]any{"displayName": fmt.Sprintf("Group %03d", g), "members": ms}); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("loaded %d users, %d groups in %v", users, groups, time.Since(start).Round(time.Millisecond))
	// The deep page starts after the 40,000th user in creation order.
	p, err := st.ListUsers(ctx, d.ID, directory.Query{Offset: 39999, Limit: 1})
	if err != nil {
		b.Fatal(err)
	}
	deep := base64.RawURLEncoding.EncodeToString([]byte(p.Users[0].ID))
	h := (&mgmtapi.Handler{Service: svc, Logger: svc.Logger, APIKey: bootstrapKey}).Routes()
	base := "/api/v1/directories/" + d.ID + "/users?page_size=100"
	for _, bc := range []struct{ name, path string }{
		{"FirstPage", base},
		{"DeepPage", base + "&page_token=" + deep},
		{"GroupFilter", base + "&group_id=" + groupID(b, st, d.ID)},
		{"Search", base + "&q=family4"},
		{"SearchFew", base + "&q=USER4321"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var total time.Duration
			for i := 0; i < b.N; i++ {
				req := httptest.NewRequest("GET", bc.path, nil)
				req.Header.Set("Authorization", "Bearer "+bootstrapKey)
				rec := httptest.NewRecorder()
				t0 := time.Now()
				h.ServeHTTP(rec, req)
				total += time.Since(t0)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", bc.path, rec.Code, rec.Body)
				}
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/page")
		})
	}
}

func groupID(b *testing.B, st directory.Store, dirID string) string {
	p, err := st.ListGroups(context.Background(), dirID, directory.Query{Offset: 100, Limit: 1})
	if err != nil {
		b.Fatal(err)
	}
	return p.Groups[0].ID
}
