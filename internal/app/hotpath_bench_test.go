package app_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/scimbridge/scimbridge/internal/config"
	"github.com/scimbridge/scimbridge/internal/testenv"
	"github.com/scimbridge/scimbridge/internal/testpg"
)

// BenchmarkHotPath measures, in process and on one goroutine, the SCIM
// requests IdPs send most through the app's whole handler chain (metrics,
// request ids, access log, request log, authentication, SQLite store),
// without the network: its allocations per request are the steadiest
// before/after figure on a shared machine (docs/performance.md, "Hot
// path").
//
//	go test -run '^$' -bench HotPath -benchmem ./internal/app/
func BenchmarkHotPath(b *testing.B) {
	benchHotPath(b, nil)
}

// BenchmarkHotPathPostgres is BenchmarkHotPath on PostgreSQL (no token
// cache, no rendered-resource cache: a GET is one statement, the token
// and the user together).
//
//	SCIMBRIDGE_TEST_POSTGRES_URL=postgres://… go test -run '^$' -bench 'HotPathPostgres/(GetUser|Filter)' -benchmem ./internal/app/
func BenchmarkHotPathPostgres(b *testing.B) {
	if os.Getenv(testpg.Env) == "" {
		b.Skip("set " + testpg.Env)
	}
	benchHotPath(b, func(cfg *config.Config) { cfg.Database = testenv.PostgresURL(b) })
}

func benchHotPath(b *testing.B, change func(*config.Config)) {
	a, base, cancel, done := startBWith(b, change)
	defer func() { cancel(); <-done }()
	scim, token := provision(b, a, base)
	h := a.Handler()
	path := strings.TrimPrefix(scim, base)
	do := func(method, target, body string) *httptest.ResponseRecorder {
		var req *http.Request
		if body != "" {
			req = httptest.NewRequest(method, target, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/scim+json")
		} else {
			req = httptest.NewRequest(method, target, nil)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	user := func(i int) string {
		return fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"User.%07d@Example.com","externalId":"00u%07d","name":{"givenName":"Given%d","familyName":"Family%d"},"displayName":"Given%d Family%d","emails":[{"primary":true,"value":"user.%07d@example.com","type":"work"}],"active":true,"groups":[]}`, i, i, i, i, i, i, i)
	}
	const n = 1000
	ids := make([]string, n)
	for i := range ids {
		rec := do("POST", path+"/Users", user(i))
		if rec.Code != http.StatusCreated {
			b.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
		_, rest, _ := strings.Cut(rec.Body.String(), `"id":"`)
		ids[i], _, _ = strings.Cut(rest, `"`)
	}
	run := func(name string, want int, req func(i int) (string, string, string)) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				m, p, body := req(i)
				if rec := do(m, p, body); rec.Code != want {
					b.Fatalf("%s %s: %d %s", m, p, rec.Code, rec.Body)
				}
			}
		})
	}
	run("GetUser", 200, func(i int) (string, string, string) { return "GET", path + "/Users/" + ids[i%n], "" })
	run("FilterUserName", 200, func(i int) (string, string, string) {
		return "GET", path + "/Users?filter=" + url.QueryEscape(fmt.Sprintf(`userName eq "User.%07d@Example.com"`, i%n)), ""
	})
	run("List100", 200, func(i int) (string, string, string) {
		return "GET", path + fmt.Sprintf("/Users?startIndex=%d&count=100", 1+(i*100)%(n-100)), ""
	})
	run("PatchUser", 200, func(i int) (string, string, string) {
		return "PATCH", path + "/Users/" + ids[i%n], fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Patched %d"}]}`, i)
	})
	next := n
	run("CreateUser", 201, func(i int) (string, string, string) {
		next++
		return "POST", path + "/Users", user(next)
	})
}
