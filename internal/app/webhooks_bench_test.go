package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// BenchmarkCreateUsersWithWebhook is BenchmarkCreateUsers with one active
// webhook endpoint: the worker delivers every user_created event to a
// receiver on loopback while the users are created.
//
//	go test -run '^$' -bench CreateUsers -cpu 8 -benchtime 10000x ./internal/app/
func BenchmarkCreateUsersWithWebhook(b *testing.B) {
	a, base, cancel, done := startB(b)
	defer func() { cancel(); <-done }()
	var got atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		got.Add(1)
		w.WriteHeader(204)
	}))
	defer rcv.Close()
	if _, _, err := a.Webhooks.CreateWebhookEndpoint(context.Background(), directory.WebhookEndpointInput{URL: rcv.URL}); err != nil {
		b.Fatal(err)
	}
	scim, token := provision(b, a, base)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var n atomic.Int64
	b.ResetTimer()
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
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "users/s")
	b.StopTimer()
	for deadline := time.Now().Add(time.Minute); got.Load() < int64(b.N) && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if got.Load() < int64(b.N) {
		b.Errorf("%d of %d events delivered", got.Load(), b.N)
	}
}
