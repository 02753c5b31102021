package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimbridge/scimbridge/internal/app"
	"github.com/scimbridge/scimbridge/internal/config"
	"github.com/scimbridge/scimbridge/internal/testenv"
	"github.com/scimbridge/scimbridge/internal/testpg"
)

// TestMalformedInputCorpus sends a generated corpus of malformed requests
// (oversized identifiers, invalid UTF-8, NUL and overlong encodings in path
// ids, query parameters, filters and JSON bodies, broken paging values,
// Bulk and PATCH operations, Admin Portal forms) to the real handler over
// SQLite and over PostgreSQL, and checks for each one: no 5xx; a SCIM Error
// body under /scim/v2, a JSON error with a message under /api/v1, an HTML
// page under /portal; the status and message expected, where the case names
// one; the same status on both backends; and, at the end, that the data
// stored before the corpus ran is unchanged. It takes about a second per
// backend.
func TestMalformedInputCorpus(t *testing.T) {
	corpus := malformedCorpus()
	if len(corpus) < 300 {
		t.Fatalf("the corpus has %d cases, want at least 300", len(corpus))
	}
	seen, expected := map[string]bool{}, 0
	for _, c := range corpus {
		if c.want != 0 {
			expected++
		}
		if seen[c.name] {
			t.Fatalf("two cases are named %q", c.name)
		}
		seen[c.name] = true
	}
	t.Logf("%d cases, %d with an exact expected answer", len(corpus), expected)
	statuses := map[string]map[string]int{}
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			cfg := config.Config{DataDir: t.TempDir(), APIKey: strings.Repeat("k", 40)}
			if backend == "postgres" {
				cfg.Database = testenv.PostgresURL(t)
			}
			statuses[backend] = runCorpus(t, cfg, corpus)
		})
	}
	if statuses["sqlite"] == nil || statuses["postgres"] == nil {
		t.Skip("backend comparison skipped: it needs both SQLite and PostgreSQL to have run (set " + testpg.Env + ")")
	}
	for _, c := range corpus {
		if s, p := statuses["sqlite"][c.name], statuses["postgres"][c.name]; s != p {
			t.Errorf("%s: SQLite answered %d, PostgreSQL %d", c.name, s, p)
		}
	}
}

// malformedCase is one request of the corpus. path may hold the
// placeholders {dir}, {user}, {group}, {org}, {hook}, {token}, {link}: the
// ids of the fixture ({csrf}: the portal session's form token).
type malformedCase struct {
	name   string
	method string
	path   string // as sent: escapes are not re-encoded
	body   []byte
	// want, when set, is the status the case must get, and wantText
	// strings its body must contain.
	want     int
	wantText []string
}

// badTexts are encodings of text that cannot be stored: invalid UTF-8,
// overlong forms, surrogates, NUL. Each is a percent-encoded path segment
// or query value.
var badTexts = []struct{ name, enc string }{
	{"ff", "%FF"},
	{"nul", "%00"},
	{"embedded-nul", "a%00b"},
	{"overlong-nul", "%C0%80"},
	{"overlong-slash", "%C0%AF"},
	{"surrogate", "%ED%A0%80"},
	{"truncated", "%E2%82"},
	{"five-byte", "%F8%88%80%80%80"},
	{"latin1", "caf%E9"},
}

