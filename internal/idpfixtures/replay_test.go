package idpfixtures

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/app"
	"github.com/scimbridge/scimbridge/internal/config"
	"github.com/scimbridge/scimbridge/internal/testenv"
)

// fixtureRoot is testdata/idp, relative to this package.
const fixtureRoot = "../../testdata/idp"

type scenario struct {
	IdP         string            `json:"idp"`
	Provider    string            `json:"provider"`
	Description string            `json:"description"`
	Source      string            `json:"source"`
	BaseQuery   string            `json:"base_query"`
	Headers     map[string]string `json:"headers"`
	Steps       []step            `json:"steps"`
}

type step struct {
	Name     string            `json:"name"`
	Method   string            `json:"method"`
	Path     string            `json:"path"`
	Headers  map[string]string `json:"headers"`
	Body     json.RawMessage   `json:"body"`
	RawBody  *string           `json:"raw_body"`
	Repeat   int               `json:"repeat"`
	Expect   expect            `json:"expect"`
	Capture  map[string]string `json:"capture"`
	KnownBug string            `json:"known_bug"`
}

type expect struct {
	Status       int               `json:"status"`
	JSON         json.RawMessage   `json:"json"`
	JSONContains json.RawMessage   `json:"json_contains"`
	Absent       []string          `json:"absent"`
	Present      []string          `json:"present"`
	Headers      map[string]string `json:"headers"`
	EmptyBody    bool              `json:"empty_body"`
}

// providers maps a fixture's idp to the directory provider it is created with.
var providers = map[string]string{
	"okta":         "okta",
	"entra":        "entra_id",
	"onelogin":     "onelogin",
	"jumpcloud":    "jumpcloud",
	"pingfederate": "pingidentity",
	"authentik":    "custom",
}

// loadScenarios reads every testdata/idp/*/*.json, failing on any error.
func loadScenarios(t *testing.T) map[string]scenario {
	t.Helper()
	out := map[string]scenario{}
	err := fs.WalkDir(os.DirFS(fixtureRoot), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || path.Ext(p) != ".json" {
			return nil
		}
		if strings.Count(p, "/") != 1 {
			return fmt.Errorf("%s: fixtures live in testdata/idp/<idp>/<scenario>.json", p)
		}
		b, err := os.ReadFile(path.Join(fixtureRoot, p))
		if err != nil {
			return err
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		var sc scenario
		if err := dec.Decode(&sc); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if dec.More() {
			return fmt.Errorf("%s: trailing data after the scenario object", p)
		}
		if err := sc.validate(path.Dir(p)); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		out[strings.TrimSuffix(p, ".json")] = sc
		return nil
	})
	if err != nil {
		t.Fatalf("loading fixtures: %v", err)
	}
	if len(out) == 0 {
		t.Fatalf("no fixtures found under %s", fixtureRoot)
	}
	return out
}

func (sc *scenario) validate(dir string) error {
	if sc.IdP != dir {
		return fmt.Errorf("idp %q does not match its directory %q", sc.IdP, dir)
	}
	if sc.Provider == "" {
		sc.Provider = providers[sc.IdP]
	}
	if sc.Provider == "" {
		return fmt.Errorf("idp %q has no default provider: set \"provider\"", sc.IdP)
	}
	if sc.Description == "" || sc.Source == "" || len(sc.Steps) == 0 {
		return fmt.Errorf("description, source and steps are required")
	}
	names := map[string]bool{}
	for i, s := range sc.Steps {
		switch {
		case s.Name == "":
			return fmt.Errorf("step %d: no name", i+1)
		case names[s.Name]:
			return fmt.Errorf("step %q: duplicate name", s.Name)
		case s.Method == "" || !strings.HasPrefix(s.Path, "/"):
			return fmt.Errorf("step %q: method and a path starting with / are required", s.Name)
		case s.Expect.Status == 0:
			return fmt.Errorf("step %q: expect.status is required", s.Name)
		case len(s.Body) > 0 && s.RawBody != nil:
			return fmt.Errorf("step %q: both body and raw_body", s.Name)
		case s.Repeat < 0:
			return fmt.Errorf("step %q: negative repeat", s.Name)
		}
		names[s.Name] = true
	}
	return nil
}

