package archtest

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/scimbridge/scimbridge/"

// rule says what one package may import directly. Imports are checked as
// written (direct, not transitive): with no cycles, the direct graph
// bounds the transitive one.
type rule struct {
	pkg      string
	internal []string // internal packages (module-relative) it may import
	external []string // third-party module paths it may import
	testOnly bool     // a helper for tests: production code must never reach it
	note     string   // shown in docs/architecture.md
}

// Third-party modules.
const (
	pgx      = "github.com/jackc/pgx/v5"
	sqlite   = "modernc.org/sqlite"
	xtext    = "golang.org/x/text"
	xsync    = "golang.org/x/sync"
	prom     = "github.com/prometheus/client_golang"
	gocmp    = "github.com/google/go-cmp"
	chromedp = "github.com/chromedp/chromedp"
	kin      = "github.com/getkin/kin-openapi"
)

// rules is the dependency table; docs/architecture.md shows it (the test
// checks that the two agree). Order: inner packages first.
var rules = []rule{
	{pkg: "internal/scim/schema", external: []string{xtext}, note: "RFC 7643 schemas; no `net/http`, no `database/sql`"},
	{pkg: "internal/scim/filter", internal: []string{"internal/scim/schema"}, note: "no `net/http`, no `database/sql`"},
	{pkg: "internal/scim/patch", internal: []string{"internal/scim/schema", "internal/scim/filter"}, note: "no `net/http`, no `database/sql`"},
	{pkg: "internal/directory", internal: []string{"internal/scim/schema", "internal/scim/filter", "internal/scim/patch"}, external: []string{xsync},
		note: "the domain; no `net/http`, no `database/sql`"},
	{pkg: "internal/config"},
	{pkg: "internal/web", external: []string{prom}},
	{pkg: "docs", note: "embedded documents only"},
	{pkg: "internal/sqlstore/filtersql", internal: []string{"internal/directory", "internal/scim/schema", "internal/scim/filter"},
		note: "SCIM filter and sort → SQL per dialect; runs no queries, no `database/sql`"},
	{pkg: "internal/sqlstore", internal: []string{"internal/directory", "internal/scim/schema", "internal/scim/filter", "internal/scim/patch",
		"internal/sqlstore/filtersql"}, external: []string{pgx, sqlite, xsync}, note: "the only package with database drivers"},
	{pkg: "internal/scimapi", internal: []string{"internal/directory", "internal/scim/schema", "internal/scim/filter", "internal/scim/patch", "internal/web"}},
	{pkg: "internal/mgmtapi", internal: []string{"internal/directory", "internal/scim/schema", "internal/web", "docs"},
		note: "selects with `directory.Query`'s typed fields, not the SCIM filter language"},
	{pkg: "internal/portal", internal: []string{"internal/directory", "internal/scim/schema", "internal/web"},
		note: "selects with `directory.Query`'s typed fields, not the SCIM filter language"},
	{pkg: "internal/webhook", internal: []string{"internal/directory"}, external: []string{xsync}, note: "no surface, no store"},
	{pkg: "internal/app", internal: []string{"internal/config", "internal/directory", "internal/scim/schema", "internal/web", "internal/scimapi",
		"internal/mgmtapi", "internal/portal", "internal/sqlstore", "internal/webhook", "docs"}, external: []string{prom, xsync},
		note: "the composition root: the only package that knows concrete types"},
	{pkg: "internal/simulate", note: "a plain net/http SCIM client"},
	{pkg: "internal/netdelay", note: "a TCP proxy adding latency and counting round trips, for tests and the benchmark"},
	{pkg: "client", note: "public: app developers import it"},
	{pkg: "internal/cli", internal: []string{"client", "internal/app", "internal/config", "internal/simulate", "internal/directory", "internal/sqlstore"}},
	{pkg: "cmd/scimbridge", internal: []string{"internal/cli"}},
	{pkg: "cmd/scimbridge-bench", internal: []string{"internal/netdelay"}, external: []string{pgx, sqlite}, note: "drives a `scimbridge serve` child process over HTTP; reads PostgreSQL table sizes; copies a loaded SQLite directory into PostgreSQL (million scenario)"},
	{pkg: "internal/storetest", internal: []string{"internal/directory", "internal/scim/schema", "internal/scim/filter", "internal/scim/patch"},
		external: []string{gocmp}, testOnly: true, note: "the conformance suite every Store passes"},
	{pkg: "internal/testpg", external: []string{pgx}, testOnly: true, note: "a scratch PostgreSQL schema per test; migrated schemas reset and reused"},
	{pkg: "internal/testenv", internal: []string{"internal/directory", "internal/scim/schema", "internal/sqlstore", "internal/testpg"}, testOnly: true,
		note: "a migrated store (SQLite or PostgreSQL) and a Service over it, for tests"},
	{pkg: "internal/apitest", internal: []string{"docs"}, external: []string{kin}, testOnly: true, note: "responses checked against docs/openapi.yaml"},
	{pkg: "internal/idpfixtures", testOnly: true, note: "recorded IdP traffic replayed in its tests"},
	{pkg: "internal/replicatest", external: []string{pgx}, testOnly: true, note: "three real `scimbridge serve` processes on one PostgreSQL, tested as one"},
	{pkg: "internal/archtest", testOnly: true, note: "this table"},
}