// incompressible returns n bytes of random text drawn from several
// scripts, which PostgreSQL cannot compress into an index entry.
func incompressible(r *rand.Rand, n int) string {
	ranges := [][2]rune{{'a', 'z'}, {'A', 'Z'}, {'0', '9'}, {0x0400, 0x04FF}, {0x4E00, 0x9FFF}, {0x0100, 0x017F}}
	var b strings.Builder
	for b.Len() < n {
		rg := ranges[r.IntN(len(ranges))]
		c := rg[0] + rune(r.IntN(int(rg[1]-rg[0]+1)))
		if b.Len()+len(string(c)) > n {
			b.WriteByte('x')
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func jsonBody(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func malformedCorpus() []malformedCase {
	r := rand.New(rand.NewPCG(10, 3))
	var cs []malformedCase
	add := func(name, method, path string, body []byte) {
		cs = append(cs, malformedCase{name: name, method: method, path: path, body: body})
	}
	// expect sets what the case added last must answer.
	expect := func(status int, text ...string) {
		cs[len(cs)-1].want, cs[len(cs)-1].wantText = status, text
	}
	scim := "/scim/v2/{dir}"

	// Oversized identifiers: over the 1,024-byte limit, random
	// (incompressible) and repetitive, ASCII and multi-byte.
	sizes := map[string]func() string{
		"1025-ascii":   func() string { return incompressible(r, 1025) },
		"2800-random":  func() string { return incompressible(r, 2800) },
		"9000-random":  func() string { return incompressible(r, 9000) },
		"3000-repeat":  func() string { return strings.Repeat("a", 3000) },
		"1100-growing": func() string { return strings.Repeat("Ⱥ", 550) }, // lower-casing makes it 1,650 bytes
	}
	sizeNames := make([]string, 0, len(sizes))
	for k := range sizes {
		sizeNames = append(sizeNames, k)
	}
	sort.Strings(sizeNames)
	userAttrs := map[string]func(v string) map[string]any{
		"userName":   func(v string) map[string]any { return map[string]any{"userName": v} },
		"externalId": func(v string) map[string]any { return map[string]any{"userName": "big", "externalId": v} },
		"displayName": func(v string) map[string]any {
			return map[string]any{"userName": "big", "displayName": v}
		},
		"name.familyName": func(v string) map[string]any {
			return map[string]any{"userName": "big", "name": map[string]any{"familyName": v}}
		},
		"emails.value": func(v string) map[string]any {
			return map[string]any{"userName": "big", "emails": []any{map[string]any{"value": v, "primary": true}}}
		},
	}
	groupAttrs := map[string]func(v string) map[string]any{
		"displayName": func(v string) map[string]any { return map[string]any{"displayName": v} },
		"externalId":  func(v string) map[string]any { return map[string]any{"displayName": "big", "externalId": v} },
	}
	withSchema := func(urn string, m map[string]any) map[string]any {
		m["schemas"] = []any{urn}
		return m
	}
	const userURN, groupURN = "urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:core:2.0:Group"
	const patchURN, bulkURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp", "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	for _, attr := range []string{"userName", "externalId", "displayName", "name.familyName", "emails.value"} {
		for _, size := range sizeNames {
			v := sizes[size]()
			doc := withSchema(userURN, userAttrs[attr](v))
			n := "oversized user " + attr + " " + size
			named := strings.Replace(attr, "emails.value", "emails[0].value", 1)
			limit := "limited to 1024 bytes"
			add(n+" POST", "POST", scim+"/Users", jsonBody(doc))
			expect(400, `"invalidValue"`, named, limit)
			put := withSchema(userURN, userAttrs[attr](v))
			if attr != "userName" {
				put["userName"] = "alice@example.com"
			}
			add(n+" PUT", "PUT", scim+"/Users/{user}", jsonBody(put))
			expect(400, `"invalidValue"`, named, limit)
			if attr != "emails.value" {
				add(n+" PATCH path", "PATCH", scim+"/Users/{user}", jsonBody(map[string]any{"schemas": []any{patchURN},
					"Operations": []any{map[string]any{"op": "replace", "path": attr, "value": v}}}))
				add(n+" PATCH no path", "PATCH", scim+"/Users/{user}", jsonBody(map[string]any{"schemas": []any{patchURN},
					"Operations": []any{map[string]any{"op": "Replace", "value": map[string]any{attr: v}}}}))
				expect(400, `"invalidValue"`, named, limit)
			} else {
				add(n+" PATCH path", "PATCH", scim+"/Users/{user}", jsonBody(map[string]any{"schemas": []any{patchURN},
					"Operations": []any{map[string]any{"op": "add", "path": "emails", "value": []any{map[string]any{"value": v}}}}}))
				expect(400, `"invalidValue"`, "emails[1].value", limit)
			}
			add(n+" Bulk", "POST", scim+"/Bulk", jsonBody(map[string]any{"schemas": []any{bulkURN}, "Operations": []any{
				map[string]any{"method": "POST", "path": "/Users", "bulkId": "b1", "data": doc},
				map[string]any{"method": "PATCH", "path": "/Users/{user}", "data": map[string]any{"schemas": []any{patchURN},
					"Operations": []any{map[string]any{"op": "replace", "value": map[string]any{"externalId": v}}}}},
			}}))
			expect(200, limit, `"status":"400"`)
		}
	}
	for _, attr := range []string{"displayName", "externalId"} {
		for _, size := range sizeNames {
			v := sizes[size]()
			doc := withSchema(groupURN, groupAttrs[attr](v))
			n := "oversized group " + attr + " " + size
			limit := "limited to 1024 bytes"
			add(n+" POST", "POST", scim+"/Groups", jsonBody(doc))
			expect(400, `"invalidValue"`, attr, limit)
			put := withSchema(groupURN, groupAttrs[attr](v))
			if attr != "displayName" {
				put["displayName"] = "eng"
			}
			add(n+" PUT", "PUT", scim+"/Groups/{group}", jsonBody(put))
			expect(400, `"invalidValue"`, attr, limit)
			add(n+" PATCH path", "PATCH", scim+"/Groups/{group}", jsonBody(map[string]any{"schemas": []any{patchURN},
				"Operations": []any{map[string]any{"op": "replace", "path": attr, "value": v}}}))
			expect(400, `"invalidValue"`, attr, limit)
			add(n+" Bulk", "POST", scim+"/Bulk", jsonBody(map[string]any{"schemas": []any{bulkURN}, "Operations": []any{
				map[string]any{"method": "POST", "path": "/Groups", "bulkId": "g1", "data": doc},
				map[string]any{"method": "PUT", "path": "/Groups/{group}", "data": put},
			}}))
			expect(200, limit, `"status":"400"`)
		}
	}
	for _, size := range sizeNames {
		v := sizes[size]()
		add("oversized org external_id "+size+" POST", "POST", "/api/v1/organizations", jsonBody(map[string]any{"name": "Big", "external_id": v}))
		expect(400, "external_id is", "limited to 1024 bytes")
		add("oversized org external_id "+size+" PATCH", "PATCH", "/api/v1/organizations/{org}", jsonBody(map[string]any{"external_id": v}))
		expect(400, "external_id is", "limited to 1024 bytes")
		add("oversized org external_id "+size+" query", "GET", "/api/v1/organizations?external_id="+urlEscape(v), nil)
		add("oversized filter literal "+size, "GET", scim+"/Users?filter="+urlEscape(`userName eq "`+v+`"`), nil)
	}

	// Text that cannot be stored, in path ids and query parameters.
	for _, bt := range badTexts {
		b := bt.enc
		for _, p := range []struct{ method, path string }{
			{"GET", scim + "/Users/" + b}, {"PUT", scim + "/Users/" + b}, {"PATCH", scim + "/Users/" + b}, {"DELETE", scim + "/Users/" + b},
			{"GET", scim + "/Groups/" + b}, {"PUT", scim + "/Groups/" + b}, {"PATCH", scim + "/Groups/" + b}, {"DELETE", scim + "/Groups/" + b},
			{"GET", "/scim/v2/" + b + "/Users"}, {"GET", "/scim/v2/dir_" + b + "/Users/{user}"},
			{"GET", scim + "/ResourceTypes/" + b}, {"GET", scim + "/Schemas/" + b},
			{"GET", scim + "/Users?filter=" + urlEscape(`userName eq "`) + b + urlEscape(`"`)},
			{"GET", scim + "/Users?filter=" + urlEscape(`externalId sw "`) + b + urlEscape(`"`)},
			{"GET", scim + "/Groups?filter=" + urlEscape(`displayName eq "`) + b + urlEscape(`"`)},
			{"GET", scim + "/Groups?filter=" + urlEscape(`members.value eq "`) + b + urlEscape(`"`)},
			{"GET", scim + "/Users?filter=" + urlEscape(`emails[value co "`) + b + urlEscape(`"]`)},
			{"GET", scim + "/Users?filter=" + b},
			{"GET", scim + "/Users?sortBy=" + b},
			{"GET", scim + "/Users?attributes=" + b},
			{"GET", scim + "/Groups?excludedAttributes=" + b},
			{"GET", scim + "/Users?startIndex=" + b},
			{"GET", scim + "/Users?count=" + b},
			{"GET", scim + "/Users/{user}?attributes=" + b},
			{"GET", "/api/v1/organizations/" + b}, {"PATCH", "/api/v1/organizations/" + b}, {"DELETE", "/api/v1/organizations/" + b},
			{"GET", "/api/v1/organizations/" + b + "/directories"}, {"POST", "/api/v1/organizations/" + b + "/directories"},
			{"GET", "/api/v1/directories/" + b}, {"PATCH", "/api/v1/directories/" + b}, {"DELETE", "/api/v1/directories/" + b},
			{"GET", "/api/v1/directories/" + b + "/users"}, {"GET", "/api/v1/directories/{dir}/users/" + b},
			{"GET", "/api/v1/directories/{dir}/groups/" + b}, {"GET", "/api/v1/directories/{dir}/groups/" + b + "/members"},
			{"DELETE", "/api/v1/directories/{dir}/tokens/" + b}, {"GET", "/api/v1/directories/" + b + "/requests"},
			{"GET", "/api/v1/directories/" + b + "/role_mappings"},
			{"GET", "/api/v1/events/" + b}, {"PATCH", "/api/v1/roles/" + b}, {"DELETE", "/api/v1/roles/" + b},
			{"GET", "/api/v1/webhook_endpoints/" + b}, {"DELETE", "/api/v1/webhook_endpoints/" + b},
			{"POST", "/api/v1/webhook_endpoints/{hook}/deliveries/" + b + "/retry"},
			{"DELETE", "/api/v1/organizations/{org}/portal_links/" + b},
			{"PUT", "/api/v1/organizations/" + b + "/default_role"},
			{"GET", "/api/v1/events?subject_id=" + b}, {"GET", "/api/v1/events?after=" + b}, {"GET", "/api/v1/events?types=" + b},
			{"GET", "/api/v1/organizations?external_id=" + b}, {"GET", "/api/v1/organizations?page_token=" + b},
			{"GET", "/api/v1/directories/{dir}/users?q=" + b}, {"GET", "/api/v1/directories/{dir}/users?email=" + b},
			{"GET", "/api/v1/directories/{dir}/users?group_id=" + b}, {"GET", "/api/v1/directories/{dir}/groups?user_id=" + b},
			{"GET", "/api/v1/directories/{dir}/groups?q=" + b},
		} {
			var body []byte
			switch p.method {
			case "PUT", "PATCH", "POST":
				body = []byte(`{}`)
			}
			add(fmt.Sprintf("bad text %s: %s %s", bt.name, p.method, p.path), p.method, p.path, body)
			switch {
			case strings.HasPrefix(p.path, "/scim/v2/"+b):
				expect(401) // an unknown directory, as for any wrong token
			case strings.Contains(p.path, "?"):
				expect(400, "query parameter")
			case !strings.HasPrefix(p.path, "/scim/v2/dir_"):
				expect(404)
			}
		}
	}

	// The Admin Portal: path values, query parameters and form fields.
	for _, bt := range badTexts {
		b := bt.enc
		for _, p := range []struct{ method, path, body string }{
			{"GET", "/portal/directories/" + b, ""},
			{"GET", "/portal/directories/" + b + "/status", ""},
			{"GET", "/portal/directories/{dir}/users/" + b, ""},
			{"GET", "/portal/directories/{dir}/groups/" + b, ""},
			{"GET", "/portal/scim/providers/" + b, ""},
			{"GET", "/portal/users?q=" + b, ""},
			{"GET", "/portal/users?dir=" + b, ""},
			{"GET", "/portal/users?after=" + b, ""},
			{"GET", "/portal/groups?after=" + b, ""},
			{"GET", "/portal/events?type=" + b, ""},
			{"GET", "/portal/events?who=" + b, ""},
			{"GET", "/portal/users?group=" + b, ""},
			{"GET", "/portal/events/requests?before=" + b, ""},
			{"POST", "/portal/directories/" + b + "/enable", "csrf={csrf}"},
			{"POST", "/portal/directories/{dir}/tokens/" + b + "/revoke", "csrf={csrf}"},
			{"POST", "/portal/scim/providers/custom", "csrf={csrf}&name=" + b},
			{"POST", "/portal/directories/{dir}/delete", "csrf={csrf}&confirm=" + b},
			{"POST", "/portal/roles", "csrf={csrf}&role.{group}=" + b},
		} {
			add(fmt.Sprintf("portal %s: %s %s %s", bt.name, p.method, p.path, p.body), p.method, p.path, []byte(p.body))
		}
	}

	// NUL inside JSON strings (\u0000), and invalid UTF-8 inside JSON.
	for _, j := range []struct{ name, text string }{{"nul", `a\u0000b`}, {"nul-only", `\u0000`}, {"raw-ff", "a\xffb"}, {"overlong", "\xc0\x80"}} {
		s := `"` + j.text + `"`
		for _, p := range []struct{ method, path, body string }{
			{"POST", "/api/v1/organizations", `{"name":` + s + `}`},
			{"POST", "/api/v1/organizations", `{"name":"Ok","external_id":` + s + `}`},
			{"PATCH", "/api/v1/organizations/{org}", `{"name":` + s + `}`},
			{"PATCH", "/api/v1/organizations/{org}", `{"external_id":` + s + `}`},
			{"POST", "/api/v1/organizations/{org}/directories", `{"provider":"okta","name":` + s + `}`},
			{"PATCH", "/api/v1/directories/{dir}", `{"name":` + s + `}`},
			{"POST", "/api/v1/roles", `{"key":"k1","name":` + s + `}`},
			{"POST", "/api/v1/roles", `{"key":"k2","name":"K","description":` + s + `}`},
			{"PATCH", "/api/v1/roles/member", `{"description":` + s + `}`},
			{"POST", "/api/v1/webhook_endpoints", `{"url":"https://example.com/` + j.text + `"}`},
			{"POST", "/api/v1/webhook_endpoints", `{"url":"https://example.com/h","description":` + s + `}`},
			{"PUT", "/api/v1/directories/{dir}/role_mappings", `{"mappings":[{"group_id":` + s + `,"role":"member"}]}`},
			{"POST", "/api/v1/organizations/{org}/portal_links", `{"kind":"share","return_url":"https://example.com/` + j.text + `"}`},
			{"POST", scim + "/Users", `{"schemas":["` + userURN + `"],"userName":` + s + `}`},
			{"POST", scim + "/Users", `{"schemas":["` + userURN + `"],"userName":"x","name":{"givenName":` + s + `}}`},
			{"PUT", scim + "/Users/{user}", `{"schemas":["` + userURN + `"],"userName":"alice","title":` + s + `}`},
			{"PATCH", scim + "/Users/{user}", `{"schemas":["` + patchURN + `"],"Operations":[{"op":"replace","path":"title","value":` + s + `}]}`},
			{"PATCH", scim + "/Groups/{group}", `{"schemas":["` + patchURN + `"],"Operations":[{"op":"remove","path":"members[value eq ` + s + `]"}]}`},
			{"POST", scim + "/Groups", `{"schemas":["` + groupURN + `"],"displayName":` + s + `}`},
			{"POST", scim + "/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName eq \"` + j.text + `\""}`},
			{"POST", scim + "/Bulk", `{"schemas":["` + bulkURN + `"],"Operations":[{"method":"POST","path":"/Users","bulkId":"n","data":{"schemas":["` + userURN + `"],"userName":` + s + `}}]}`},
		} {
			add(fmt.Sprintf("json %s: %s %s %s", j.name, p.method, p.path, p.body), p.method, p.path, []byte(p.body))
			switch {
			case strings.HasPrefix(j.name, "nul") && strings.HasPrefix(p.path, "/api/v1/"):
				expect(400, "contains a NUL character", `field \"`)
			case strings.HasPrefix(j.name, "nul"):
				expect(400, "NUL character")
			default:
				expect(400, "not valid UTF-8")
			}
		}
	}

	// Escapes inside filter literals that decode to text that cannot be
	// stored: in query filters, in .search bodies, in PATCH paths.
	for _, lit := range []string{`a\u0000b`, `\u0000`, `\ud800`, `\udfff\ud800`, `\u00`, `\x00`} {
		f := `userName eq "` + lit + `"`
		add("filter escape "+lit+" query", "GET", scim+"/Users?filter="+urlEscape(f), nil)
		add("filter escape "+lit+" query sw", "GET", scim+"/Users?filter="+urlEscape(`emails[value sw "`+lit+`"]`), nil)
		add("filter escape "+lit+" groups", "GET", scim+"/Groups?filter="+urlEscape(`members[value eq "`+lit+`"]`), nil)
		add("filter escape "+lit+" search", "POST", scim+"/Users/.search", jsonBody(map[string]any{
			"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"}, "filter": f}))
		add("filter escape "+lit+" patch remove", "PATCH", scim+"/Groups/{group}", jsonBody(map[string]any{"schemas": []any{patchURN},
			"Operations": []any{map[string]any{"op": "remove", "path": `members[value eq "` + lit + `"]`}}}))
		add("filter escape "+lit+" patch user", "PATCH", scim+"/Users/{user}", jsonBody(map[string]any{"schemas": []any{patchURN},
			"Operations": []any{map[string]any{"op": "remove", "path": `emails[value eq "` + lit + `"]`}}}))
	}

	// Paging and projection values out of range or of the wrong type.
	for _, q := range []string{"startIndex=-5", "startIndex=99999999999999999999999", "count=-1", "count=99999999999999999999",
		"count=1e3", "startIndex=0x10", "sortBy=nosuch", "sortBy=members", "sortOrder=sideways", "attributes=" + strings.Repeat("a,", 2000),
		"filter=" + urlEscape(strings.Repeat("(", 500)), "filter=" + urlEscape(`userName eq "a" and `+strings.Repeat(`not (`, 200)),
		"filter=%", "filter=userName%20eq", "filter=" + urlEscape(`meta.created gt "not-a-date"`), "filter=" + urlEscape(`active eq "yes"`)} {
		add("query "+q[:min(len(q), 60)], "GET", scim+"/Users?"+q, nil)
	}
	for _, q := range []string{"page_size=0", "page_size=101", "page_size=-1", "page_token=!!", "page_token=" + strings.Repeat("QQ", 100),
		"page_token=b3JnX19fX19fX19f%FF", "limit=0", "limit=1001", "after=-1", "after=99999999999999999999999", "updated_after=yesterday"} {
		add("api query "+q[:min(len(q), 60)], "GET", "/api/v1/organizations?"+q, nil)
		add("api events query "+q[:min(len(q), 60)], "GET", "/api/v1/events?"+q, nil)
	}
	return cs
}

// urlEscape percent-encodes every byte outside the unreserved set, so that
// the test controls exactly what is sent.
func urlEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// corpusEnv is one backend's server and fixture.
type corpusEnv struct {
	t     *testing.T
	srv   *httptest.Server
	key   string
	token string
	ids   map[string]string // placeholder → id
	// portal is a browser signed in to the Admin Portal of the fixture's
	// organization; ids["csrf"] is its form token.
	portal *http.Client
}

func (e *corpusEnv) send(method, path string, body []byte, auth string) (int, []byte) {
	e.t.Helper()
	for k, v := range e.ids {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
		body = bytes.ReplaceAll(body, []byte("{"+k+"}"), []byte(v))
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	client := e.srv.Client()
	if strings.HasPrefix(path, "/portal/") {
		client = e.portal
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req.Header.Set("Authorization", "Bearer "+auth)
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, b
}

// must sends a request that has to succeed and returns its decoded body.
func (e *corpusEnv) must(method, path string, body any, auth string) map[string]any {
	e.t.Helper()
	var b []byte
	if body != nil {
		b = jsonBody(body)
	}
	status, out := e.send(method, path, b, auth)
	if status >= 300 {
		e.t.Fatalf("%s %s: %d %s", method, path, status, out)
	}
	var m map[string]any
	json.Unmarshal(out, &m)
	return m
}

// snapshot is what the corpus must leave unchanged: the fixture's
// resources as read back, and the counts.
func (e *corpusEnv) snapshot() map[string]any {
	e.t.Helper()
	out := map[string]any{}
	for name, p := range map[string]string{
		"user":   "/scim/v2/{dir}/Users/{user}",
		"group":  "/scim/v2/{dir}/Groups/{group}",
		"users":  "/scim/v2/{dir}/Users?count=1000",
		"groups": "/scim/v2/{dir}/Groups?count=1000",
	} {
		out[name] = e.must("GET", p, nil, e.token)
	}
	for name, p := range map[string]string{
		"org":   "/api/v1/organizations/{org}",
		"orgs":  "/api/v1/organizations?page_size=100",
		"dirs":  "/api/v1/organizations/{org}/directories",
		"roles": "/api/v1/roles",
		"hooks": "/api/v1/webhook_endpoints",
		"maps":  "/api/v1/directories/{dir}/role_mappings",
		"links": "/api/v1/organizations/{org}/portal_links",
	} {
		out[name] = e.must("GET", p, nil, e.key)
	}
	// The directory's last request time moves with every request.
	for _, d := range out["dirs"].(map[string]any)["data"].([]any) {
		delete(d.(map[string]any), "last_request_at")
		delete(d.(map[string]any), "setup_state")
	}
	return out
}

func runCorpus(t *testing.T, cfg config.Config, corpus []malformedCase) map[string]int {
	ctx := context.Background()
	cfg.LogLevel, cfg.LogFormat, cfg.ShutdownTimeout = "warn", "text", 10*time.Second
	cfg.EventRetention, cfg.RequestLogRetention = time.Hour, time.Hour
	a, err := app.Open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	e := &corpusEnv{t: t, srv: srv, key: cfg.APIKey, ids: map[string]string{}}

	org := e.must("POST", "/api/v1/organizations", map[string]any{"name": "Acme", "external_id": "acme"}, e.key)
	e.ids["org"] = org["id"].(string)
	dir := e.must("POST", "/api/v1/organizations/{org}/directories", map[string]any{"provider": "okta", "name": "Okta"}, e.key)
	e.ids["dir"] = dir["id"].(string)
	tok := e.must("POST", "/api/v1/directories/{dir}/tokens", map[string]any{}, e.key)
	e.token = tok["token"].(string)
	e.ids["token"] = tok["id"].(string)
	user := e.must("POST", "/scim/v2/{dir}/Users", map[string]any{"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": "alice@example.com", "externalId": "a-1", "displayName": "Alice", "name": map[string]any{"familyName": "Liddell"},
		"emails": []any{map[string]any{"value": "alice@example.com", "primary": true}}}, e.token)
	e.ids["user"] = user["id"].(string)
	group := e.must("POST", "/scim/v2/{dir}/Groups", map[string]any{"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"displayName": "eng", "externalId": "g-1", "members": []any{map[string]any{"value": e.ids["user"]}}}, e.token)
	e.ids["group"] = group["id"].(string)
	hook := e.must("POST", "/api/v1/webhook_endpoints", map[string]any{"url": "https://example.com/hook"}, e.key)
	e.ids["hook"] = hook["id"].(string)
	e.must("PUT", "/api/v1/directories/{dir}/role_mappings", map[string]any{"mappings": []any{map[string]any{"group_id": e.ids["group"], "role": "member"}}}, e.key)
	link := e.must("POST", "/api/v1/organizations/{org}/portal_links", map[string]any{"kind": "share"}, e.key)
	e.ids["link"] = link["id"].(string)
	jar, _ := cookiejar.New(nil)
	e.portal = &http.Client{Jar: jar, Transport: srv.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	loc := link["location"].(string)
	if status, page := e.send("GET", loc[strings.Index(loc, "/portal/"):], nil, ""); status >= 400 {
		t.Fatalf("opening the portal link: %d %s", status, page)
	}
	_, page := e.send("GET", "/portal/directories/{dir}", nil, "")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token in the portal page: %.500s", page)
	}
	e.ids["csrf"] = string(m[1])
	before := e.snapshot()

	start := time.Now()
	statuses := map[string]int{}
	for _, c := range corpus {
		auth := e.key
		if strings.HasPrefix(c.path, "/scim/v2/") {
			auth = e.token
		}
		status, body := e.send(c.method, c.path, c.body, auth)
		statuses[c.name] = status
		checkMalformedAnswer(t, c, status, body)
		if c.want != 0 && status != c.want {
			t.Errorf("%.200s: %d, want %d: %.300s", c.name, status, c.want, body)
		}
		for _, s := range c.wantText {
			if !bytes.Contains(body, []byte(s)) {
				t.Errorf("%.200s: the answer does not mention %q: %.300s", c.name, s, body)
			}
		}
	}
	t.Logf("%d malformed requests in %v", len(corpus), time.Since(start).Round(time.Millisecond))

	if diff := cmp.Diff(before, e.snapshot()); diff != "" {
		t.Errorf("the stored data changed (-before +after):\n%s", diff)
	}
	return statuses
}

// checkMalformedAnswer checks one answer: never 5xx, and an error body of
// the surface's kind for every 4xx.
func checkMalformedAnswer(t *testing.T, c malformedCase, status int, body []byte) {
	t.Helper()
	short := c.name
	if len(short) > 200 {
		short = short[:200] + "…"
	}
	if status >= 500 {
		t.Errorf("%s: %d %.300s", short, status, body)
		return
	}
	var doc map[string]any
	if !strings.HasPrefix(c.path, "/portal/") && status >= 400 || status == http.StatusOK && strings.HasSuffix(strings.SplitN(c.path, "?", 2)[0], "/Bulk") {
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Errorf("%s: %d with a body that is not JSON: %.300s", short, status, body)
			return
		}
	}
	switch {
	case status < 400 && strings.HasSuffix(strings.SplitN(c.path, "?", 2)[0], "/Bulk"):
		ops, _ := doc["Operations"].([]any)
		for _, op := range ops {
			st, _ := op.(map[string]any)["status"].(string)
			if n, _ := strconv.Atoi(st); n >= 500 || n == 0 {
				t.Errorf("%s: a Bulk operation answered %q: %.300s", short, st, body)
			}
		}
	case status < 400:
	case strings.HasPrefix(c.path, "/portal/"):
		if !bytes.Contains(body, []byte("<html")) {
			t.Errorf("%s: %d without an HTML page: %.300s", short, status, body)
		}
	case strings.HasPrefix(c.path, "/scim/v2/"):
		schemas, _ := doc["schemas"].([]any)
		if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" || doc["status"] != strconv.Itoa(status) || doc["detail"] == "" {
			t.Errorf("%s: %d without a SCIM Error body: %.300s", short, status, body)
		}
	default:
		e, _ := doc["error"].(map[string]any)
		if msg, _ := e["message"].(string); msg == "" {
			t.Errorf("%s: %d without a JSON error message: %.300s", short, status, body)
		}
	}
}
