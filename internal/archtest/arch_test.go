package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/scimbridge/scimbridge/"

// allowed lists, for each package, the internal packages it may import
// (directly or not). Packages not listed may import nothing internal.
var allowed = map[string][]string{
	"internal/scim/schema": {},
	"internal/config":      {},
	"internal/web":         {},
	"internal/scim/filter": {"internal/scim/schema"},
	"internal/scim/patch":  {"internal/scim/schema", "internal/scim/filter"},
	"internal/directory":   {"internal/scim/schema", "internal/scim/filter", "internal/scim/patch"},
	"internal/sqlstore":    {"internal/directory", "internal/scim/schema", "internal/scim/filter", "internal/scim/patch"},
	"internal/storetest":   {"internal/directory", "internal/scim/schema", "internal/scim/filter", "internal/scim/patch"},
	"internal/scimapi":     {"internal/directory", "internal/scim/schema", "internal/scim/filter", "internal/scim/patch", "internal/web"},
	"internal/mgmtapi":     {"docs", "internal/directory", "internal/scim/schema", "internal/scim/filter", "internal/scim/patch", "internal/web"},
	// The delivery worker: the domain only, no HTTP surface, no store.
	"internal/webhook": {"internal/directory", "internal/scim/schema", "internal/scim/filter", "internal/scim/patch"},
	"internal/portal":  {"docs", "internal/directory", "internal/scim/schema", "internal/scim/filter", "internal/scim/patch", "internal/web"},
	"internal/app": {"docs", "internal/config", "internal/directory", "internal/scim/schema", "internal/scim/filter", "internal/scim/patch",
		"internal/web", "internal/scimapi", "internal/mgmtapi", "internal/portal", "internal/sqlstore", "internal/webhook"},
	"internal/simulate": {},
	"client":            {}, // public: app developers import it, so no internal packages
	"internal/cli": {"docs", "client", "internal/simulate", "internal/app", "internal/config", "internal/directory", "internal/scim/schema", "internal/scim/filter",
		"internal/scim/patch", "internal/web", "internal/scimapi", "internal/mgmtapi", "internal/portal", "internal/sqlstore", "internal/webhook"},
	"cmd/scimbridge":       {"docs", "client", "internal/simulate", "internal/cli", "internal/app", "internal/config", "internal/directory", "internal/scim/schema", "internal/scim/filter", "internal/scim/patch", "internal/web", "internal/scimapi", "internal/mgmtapi", "internal/portal", "internal/sqlstore", "internal/webhook"},
	"cmd/scimbridge-bench": {},
	"internal/archtest":    {},
	"internal/idpfixtures": {},       // test-only: doc.go plus the fixture replay tests
	"internal/testpg":      {},       // test-only helper: a scratch PostgreSQL schema
	"internal/apitest":     {"docs"}, // test-only helper: responses checked against docs/openapi.yaml
	"docs":                 {},       // the embedded documents (OpenAPI, IdP guides)
}

// forbiddenStd lists standard-library packages a package must not use.
var forbiddenStd = map[string][]string{
	"internal/directory":   {"net/http", "database/sql"},
	"internal/scim/schema": {"net/http", "database/sql"},
	"internal/scim/filter": {"net/http", "database/sql"},
	"internal/scim/patch":  {"net/http", "database/sql"},
}

type pkg struct {
	ImportPath string
	Deps       []string
}

func TestDependencyRules(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps=false", "-json", "../../...")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(out)
	seen := 0
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		rel := strings.TrimPrefix(p.ImportPath, module)
		allow, ok := allowed[rel]
		if !ok {
			t.Errorf("package %s is not in archtest's table: add it with its allowed imports (docs/architecture.md)", rel)
			continue
		}
		seen++
		ok2 := map[string]bool{}
		for _, a := range allow {
			ok2[a] = true
		}
		var bad []string
		for _, d := range p.Deps {
			if strings.HasPrefix(d, module) {
				if dr := strings.TrimPrefix(d, module); !ok2[dr] {
					bad = append(bad, dr)
				}
			}
			for _, f := range forbiddenStd[rel] {
				if d == f {
					bad = append(bad, d)
				}
			}
		}
		sort.Strings(bad)
		if len(bad) > 0 {
			t.Errorf("%s depends on %v, which the rules in docs/architecture.md forbid", rel, bad)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if seen < 10 {
		t.Fatalf("only %d packages checked; go list output looks wrong", seen)
	}
}