func TestIdPFixtures(t *testing.T) {
	scenarios := loadScenarios(t)
	keys := make([]string, 0, len(scenarios))
	for k := range scenarios {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		sc := scenarios[k]
		t.Run(k, func(t *testing.T) {
			t.Run("sqlite", func(t *testing.T) {
				t.Parallel()
				replay(t, sc, config.Config{DataDir: t.TempDir()})
			})
			t.Run("postgres", func(t *testing.T) {
				t.Parallel()
				replay(t, sc, config.Config{DataDir: t.TempDir(), Database: testenv.PostgresURL(t)})
			})
		})
	}
}

// replay runs sc against a fresh database, organization, directory and token.
func replay(t *testing.T, sc scenario, cfg config.Config) {
	ctx := context.Background()
	cfg.LogLevel, cfg.LogFormat, cfg.ShutdownTimeout = "error", "text", 5*time.Second
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("app.Open: %v", err)
	}
	srv := httptest.NewUnstartedServer(nil)
	a.Config.PublicURL = "http://" + srv.Listener.Addr().String()
	srv.Config.Handler = a.Handler()
	srv.Start()
	// Cleanups run last-in first-out: the server stops, then the store
	// closes, then (PostgreSQL) the schema is dropped.
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Errorf("closing the app: %v", err)
		}
	})
	t.Cleanup(srv.Close)

	org, err := a.Service.CreateOrganization(ctx, "Fixture Org", "")
	if err != nil {
		t.Fatalf("CreateOrganization: %v", err)
	}
	dir, err := a.Service.CreateDirectory(ctx, org.ID, sc.Provider, sc.IdP+" fixture")
	if err != nil {
		t.Fatalf("CreateDirectory: %v", err)
	}
	_, token, err := a.Service.CreateToken(ctx, dir.ID, time.Time{})
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	base := srv.URL + "/scim/v2/" + dir.ID
	vars := map[string]any{
		"bearer": "Bearer " + token,
		"bare":   token,
		"basic":  "Basic " + base64.StdEncoding.EncodeToString([]byte(sc.IdP+":"+token)),
		"token":  token,
		"base":   base,
		"dir":    dir.ID,
	}
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse // IdPs do not follow redirects; neither do we
	}}
	for _, s := range sc.Steps {
		n := max(s.Repeat, 1)
		for i := 1; i <= n; i++ {
			name := s.Name
			if s.Repeat > 0 {
				vars["i"] = strconv.Itoa(i)
				name = fmt.Sprintf("%s [i=%d]", s.Name, i)
			}
			if !runStep(t, client, base, sc, name, s, vars) {
				t.FailNow()
			}
		}
		delete(vars, "i")
	}
}

