package app_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/app"
	"github.com/scimbridge/scimbridge/internal/config"
	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/testenv"
)

// TestRequestLogStoresUnstorableText sends SCIM requests whose raw query
// string and User-Agent are not UTF-8 (HTTP allows such bytes; PostgreSQL
// text does not): each request is still logged, with the bad bytes
// replaced, and a batch holding one is not lost with it.
func TestRequestLogStoresUnstorableText(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cfg := config.Config{DataDir: filepath.Join(t.TempDir(), "data"), APIKey: strings.Repeat("k", 40),
				LogLevel: "warn", LogFormat: "text", ShutdownTimeout: 10 * time.Second, RequestLog: true, RequestLogRetention: time.Hour}
			if backend == "postgres" {
				cfg.Database = testenv.PostgresURL(t)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			base := "http://" + ln.Addr().String()
			cfg.Addr, cfg.PublicURL = ln.Addr().String(), base
			a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
			done := make(chan error, 1)
			go func() { done <- a.Serve(ctx, ln) }()
			scim, token := provision(t, a, base)
			path := strings.TrimPrefix(scim, base)
			for _, raw := range []string{
				"GET " + path + "/Users?filter=userName%20eq%20%22caf\xe9%22 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\nUser-Agent: ok\r\nConnection: close\r\n\r\n",
				"GET " + path + "/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\nUser-Agent: caf\xe9-client\r\nConnection: close\r\n\r\n",
				"GET " + path + "/Users?count=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\nUser-Agent: ok\r\nConnection: close\r\n\r\n",
			} {
				c, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				if _, err := io.WriteString(c, raw); err != nil {
					t.Fatal(err)
				}
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				c.Close()
				if resp.StatusCode >= 500 {
					t.Errorf("%q: %d", raw[:40], resp.StatusCode)
				}
			}
			cancel() // Serve stores what the request log has queued before it returns
			if err := <-done; err != nil {
				t.Fatalf("Serve: %v", err)
			}
			dirID := path[strings.LastIndex(path, "/")+1:]
			es, err := a.Store.ListRequests(context.Background(), dirID, directory.RequestQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if len(es) != 3 {
				t.Fatalf("the request log holds %d entries, want 3: %+v", len(es), es)
			}
			var sawPath, sawAgent bool
			for _, e := range es {
				sawPath = sawPath || strings.Contains(e.Path, "caf\uFFFD")
				sawAgent = sawAgent || e.UserAgent == "caf\uFFFD-client"
			}
			if !sawPath || !sawAgent {
				t.Errorf("the bad bytes are not replaced with U+FFFD: %+v", es)
			}
		})
	}
}
