package portal_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/portal"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
	"github.com/scimbridge/scimbridge/internal/sqlstore"
)

// BenchmarkPortalPages loads 50,000 users and 200 groups (250 members each,
// 200 of them mapped to a role) into SQLite through the Service (so every
// change also writes its event), then measures portal pages at the server
// (the handler, no network, no browser): the Users tab's first page, a
// search by email, by family name, a status filter, a group filter, a
// user's detail page, the Groups tab and the Events tab.
//
//	go test ./internal/portal -run '^$' -bench . -benchtime 50x
//
// BenchmarkPortalPagesPostgres does the same on PostgreSQL when
// SCIMBRIDGE_BENCH_POSTGRES_URL names a database (it works in a new schema
// and drops it).
func BenchmarkPortalPages(b *testing.B) {
	benchPortal(b, filepath.Join(b.TempDir(), "db.sqlite"), 32, nil)
}

func BenchmarkPortalPagesPostgres(b *testing.B) {
	base := os.Getenv("SCIMBRIDGE_BENCH_POSTGRES_URL")
	if base == "" {
		b.Skip("SCIMBRIDGE_BENCH_POSTGRES_URL is not set")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	name := fmt.Sprintf("bench_portal_%d", time.Now().UnixNano())
	if _, err := admin.Exec(`CREATE SCHEMA ` + name); err != nil {
		b.Fatal(err)
	}
	defer admin.Exec(`DROP SCHEMA ` + name + ` CASCADE`)
	u, err := url.Parse(base)
	if err != nil {
		b.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", name)
	if v := os.Getenv("SCIMBRIDGE_BENCH_PG_LOG_MS"); v != "" {
		q.Set("log_min_duration_statement", v) // to find slow statements in the server log
	}
	u.RawQuery = q.Encode()
	// After the bulk load, VACUUM ANALYZE does what autovacuum does to a
	// live database: statistics for the planner, a visibility map for
	// index-only counts.
	// 8 loaders: with 32, every write queueing on the directory's event
	// counter row made the load take 20 minutes.
	benchPortal(b, u.String(), 8, func() {
		if _, err := admin.Exec(`VACUUM ANALYZE`); err != nil {
			b.Fatal(err)
		}
	})
}

func benchPortal(b *testing.B, dsn string, loaders int, afterLoad func()) {
	const users, groups = 50000, 200
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := &directory.Service{Store: st, Schemas: schema.New(), IDs: directory.IDs{Now: time.Now, Rand: rand.Reader}, Logger: logger}
	org, err := svc.CreateOrganization(ctx, "Acme", "")
	if err != nil {
		b.Fatal(err)
	}
	d, err := svc.CreateDirectory(ctx, org.ID, "okta", "Okta")
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	ids := make([]string, users)
	var wg sync.WaitGroup
	errs := make(chan error, loaders)
	for w := 0; w < loaders; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < users; i += loaders {
				u, err := svc.CreateUser(ctx, d, map[string]any{
					"userName": fmt.Sprintf("user%05d@acme.test", i), "displayName": fmt.Sprintf("User %05d", i), "externalId": fmt.Sprint(i),
					"name":   map[string]any{"givenName": "Given", "familyName": fmt.Sprintf("Family%05d", i)},
					"emails": []any{map[string]any{"value": fmt.Sprintf("u%05d@mail.acme.test", i), "type": "work", "primary": true}},
					"active": i%10 != 0,
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
	var gids []string
	for g := 0; g < groups; g++ {
		var ms []any
		for i := g; i < users; i += groups {
			ms = append(ms, map[string]any{"value": ids[i]})
		}
		gr, err := svc.CreateGroup(ctx, d, map[string]any{"displayName": fmt.Sprintf("Group %03d", g), "members": ms})
		if err != nil {
			b.Fatal(err)
		}
		gids = append(gids, gr.ID)
	}
	var mappings []directory.RoleMapping
	for i, g := range gids {
		mappings = append(mappings, directory.RoleMapping{GroupID: g, Role: "member", Priority: i})
	}
	if err := svc.PutRoleMappings(ctx, d.ID, mappings); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d users, %d groups in %v", users, groups, time.Since(start).Round(time.Millisecond))
	if afterLoad != nil {
		afterLoad()
	}

	p := &directory.Portal{Store: st, Orgs: st, IDs: svc.IDs}
	_, tok, err := p.CreateLink(ctx, org.ID, directory.PortalShare, "")
	if err != nil {
		b.Fatal(err)
	}
	_, secret, err := p.OpenLink(ctx, tok)
	if err != nil {
		b.Fatal(err)
	}
	h, err := portal.New(portal.Handler{Service: svc, Portal: p, Logger: logger, PublicURL: "https://scim.example.com",
		Forms: &directory.PortalForms{Store: st, IDs: svc.IDs}})
	if err != nil {
		b.Fatal(err)
	}
	routes := h.Routes()
	q := "/portal/users?dir=" + d.ID
	const groupPrefix = "Group 00" // 10 groups of 250 members
	for _, bc := range []struct{ name, path, want string }{
		{"UsersFirstPage", q, "More than 10000 users"},
		{"UsersSearchEmail", q + "&q=u43210@mail", "User 43210"},
		{"UsersSearchUserName", q + "&q=USER4321", "10 users match"},
		{"UsersSearchFamilyName", q + "&q=family4999", "10 users match"},
		{"UsersInactive", q + "&status=inactive", "5000 users"},
		{"UsersGroupFilter", q + "&group=" + gids[100], "250 users"},
		{"UserDetail", "/portal/directories/" + d.ID + "/users/" + ids[43210], "Family43210"},
		{"GroupsTab", "/portal/groups?dir=" + d.ID, "200 groups"},
		{"GroupPage", "/portal/directories/" + d.ID + "/groups/" + gids[7], "250 members"},
		{"EventsTab", "/portal/events?dir=" + d.ID, "Role changed"},
		{"EventsByUserPrefix", "/portal/events?dir=" + d.ID + "&who=user4321", "Events of"},
		{"EventsByGroupPrefix", "/portal/events?dir=" + d.ID + "&who=" + url.QueryEscape(groupPrefix), "Events of"},
		{"ScimTab", "/portal/scim", "Waiting for IdP"},
		{"ProviderPage", "/portal/scim/providers/okta", "SCIM connector base URL"},
		{"DirectoryPage", "/portal/directories/" + d.ID, "Setup path"},
		{"DirectoryStatus", "/portal/directories/" + d.ID + "/status", `"state":"waiting"`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var total, worst time.Duration
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				req := httptest.NewRequest("GET", bc.path, nil)
				req.AddCookie(&http.Cookie{Name: "scimbridge_portal", Value: secret})
				rec := httptest.NewRecorder()
				t0 := time.Now()
				routes.ServeHTTP(rec, req)
				el := time.Since(t0)
				total += el
				worst = max(worst, el)
				if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), bc.want) {
					b.Fatalf("%s: %d, want 200 with %q:\n%.2000s", bc.path, rec.Code, bc.want, rec.Body)
				}
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/page")
			b.ReportMetric(float64(worst.Microseconds())/1000, "max-ms")
			// CPU time of the process per page: steadier than wall time on
			// a loaded machine.
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/page")
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
