package scimapi_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scimapi"
)

// newLoggedEnv is newEnv with the request log on; stop writes what is
// queued and returns once the logger has stopped.
func newLoggedEnv(t *testing.T, configure ...func(*scimapi.Handler)) (e *env, stop func()) {
	t.Helper()
	var l *directory.RequestLogger
	e = newEnv(t, append([]func(*scimapi.Handler){func(h *scimapi.Handler) {
		l = &directory.RequestLogger{Store: h.Service.Store, Logger: h.Service.Logger, IDs: h.Service.IDs, FlushEvery: 10 * time.Millisecond}
		h.RequestLog = l
	}}, configure...)...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("RequestLogger.Run: %v", err)
		}
	}
	t.Cleanup(stop)
	return e, stop
}

func (e *env) requests(dirID string) []directory.RequestLog {
	e.t.Helper()
	es, err := e.store.ListRequests(context.Background(), dirID, directory.RequestQuery{Limit: 1000})
	if err != nil {
		e.t.Fatalf("ListRequests: %v", err)
	}
	return es
}

// TestRequestLogRecordsAndRedacts sends requests carrying passwords and
// tokens in every place an IdP could put them, then checks what the log
// holds, and that no secret appears in the log or in any response.
func TestRequestLogRecordsAndRedacts(t *testing.T) {
	e, stop := newLoggedEnv(t)
	otherDir, otherToken := e.newDirectory()
	secrets := []string{e.token, otherToken, "Sup3r-Secret-pw!", "Patch-Secret-1", "Patch-Secret-2", "Bulk-Secret-3", "Cut-Secret-4"}
	var responses []*response
	do := func(method, path string, body any, headers ...string) *response {
		r := e.do(method, path, body, headers...)
		responses = append(responses, r)
		return r
	}

	created := do("POST", "Users", map[string]any{"schemas": []string{logUserSchema}, "userName": "ann@example.com", "password": "Sup3r-Secret-pw!"})
	if created.status != 201 {
		t.Fatalf("create: %d %s", created.status, created.raw)
	}
	id := created.str("id")
	do("PATCH", "Users/"+id, map[string]any{"schemas": []string{logPatchSchema},
		"Operations": []any{map[string]any{"op": "replace", "path": "password", "value": "Patch-Secret-1"}}})
	do("PATCH", "Users/"+id, map[string]any{"schemas": []string{logPatchSchema},
		"Operations": []any{map[string]any{"op": "Replace", "value": map[string]any{"password": "Patch-Secret-2", "active": false}}}})
	do("POST", "Bulk", map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"},
		"Operations": []any{map[string]any{"method": "POST", "path": "/Users", "bulkId": "b1",
			"data": map[string]any{"schemas": []string{logUserSchema}, "userName": "bob@example.com", "password": "Bulk-Secret-3"}}}})
	do("GET", `Users?filter=userName%20eq%20%22`+otherToken+`%22`, nil)
	// A body over the cap is cut, and a cut body that mentions a password
	// is not kept at all.
	long := `{"schemas":["` + logUserSchema + `"],"password":"Cut-Secret-4","userName":"cut@example.com","title":"` + strings.Repeat("x", scimapi.MaxLoggedBody) + `"}`
	do("POST", "Users", long)
	// A wrong token for an existing directory: logged (401).
	do("GET", "Users", nil, "Authorization", "Bearer "+otherToken)
	// Unknown directory: not logged anywhere.
	do("GET", "/scim/v2/dir_nope/Users", nil)
	// The other directory's own request goes to its own log.
	do("GET", e.srv.URL+"/scim/v2/"+otherDir+"/Users", nil, "Authorization", "Bearer "+otherToken)
	// A request is recorded when its handler returns, which can be just
	// after the client has its response: close the server (it waits for
	// every handler, as the app's graceful shutdown does) before stopping
	// the logger.
	e.srv.Close()
	stop()

	got := e.requests(e.dir)
	var summary []string
	for _, r := range got {
		summary = append(summary, r.Method+" "+strings.SplitN(r.Path, "?", 2)[0]+" "+strconv.Itoa(r.Status))
	}
	want := []string{
		"GET /scim/v2/" + e.dir + "/Users 401",
		"POST /scim/v2/" + e.dir + "/Users 201",
		"GET /scim/v2/" + e.dir + "/Users 200",
		"POST /scim/v2/" + e.dir + "/Bulk 200",
		"PATCH /scim/v2/" + e.dir + "/Users/" + id + " 200",
		"PATCH /scim/v2/" + e.dir + "/Users/" + id + " 200",
		"POST /scim/v2/" + e.dir + "/Users 201",
	}
	if strings.Join(summary, "\n") != strings.Join(want, "\n") {
		t.Errorf("log, newest first:\n%s\nwant:\n%s", strings.Join(summary, "\n"), strings.Join(want, "\n"))
	}
	if len(got) == len(want) {
		first := got[len(got)-1]
		if !strings.Contains(first.RequestBody, `"userName":"ann@example.com"`) || !strings.Contains(first.RequestBody, `"password":"[REDACTED]"`) {
			t.Errorf("create request body = %s", first.RequestBody)
		}
		if !strings.Contains(first.ResponseBody, id) || first.RequestID == "" || first.UserAgent == "" || first.RemoteAddr == "" || first.Duration <= 0 {
			t.Errorf("create entry incomplete: %+v", first)
		}
		cut := got[1]
		if !cut.RequestTruncated || !cut.ResponseTruncated || !strings.HasPrefix(cut.RequestBody, "[REDACTED") || len(cut.ResponseBody) != scimapi.MaxLoggedBody {
			t.Errorf("cut entry: truncated %v/%v, body %.80q", cut.RequestTruncated, cut.ResponseTruncated, cut.RequestBody)
		}
	}
	if other := e.requests(otherDir); len(other) != 1 || other[0].Status != 200 {
		t.Errorf("other directory's log: %d entries, want its one request", len(other))
	}
	if _, err := e.store.ListRequests(context.Background(), "dir_nope", directory.RequestQuery{}); !directory.IsNotFound(err) {
		t.Errorf("ListRequests(dir_nope) = %v, want not found", err)
	}
	stored, err := json.Marshal(append(got, e.requests(otherDir)...))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if strings.Contains(string(stored), s) {
			t.Errorf("the request log holds the secret %q", s)
		}
		for _, r := range responses {
			if strings.Contains(string(r.raw), s) {
				t.Errorf("a response body holds the secret %q: %s", s, r.raw)
			}
		}
	}
}

// TestRequestLogOff checks that a handler without a request log still
// serves (the log is optional).
func TestRequestLogOff(t *testing.T) {
	e := newEnv(t)
	if r := e.do("GET", "Users", nil); r.status != 200 {
		t.Fatalf("GET Users: %d", r.status)
	}
	if got := e.requests(e.dir); len(got) != 0 {
		t.Errorf("no request log configured, yet %d entries", len(got))
	}
}

const (
	logUserSchema  = "urn:ietf:params:scim:schemas:core:2.0:User"
	logPatchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)
