package scimapi_test

// Tests for the IdP must-accept checklist (docs/idp-compatibility.md), one
// per item (or per tight group of items), named after the item they prove.
// docs/idp-compatibility.md maps every item to its test.

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
	"github.com/scimbridge/scimbridge/internal/scimapi"
)

// clFilter is a filter query as Okta encodes it (%20 for spaces).
func clFilter(f string) string {
	return "filter=" + strings.ReplaceAll(url.QueryEscape(f), "+", "%20")
}

// clOp is one PATCH operation.
func clOp(op, path string, value any) map[string]any {
	m := map[string]any{"op": op}
	if path != "" {
		m["path"] = path
	}
	if value != nil {
		m["value"] = value
	}
	return m
}

func clMembers(ids ...string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = map[string]any{"value": id}
	}
	return out
}

func clGroupMembers(t *testing.T, e *env, gid string) []string {
	t.Helper()
	return sorted(memberIDs(e.do("GET", "Groups/"+gid, nil).want(t, http.StatusOK)))
}

// ---- Transport and authentication ----

func TestChecklist04EntraJWTRejectedWith401(t *testing.T) {
	e := newEnv(t)
	// An Entra-issued test JWT (Secret Token left blank): not a static token, so 401 with the SCIM error.
	jwt := "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL3N0cy53aW5kb3dzLm5ldC90ZW5hbnQvIiwiYXVkIjoiOGFkZjhlNmUtNjdiMi00Y2YyLWEyNTktZTNkYzU0NzZjNjIxIn0.c2ln"
	e.do("GET", "Users", nil, "Authorization", "Bearer "+jwt).want(t, http.StatusUnauthorized)
}

func TestChecklist07ErrorsAreScimJSON(t *testing.T) {
	e := newEnv(t)
	// e.do checks Content-Type application/scim+json and the Error schema on every one.
	e.do("GET", "Users", nil, "Authorization", "-").want(t, http.StatusUnauthorized)
	e.do("GET", "Users/nope", nil).want(t, http.StatusNotFound)
	e.do("GET", "Nope", nil).want(t, http.StatusNotFound)
	e.do("GET", "Users?"+clFilter(`userName eq`), nil).want(t, http.StatusBadRequest, "invalidFilter")
	e.do("POST", "Users", `{"userName":`).want(t, http.StatusBadRequest, "invalidSyntax")
	r := e.do("GET", "Users", nil).want(t, http.StatusOK)
	if r.header.Get("Content-Type") != "application/scim+json" {
		t.Errorf("Content-Type %q", r.header.Get("Content-Type"))
	}
}

func TestChecklist08NoUserAgentRequired(t *testing.T) {
	e := newEnv(t)
	// An empty User-Agent value makes net/http send no User-Agent at all (Entra).
	for _, ua := range []string{"", " "} {
		e.do("GET", "Users?"+clFilter(`userName eq "3e59e27b-0000-4000-8000-000000000000"`), nil, "User-Agent", ua).want(t, http.StatusOK)
		e.do("POST", "Users", map[string]any{"userName": "ua" + fmt.Sprint(len(ua)) + "@example.com"}, "User-Agent", ua).want(t, http.StatusCreated)
	}
}

func TestChecklist09GzipAcceptedAndKeepAlive(t *testing.T) {
	e := newEnv(t)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var reused []bool
	for i := range 3 {
		req, _ := http.NewRequest("GET", e.base+"/Users?startIndex=1&count=2", nil)
		req.Header.Set("Authorization", "Bearer "+e.token)
		req.Header.Set("Accept", "application/scim+json")
		req.Header.Set("Accept-Charset", "utf-8")
		req.Header.Set("Accept-Encoding", "gzip,deflate") // set by hand: the transport then does not decompress
		req.Header.Set("Connection", "Keep-Alive")
		req.Header.Set("User-Agent", "Okta SCIM Client 1.0.0")
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(info httptrace.GotConnInfo) { reused = append(reused, info.Reused) },
		}))
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var rd io.Reader = res.Body
		if res.Header.Get("Content-Encoding") == "gzip" {
			if rd, err = gzip.NewReader(res.Body); err != nil {
				t.Fatal(err)
			}
		}
		raw, err := io.ReadAll(rd)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 || !strings.Contains(string(raw), schema.ListResponseURN) {
			t.Fatalf("request %d: %d %v %s", i, res.StatusCode, err, raw)
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/scim+json" {
			t.Errorf("Content-Type %q", ct)
		}
	}
	if !slices.Equal(reused, []bool{false, true, true}) {
		t.Errorf("connection reuse %v, want the keep-alive connection reused", reused)
	}
}

func TestChecklist11BasePathTrailingSlash(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("slash@example.com")
	e.do("GET", e.base+"/Users/", nil).want(t, http.StatusOK)
	e.do("GET", e.base+"/Users/"+id+"/", nil).want(t, http.StatusOK)
	e.do("GET", e.base+"//Users", nil).want(t, http.StatusOK)
	// No underscore needed in the base URL (Okta forbids them): dir- is an alias of dir_.
	e.do("GET", strings.Replace(e.base, "dir_", "dir-", 1)+"/Users/", nil).want(t, http.StatusOK)
}

func TestChecklist12UnknownQueryParametersIgnored(t *testing.T) {
	e := newEnv(t)
	e.do("GET", "Users?aadOptscim062020", nil).want(t, http.StatusOK)
	e.do("GET", "Users?aadOptscim062020&"+clFilter(`userName eq "x@example.com"`), nil).want(t, http.StatusOK)
	id := e.do("POST", "Users?aadOptscim062020", map[string]any{"userName": "flag@example.com"}).want(t, http.StatusCreated).str("id")
	e.do("PATCH", "Users/"+id+"?aadOptscim062020", patchOp(clOp("replace", "active", false))).want(t, http.StatusOK)
}

func TestChecklist13LargeRequestsFinishWellWithin60s(t *testing.T) {
	e := newEnv(t)
	var users []string
	for i := range 200 {
		users = append(users, e.createUser(fmt.Sprintf("t%03d@example.com", i)))
	}
	gid := e.createGroup("Timing")
	start := time.Now()
	e.do("PUT", "Groups/"+gid, map[string]any{"displayName": "Timing", "members": clMembers(users...)}).want(t, http.StatusOK)
	e.do("PATCH", "Groups/"+gid, patchOp(clOp("remove", "members", clMembers(users[:100]...)))).want(t, http.StatusNoContent)
	e.do("GET", "Users?startIndex=1&count=200", nil).want(t, http.StatusOK)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("200-member PUT, 100-member remove and a 200-user page took %v", d)
	}
}

// ---- Queries and filters ----

func TestChecklist18UserNameEqFilter(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("jdoe@example.com")
	e.createUser("other@example.com")
	r := e.do("GET", "Users?"+clFilter(`userName eq "jdoe@example.com"`)+"&startIndex=1&count=100", nil)
	checkList(t, r, 1, 1, 1)
	if got := ids(r); len(got) != 1 || got[0] != id {
		t.Errorf("got %v", ids(r))
	}
}

func TestChecklist19UserNameCaseInsensitiveInFiltersAndUniqueness(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("Jane.Doe@Example.com")
	r := e.do("GET", "Users?"+clFilter(`userName eq "JANE.DOE@EXAMPLE.COM"`), nil)
	checkList(t, r, 1, 1, 1)
	if got := ids(r); len(got) != 1 || got[0] != id {
		t.Errorf("got %v", ids(r))
	}
	e.do("POST", "Users", oktaUser("jane.doe@example.com")).want(t, http.StatusConflict, "uniqueness")
}

