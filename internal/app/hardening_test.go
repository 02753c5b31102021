package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/app"
	"github.com/scimbridge/scimbridge/internal/config"
)

// lockedBuffer is a log sink safe for concurrent use; it signals on
// requests each access log line ("http request"), which is written once
// a request's handler, error rendering included, has finished.
type lockedBuffer struct {
	mu       sync.Mutex
	b        bytes.Buffer
	requests chan struct{}
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if bytes.Contains(p, []byte(`msg="http request"`)) {
		l.requests <- struct{}{}
	}
	return l.b.Write(p)
}

// waitRequests waits until n more requests have been logged.
func (l *lockedBuffer) waitRequests(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-l.requests:
		case <-time.After(10 * time.Second):
			t.Fatalf("request not logged within 10s:\n%s", l.String())
		}
	}
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startLimited serves an app with the given limits, logging at debug level
// into the returned buffer.
func startLimited(t *testing.T, lim app.Limits) (*app.App, string, *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg := config.Config{DataDir: filepath.Join(t.TempDir(), "data"), Addr: ln.Addr().String(), PublicURL: base,
		APIKey: strings.Repeat("k", 40), LogLevel: "debug", LogFormat: "text", ShutdownTimeout: 10 * time.Second}
	logs := &lockedBuffer{requests: make(chan struct{}, 100)}
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	a.Limits = lim
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		a.Close()
	})
	return a, base, logs
}

// A client that stops sending its body times out: one WARN line says so,
// and there is no ERROR line and no "superfluous WriteHeader" noise.
func TestClientTimeoutLogging(t *testing.T) {
	a, base, logs := startLimited(t, app.Limits{ReadTimeout: 300 * time.Millisecond})
	scim, token := provision(t, a, base)
	for _, target := range []struct{ path, auth string }{
		{strings.TrimPrefix(scim, base) + "/Users", "Bearer " + token},
		{"/api/v1/organizations", "Bearer " + strings.Repeat("k", 40)},
	} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		// Headers and half of the body, then nothing: the server's
		// ReadTimeout ends the request.
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Type: application/scim+json\r\nContent-Length: 100\r\n\r\n{\"userName\":", target.path, target.auth)
		io.Copy(io.Discard, conn)
		conn.Close()
		logs.waitRequests(t, 1)
	}
	out := logs.String()
	if strings.Contains(out, "level=ERROR") {
		t.Errorf("a client timeout is logged at ERROR:\n%s", out)
	}
	if strings.Contains(out, "superfluous") {
		t.Errorf("a client timeout is logged with superfluous WriteHeader noise:\n%s", out)
	}
	if n := strings.Count(out, "level=WARN msg=\"client timed out or disconnected\""); n != 2 {
		t.Errorf("%d WARN lines for the two client timeouts, want 2:\n%s", n, out)
	}
}

// A response that cannot be written (the write deadline has passed, as for
// a client that stopped reading) is one WARN line, not an ERROR line and
// a "superfluous response.WriteHeader call" from writing an error after
// the response had started.
func TestWriteTimeoutLogging(t *testing.T) {
	// A write timeout of 1ns has always passed when the handler writes.
	a, base, logs := startLimited(t, app.Limits{WriteTimeout: time.Nanosecond})
	scim, token := provision(t, a, base)
	ctx := context.Background()
	dirID := scim[strings.LastIndex(scim, "/")+1:]
	d, err := a.Store.GetDirectory(ctx, dirID)
	if err != nil {
		t.Fatal(err)
	}
	// Enough users that a page of them overflows the server's write
	// buffers, so that the handler's own Write fails.
	for i := range 60 {
		name := fmt.Sprintf("user%02d@example.com", i)
		if _, err := a.Service.CreateUser(ctx, d, map[string]any{
			"userName": name, "name": map[string]any{"givenName": strings.Repeat("G", 40), "familyName": strings.Repeat("F", 40)},
			"emails": []any{map[string]any{"value": name, "type": "work", "primary": true}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	for _, target := range []struct{ url, auth string }{
		{scim + "/Users?count=100", "Bearer " + token},
		{base + "/api/v1/directories/" + dirID + "/users?page_size=100", "Bearer " + strings.Repeat("k", 40)},
	} {
		req, _ := http.NewRequest("GET", target.url, nil)
		req.Header.Set("Authorization", target.auth)
		if resp, err := http.DefaultClient.Do(req); err != nil {
			t.Logf("%s: %v", target.url, err)
		} else {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		logs.waitRequests(t, 1)
	}
	out := logs.String()
	if strings.Contains(out, "level=ERROR") {
		t.Errorf("a write timeout is logged at ERROR:\n%s", out)
	}
	if strings.Contains(out, "superfluous") {
		t.Errorf("a write timeout is logged with superfluous WriteHeader noise:\n%s", out)
	}
	if n := strings.Count(out, "level=WARN msg=\"client timed out or disconnected\""); n != 2 {
		t.Errorf("%d WARN lines for the two write timeouts, want 2:\n%s", n, out)
	}
}

// A URL longer than the header limit (64 KiB) gets the surface's error:
// a SCIM error body on /scim/v2, JSON on /api/v1 (it used to be Go's
// plain-text 431).
func TestLongURL431(t *testing.T) {
	a, base, logs := startLimited(t, app.Limits{})
	scim, token := provision(t, a, base)
	long := strings.Repeat("a", 70<<10)
	for _, c := range []struct{ url, auth, contentType, want string }{
		{scim + `/Users?filter=userName%20eq%20%22` + long + `%22`, "Bearer " + token, "application/scim+json", `"status":"431"`},
		{base + "/api/v1/organizations?x=" + long, "Bearer " + strings.Repeat("k", 40), "application/json", `"header_too_large"`},
	} {
		req, _ := http.NewRequest("GET", c.url, nil)
		req.Header.Set("Authorization", c.auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("status %d, want 431: %.200s", resp.StatusCode, body)
		}
		if ct := resp.Header.Get("Content-Type"); ct == c.contentType {
			logs.waitRequests(t, 1) // answered by the surface, which logs
		}
		if ct := resp.Header.Get("Content-Type"); ct != c.contentType {
			t.Errorf("Content-Type %q, want %q: %.200s", ct, c.contentType, body)
		}
		if !strings.Contains(string(body), c.want) {
			t.Errorf("body %.300s, want it to contain %s", body, c.want)
		}
	}
	// Headers within the limit are served.
	req, _ := http.NewRequest("GET", scim+"/Users", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Padding", strings.Repeat("a", 60<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("60 KiB of headers: status %d, want 200: %.300s", resp.StatusCode, body)
	}
}
