package scimapi_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scimapi"
)

// TestRefusedFloodStoresBoundedBytes: a flood of bad-token requests with
// 30 KB query strings and User-Agents to an existing directory stores a
// few compact entries and one summary that counts the rest, not the
// requests in full.
func TestRefusedFloodStoresBoundedBytes(t *testing.T) {
	// 429s are not held here, to keep the test fast.
	e, stop := newLoggedEnv(t, func(h *scimapi.Handler) { h.AuthFailureDelay = -1 })
	const n = 200
	huge := strings.Repeat("a", 30<<10)
	var wg sync.WaitGroup
	for c := 0; c < 8; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < n; i += 8 {
				r := e.do("GET", "Users?filter="+huge, nil, "Authorization", "Bearer scimb_dt_wrong", "User-Agent", "flood/"+huge)
				if r.status != 401 && r.status != 429 {
					t.Errorf("bad token: status %d, want 401 or 429", r.status)
				}
			}
		}()
	}
	wg.Wait()
	e.srv.Close()
	stop()
	got := e.requests(e.dir)
	var stored, counted int
	for _, r := range got {
		stored += len(r.Path) + len(r.UserAgent) + len(r.RequestBody) + len(r.ResponseBody)
		counted += max(r.Repeats, 1) // a summary stands for Repeats requests
		if r.RequestBody != "" || len(r.Path) > directory.MaxRefusedText || len(r.UserAgent) > directory.MaxRefusedText {
			t.Errorf("refused entry not compact: path %d bytes, user agent %d bytes, request body %d bytes", len(r.Path), len(r.UserAgent), len(r.RequestBody))
		}
		if r.Repeats == 0 && !strings.HasSuffix(r.Path, "…[truncated]") {
			t.Errorf("a cut path is not marked: %q", r.Path)
		}
	}
	if counted != n {
		t.Errorf("entries and summaries account for %d requests, want %d", counted, n)
	}
	if len(got) > directory.DefaultRefusedPerMinute+1 || stored > 16<<10 {
		t.Errorf("%d refused requests stored %d entries, %d bytes of text; want at most %d entries and 16 KiB",
			n, len(got), stored, directory.DefaultRefusedPerMinute+1)
	}
}

// TestAuthFailureLimit: beyond the failed-authentication limit of a source
// address or a directory the answer is 429 with Retry-After and a SCIM
// error body, while valid tokens, to that directory and to another,
// still get through.
func TestAuthFailureLimit(t *testing.T) {
	e := newEnv(t, func(h *scimapi.Handler) {
		h.AuthFailureRate, h.AuthFailureBurst, h.AuthFailureDelay = 0.001, 3, 50*time.Millisecond
	})
	otherDir, otherToken := e.newDirectory()
	for i := 0; i < 3; i++ {
		e.do("GET", "Users", nil, "Authorization", "Bearer scimb_dt_wrong").want(t, 401)
	}
	start := time.Now()
	r := e.do("GET", "Users", nil, "Authorization", "Bearer scimb_dt_wrong").want(t, 429)
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("the 429 came after %v, want it held for the delay of 50ms", d)
	}
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After = %q, want a number of seconds", r.header.Get("Retry-After"))
	}
	if !strings.Contains(r.str("detail"), "retry after") {
		t.Errorf("429 detail = %q", r.str("detail"))
	}
	// Unrouted paths are limited the same way.
	e.do("GET", "Nope", nil, "Authorization", "Bearer scimb_dt_wrong").want(t, 429)
	// Valid traffic is never limited: to the same directory from the same
	// address, and to another directory.
	for i := 0; i < 5; i++ {
		e.do("GET", "Users", nil).want(t, 200)
		e.do("GET", e.srv.URL+"/scim/v2/"+otherDir+"/Users", nil, "Authorization", "Bearer "+otherToken).want(t, 200)
	}
}

// TestRequestLogBodiesPolicy: by default a successful read is stored as
// metadata only and a write with its bodies; the directory setting "all"
// keeps the bodies of reads too, and "none" of nothing.
func TestRequestLogBodiesPolicy(t *testing.T) {
	e, stop := newLoggedEnv(t)
	id := e.createUser("ann@example.com")
	e.do("GET", "Users/"+id, nil).want(t, 200)
	set := func(b directory.RequestBodies) {
		if _, err := e.svc.UpdateDirectory(context.Background(), e.dir, directory.DirectoryChange{RequestLogBodies: &b}); err != nil {
			t.Fatal(err)
		}
	}
	set(directory.RequestBodiesAll)
	e.do("GET", "Users/"+id+"?attributes=userName", nil).want(t, 200)
	set(directory.RequestBodiesNone)
	e.do("PATCH", "Users/"+id, map[string]any{"schemas": []string{logPatchSchema},
		"Operations": []any{map[string]any{"op": "replace", "path": "active", "value": false}}}).want(t, 200)
	e.srv.Close()
	stop()
	got := e.requests(e.dir) // newest first
	if len(got) != 4 {
		t.Fatalf("%d entries, want 4", len(got))
	}
	for i, c := range []struct {
		what         string
		metadataOnly bool
	}{{"PATCH with none", true}, {"GET with all", false}, {"GET by default", true}, {"POST by default", false}} {
		r := got[i]
		hasBody := r.ResponseBody != ""
		if r.MetadataOnly != c.metadataOnly || hasBody == c.metadataOnly {
			t.Errorf("%s: metadata only %v, response body %d bytes; want metadata only %v", c.what, r.MetadataOnly, len(r.ResponseBody), c.metadataOnly)
		}
	}
	if !strings.Contains(got[3].RequestBody, "ann@example.com") {
		t.Errorf("create request body = %q", got[3].RequestBody)
	}
}