// runStep sends one request and checks its answer. It returns false when the
// scenario cannot go on (a placeholder or capture could not be resolved).
func runStep(t *testing.T, client *http.Client, base string, sc scenario, name string, s step, vars map[string]any) bool {
	t.Helper()
	baseQuery := sc.BaseQuery
	p, err := substString(s.Path, vars)
	if err != nil {
		t.Errorf("step %q: path: %v", name, err)
		return false
	}
	if baseQuery != "" {
		if strings.Contains(p, "?") {
			p += "&" + baseQuery
		} else {
			p += "?" + baseQuery
		}
	}
	var body []byte
	switch {
	case s.RawBody != nil:
		str, err := substString(*s.RawBody, vars)
		if err != nil {
			t.Errorf("step %q: raw_body: %v", name, err)
			return false
		}
		body = []byte(str)
	case len(s.Body) > 0:
		v, err := decodeJSON(s.Body)
		if err != nil {
			t.Errorf("step %q: body: %v", name, err)
			return false
		}
		if v, err = substValue(v, vars); err != nil {
			t.Errorf("step %q: body: %v", name, err)
			return false
		}
		if body, err = json.Marshal(v); err != nil {
			t.Errorf("step %q: body: %v", name, err)
			return false
		}
	}
	req, err := http.NewRequest(s.Method, base+p, bytes.NewReader(body))
	if err != nil {
		t.Errorf("step %q: building the request: %v", name, err)
		return false
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	req.Header["User-Agent"] = []string{""} // only what the fixture says
	headers := map[string]string{}
	for k, v := range sc.Headers {
		headers[http.CanonicalHeaderKey(k)] = v
	}
	for k, v := range s.Headers {
		headers[http.CanonicalHeaderKey(k)] = v
	}
	for k, v := range headers {
		v, err := substString(v, vars)
		if err != nil {
			t.Errorf("step %q: header %s: %v", name, k, err)
			return false
		}
		switch {
		case v != "":
			req.Header.Set(k, v)
		case k != "User-Agent": // an empty User-Agent stays, so that none is sent
			req.Header.Del(k)
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Errorf("step %q: %s %s: %v", name, s.Method, p, err)
		return false
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Errorf("step %q: reading the response: %v", name, err)
		return false
	}
	var got any
	var gotErr error
	if len(bytes.TrimSpace(respBody)) > 0 {
		got, gotErr = decodeJSON(respBody)
	}

	var problems []string
	if resp.StatusCode != s.Expect.Status {
		problems = append(problems, fmt.Sprintf("status %d, want %d", resp.StatusCode, s.Expect.Status))
	}
	if s.Expect.EmptyBody && len(respBody) > 0 {
		problems = append(problems, "body is not empty")
	}
	needJSON := len(s.Expect.JSON) > 0 || len(s.Expect.JSONContains) > 0 || len(s.Expect.Present) > 0 || len(s.Capture) > 0
	if needJSON && (gotErr != nil || got == nil) {
		problems = append(problems, fmt.Sprintf("body is not JSON (%v)", gotErr))
	}
	for _, m := range []struct {
		raw      json.RawMessage
		contains bool
	}{{s.Expect.JSON, false}, {s.Expect.JSONContains, true}} {
		if len(m.raw) == 0 || got == nil {
			continue
		}
		want, err := decodeJSON(m.raw)
		if err == nil {
			want, err = substValue(want, vars)
		}
		if err != nil {
			t.Errorf("step %q: expectation: %v", name, err)
			return false
		}
		problems = append(problems, match("", want, got, m.contains)...)
	}
	for _, ptr := range s.Expect.Absent {
		if v, ok := pointer(got, ptr); ok {
			problems = append(problems, fmt.Sprintf("%s is present (%s), want absent", ptr, compact(v)))
		}
	}
	for _, ptr := range s.Expect.Present {
		if _, ok := pointer(got, ptr); !ok {
			problems = append(problems, fmt.Sprintf("%s is absent, want present", ptr))
		}
	}
	for k, want := range s.Expect.Headers {
		want, err := substString(want, vars)
		if err != nil {
			t.Errorf("step %q: expected header %s: %v", name, k, err)
			return false
		}
		if g := resp.Header.Get(k); !headerMatches(g, want) {
			problems = append(problems, fmt.Sprintf("header %s = %q, want %q", k, g, want))
		}
	}
	captureFailed := false
	for nm, ptr := range s.Capture {
		if s.Repeat > 0 {
			nm = strings.ReplaceAll(nm, "{{i}}", fmt.Sprint(vars["i"]))
		}
		if v, ok := pointer(got, ptr); ok {
			vars[nm] = v
		} else {
			problems = append(problems, fmt.Sprintf("capture %s: %s is absent", nm, ptr))
			captureFailed = true
		}
	}

	report := func() string {
		var b strings.Builder
		fmt.Fprintf(&b, "step %q\n--- request\n%s %s\n", name, s.Method, req.URL.RequestURI())
		hk := make([]string, 0, len(req.Header))
		for k := range req.Header {
			hk = append(hk, k)
		}
		sort.Strings(hk)
		for _, k := range hk {
			fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(req.Header[k], ", "))
		}
		fmt.Fprintf(&b, "\n%s\n--- response\n%s\n", body, resp.Status)
		hk = hk[:0]
		for k := range resp.Header {
			hk = append(hk, k)
		}
		sort.Strings(hk)
		for _, k := range hk {
			fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(resp.Header[k], ", "))
		}
		fmt.Fprintf(&b, "\n%s\n--- mismatches\n%s", respBody, strings.Join(problems, "\n"))
		return b.String()
	}
	switch {
	case s.KnownBug != "" && len(problems) > 0:
		t.Logf("KNOWN BUG (assertion skipped): %s\n%s", s.KnownBug, report())
	case s.KnownBug != "":
		t.Errorf("step %q is marked known_bug %q but now passes: remove the marker", name, s.KnownBug)
	case len(problems) > 0:
		t.Errorf("%s", report())
	}
	return !captureFailed
}

