package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
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
	b.ResetTimer()
	createUsersParallel(b, scim, token)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "users/s")
	b.StopTimer()
	for deadline := time.Now().Add(time.Minute); got.Load() < int64(b.N) && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if got.Load() < int64(b.N) {
		b.Errorf("%d of %d events delivered", got.Load(), b.N)
	}
}
