package cli

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe to read while a command writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestEventsTail follows the feed while changes happen over the API, and
// lists and reads events.
func TestEventsTail(t *testing.T) {
	env, _ := apiServer(t)
	org := jsonField(t, env, "id", "orgs", "create", "--name", "Acme")
	dir := jsonField(t, env, "id", "directories", "create", org, "--provider", "okta")
	mustRun(t, env, "directories", "disable", dir) // before the tail starts: not shown

	// The tail talks to the server through a proxy that reports when the
	// tail's first request (reading the newest cursor) has been answered:
	// a change made after that is after the cursor.
	target, err := url.Parse(env["SCIMBRIDGE_SERVER"])
	if err != nil {
		t.Fatal(err)
	}
	answered := make(chan struct{})
	var once sync.Once
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rp.ServeHTTP(w, r)
		once.Do(func() { close(answered) })
	}))
	defer proxy.Close()
	tailEnv := map[string]string{"SCIMBRIDGE_SERVER": proxy.URL, "SCIMBRIDGE_API_KEY": env["SCIMBRIDGE_API_KEY"]}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb lockedBuffer
	done := make(chan int)
	go func() {
		done <- Run(ctx, []string{"events", "tail", "--poll", "20ms"}, Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return tailEnv[k] }})
	}()
	select {
	case <-answered:
	case code := <-done:
		t.Fatalf("events tail exited %d before reading the feed: %s", code, errb.String())
	}
	mustRun(t, env, "directories", "enable", dir)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "organization.directory_enabled") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("events tail exited %d: %s", code, errb.String())
	}
	got := out.String()
	if !strings.Contains(got, "organization.directory_enabled") || !strings.Contains(got, dir) {
		t.Errorf("events tail printed:\n%s", got)
	}
	if strings.Contains(got, "directory_disabled") {
		t.Errorf("events tail printed an event from before it started:\n%s", got)
	}
	all := mustRun(t, env, "events", "list", "--directory", dir)
	if !strings.Contains(all, "directory_disabled") || !strings.Contains(all, "directory_enabled") {
		t.Errorf("events list:\n%s", all)
	}
	id := jsonField(t, env, "id", "events", "list", "--limit", "1", "--types", "organization.directory_disabled")
	if !strings.HasPrefix(id, "evt_") {
		t.Fatalf("events list --json: id %q", id)
	}
	if ev := mustRun(t, env, "events", "get", id); !strings.Contains(ev, `"organization.directory_disabled"`) {
		t.Errorf("events get:\n%s", ev)
	}
	if code, _, stderr := run(t, env, "events", "list", "--types", "nope"); code == 0 || !strings.Contains(stderr, "not an event type") {
		t.Errorf("events list --types nope: exit %d, %s", code, stderr)
	}
}