// testExternal are the third-party modules tests may use besides those
// of the package under test.
var testExternal = []string{gocmp, chromedp}

// testOnlyModules must never be reached by production code.
var testOnlyModules = []string{gocmp, chromedp, kin}

// forbiddenStd lists standard-library packages a package must not reach,
// directly or not.
var forbiddenStd = map[string][]string{
	"internal/directory":          {"net/http", "database/sql"},
	"internal/scim/schema":        {"net/http", "database/sql"},
	"internal/scim/filter":        {"net/http", "database/sql"},
	"internal/scim/patch":         {"net/http", "database/sql"},
	"internal/sqlstore/filtersql": {"net/http", "database/sql"},
}

type pkg struct {
	ImportPath   string
	Imports      []string
	Deps         []string
	TestImports  []string
	XTestImports []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "../../...")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var ps []pkg
	dec := json.NewDecoder(out)
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		p.ImportPath = strings.TrimPrefix(p.ImportPath, module)
		ps = append(ps, p)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if len(ps) < 10 {
		t.Fatalf("only %d packages listed; go list output looks wrong", len(ps))
	}
	return ps
}

// kind sorts an import path: "std", "internal" (this module) or "external".
func kind(path string) string {
	switch {
	case strings.HasPrefix(path, module):
		return "internal"
	case strings.Contains(strings.Split(path, "/")[0], "."):
		return "external"
	}
	return "std"
}

// inModules reports whether import path is in one of the modules.
func inModules(path string, modules []string) bool {
	for _, m := range modules {
		if path == m || strings.HasPrefix(path, m+"/") {
			return true
		}
	}
	return false
}

// violations checks one package against its rule; testOnly names the
// test-only internal packages.
func violations(p pkg, r rule, testOnly map[string]bool) []string {
	var out []string
	// Direct imports of the package's own code.
	for _, imp := range p.Imports {
		switch kind(imp) {
		case "internal":
			if rel := strings.TrimPrefix(imp, module); !slices.Contains(r.internal, rel) {
				out = append(out, fmt.Sprintf("%s imports %s, which the rules do not allow", p.ImportPath, rel))
			}
		case "external":
			if !inModules(imp, r.external) {
				out = append(out, fmt.Sprintf("%s imports third-party %s, which the rules do not allow", p.ImportPath, imp))
			}
		}
	}
	// What it reaches at all.
	for _, d := range p.Deps {
		if slices.Contains(forbiddenStd[p.ImportPath], d) {
			out = append(out, fmt.Sprintf("%s reaches %s, which it must not use", p.ImportPath, d))
		}
		if r.testOnly {
			continue
		}
		if rel := strings.TrimPrefix(d, module); kind(d) == "internal" && testOnly[rel] {
			out = append(out, fmt.Sprintf("%s (production code) reaches the test-only package %s", p.ImportPath, rel))
		}
		if kind(d) == "external" && inModules(d, testOnlyModules) {
			out = append(out, fmt.Sprintf("%s (production code) reaches the test-only module %s", p.ImportPath, d))
		}
	}
	// Test imports: the package's own modules, the test libraries, and any
	// internal package but the command layer (tests build real servers
	// and stores through internal/app).
	for _, imp := range append(slices.Clone(p.TestImports), p.XTestImports...) {
		switch kind(imp) {
		case "internal":
			rel := strings.TrimPrefix(imp, module)
			if strings.HasPrefix(rel, "cmd/") || (rel == "internal/cli" && p.ImportPath != "internal/cli") {
				out = append(out, fmt.Sprintf("tests of %s import %s: tests drive the program through internal/app, not the command layer", p.ImportPath, rel))
			}
		case "external":
			if !inModules(imp, r.external) && !inModules(imp, testExternal) {
				out = append(out, fmt.Sprintf("tests of %s import third-party %s, which the rules do not allow", p.ImportPath, imp))
			}
		}
	}
	return out
}

func testOnlySet() map[string]bool {
	out := map[string]bool{}
	for _, r := range rules {
		if r.testOnly {
			out[r.pkg] = true
		}
	}
	return out
}

func TestDependencyRules(t *testing.T) {
	byPkg := map[string]rule{}
	for _, r := range rules {
		byPkg[r.pkg] = r
	}
	testOnly := testOnlySet()
	for _, p := range listPackages(t) {
		r, ok := byPkg[p.ImportPath]
		if !ok {
			t.Errorf("package %s is not in archtest's table: add it with what it may import (and regenerate docs/architecture.md)", p.ImportPath)
			continue
		}
		for _, v := range violations(p, r, testOnly) {
			t.Error(v)
		}
	}
}

