package sqlstore

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/testpg"
)

// BenchmarkPostgresSeal measures what sealing b.N events (numbering and
// naming them, dialect_postgres.go) costs PostgreSQL: the backend's CPU
// per event (from /proc, PostgreSQL on this machine) and the wall time;
// and, for comparison, the backend's CPU per user create (one at a time).
// The events are those of user creates made with the timer stopped, sealed
// batch at a time (the server's sealer runs every few milliseconds: small
// batches).
//
//	SCIMBRIDGE_TEST_POSTGRES_URL=postgres://… go test -run '^$' -bench PostgresSeal -benchtime 5000x ./internal/sqlstore/
func BenchmarkPostgresSeal(b *testing.B) {
	if os.Getenv("SCIMBRIDGE_TEST_POSTGRES_URL") == "" {
		b.Skip("set SCIMBRIDGE_TEST_POSTGRES_URL")
	}
	ctx := context.Background()
	s, svc, dir := benchDirectory(b, testpg.Schema(b))
	d, ok := s.d.(*postgresDialect)
	if !ok {
		b.Fatal("not PostgreSQL")
	}
	s.write.SetMaxOpenConns(1) // every statement runs on the connection whose backend is measured
	var pid int
	if err := s.write.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		b.Fatal(err)
	}
	if err := d.seal(ctx); err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, batch := range []int{1, 20, 200, 1000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			var cpu, create time.Duration
			b.StopTimer()
			for done := 0; done < b.N; done += batch {
				cpu0 := backendCPU(b, pid)
				for range min(batch, b.N-done) {
					n++
					if _, err := svc.CreateUser(ctx, dir, map[string]any{"userName": fmt.Sprintf("user%d@example.com", n)}); err != nil {
						b.Fatal(err)
					}
				}
				create += backendCPU(b, pid) - cpu0
				cpu0 = backendCPU(b, pid)
				b.StartTimer()
				if err := d.seal(ctx); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				cpu += backendCPU(b, pid) - cpu0
			}
			b.ReportMetric(float64(cpu)/float64(time.Microsecond)/float64(b.N), "pg-cpu-µs/event")
			b.ReportMetric(float64(create)/float64(time.Microsecond)/float64(b.N), "pg-cpu-µs/create")
		})
	}
}

// backendCPU is the user and system CPU time of process pid so far.
func backendCPU(b *testing.B, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Skipf("PostgreSQL backend not on this machine: %v", err)
	}
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
	ut, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return time.Duration(ut+st) * 10 * time.Millisecond
}