func TestChecklist20ExternalIdEqCaseSensitive(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("ext@example.com", map[string]any{"externalId": "00uAbCdEf"})
	r := e.do("GET", "Users?"+clFilter(`externalId eq "00uAbCdEf"`), nil)
	checkList(t, r, 1, 1, 1)
	if got := ids(r); len(got) != 1 || got[0] != id {
		t.Errorf("got %v", ids(r))
	}
	checkList(t, e.do("GET", "Users?"+clFilter(`externalId eq "00uabcdef"`), nil), 0, 1, 0)
}

func TestChecklist21WorkEmailValueFilter(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("alice@contoso.com", map[string]any{"emails": []any{
		map[string]any{"type": "home", "value": "alice@home.example"},
		map[string]any{"type": "work", "value": "alice.work@contoso.com", "primary": true},
	}})
	r := e.do("GET", "Users?"+clFilter(`emails[type eq "work"].value eq "alice.work@contoso.com"`), nil)
	checkList(t, r, 1, 1, 1)
	if got := ids(r); len(got) != 1 || got[0] != id {
		t.Errorf("got %v", ids(r))
	}
	checkList(t, e.do("GET", "Users?"+clFilter(`emails[type eq "work"].value eq "alice@home.example"`), nil), 0, 1, 0)
}

func TestChecklist22GroupDisplayNameFilterExcludingMembers(t *testing.T) {
	e := newEnv(t)
	uid := e.createUser("m@example.com")
	gid := e.createGroup("Sales", uid)
	e.createGroup("Marketing")
	r := e.do("GET", "Groups?excludedAttributes=members&"+clFilter(`displayName eq "Sales"`), nil)
	checkList(t, r, 1, 1, 1)
	if ids(r)[0] != gid {
		t.Errorf("got %v", ids(r))
	}
	if _, ok := r.resources()[0]["members"]; ok {
		t.Errorf("members returned despite excludedAttributes: %s", r.raw)
	}
}

func TestChecklist23AndFilterIdAndManager(t *testing.T) {
	e := newEnv(t)
	mgr := e.createUser("boss@example.com")
	id := e.createUser("report@example.com", map[string]any{enterpriseURN: map[string]any{"manager": mgr}})
	for _, f := range []string{
		`id eq "` + id + `" and manager eq "` + mgr + `"`,
		`id eq "` + id + `" and manager.value eq "` + mgr + `"`,
		`id eq "` + id + `" and ` + enterpriseURN + `:manager.value eq "` + mgr + `"`,
	} {
		t.Run(f, func(t *testing.T) {
			r := e.do("GET", "Users?attributes=id&"+clFilter(f), nil)
			checkList(t, r, 1, 1, 1)
			if got := ids(r); len(got) != 1 || got[0] != id {
				t.Errorf("got %v", ids(r))
			}
			if _, ok := r.resources()[0]["userName"]; ok {
				t.Errorf("attributes=id returned userName: %s", r.raw)
			}
		})
	}
	checkList(t, e.do("GET", "Users?attributes=id&"+clFilter(`id eq "`+id+`" and manager eq "`+id+`"`), nil), 0, 1, 0)
}

func TestChecklist24CaseInsensitiveAttributeNamesAndOperators(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("pat.ping@example.com")
	for _, f := range []string{`username Eq "pat.ping@example.com"`, `UserName EQ "pat.ping@example.com"`, `userName Co "ping"`, `USERNAME co "PAT."`, `emails.value co "ping@"`} {
		r := e.do("GET", "Users?"+clFilter(f), nil)
		checkList(t, r, 1, 1, 1)
		if got := ids(r); len(got) != 1 || got[0] != id {
			t.Errorf("%s: got %v", f, ids(r))
		}
	}
}

func TestChecklist25EncodedSpacesQuotesAndAt(t *testing.T) {
	e := newEnv(t)
	const name = `o"brien+x@example.com`
	id := e.createUser(name)
	f := `userName eq "o\"brien+x@example.com"`
	for _, q := range []string{
		"filter=" + url.QueryEscape(f), // + for spaces (Entra)
		clFilter(f),                    // %20 for spaces (Okta)
		"filter=" + strings.NewReplacer(" ", "%20", `"`, "%22", `\`, "%5C", "+", "%2B").Replace(f), // @ left unescaped
	} {
		r := e.do("GET", "Users?"+q, nil)
		checkList(t, r, 1, 1, 1)
		if got := ids(r); len(got) != 1 || got[0] != id {
			t.Errorf("%s: got %v", q, ids(r))
		}
	}
}

func TestChecklist26UnquotedLiteralsAcceptedGarbageIs400(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("jyoung@example.com", map[string]any{"externalId": "jyoung"})
	r := e.do("GET", "Users?"+clFilter(`externalId eq jyoung`), nil)
	checkList(t, r, 1, 1, 1)
	if got := ids(r); len(got) != 1 || got[0] != id {
		t.Errorf("got %v", ids(r))
	}
	for _, f := range []string{`userName eq`, `userName eq "x`, `(userName eq "x"`, `userName zz "x"`} {
		e.do("GET", "Users?"+clFilter(f), nil).want(t, http.StatusBadRequest, "invalidFilter")
	}
}

func TestChecklist27NoMatchIsEmptyListResponse(t *testing.T) {
	e := newEnv(t)
	e.createUser("someone@example.com")
	for _, p := range []string{
		"Users?" + clFilter(`userName eq "3e59e27b-6ae5-4c6b-9bd1-1ab6c0b7a1f3"`),
		"Groups?excludedAttributes=members&" + clFilter(`displayName eq "3e59e27b"`),
	} {
		r := e.do("GET", p, nil)
		checkList(t, r, 0, 1, 0)
		if !strings.Contains(string(r.raw), `"Resources":[]`) {
			t.Errorf("Resources not []: %s", r.raw)
		}
	}
}

func TestChecklist28UnsupportedFilterIs400NeverIgnored(t *testing.T) {
	e := newEnv(t)
	e.createUser("a@example.com")
	for _, f := range []string{`favoriteColor eq "blue"`, `urn:example:custom:2.0:User:thing eq "x"`, `meta.nope eq "x"`} {
		e.do("GET", "Users?"+clFilter(f), nil).want(t, http.StatusBadRequest, "invalidFilter")
	}
	e.do("GET", "Groups?"+clFilter(`nope eq "x"`), nil).want(t, http.StatusBadRequest, "invalidFilter")
}

func TestChecklist29And37GroupProjection(t *testing.T) {
	e := newEnv(t)
	uid := e.createUser("p@example.com")
	gid := e.createGroup("Projected", uid)
	for _, p := range []string{"Groups?excludedAttributes=members", "Groups/" + gid + "?excludedAttributes=members", "Groups?attributes=displayName", "Groups/" + gid + "?attributes=displayName"} {
		r := e.do("GET", p, nil).want(t, http.StatusOK)
		if strings.Contains(string(r.raw), `"members"`) || !strings.Contains(string(r.raw), `"Projected"`) {
			t.Errorf("%s: %s", p, r.raw)
		}
	}
	// Without projection the members are there.
	if got := memberIDs(e.do("GET", "Groups/"+gid, nil)); !slices.Equal(got, []string{uid}) {
		t.Errorf("members %v", got)
	}
}

func TestChecklist30InactiveUsersStillReturned(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("inactive@example.com")
	e.do("PATCH", "Users/"+id, patchOp(clOp("replace", "", map[string]any{"active": false}))).want(t, http.StatusOK)
	if r := e.do("GET", "Users/"+id, nil).want(t, http.StatusOK); r.get("active") != false {
		t.Errorf("GET: %s", r.raw)
	}
	r := e.do("GET", "Users?"+clFilter(`userName eq "inactive@example.com"`), nil)
	checkList(t, r, 1, 1, 1)
	checkList(t, e.do("GET", "Users?"+clFilter(`active eq false`), nil), 1, 1, 1)
	checkList(t, e.do("GET", "Users", nil), 1, 1, 1)
}

func TestChecklist31UnknownAndAbsurdIdsAre404(t *testing.T) {
	e := newEnv(t)
	for _, id := range []string{"0", "010101010101010101010101", "usr_doesnotexist", strings.Repeat("9", 300), "%00"} {
		e.do("GET", "Users/"+id, nil).want(t, http.StatusNotFound)
	}
	e.do("GET", "Groups/0", nil).want(t, http.StatusNotFound)
}

// ---- Pagination ----

func TestChecklist32To36Pagination(t *testing.T) {
	e := newEnv(t)
	const n = 250
	var all []string
	for i := range n {
		all = append(all, e.createUser(fmt.Sprintf("page%03d@example.com", i)))
	}
	var groups []string
	for i := range 120 {
		groups = append(groups, e.createGroup(fmt.Sprintf("G%03d", i)))
	}
	// 32: startIndex < 1 is 1; no count is a default page of 100.
	checkList(t, e.do("GET", "Users?startIndex=0&count=2", nil), n, 1, 2)
	checkList(t, e.do("GET", "Users?startIndex=-5&count=2", nil), n, 1, 2)
	checkList(t, e.do("GET", "Users", nil), n, 1, 100)
	// 33, 35, 36: Okta's import loop, count=100; authentik's loop until seen >= totalResults.
	for _, tt := range []struct {
		res  string
		want []string
	}{{"Users", all}, {"Groups", groups}} {
		var seen []string
		for start := 1; ; start += 100 {
			r := e.do("GET", fmt.Sprintf("%s?startIndex=%d&count=100", tt.res, start), nil)
			items := min(100, len(tt.want)-(start-1))
			checkList(t, r, len(tt.want), start, items)
			seen = append(seen, ids(r)...)
			if len(seen) >= r.num("totalResults") {
				break
			}
		}
		if diff := cmp.Diff(tt.want, seen); diff != "" {
			t.Errorf("%s pages (-want +got):\n%s", tt.res, diff)
		}
	}
	// 34: the order does not depend on count.
	var byThree []string
	for start := 1; start <= 30; start += 3 {
		byThree = append(byThree, ids(e.do("GET", fmt.Sprintf("Users?startIndex=%d&count=3", start), nil))...)
	}
	if diff := cmp.Diff(all[:30], byThree); diff != "" {
		t.Errorf("count=3 pages (-want +got):\n%s", diff)
	}
}

// ---- Create ----

func TestChecklist38CreateReturns201FullResourceAndLocation(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "Users", oktaUser("create@example.com")).want(t, http.StatusCreated)
	if r.str("id") == "" || r.str("userName") != "create@example.com" || r.str("name.familyName") != "Lovelace" || r.str("emails.0.value") != "create@example.com" || r.get("active") != true {
		t.Errorf("body: %s", r.raw)
	}
	if loc := r.header.Get("Location"); loc == "" || loc != r.str("meta.location") || !strings.HasSuffix(loc, "/Users/"+r.str("id")) {
		t.Errorf("Location %q, meta.location %q", loc, r.str("meta.location"))
	}
}