func headerMatches(got, want string) bool {
	if want == "" {
		return got == ""
	}
	return got == want || strings.HasPrefix(got, want+";")
}

// decodeJSON decodes one JSON value, keeping numbers exact.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return v, nil
}

var placeholder = regexp.MustCompile(`\{\{([A-Za-z0-9_.-]+)\}\}`)

func substString(s string, vars map[string]any) (string, error) {
	var err error
	out := placeholder.ReplaceAllStringFunc(s, func(m string) string {
		v, ok := vars[m[2:len(m)-2]]
		if !ok {
			if err == nil {
				err = fmt.Errorf("unknown placeholder %s", m)
			}
			return m
		}
		if str, ok := v.(string); ok {
			return str
		}
		return compact(v)
	})
	return out, err
}

// substValue replaces placeholders in every string of v. A string that is
// exactly one placeholder takes the variable's value with its JSON type.
func substValue(v any, vars map[string]any) (any, error) {
	switch x := v.(type) {
	case string:
		if m := placeholder.FindStringSubmatch(x); m != nil && m[0] == x {
			if val, ok := vars[m[1]]; ok {
				return val, nil
			}
		}
		return substString(x, vars)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			var err error
			if out[i], err = substValue(e, vars); err != nil {
				return nil, err
			}
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			var err error
			if out[k], err = substValue(e, vars); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return v, nil
}

// match reports how got fails to match want (see the package doc).
func match(at string, want, got any, contains bool) []string {
	loc := at
	if loc == "" {
		loc = "/"
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %s, want an object", loc, compact(got))}
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []string
		for _, k := range keys {
			gv, ok := g[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s/%s: absent, want %s", at, k, compact(w[k])))
				continue
			}
			out = append(out, match(at+"/"+k, w[k], gv, contains)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %s, want an array", loc, compact(got))}
		}
		if !contains && len(g) != len(w) {
			return []string{fmt.Sprintf("%s: %d elements, want %d: got %s, want %s", loc, len(g), len(w), compact(g), compact(w))}
		}
		if !pairUp(w, g, contains, make([]bool, len(g))) {
			return []string{fmt.Sprintf("%s: got %s, want elements matching %s", loc, compact(g), compact(w))}
		}
		return nil
	case json.Number:
		g, ok := got.(json.Number)
		if !ok {
			return []string{fmt.Sprintf("%s: got %s, want %s", loc, compact(got), w)}
		}
		wf, _ := new(big.Float).SetString(w.String())
		gf, _ := new(big.Float).SetString(g.String())
		if wf == nil || gf == nil || wf.Cmp(gf) != 0 {
			return []string{fmt.Sprintf("%s: got %s, want %s", loc, g, w)}
		}
		return nil
	default: // string, bool, nil
		if got != want {
			return []string{fmt.Sprintf("%s: got %s, want %s", loc, compact(got), compact(want))}
		}
		return nil
	}
}

// pairUp reports whether every element of want matches a distinct element
// of got (backtracking; fixture arrays are small).
func pairUp(want, got []any, contains bool, used []bool) bool {
	if len(want) == 0 {
		return true
	}
	for j, g := range got {
		if used[j] || len(match("", want[0], g, contains)) > 0 {
			continue
		}
		used[j] = true
		if pairUp(want[1:], got, contains, used) {
			return true
		}
		used[j] = false
	}
	return false
}

// pointer resolves an RFC 6901 JSON Pointer in v.
func pointer(v any, ptr string) (any, bool) {
	if ptr == "" {
		return v, v != nil
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, false
	}
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[tok]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}
