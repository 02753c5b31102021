package app_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/app"
	"github.com/scimbridge/scimbridge/internal/config"
	"github.com/scimbridge/scimbridge/internal/directory"
)

// startLogged is startB with the request log set as given.
func startLogged(t testing.TB, requestLog bool) (*app.App, string, context.CancelFunc, chan error) {
	t.Helper()
	a, base, cancel, done, _ := startWatched(t, requestLog)
	return a, base, cancel, done
}

// startWatched is startLogged, also returning the listener the server
// runs on, which reports what the server does with connections.
func startWatched(t testing.TB, requestLog bool) (*app.App, string, context.CancelFunc, chan error, *watchedListener) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := watch(tcp)
	base := "http://" + ln.Addr().String()
	cfg := config.Config{DataDir: filepath.Join(t.TempDir(), "data"), Addr: ln.Addr().String(), PublicURL: base,
		APIKey: strings.Repeat("k", 40), LogLevel: "warn", LogFormat: "text", ShutdownTimeout: 10 * time.Second,
		RequestLog: requestLog, RequestLogRetention: time.Hour}
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	return a, base, cancel, done, ln
}

// TestRequestLogFlushedOnShutdown checks the shutdown order: a SCIM request
// still in flight when shutdown begins finishes, and the request log writes
// its entry before Serve returns.
func TestRequestLogFlushedOnShutdown(t *testing.T) {
	a, base, cancel, done, ln := startWatched(t, true)
	scim, token := provision(t, a, base)
	ln.reset() // provision's own requests do not count
	finish := startInFlight(t, ln, "POST", scim+"/Users",
		http.Header{"Authorization": {"Bearer " + token}, "Content-Type": {"application/scim+json"}},
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],`,
		`"userName":"late@example.com","password":"Late-Secret-1"}`)
	cancel()
	ln.waitClosed(t) // shutdown has begun
	resp, err := finish()
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("in-flight request: %v %v, want 201", resp, err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	dirID := scim[strings.LastIndex(scim, "/")+1:]
	es, err := a.Store.ListRequests(context.Background(), dirID, directory.RequestQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Status != 201 || !strings.Contains(es[0].RequestBody, "late@example.com") || strings.Contains(es[0].RequestBody, "Late-Secret-1") {
		t.Fatalf("request log after shutdown: %+v", es)
	}
}

// BenchmarkRequestLogOverhead measures GET /Users/{id} latency through the
// whole HTTP stack with the request log on and off, reporting the median:
//
//	go test -run '^$' -bench RequestLogOverhead -benchtime 5000x ./internal/app/
func BenchmarkRequestLogOverhead(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := map[bool]string{false: "log=off", true: "log=on"}[on]
		b.Run(name, func(b *testing.B) {
			a, base, cancel, done := startLogged(b, on)
			defer func() { cancel(); <-done }()
			scim, token := provision(b, a, base)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			do := func(method, url, body string) (int, string) {
				req, _ := http.NewRequest(method, url, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/scim+json")
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp.StatusCode, string(raw)
			}
			status, raw := do("POST", scim+"/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bench@example.com","name":{"givenName":"B","familyName":"M"},"emails":[{"value":"bench@example.com","primary":true}]}`)
			if status != 201 {
				b.Fatalf("create: %d %s", status, raw)
			}
			id := raw[strings.Index(raw, `"id":"`)+6:]
			id = id[:strings.IndexByte(id, '"')]
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if status, raw := do("GET", scim+"/Users/"+id, ""); status != 200 {
					b.Fatalf("get: %d %s", status, raw)
				}
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}

// TestRequestLogRedactsBootstrapKey: the bootstrap API key, whatever it
// looks like, and every secret format are redacted from what the log
// stores of a request, in the path, the User-Agent and the body.
func TestRequestLogRedactsBootstrapKey(t *testing.T) {
	a, base, cancel, done := startLogged(t, true)
	scim, token := provision(t, a, base)
	key := strings.Repeat("k", 40) // startLogged's bootstrap key
	secrets := []string{key, "whsec_c2VjcmV0LXNpZ25pbmcta2V5", "scimb_pl_portal-link-secret", "scimb_ak_api-key-secret"}
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"k@example.com","displayName":"` +
		strings.Join(secrets, " ") + `","pass\u0077ord":"Escaped-Secret-1"}`
	req, _ := http.NewRequest("POST", scim+"/Users?note="+secrets[0]+"&s="+secrets[1], strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	req.Header.Set("User-Agent", "idp/1.0 "+strings.Join(secrets, " "))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	dirID := scim[strings.LastIndex(scim, "/")+1:]
	es, err := a.Store.ListRequests(context.Background(), dirID, directory.RequestQuery{})
	if err != nil || len(es) != 1 {
		t.Fatalf("request log: %v %+v", err, es)
	}
	stored := es[0].Path + "\n" + es[0].UserAgent + "\n" + es[0].RequestBody + "\n" + es[0].ResponseBody
	for _, s := range append(secrets, "Escaped-Secret-1") {
		if strings.Contains(stored, s) {
			t.Errorf("the request log holds %q:\n%s", s, stored)
		}
	}
}
