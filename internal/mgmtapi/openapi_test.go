package mgmtapi

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
	"github.com/scimbridge/scimbridge/internal/sqlstore"
)

// openAPIOperations reads "METHOD /path" pairs out of the document with a
// line scanner for the layout docs/openapi.yaml keeps: "paths:" at column
// 0, each path as "  /api/...:" and each operation as "    get:" below it.
// Path parameters are normalised to "{}".
func openAPIOperations(t *testing.T, doc []byte) []string {
	t.Helper()
	methods := map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true,
		"head": true, "patch": true, "trace": true}
	var ops []string
	inPaths, path := false, ""
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), " \t")
		if line == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		text := strings.TrimSpace(line)
		switch {
		case indent == 0:
			inPaths = text == "paths:"
			path = ""
		case !inPaths:
		case indent == 2:
			path = strings.Trim(strings.TrimSuffix(text, ":"), `"'`)
			if !strings.HasPrefix(path, "/") || !strings.HasSuffix(text, ":") {
				t.Fatalf("openapi.yaml line %d: under paths:, expected \"  /path:\", got %q", n, line)
			}
		case indent == 4:
			key := strings.TrimSuffix(text, ":")
			if methods[key] {
				if path == "" {
					t.Fatalf("openapi.yaml line %d: operation %q outside a path", n, key)
				}
				ops = append(ops, strings.ToUpper(key)+" "+normalisePath(path))
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(ops) == 0 {
		t.Fatal("openapi.yaml: found no operations under paths:")
	}
	return ops
}

var pathParam = regexp.MustCompile(`\{[^}]*\}`)

func normalisePath(p string) string { return pathParam.ReplaceAllString(p, "{}") }

// TestOpenAPIMatchesRoutes fails when a route is served that the document
// lacks, or the document has an operation that is not served.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]int{}
	for _, op := range openAPIOperations(t, doc) {
		documented[op]++
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
	for op := range served {
		if documented[op] == 0 {
			missing = append(missing, op)
		}
	}
	for op, n := range documented {
		if served[op] == 0 {
			extra = append(extra, op)
		}
		if n > 1 {
			dup = append(dup, op)
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
		t.Errorf("operations in docs/openapi.yaml more than once:\n  %s", strings.Join(dup, "\n  "))
	}
}

// TestOpenAPIScanner checks that the line scanner sees both directions of
// a difference, so the parity test cannot pass vacuously.
func TestOpenAPIScanner(t *testing.T) {
	doc := "openapi: 3.1.0\npaths:\n  /api/v1/a/{x}:\n    parameters: []\n    get:\n      responses: {}\n" +
		"    delete:\n      summary: x\n  \"/api/v1/b\":\n    post:\n      tags: [get]\ncomponents:\n  schemas:\n    get:\n"
	got := openAPIOperations(t, []byte(doc))
	want := []string{"GET /api/v1/a/{}", "DELETE /api/v1/a/{}", "POST /api/v1/b"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// TestOpenAPICopyMatchesDocs keeps the embedded copy identical to the
// source, docs/openapi.yaml.
func TestOpenAPICopyMatchesDocs(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "docs", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(src, openAPIYAML) {
		t.Fatal("internal/mgmtapi/openapi.yaml differs from docs/openapi.yaml (the source): " +
			"run cp docs/openapi.yaml internal/mgmtapi/openapi.yaml")
	}
}

// TestOpenAPIServed checks GET /api/v1/openapi.yaml returns the file, and
// only with an API key.
func TestOpenAPIServed(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := &directory.Service{Store: st, Schemas: schema.New(), IDs: directory.IDs{Now: time.Now, Rand: rand.Reader}, Logger: logger}
	const key = "test-bootstrap-key-0123456789abcdef0123"
	srv := httptest.NewServer((&Handler{Service: svc, Logger: logger, APIKey: key}).Routes())
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
	src, err := os.ReadFile(filepath.Join("..", "..", "docs", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, src) {
		t.Fatal("the served document differs from docs/openapi.yaml")
	}
	if resp, _ := get(false); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without a key: status %d, want 401", resp.StatusCode)
	}
}

// TestOpenAPIPlainScalars catches the YAML mistake a route-parity scan
// cannot see: a plain (unquoted) value containing ": " or " #", which YAML
// parsers reject or cut short (it made the whole document unparsable once).
// Values are checked on "key: value" lines, outside flow mappings.
func TestOpenAPIPlainScalars(t *testing.T) {
	doc, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	key := regexp.MustCompile(`^\s*(- )?[A-Za-z_$][\w$-]*: (.+)$`)
	for i, line := range strings.Split(string(doc), "\n") {
		m := key.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		v := m[2]
		switch v[0] {
		case '"', '\'', '{', '[', '|', '>', '&', '*':
			continue // quoted, flow or block scalars
		}
		if strings.Contains(v, ": ") || strings.Contains(v, " #") {
			t.Errorf("openapi.yaml:%d: plain value %q contains \": \" or \" #\": quote it", i+1, v)
		}
	}
}
