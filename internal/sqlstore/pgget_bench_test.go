package sqlstore

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/testpg"
)

// BenchmarkPostgresGetUser measures GET /Users/{id}'s read on PostgreSQL
// as the SCIM surface makes it (AuthenticateSCIMUser: the token, its
// directory and the user with its groups in one statement), one at a
// time on one connection: this process's CPU per read (Go: pgx,
// scanning, decoding), the backend's (from /proc, PostgreSQL on this
// machine) and allocations. Half the users are in two groups.
//
//	SCIMBRIDGE_TEST_POSTGRES_URL=postgres://… go test -run '^$' -bench PostgresGetUser -benchmem ./internal/sqlstore/
func BenchmarkPostgresGetUser(b *testing.B) {
	if os.Getenv("SCIMBRIDGE_TEST_POSTGRES_URL") == "" {
		b.Skip("set SCIMBRIDGE_TEST_POSTGRES_URL")
	}
	ctx := context.Background()
	s, svc, dir := benchDirectory(b, testpg.Schema(b))
	_, secret, err := svc.CreateToken(ctx, dir.ID, time.Time{})
	if err != nil {
		b.Fatal(err)
	}
	var groups []string
	for i := range 2 {
		g, err := svc.CreateGroup(ctx, dir, map[string]any{"displayName": fmt.Sprintf("team %d", i)})
		if err != nil {
			b.Fatal(err)
		}
		groups = append(groups, g.ID)
	}
	var ids []string
	for i := range 200 {
		u, err := svc.CreateUser(ctx, dir, map[string]any{"userName": fmt.Sprintf("user%d@example.com", i),
			"name":   map[string]any{"givenName": "Given", "familyName": fmt.Sprintf("Family%d", i)},
			"emails": []any{map[string]any{"value": fmt.Sprintf("user%d@example.com", i), "type": "work", "primary": true}}})
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, u.ID)
		if i%2 == 0 {
			for _, g := range groups {
				if _, err := svc.PatchGroup(ctx, dir, g, []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
					"Operations":[{"op":"add","path":"members","value":[{"value":"`+u.ID+`"}]}]}`), ""); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	if _, err := s.read.ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	s.read.SetMaxOpenConns(1) // every statement runs on the connection whose backend is measured
	var pid int
	if err := s.read.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		b.Fatal(err)
	}
	get := func(i int) {
		_, _, ur, err := svc.AuthenticateSCIMUser(ctx, dir.ID, secret, ids[i%len(ids)])
		if err != nil || ur == nil || ur.Err != nil {
			b.Fatalf("read: %v, %+v", err, ur)
		}
	}
	for i := range 20 { // pgx's statement cache, the touches
		get(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, pg0 := selfCPU(b), backendCPU(b, pid)
	for i := range b.N {
		get(i)
	}
	b.StopTimer()
	b.ReportMetric(float64(selfCPU(b)-cpu0)/float64(time.Microsecond)/float64(b.N), "go-cpu-µs/op")
	b.ReportMetric(float64(backendCPU(b, pid)-pg0)/float64(time.Microsecond)/float64(b.N), "pg-cpu-µs/op")
}

// selfCPU is this process's user and system CPU time so far.
func selfCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
