package app_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// BenchmarkCreateUsers measures POST /Users through the whole HTTP stack
// with the real SQLite store (synchronous=FULL), from parallel clients:
//
//	go test -run '^$' -bench CreateUsers -cpu 8 ./internal/app/
func BenchmarkCreateUsers(b *testing.B) {
	a, base, cancel, done := startB(b)
	defer func() { cancel(); <-done }()
	scim, token := provision(b, a, base)
	b.ResetTimer()
	createUsersParallel(b, scim, token)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "users/s")
}

// createUsersParallel POSTs b.N users to a SCIM base URL from parallel
// clients, failing b on any response but 201.
func createUsersParallel(b *testing.B, scim, token string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"user%d@example.com","name":{"givenName":"G%d","familyName":"F%d"},"emails":[{"value":"user%d@example.com","type":"work","primary":true}],"active":true}`, i, i, i, i)
			req, _ := http.NewRequest("POST", scim+"/Users", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/scim+json")
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 201 {
				b.Fatalf("status %d: %s", resp.StatusCode, bytes.TrimSpace(raw))
			}
		}
	})
}