// Each kind of violation is caught, so the rules cannot pass vacuously.
func TestRulesCatchViolations(t *testing.T) {
	testOnly := testOnlySet()
	surface := rule{pkg: "internal/scimapi", internal: []string{"internal/directory"}}
	cases := []struct {
		name string
		p    pkg
		want string
	}{
		{"internal import", pkg{ImportPath: "internal/scimapi", Imports: []string{module + "internal/sqlstore"}}, "imports internal/sqlstore"},
		{"driver in a surface", pkg{ImportPath: "internal/scimapi", Imports: []string{pgx + "/stdlib"}}, "third-party github.com/jackc/pgx/v5/stdlib"},
		{"forbidden std", pkg{ImportPath: "internal/directory", Deps: []string{"net/http"}}, "reaches net/http"},
		{"test helper in production", pkg{ImportPath: "internal/scimapi", Deps: []string{module + "internal/testpg"}}, "test-only package internal/testpg"},
		{"test module in production", pkg{ImportPath: "internal/scimapi", Deps: []string{chromedp}}, "test-only module"},
		{"test imports the CLI", pkg{ImportPath: "internal/scimapi", XTestImports: []string{module + "internal/cli"}}, "command layer"},
		{"test imports an unknown module", pkg{ImportPath: "internal/scimapi", TestImports: []string{"github.com/stretchr/testify/assert"}}, "testify"},
	}
	for _, tc := range cases {
		r := surface
		if tc.p.ImportPath == "internal/directory" {
			r = rule{pkg: "internal/directory"}
		}
		got := strings.Join(violations(tc.p, r, testOnly), "\n")
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s: violations %q lack %q", tc.name, got, tc.want)
		}
	}
	if v := violations(pkg{ImportPath: "internal/scimapi", Imports: []string{module + "internal/directory", "net/http"},
		TestImports: []string{gocmp + "/cmp", module + "internal/sqlstore"}}, surface, testOnly); len(v) > 0 {
		t.Errorf("allowed imports reported: %v", v)
	}
}

// docTable renders the rules as the Markdown table in docs/architecture.md.
func docTable() string {
	short := func(ps []string) string {
		if len(ps) == 0 {
			return "nothing internal"
		}
		var out []string
		for _, p := range ps {
			out = append(out, "`"+strings.TrimPrefix(p, "internal/")+"`")
		}
		return strings.Join(out, ", ")
	}
	var b strings.Builder
	b.WriteString("| package | may import (internal, directly) | third-party | notes |\n|---|---|---|---|\n")
	for _, r := range rules {
		ext := "none"
		if len(r.external) > 0 {
			ext = "`" + strings.Join(r.external, "`, `") + "`"
		}
		note := r.note
		if r.testOnly {
			note = strings.TrimSpace("test-only; " + note)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", strings.TrimPrefix(r.pkg, "internal/"), short(r.internal), ext, note)
	}
	return b.String()
}

// TestArchitectureDocMatchesRules keeps docs/architecture.md's table equal
// to the rules. SCIMBRIDGE_UPDATE_DOCS=1 rewrites it.
func TestArchitectureDocMatchesRules(t *testing.T) {
	const path = "../../docs/architecture.md"
	const begin, end = "<!-- archtest:begin (generated by internal/archtest) -->\n", "<!-- archtest:end -->"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("docs/architecture.md lacks the %q … %q markers around the dependency table", begin, end)
	}
	want := docTable()
	if got := doc[i+len(begin) : j]; got != want {
		if os.Getenv("SCIMBRIDGE_UPDATE_DOCS") == "1" {
			if err := os.WriteFile(path, []byte(doc[:i+len(begin)]+want+doc[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("docs/architecture.md's dependency table differs from internal/archtest's rules; run\n"+
			"  SCIMBRIDGE_UPDATE_DOCS=1 go test ./internal/archtest/\nwant:\n%s", want)
	}
}

// surfaces read the store only through the domain: directory.Reader
// (Service.Read) for reads, Service methods for writes.
var surfaces = []string{"internal/mgmtapi", "internal/portal", "internal/scimapi"}

// TestSurfacesReadThroughTheDomain fails on a `Service.Store.` in the
// production code of a surface.
func TestSurfacesReadThroughTheDomain(t *testing.T) {
	for _, dir := range surfaces {
		files, err := filepath.Glob(filepath.Join("..", "..", dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Fatalf("no Go files in %s", dir)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			if err := storeUses(f); err != nil {
				t.Error(err)
			}
		}
	}
}

// storeUses reports the lines of a file that reach Service.Store.
func storeUses(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var bad []string
	for i, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, "Service.Store.") {
			bad = append(bad, fmt.Sprintf("%s:%d", filepath.ToSlash(path), i+1))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("a surface reaches the store past the domain (use Service.Read() or a Service method): %s", strings.Join(bad, ", "))
	}
	return nil
}
