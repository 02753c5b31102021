package mgmtapi

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/scimbridge/scimbridge/docs"
	"github.com/scimbridge/scimbridge/internal/apitest"
	"github.com/scimbridge/scimbridge/internal/testenv"
)

var pathParam = regexp.MustCompile(`\{[^}]*\}`)

func normalisePath(p string) string { return pathParam.ReplaceAllString(p, "{}") }

// TestOpenAPIMatchesRoutes fails when a route is served that the document
// lacks, or the document has an operation that is not served. The
// document's operations come from the OpenAPI library's parse of it.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	spec, err := apitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, item := range spec.Doc.Paths.Map() {
		for method := range item.Operations() {
			documented[strings.ToUpper(method)+" "+normalisePath(path)] = true
		}
	}
	if len(documented) < 20 {
		t.Fatalf("docs/openapi.yaml: only %d operations parsed", len(documented))
	}
	served := map[string]int{}
	for _, pattern := range (&Handler{}).routeList() {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			t.Fatalf("route %q has no method", pattern)
		}
		served[method+" "+normalisePath(path)]++
	}
	var missing, extra, dup []string
	for op, n := range served {
		if !documented[op] {
			missing = append(missing, op)
		}
		if n > 1 {
			dup = append(dup, op)
		}
	}
	for op := range documented {
		if served[op] == 0 {
			extra = append(extra, op)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	slices.Sort(dup)
	if len(missing) > 0 {
		t.Errorf("routes served but not in docs/openapi.yaml:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("operations in docs/openapi.yaml that no route serves:\n  %s", strings.Join(extra, "\n  "))
	}
	if len(dup) > 0 {
		t.Errorf("routes registered more than once:\n  %s", strings.Join(dup, "\n  "))
	}
}

// TestOpenAPIServed checks GET /api/v1/openapi.yaml returns the file, and
// only with an API key.
func TestOpenAPIServed(t *testing.T) {
	st := testenv.Store(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := testenv.Service(st)
	const key = "test-bootstrap-key-0123456789abcdef0123"
	srv := httptest.NewServer(apitest.Validate(t, (&Handler{Service: svc, Logger: logger, APIKey: key}).Routes()))
	t.Cleanup(srv.Close)

	get := func(withKey bool) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/openapi.yaml", nil)
		if withKey {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	resp, body := get(true)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/yaml" {
		t.Fatalf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !bytes.Equal(body, docs.OpenAPI()) {
		t.Fatal("the served document differs from docs/openapi.yaml")
	}
	if resp, _ := get(false); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without a key: status %d, want 401", resp.StatusCode)
	}
}
