package sqlstore

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
	"github.com/scimbridge/scimbridge/internal/testpg"
)

// BenchmarkStoreCreateUsers measures the write path under the store alone
// (no HTTP): 8 goroutines create users through the Service on SQLite with
// synchronous=FULL (or PostgreSQL with SCIMBRIDGE_BENCH_POSTGRES=1), and the
// process CPU time per user is reported, which stays meaningful on a
// machine busy with other work:
//
//	go test -run '^$' -bench StoreCreateUsers -benchtime 20000x ./internal/sqlstore/
func BenchmarkStoreCreateUsers(b *testing.B) {
	ctx := context.Background()
	dsn := filepath.Join(b.TempDir(), "bench.db")
	if os.Getenv("SCIMBRIDGE_BENCH_POSTGRES") != "" {
		dsn = testpg.Schema(b) // set SCIMBRIDGE_BENCH_POSTGRES=1 and SCIMBRIDGE_TEST_POSTGRES_URL
	}
	_, svc, dir := benchDirectory(b, dsn)
	var n atomic.Int64
	cpu0 := cpuTime()
	b.ResetTimer()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := n.Add(1)
				if i > int64(b.N) {
					return
				}
				doc := map[string]any{"userName": fmt.Sprintf("user%d@example.com", i), "name": map[string]any{"givenName": "G", "familyName": "F"},
					"emails": []any{map[string]any{"value": fmt.Sprintf("user%d@example.com", i), "type": "work", "primary": true}}, "active": true}
				if _, err := svc.CreateUser(ctx, dir, doc); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Microsecond)/float64(b.N), "cpu-µs/user")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "users/s")
}

// benchDirectory opens and migrates the store at dsn and returns it with a
// service over it and a directory of a new organization, for the
// benchmarks. The store is closed when b ends.
func benchDirectory(b *testing.B, dsn string) (*Store, *directory.Service, directory.Directory) {
	b.Helper()
	ctx := context.Background()
	s, err := Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	svc := &directory.Service{Store: s, Schemas: schema.New(), IDs: directory.IDs{Now: time.Now, Rand: rand.Reader},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	org, err := svc.CreateOrganization(ctx, "Bench", "")
	if err != nil {
		b.Fatal(err)
	}
	dir, err := svc.CreateDirectory(ctx, org.ID, "okta", "")
	if err != nil {
		b.Fatal(err)
	}
	return s, svc, dir
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkStoreUpdateUsers is BenchmarkStoreCreateUsers for PATCHes that
// change one attribute of existing users (1,000 of them, round robin): the
// path the deprovisioning guard's lookup adds to (holds.go).
//
//	go test -run '^$' -bench StoreUpdateUsers -benchtime 20000x ./internal/sqlstore/
func BenchmarkStoreUpdateUsers(b *testing.B) {
	ctx := context.Background()
	dsn := filepath.Join(b.TempDir(), "bench.db")
	if os.Getenv("SCIMBRIDGE_BENCH_POSTGRES") != "" {
		dsn = testpg.Schema(b)
	}
	_, svc, dir := benchDirectory(b, dsn)
	ids := make([]string, 1000)
	for i := range ids {
		u, err := svc.CreateUser(ctx, dir, map[string]any{"userName": fmt.Sprintf("user%d@example.com", i), "active": true})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = u.ID
	}
	var n atomic.Int64
	cpu0 := cpuTime()
	b.ResetTimer()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := n.Add(1)
				if i > int64(b.N) {
					return
				}
				body := []byte(fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"t%d"}]}`, i))
				if _, _, err := svc.PatchUser(ctx, dir, ids[i%int64(len(ids))], body, ""); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
}