func TestChecklist40And41IgnoreReadOnlyNoiseAndNulls(t *testing.T) {
	e := newEnv(t)
	body := oktaUser("noise@example.com")
	body["id"] = "client-chosen-id"
	body["meta"] = map[string]any{"resourceType": "User", "created": "2001-01-01T00:00:00Z"}
	body["roles"] = []any{}
	body["entitlements"] = []any{}
	body["x509Certificates"] = []any{}
	body["addresses"] = nil
	body["phoneNumbers"] = nil
	body["department"] = nil
	body["manager"] = nil
	body["nickName"] = nil
	r := e.do("POST", "Users", body).want(t, http.StatusCreated)
	if r.str("id") == "client-chosen-id" || r.get("password") != nil || strings.Contains(string(r.raw), "hunter2") || strings.Contains(string(r.raw), "2001-01-01") {
		t.Errorf("noise leaked: %s", r.raw)
	}
	id := r.str("id")
	// The same noise on PUT.
	body["id"] = id
	e.do("PUT", "Users/"+id, body).want(t, http.StatusOK)
}

func TestChecklist42UnusualSchemaURIsAccepted(t *testing.T) {
	e := newEnv(t)
	for i, schemas := range [][]string{
		{schema.UserURN, "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"},
		{"urn:scim:schemas:core:1.0"},
		{schema.UserURN, "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"},
		{},
	} {
		e.do("POST", "Users", map[string]any{"schemas": schemas, "userName": fmt.Sprintf("s%d@example.com", i)}).want(t, http.StatusCreated)
	}
	r := e.do("POST", "Groups", map[string]any{
		"schemas":     []string{schema.GroupURN, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"},
		"externalId":  "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
		"displayName": "Group1DisplayName",
		"meta":        map[string]any{"resourceType": "Group"},
	}).want(t, http.StatusCreated)
	if r.str("displayName") != "Group1DisplayName" {
		t.Errorf("group: %s", r.raw)
	}
	// Extension data without its URN in schemas.
	r = e.do("POST", "Users", map[string]any{"schemas": []string{schema.UserURN}, "userName": "ext-noschema@example.com",
		enterpriseURN: map[string]any{"employeeNumber": "42"}}).want(t, http.StatusCreated)
	if enterprise(r)["employeeNumber"] != "42" {
		t.Errorf("extension lost: %s", r.raw)
	}
}

func TestChecklist43CreateDisabledUser(t *testing.T) {
	e := newEnv(t)
	body := oktaUser("disabled@example.com")
	body["active"] = false
	r := e.do("POST", "Users", body).want(t, http.StatusCreated)
	if r.get("active") != false {
		t.Errorf("%s", r.raw)
	}
}

func TestChecklist44To46ValuesStoredExactlyAsSent(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "Users", map[string]any{
		"userName":     "Jane.DOE@Example.COM",
		"externalId":   "00uAbC123xYz",
		"emails":       []any{map[string]any{"type": "work", "value": "Jane.Doe+Tag@Example.COM"}},
		"phoneNumbers": []any{map[string]any{"type": "mobile", "value": "+1 (555) 010-0100"}},
	}).want(t, http.StatusCreated)
	r = e.do("GET", "Users/"+r.str("id"), nil).want(t, http.StatusOK)
	got := []string{r.str("userName"), r.str("externalId"), r.str("emails.0.value"), r.str("phoneNumbers.0.value")}
	if diff := cmp.Diff([]string{"Jane.DOE@Example.COM", "00uAbC123xYz", "Jane.Doe+Tag@Example.COM", "+1 (555) 010-0100"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Choice: externalId is not a uniqueness key (userName is); a filter on it returns every match.
	e.do("POST", "Users", map[string]any{"userName": "second@example.com", "externalId": "00uAbC123xYz"}).want(t, http.StatusCreated)
	checkList(t, e.do("GET", "Users?"+clFilter(`externalId eq "00uAbC123xYz"`), nil), 2, 1, 2)
}

func TestChecklist47EnterpriseExtensionWithStringManager(t *testing.T) {
	e := newEnv(t)
	mgr := e.createUser("mgr@example.com")
	body := entraUser("grace@example.com")
	body[enterpriseURN].(map[string]any)["manager"] = mgr
	r := e.do("POST", "Users", body).want(t, http.StatusCreated)
	ent := enterprise(r)
	if ent["employeeNumber"] != "701984" || ent["department"] != "Navy" {
		t.Errorf("POST: %s", r.raw)
	}
	if m, _ := ent["manager"].(map[string]any); m["value"] != mgr {
		t.Errorf("manager: %s", r.raw)
	}
	id := r.str("id")
	body[enterpriseURN].(map[string]any)["department"] = "Fleet"
	r = e.do("PUT", "Users/"+id, body).want(t, http.StatusOK)
	if enterprise(r)["department"] != "Fleet" {
		t.Errorf("PUT: %s", r.raw)
	}
}

func TestChecklist48To50CreateGroups(t *testing.T) {
	e := newEnv(t)
	u1, u2 := e.createUser("g1@example.com"), e.createUser("g2@example.com")
	r := e.do("POST", "Groups", map[string]any{"schemas": []string{schema.GroupURN}, "displayName": "Engineering", "members": []any{}}).want(t, http.StatusCreated)
	if r.str("id") == "" || r.str("displayName") != "Engineering" {
		t.Errorf("%s", r.raw)
	}
	r = e.do("POST", "Groups", map[string]any{"schemas": []string{schema.GroupURN}, "displayName": "NoMembers"}).want(t, http.StatusCreated)
	if r.str("id") == "" {
		t.Errorf("%s", r.raw)
	}
	r = e.do("POST", "Groups", map[string]any{"displayName": "APP-Users", "members": []any{
		map[string]any{"value": u1, "display": "g1@example.com"}, map[string]any{"value": u2, "display": "g2@example.com"}}}).want(t, http.StatusCreated)
	if diff := cmp.Diff(sorted([]string{u1, u2}), clGroupMembers(t, e, r.str("id"))); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	e.do("POST", "Groups", map[string]any{"displayName": "ENGINEERING"}).want(t, http.StatusConflict, "uniqueness")
}

// ---- Replace ----

func TestChecklist51To53PutUser(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "Users", oktaUser("put@example.com")).want(t, http.StatusCreated)
	id := r.str("id")
	// Okta: GET, then PUT the object as returned (id, meta, groups…) with a change.
	full := e.do("GET", "Users/"+id, nil).want(t, http.StatusOK).body
	full["displayName"] = "Ada King"
	r = e.do("PUT", "Users/"+id, full).want(t, http.StatusOK)
	if r.str("displayName") != "Ada King" || r.str("id") != id {
		t.Errorf("PUT: %s", r.raw)
	}
	full["active"] = false
	if r = e.do("PUT", "Users/"+id, full).want(t, http.StatusOK); r.get("active") != false {
		t.Errorf("PUT active false: %s", r.raw)
	}
	full["active"] = true
	if r = e.do("PUT", "Users/"+id, full).want(t, http.StatusOK); r.get("active") != true {
		t.Errorf("PUT active true: %s", r.raw)
	}
}

func TestChecklist54And55PutGroupMembers(t *testing.T) {
	e := newEnv(t)
	a, b, c := e.createUser("a@example.com"), e.createUser("b@example.com"), e.createUser("c@example.com")
	gid := e.createGroup("APP-Users", a, b)
	e.do("PUT", "Groups/"+gid, map[string]any{"schemas": []string{schema.GroupURN}, "displayName": "APP-Users",
		"members": []any{map[string]any{"value": b, "display": "b"}, map[string]any{"value": c, "display": "c"}}}).want(t, http.StatusOK)
	if diff := cmp.Diff(sorted([]string{b, c}), clGroupMembers(t, e, gid)); diff != "" {
		t.Errorf("PUT replaces (-want +got):\n%s", diff)
	}
	e.do("PUT", "Groups/"+gid, map[string]any{"displayName": "APP-Users-2"}).want(t, http.StatusOK)
	if diff := cmp.Diff(sorted([]string{b, c}), clGroupMembers(t, e, gid)); diff != "" {
		t.Errorf("PUT without members keeps them (-want +got):\n%s", diff)
	}
	e.do("PUT", "Groups/"+gid, map[string]any{"displayName": "APP-Users-2", "members": []any{}}).want(t, http.StatusOK)
	if got := clGroupMembers(t, e, gid); len(got) != 0 {
		t.Errorf("PUT members [] should empty: %v", got)
	}
}

// ---- PATCH: general ----

func TestChecklist56OpCaseInsensitive(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("ops@example.com")
	for _, op := range []string{"add", "Add", "ADD", "replace", "Replace", "REPLACE"} {
		r := e.do("PATCH", "Users/"+id, patchOp(clOp(op, "nickName", op))).want(t, http.StatusOK)
		if r.str("nickName") != op {
			t.Errorf("%s: %s", op, r.raw)
		}
	}
	for _, op := range []string{"remove", "Remove", "REMOVE"} {
		e.do("PATCH", "Users/"+id, patchOp(clOp("add", "title", "T"))).want(t, http.StatusOK)
		if r := e.do("PATCH", "Users/"+id, patchOp(clOp(op, "title", nil))).want(t, http.StatusOK); r.get("title") != nil {
			t.Errorf("%s: %s", op, r.raw)
		}
	}
}

func TestChecklist57PatchSchemasMissingOrEmpty(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("schemas@example.com")
	e.do("PATCH", "Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"a"}]}`).want(t, http.StatusOK)
	e.do("PATCH", "Users/"+id, `{"Operations":[{"op":"replace","path":"title","value":"b"}]}`).want(t, http.StatusOK)
	r := e.do("PATCH", "Users/"+id, `{"schemas":[],"Operations":[{"op":"replace","path":"title","value":"c"}]}`).want(t, http.StatusOK)
	if r.str("title") != "c" {
		t.Errorf("%s", r.raw)
	}
}

func TestChecklist58OperationsInOrderAndAtomic(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("atomic@example.com")
	r := e.do("PATCH", "Users/"+id, patchOp(clOp("replace", "title", "first"), clOp("replace", "title", "second"), clOp("add", "nickName", "n"))).want(t, http.StatusOK)
	if r.str("title") != "second" || r.str("nickName") != "n" {
		t.Errorf("in order: %s", r.raw)
	}
	// The second op fails: nothing of the first is kept.
	e.do("PATCH", "Users/"+id, patchOp(clOp("replace", "title", "third"), clOp("replace", `emails[type eq`, "x"))).want(t, http.StatusBadRequest, "invalidPath")
	if r := e.do("GET", "Users/"+id, nil); r.str("title") != "second" || r.str("meta.version") != `W/"2"` {
		t.Errorf("not atomic: %s", r.raw)
	}
}

func TestChecklist59To61PathlessValues(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("pathless@example.com")
	// Entra with aadOptscim062020: dotted and URN-qualified keys in one path-less replace.
	r := e.do("PATCH", "Users/"+id, patchOp(
		clOp("replace", `emails[type eq "work"].value`, "pl.work@example.com"),
		clOp("replace", "", map[string]any{
			"displayName":                     "Bab Jensen",
			"name.givenName":                  "Barbara",
			"name.familyName":                 "Jensen",
			enterpriseURN + ":employeeNumber": "701984",
			"nickName":                        "Babs",
		}))).want(t, http.StatusOK)
	got := []string{r.str("displayName"), r.str("name.givenName"), r.str("name.familyName"), r.str("nickName"), r.str("emails.0.value")}
	if diff := cmp.Diff([]string{"Bab Jensen", "Barbara", "Jensen", "Babs", "pl.work@example.com"}, got); diff != "" || enterprise(r)["employeeNumber"] != "701984" {
		t.Errorf("(-want +got):\n%s\n%s", diff, r.raw)
	}
	// 61: Okta's group rename carries id; authentik-style bodies carry schemas, meta, members: null.
	gid := e.createGroup("Engineering")
	e.do("PATCH", "Groups/"+gid, patchOp(clOp("replace", "", map[string]any{"id": gid, "displayName": "Engineering 2"}))).want(t, http.StatusNoContent)
	e.do("PATCH", "Groups/"+gid, patchOp(clOp("replace", "", map[string]any{"schemas": []string{schema.GroupURN}, "meta": map[string]any{"resourceType": "Group"}, "members": nil, "displayName": "Engineering 3"}))).want(t, http.StatusNoContent)
	if r := e.do("GET", "Groups/"+gid, nil); r.str("displayName") != "Engineering 3" {
		t.Errorf("%s", r.raw)
	}
}

func TestChecklist62And63AddEqualsReplaceAndStringBooleans(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("bools@example.com")
	for _, tt := range []struct {
		op    string
		value any
		want  bool
	}{
		{"Add", "False", false}, {"Add", "True", true}, {"Replace", "FALSE", false}, {"replace", "true", true},
		{"add", false, false}, {"Replace", true, true},
	} {
		r := e.do("PATCH", "Users/"+id, patchOp(clOp(tt.op, "active", tt.value))).want(t, http.StatusOK)
		if r.get("active") != tt.want {
			t.Errorf("%s %v: %s", tt.op, tt.value, r.raw)
		}
	}
	// A string boolean inside a path filter.
	e.do("PATCH", "Users/"+id, patchOp(clOp("replace", `emails[primary eq "True"].value`, "new.primary@example.com"))).want(t, http.StatusOK)
	if r := e.do("GET", "Users/"+id, nil); r.str("emails.0.value") != "new.primary@example.com" {
		t.Errorf("%s", r.raw)
	}
	// add on a singular attribute replaces it.
	e.do("PATCH", "Users/"+id, patchOp(clOp("Add", "nickName", "one"))).want(t, http.StatusOK)
	if r := e.do("PATCH", "Users/"+id, patchOp(clOp("Add", "nickName", "two"))).want(t, http.StatusOK); r.str("nickName") != "two" {
		t.Errorf("%s", r.raw)
	}
}

func TestChecklist64To66URNAndFilteredPaths(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("paths@example.com", map[string]any{"emails": []any{map[string]any{"type": "home", "value": "home@example.com"}}})
	r := e.do("PATCH", "Users/"+id, patchOp(
		clOp("Replace", enterpriseURN+":employeeNumber", "123"),
		clOp("Replace", enterpriseURN+":department", "R&D"),
		clOp("Replace", `emails[type eq "work"].value`, "work@example.com"), // 66: no work email yet
		clOp("Add", `phoneNumbers[type eq "mobile"].value`, "+1 555 0100"),
		clOp("Replace", `addresses[type eq "work"].postalCode`, "98052"),
	)).want(t, http.StatusOK)
	if ent := enterprise(r); ent["employeeNumber"] != "123" || ent["department"] != "R&D" {
		t.Errorf("URN paths: %s", r.raw)
	}
	r = e.do("GET", "Users?"+clFilter(`emails[type eq "work"].value eq "work@example.com"`), nil)
	checkList(t, r, 1, 1, 1)
	u := e.do("GET", "Users/"+id, nil)
	if !strings.Contains(string(u.raw), `"home@example.com"`) || !strings.Contains(string(u.raw), `"+1 555 0100"`) || !strings.Contains(string(u.raw), `"98052"`) {
		t.Errorf("filtered paths: %s", u.raw)
	}
	// The second replace of the work email changes it, not adds another.
	e.do("PATCH", "Users/"+id, patchOp(clOp("Replace", `emails[type eq "work"].value`, "work2@example.com"))).want(t, http.StatusOK)
	u = e.do("GET", "Users/"+id, nil)
	if strings.Count(string(u.raw), `"type":"work"`) != 2 || strings.Contains(string(u.raw), `"work@example.com"`) { // one email, one address
		t.Errorf("work email duplicated: %s", u.raw)
	}
}

func TestChecklist67And68NoOpPatchesSucceed(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("noop@example.com")
	e.do("PATCH", "Users/"+id, patchOp(clOp("Remove", "nickName", nil))).want(t, http.StatusOK)
	e.do("PATCH", "Users/"+id, patchOp(clOp("remove", `emails[type eq "home"]`, nil))).want(t, http.StatusOK)
	e.do("PATCH", "Users/"+id, patchOp(clOp("remove", enterpriseURN+":manager", nil))).want(t, http.StatusOK)
	r := e.do("PATCH", "Users/"+id, patchOp(clOp("replace", "userName", "noop@example.com"), clOp("replace", "active", true))).want(t, http.StatusOK)
	if r.str("meta.version") != `W/"1"` {
		t.Errorf("a PATCH that changes nothing moved the version: %s", r.raw)
	}
	gid := e.createGroup("Noop")
	e.do("PATCH", "Groups/"+gid, patchOp(clOp("replace", "displayName", "Noop"))).want(t, http.StatusNoContent)
}

func TestChecklist69PatchResponses(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("resp@example.com")
	if r := e.do("PATCH", "Users/"+id, patchOp(clOp("replace", "title", "x"))).want(t, http.StatusOK); r.str("id") != id {
		t.Errorf("user PATCH: %s", r.raw)
	}
	gid := e.createGroup("Resp")
	e.do("PATCH", "Groups/"+gid, patchOp(clOp("replace", "displayName", "Resp2"))).want(t, http.StatusNoContent)
	if r := e.do("PATCH", "Groups/"+gid+"?excludedAttributes=members", patchOp(clOp("replace", "displayName", "Resp3"))).want(t, http.StatusOK); r.str("displayName") != "Resp3" {
		t.Errorf("group PATCH with projection: %s", r.raw)
	}
}

func TestChecklist70EmptyOperationsIsANoOp(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("empty-ops@example.com")
	gid := e.createGroup("EmptyOps", id)
	r := e.do("PATCH", "Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}`).want(t, http.StatusOK)
	if r.str("meta.version") != `W/"1"` || r.str("userName") != "empty-ops@example.com" {
		t.Errorf("user: %s", r.raw)
	}
	e.do("PATCH", "Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}`).want(t, http.StatusNoContent)
	if g := e.do("GET", "Groups/"+gid, nil); g.str("meta.version") != `W/"1"` || !slices.Equal(memberIDs(g), []string{id}) {
		t.Errorf("group: %s", g.raw)
	}
}

// ---- PATCH: users ----

func TestChecklist71To73DeactivateAndReactivateEveryShape(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("deact@example.com")
	gid := e.createGroup("Kept", id)
	off := []map[string]any{
		clOp("replace", "", map[string]any{"active": false}), // Okta
		clOp("Replace", "active", "False"),                   // Entra default
		clOp("Replace", "active", false),                     // Entra tutorial
		clOp("replace", "active", false),                     // Entra with the flag
		clOp("Add", "active", "False"),                       // Entra at Rancher
	}
	on := []map[string]any{
		clOp("replace", "", map[string]any{"active": true}),
		clOp("Replace", "active", "True"),
		clOp("Replace", "active", true),
		clOp("replace", "active", true),
		clOp("Add", "active", "True"),
	}
	for i := range off {
		if r := e.do("PATCH", "Users/"+id, patchOp(off[i])).want(t, http.StatusOK); r.get("active") != false {
			t.Errorf("deactivate %v: %s", off[i], r.raw)
		}
		r := e.do("PATCH", "Users/"+id, patchOp(on[i])).want(t, http.StatusOK)
		if r.get("active") != true || r.str("groups.0.value") != gid {
			t.Errorf("reactivate %v: %s", on[i], r.raw)
		}
	}
	if got := clGroupMembers(t, e, gid); !slices.Equal(got, []string{id}) {
		t.Errorf("members %v", got)
	}
}

func TestChecklist74RenameUserNameConflict(t *testing.T) {
	e := newEnv(t)
	e.createUser("taken@example.com")
	id := e.createUser("mover@example.com")
	e.do("PATCH", "Users/"+id, patchOp(clOp("Replace", "userName", "TAKEN@example.com"))).want(t, http.StatusConflict, "uniqueness")
	if r := e.do("PATCH", "Users/"+id, patchOp(clOp("Replace", "userName", "Mover.New@example.com"))).want(t, http.StatusOK); r.str("userName") != "Mover.New@example.com" {
		t.Errorf("%s", r.raw)
	}
}

func TestChecklist75And76ManagerShapes(t *testing.T) {
	e := newEnv(t)
	m1, m2, m3 := e.createUser("m1@example.com"), e.createUser("m2@example.com"), e.createUser("m3@example.com")
	id := e.createUser("report@example.com")
	mgr := func() any {
		r := e.do("GET", "Users/"+id, nil).want(t, http.StatusOK)
		m, _ := enterprise(r)["manager"].(map[string]any)
		if m == nil {
			return nil
		}
		return m["value"]
	}
	e.do("PATCH", "Users/"+id, patchOp(clOp("Add", "manager", []any{map[string]any{"$ref": e.base + "/Users/" + m1, "value": m1}}))).want(t, http.StatusOK)
	if mgr() != m1 {
		t.Errorf("array: %v", mgr())
	}
	e.do("PATCH", "Users/"+id, patchOp(clOp("add", enterpriseURN+":manager", m2))).want(t, http.StatusOK)
	if mgr() != m2 {
		t.Errorf("string: %v", mgr())
	}
	e.do("PATCH", "Users/"+id, patchOp(clOp("replace", enterpriseURN+":manager", map[string]any{"value": m3}))).want(t, http.StatusOK)
	if mgr() != m3 {
		t.Errorf("object: %v", mgr())
	}
	e.do("PATCH", "Users/"+id, patchOp(clOp("remove", `manager[value eq "`+m3+`"]`, nil))).want(t, http.StatusOK)
	if mgr() != nil {
		t.Errorf("remove by filter: %v", mgr())
	}
	e.do("PATCH", "Users/"+id, patchOp(clOp("add", enterpriseURN+":manager", m1))).want(t, http.StatusOK)
	e.do("PATCH", "Users/"+id, patchOp(clOp("remove", enterpriseURN+":manager", nil))).want(t, http.StatusOK)
	if mgr() != nil {
		t.Errorf("remove by URN: %v", mgr())
	}
}

func TestChecklist77EntraRolesShapesAccepted(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("roles@example.com")
	e.do("PATCH", "Users/"+id, patchOp(clOp("Add", "roles", []any{map[string]any{
		"primary": false, "type": "WindowsAzureActiveDirectoryRole",
		"value": `{"id":"06b07648-ecfe-589f-9d2f-6325724a46ee","value":"Admin","displayName":"Admin"}`}}))).want(t, http.StatusOK)
	e.do("PATCH", "Users/"+id, patchOp(clOp("replace", "roles", []any{
		map[string]any{"primary": true, "type": "WindowsAzureActiveDirectoryRole", "display": "Admin", "value": "Admin"},
		map[string]any{"primary": false, "display": "User", "value": "User"}}))).want(t, http.StatusOK)
	e.do("PATCH", "Users/"+id, patchOp(clOp("replace", `roles[primary eq "True"].value`, "Owner"))).want(t, http.StatusOK)
}

func TestChecklist78PasswordPatchAcceptedNotStored(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("pw@example.com")
	r := e.do("PATCH", "Users/"+id, patchOp(clOp("replace", "", map[string]any{"password": "s3cret-Okta-sync"}))).want(t, http.StatusOK)
	e.do("PATCH", "Users/"+id, patchOp(clOp("replace", "password", "s3cret-2"))).want(t, http.StatusOK)
	g := e.do("GET", "Users/"+id, nil)
	if strings.Contains(string(r.raw)+string(g.raw), "s3cret") {
		t.Errorf("password returned: %s %s", r.raw, g.raw)
	}
}

func TestChecklist79UnknownAttributePathsIgnored(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("unknown@example.com")
	e.do("PATCH", "Users/"+id, patchOp(
		clOp("Replace", "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:costCenter", "CC-1"),
		clOp("Add", "favoriteColor", "blue"),
		clOp("replace", "", map[string]any{"shoeSize": 42}),
	)).want(t, http.StatusOK)
}

// ---- PATCH: groups and membership ----

func TestChecklist80And81AddMembersOktaAndEntraShapes(t *testing.T) {
	e := newEnv(t)
	var users []string
	var okta []any
	for i := range 256 {
		u := e.createUser(fmt.Sprintf("bulk%03d@example.com", i))
		users = append(users, u)
		okta = append(okta, map[string]any{"value": u, "display": fmt.Sprintf("bulk%03d@example.com", i)}) // no type
	}
	gid := e.createGroup("Big")
	e.do("PATCH", "Groups/"+gid, patchOp(clOp("add", "members", okta))).want(t, http.StatusNoContent)
	extra := e.createUser("entra@example.com")
	e.do("PATCH", "Groups/"+gid, patchOp(clOp("Add", "members", []any{map[string]any{"$ref": nil, "value": extra}}))).want(t, http.StatusNoContent)
	// 81: adding existing members again.
	e.do("PATCH", "Groups/"+gid, patchOp(clOp("Add", "members", []any{map[string]any{"$ref": nil, "value": extra}}), clOp("add", "members", okta[:10]))).want(t, http.StatusNoContent)
	if diff := cmp.Diff(sorted(append(users, extra)), clGroupMembers(t, e, gid)); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
}

func TestChecklist82To84RemoveMembers(t *testing.T) {
	e := newEnv(t)
	a, b, c, d := e.createUser("a@example.com"), e.createUser("b@example.com"), e.createUser("c@example.com"), e.createUser("d@example.com")
	outsider := e.createUser("outsider@example.com")
	gid := e.createGroup("Removals", a, b, c, d)
	e.do("PATCH", "Groups/"+gid, patchOp(clOp("remove", `members[value eq "`+a+`"]`, nil))).want(t, http.StatusNoContent)
	if diff := cmp.Diff(sorted([]string{b, c, d}), clGroupMembers(t, e, gid)); diff != "" {
		t.Errorf("82 (-want +got):\n%s", diff)
	}
	e.do("PATCH", "Groups/"+gid, patchOp(clOp("Remove", "members", []any{map[string]any{"value": b}}))).want(t, http.StatusNoContent)
	if diff := cmp.Diff(sorted([]string{c, d}), clGroupMembers(t, e, gid)); diff != "" {
		t.Errorf("83 (-want +got):\n%s", diff)
	}
	e.do("PATCH", "Groups/"+gid, patchOp(clOp("Remove", "members", clMembers(outsider)), clOp("remove", `members[value eq "`+a+`"]`, nil))).want(t, http.StatusNoContent)
	if diff := cmp.Diff(sorted([]string{c, d}), clGroupMembers(t, e, gid)); diff != "" {
		t.Errorf("84 (-want +got):\n%s", diff)
	}
}

func TestChecklist85RemoveAllMembersClearsGroupAndWarns(t *testing.T) {
	e := newEnv(t)
	a, b := e.createUser("a@example.com"), e.createUser("b@example.com")
	gid := e.createGroup("Cleared", a, b)
	e.do("PATCH", "Groups/"+gid, patchOp(clOp("remove", "members", nil))).want(t, http.StatusNoContent)
	if got := clGroupMembers(t, e, gid); len(got) != 0 {
		t.Errorf("members %v", got)
	}
	logs := e.logs.String()
	var line string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, gid) && strings.Contains(l, "level=WARN") {
			line = l
		}
	}
	if line == "" {
		t.Errorf("no warning naming the group %s in the logs:\n%s", gid, logs)
	}
}

func TestChecklist86ReplaceMembersFullList(t *testing.T) {
	e := newEnv(t)
	a, b, c := e.createUser("a@example.com"), e.createUser("b@example.com"), e.createUser("c@example.com")
	gid := e.createGroup("Full push", a, b)
	e.do("PATCH", "Groups/"+gid, patchOp(clOp("replace", "members", []any{map[string]any{"value": b, "display": "b"}, map[string]any{"value": c, "display": "c"}}))).want(t, http.StatusNoContent)
	if diff := cmp.Diff(sorted([]string{b, c}), clGroupMembers(t, e, gid)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestChecklist87ManyOperationsInOneRequest(t *testing.T) {
	e := newEnv(t)
	var users []string
	for i := range 300 {
		users = append(users, e.createUser(fmt.Sprintf("op%03d@example.com", i)))
	}
	gid := e.createGroup("Many ops", users[:150]...)
	var ops []map[string]any
	for _, u := range users[:150] {
		ops = append(ops, clOp("remove", `members[value eq "`+u+`"]`, nil))
	}
	for _, u := range users[150:] {
		ops = append(ops, clOp("add", "members", clMembers(u)))
	}
	ops = append(ops, clOp("replace", "", map[string]any{"id": gid, "displayName": "Many ops"}))
	e.do("PATCH", "Groups/"+gid, patchOp(ops...)).want(t, http.StatusNoContent)
	if diff := cmp.Diff(sorted(users[150:]), clGroupMembers(t, e, gid)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestChecklist88And89GroupRenameAndExternalId(t *testing.T) {
	e := newEnv(t)
	gid := e.createGroup("Sales")
	e.do("PATCH", "Groups/"+gid, patchOp(clOp("Replace", "displayName", "Sales EMEA"))).want(t, http.StatusNoContent)
	for range 3 { // Okta resends the rename with every membership sync
		e.do("PATCH", "Groups/"+gid, patchOp(clOp("replace", "", map[string]any{"id": gid, "displayName": "Sales EMEA"}))).want(t, http.StatusNoContent)
	}
	e.do("PATCH", "Groups/"+gid, patchOp(clOp("replace", "externalId", "aws-ext-1"))).want(t, http.StatusNoContent)
	r := e.do("GET", "Groups/"+gid, nil)
	if r.str("displayName") != "Sales EMEA" || r.str("externalId") != "aws-ext-1" || r.str("meta.version") != `W/"3"` {
		t.Errorf("rename not idempotent or externalId lost: %s", r.raw)
	}
}

func TestChecklist90And91NestedGroupAndUnknownMemberIds(t *testing.T) {
	e := newEnv(t)
	u := e.createUser("real@example.com")
	child := e.createGroup("Child")
	gid := e.createGroup("Parent")
	e.do("PATCH", "Groups/"+gid, patchOp(clOp("Add", "members", clMembers(child)))).want(t, http.StatusNoContent)
	e.do("PATCH", "Groups/"+gid, patchOp(clOp("add", "members", clMembers(u, "usr_00000000000000000unknown", "a1b2c3d4-unknown")))).want(t, http.StatusNoContent)
	if diff := cmp.Diff(sorted([]string{u, child}), clGroupMembers(t, e, gid)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !strings.Contains(e.logs.String(), "level=WARN") || !strings.Contains(e.logs.String(), "ignored") || !strings.Contains(e.logs.String(), gid) || !strings.Contains(e.logs.String(), "count=2") {
		t.Errorf("unknown member id not logged:\n%s", e.logs.String())
	}
	// A create and a PUT naming unknown ids behave the same.
	g2 := e.do("POST", "Groups", map[string]any{"displayName": "Ghosts", "members": clMembers(u, "ghost-1")}).want(t, http.StatusCreated).str("id")
	e.do("PUT", "Groups/"+g2, map[string]any{"displayName": "Ghosts", "members": clMembers(u, "ghost-2")}).want(t, http.StatusOK)
	if got := clGroupMembers(t, e, g2); !slices.Equal(got, []string{u}) {
		t.Errorf("members %v", got)
	}
}

func TestChecklist93LargeBodies(t *testing.T) {
	e := newEnv(t)
	gid := e.createGroup("Huge")
	u := e.createUser("one@example.com")
	pad := strings.Repeat("d", 4000)
	var members []any
	members = append(members, map[string]any{"value": u, "display": "one"})
	for i := range 300 { // ~1.2 MB PATCH
		members = append(members, map[string]any{"value": fmt.Sprintf("unknown-%d", i), "display": pad})
	}
	e.do("PATCH", "Groups/"+gid, patchOp(clOp("add", "members", members))).want(t, http.StatusNoContent)
	var many []any
	for i := range 10000 { // 10k members, multi-MB PUT
		many = append(many, map[string]any{"value": fmt.Sprintf("usr_%026d", i), "display": fmt.Sprintf("user%05d@example.com with a long display %s", i, pad[:200])})
	}
	many = append(many, map[string]any{"value": u})
	e.do("PUT", "Groups/"+gid, map[string]any{"displayName": "Huge", "members": many}).want(t, http.StatusOK)
	if got := clGroupMembers(t, e, gid); !slices.Equal(got, []string{u}) {
		t.Errorf("members %v", got)
	}
}

// ---- Delete and lifecycle ----

func TestChecklist94And99DeleteUser(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("gone@example.com")
	gid := e.createGroup("Has gone", id)
	e.do("DELETE", "Users/"+id, nil).want(t, http.StatusNoContent)
	e.do("GET", "Users/"+id, nil).want(t, http.StatusNotFound)
	checkList(t, e.do("GET", "Users?"+clFilter(`userName eq "gone@example.com"`), nil), 0, 1, 0)
	if got := clGroupMembers(t, e, gid); len(got) != 0 {
		t.Errorf("members %v", got)
	}
	if again := e.createUser("GONE@example.com"); again == id || again == "" {
		t.Errorf("userName not reusable")
	}
}

func TestChecklist95And99DeleteGroup(t *testing.T) {
	e := newEnv(t)
	u := e.createUser("member@example.com")
	gid := e.createGroup("Doomed", u)
	e.do("DELETE", "Groups/"+gid, nil).want(t, http.StatusNoContent)
	e.do("GET", "Groups/"+gid, nil).want(t, http.StatusNotFound)
	if r := e.do("GET", "Users/"+u, nil); r.get("groups") != nil && len(r.get("groups").([]any)) != 0 {
		t.Errorf("user still in deleted group: %s", r.raw)
	}
	e.createGroup("Doomed")
}

func TestChecklist96And97DeactivationKeepsEverythingAndIsImmediate(t *testing.T) {
	e := newEnv(t)
	body := entraUser("keep@example.com")
	id := e.do("POST", "Users", body).want(t, http.StatusCreated).str("id")
	gid := e.createGroup("Kept", id)
	e.do("PATCH", "Users/"+id, patchOp(clOp("Replace", "active", "False"))).want(t, http.StatusOK)
	// Visible to the next read, whoever makes it: the write is committed before the 200.
	checkList(t, e.do("GET", "Users?"+clFilter(`active eq false`), nil), 1, 1, 1)
	e.do("PATCH", "Users/"+id, patchOp(clOp("Replace", "active", "True"))).want(t, http.StatusOK)
	r := e.do("GET", "Users/"+id, nil)
	if r.get("active") != true || r.str("groups.0.value") != gid || enterprise(r)["employeeNumber"] != "701984" || r.str("name.givenName") != "Grace" {
		t.Errorf("%s", r.raw)
	}
}

func TestChecklist98RepeatPostOfInactiveUserIs409(t *testing.T) {
	e := newEnv(t)
	id := e.do("POST", "Users", oktaUser("again@example.com")).want(t, http.StatusCreated).str("id")
	e.do("PATCH", "Users/"+id, patchOp(clOp("replace", "", map[string]any{"active": false}))).want(t, http.StatusOK)
	e.do("POST", "Users", oktaUser("again@example.com")).want(t, http.StatusConflict, "uniqueness")
	checkList(t, e.do("GET", "Users", nil), 1, 1, 1)
}

// ---- Errors, idempotency, throughput ----

func TestChecklist100And101ErrorStatusesAndTypes(t *testing.T) {
	e := newEnv(t, func(h *scimapi.Handler) { h.MaxBodyBytes = 4096 })
	id := e.createUser("err@example.com")
	e.do("GET", "Users?"+clFilter(`userName eq`), nil).want(t, http.StatusBadRequest, "invalidFilter")
	e.do("POST", "Users", `[1]`).want(t, http.StatusBadRequest, "invalidSyntax")
	e.do("PATCH", "Users/"+id, patchOp(clOp("frobnicate", "title", "x"))).want(t, http.StatusBadRequest, "invalidSyntax")
	e.do("PATCH", "Users/"+id, patchOp(clOp("replace", "active", "maybe"))).want(t, http.StatusBadRequest, "invalidValue")
	e.do("PATCH", "Users/"+id, patchOp(clOp("replace", `emails[type eq`, "x"))).want(t, http.StatusBadRequest, "invalidPath")
	e.do("GET", "Users/nope", nil).want(t, http.StatusNotFound)
	e.do("POST", "Users", map[string]any{"userName": "ERR@example.com"}).want(t, http.StatusConflict, "uniqueness")
	e.do("PATCH", "Users/"+id, patchOp(clOp("replace", "title", "x")), "If-Match", `W/"99"`).want(t, http.StatusPreconditionFailed)
	e.do("POST", "Users", map[string]any{"userName": "big@example.com", "displayName": strings.Repeat("x", 5000)}).want(t, http.StatusRequestEntityTooLarge)
}

func TestChecklist102RetriedWritesAreIdempotent(t *testing.T) {
	e := newEnv(t)
	id := e.do("POST", "Users", oktaUser("retry@example.com")).want(t, http.StatusCreated).str("id")
	e.do("POST", "Users", oktaUser("retry@example.com")).want(t, http.StatusConflict, "uniqueness")
	deact := patchOp(clOp("replace", "", map[string]any{"active": false}))
	v1 := e.do("PATCH", "Users/"+id, deact).want(t, http.StatusOK).str("meta.version")
	if v2 := e.do("PATCH", "Users/"+id, deact).want(t, http.StatusOK).str("meta.version"); v1 != v2 {
		t.Errorf("retried PATCH changed the version: %s -> %s", v1, v2)
	}
	gid := e.createGroup("Retry")
	add := patchOp(clOp("add", "members", clMembers(id)))
	e.do("PATCH", "Groups/"+gid, add).want(t, http.StatusNoContent)
	e.do("PATCH", "Groups/"+gid, add).want(t, http.StatusNoContent)
	rm := patchOp(clOp("remove", `members[value eq "`+id+`"]`, nil))
	e.do("PATCH", "Groups/"+gid, rm).want(t, http.StatusNoContent)
	e.do("PATCH", "Groups/"+gid, rm).want(t, http.StatusNoContent)
	put := map[string]any{"userName": "retry@example.com", "displayName": "R"}
	e.do("PUT", "Users/"+id, put).want(t, http.StatusOK)
	e.do("PUT", "Users/"+id, put).want(t, http.StatusOK)
	if got := clGroupMembers(t, e, gid); len(got) != 0 {
		t.Errorf("members %v", got)
	}
}

func TestChecklist103SustainsBurstsWithout429(t *testing.T) {
	e := newEnv(t)
	gid := e.createGroup("Burst")
	var users []string
	for i := range 100 {
		users = append(users, e.createUser(fmt.Sprintf("burst%03d@example.com", i)))
	}
	start := time.Now()
	// Entra: one member per PATCH, sequentially.
	for _, u := range users {
		if r := e.do("PATCH", "Groups/"+gid, patchOp(clOp("Add", "members", []any{map[string]any{"$ref": nil, "value": u}}))); r.status != http.StatusNoContent {
			t.Fatalf("PATCH: %d %s", r.status, r.raw)
		}
	}
	d := time.Since(start)
	if rate := float64(len(users)) / d.Seconds(); rate < 25 {
		t.Errorf("%.0f PATCH/s, want at least 25", rate)
	}
	if got := clGroupMembers(t, e, gid); len(got) != len(users) {
		t.Errorf("%d members", len(got))
	}
}

func TestChecklist105NoWhole404ForTenantOrBase(t *testing.T) {
	e := newEnv(t)
	// What IdPs call under the base URL, with and without a trailing slash on the base.
	for _, p := range []string{e.base + "/Users?" + clFilter(`userName eq "3e59e27b"`), e.base + "/Users?startIndex=1&count=2",
		e.base + "/Groups?startIndex=1&count=100", e.base + "/ServiceProviderConfig", e.base + "//Users", e.base + "/Users/"} {
		e.do("GET", p, nil).want(t, http.StatusOK)
	}
	// An unknown directory is a 401 (no token of ours matches), not a 404.
	e.do("GET", "/scim/v2/dir_unknown/Users", nil).want(t, http.StatusUnauthorized)
	// Decision: the bare base URL is not a SCIM endpoint (RFC 7644 defines none there): a SCIM-JSON 404, no IdP calls it.
	e.do("GET", e.base, nil).want(t, http.StatusNotFound)
}

func TestChecklist106IfMatchNotRequired(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("noetag@example.com")
	gid := e.createGroup("NoETag", id)
	e.do("PUT", "Users/"+id, map[string]any{"userName": "noetag@example.com", "title": "x"}, "If-Match", "-").want(t, http.StatusOK)
	e.do("PATCH", "Users/"+id, patchOp(clOp("replace", "title", "y")), "If-Match", "-").want(t, http.StatusOK)
	e.do("PATCH", "Groups/"+gid, patchOp(clOp("replace", "displayName", "NoETag2"))).want(t, http.StatusNoContent)
	e.do("GET", "Users/"+id, nil, "If-None-Match", `W/"1"`).want(t, http.StatusOK) // stale: full answer
	e.do("DELETE", "Groups/"+gid, nil).want(t, http.StatusNoContent)
	e.do("DELETE", "Users/"+id, nil).want(t, http.StatusNoContent)
}

func TestChecklist92MembershipPatchNeverReadsTheMemberList(t *testing.T) {
	e := newEnv(t)
	var users []string
	for i := range 60 {
		users = append(users, e.createUser(fmt.Sprintf("ok%02d@example.com", i)))
	}
	gid := e.createGroup("Wide", users[:50]...)
	e.calls.reset()
	e.do("PATCH", "Groups/"+gid, patchOp(clOp("add", "members", clMembers(users[50:]...)))).want(t, http.StatusNoContent)
	e.do("PATCH", "Groups/"+gid, patchOp(clOp("remove", `members[value eq "`+users[0]+`"]`, nil))).want(t, http.StatusNoContent)
	e.do("PATCH", "Groups/"+gid, patchOp(clOp("Remove", "members", clMembers(users[1])))).want(t, http.StatusNoContent)
	e.do("PATCH", "Groups/"+gid, patchOp(clOp("replace", "", map[string]any{"id": gid, "displayName": "Wide"}))).want(t, http.StatusNoContent)
	if n := e.calls.membersOf.Load() + e.calls.listMembers.Load(); n != 0 {
		t.Errorf("membership PATCHes read the member list %d times, want 0 (no read-modify-write)", n)
	}
	if diff := cmp.Diff(sorted(users[2:]), clGroupMembers(t, e, gid)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
