package scimapi_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/testenv"
)

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func TestAuthAccepted(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, header string
	}{
		{"bearer", "Bearer " + e.token},
		{"bearer lower-case scheme", "bearer " + e.token},
		{"bearer upper-case scheme", "BEARER " + e.token},
		{"bearer extra spaces", "Bearer   " + e.token + " "},
		{"bare token (Okta header mode)", e.token},
		{"basic with token as password (PingFederate)", basic("scim", e.token)},
		{"basic with empty user name", basic("", e.token)},
		{"basic lower-case scheme", strings.Replace(basic("okta", e.token), "Basic", "basic", 1)},
		{"basic with token as user name", basic(e.token, "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.do("GET", "Users", nil, "Authorization", tt.header).want(t, http.StatusOK)
		})
	}
}

func TestAuthRejected(t *testing.T) {
	e := newEnv(t)
	secretName := "secret.person@example.com"
	uid := e.createUser(secretName)
	otherDir, otherToken := e.newDirectory()

	revokedTok, revoked, err := e.svc.CreateToken(context.Background(), e.dir, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RevokeToken(context.Background(), e.dir, revokedTok.ID); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, header, path string
	}{
		{"no header", "-", "Users"},
		{"empty bearer", "Bearer ", "Users"},
		{"wrong token", "Bearer scimb_dt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Users"},
		{"token without prefix", "Bearer hunter2", "Users"},
		{"other directory's token", "Bearer " + otherToken, "Users"},
		{"other directory's token on a user", "Bearer " + otherToken, "Users/" + uid},
		{"other directory's token, filter", "Bearer " + otherToken, "Users?filter=userName+eq+%22" + secretName + "%22"},
		{"revoked token", "Bearer " + revoked, "Users"},
		{"basic with wrong password", basic("x", "scimb_dt_nope"), "Users"},
		{"unknown scheme", "Token " + e.token, "Users"},
		{"token of this directory on an unknown directory", "Bearer " + e.token, "/scim/v2/dir_doesnotexist/Users"},
		{"discovery: ServiceProviderConfig", "-", "ServiceProviderConfig"},
		{"discovery: ResourceTypes", "-", "ResourceTypes"},
		{"discovery: Schemas", "-", "Schemas"},
		{"discovery: one schema", "-", "Schemas/urn:ietf:params:scim:schemas:core:2.0:User"},
		{"unknown endpoint before auth", "-", "Nope"},
		{"bulk", "-", "Bulk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("GET", tt.path, nil, "Authorization", tt.header).want(t, http.StatusUnauthorized)
			if got := r.header.Get("WWW-Authenticate"); got != `Bearer realm="scimbridge"` {
				t.Errorf("WWW-Authenticate = %q", got)
			}
			for _, leak := range []string{uid, secretName, otherDir, e.dir, "dir_doesnotexist"} {
				if strings.Contains(string(r.raw), leak) {
					t.Errorf("401 body reveals %q: %s", leak, r.raw)
				}
			}
		})
	}
	// The same detail for every failure: nothing tells a wrong token from
	// another directory's.
	a := e.do("GET", "Users", nil, "Authorization", "Bearer "+otherToken)
	b := e.do("GET", "Users", nil, "Authorization", "Bearer scimb_dt_unknown")
	if a.str("detail") != b.str("detail") {
		t.Errorf("details differ: %q vs %q", a.str("detail"), b.str("detail"))
	}
	// The other directory's token still works on its own directory.
	e.do("GET", "/scim/v2/"+otherDir+"/Users", nil, "Authorization", "Bearer "+otherToken).want(t, http.StatusOK)
}

func TestAuthDisabledDirectory(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := time.Now().UTC()
	d := directory.Directory{ID: "dir_disabled0000000000000000", OrganizationID: "", Name: "Paused", Provider: "okta", Enabled: false, CreatedAt: now, UpdatedAt: now}
	org, err := e.svc.CreateOrganization(ctx, "Paused org", "")
	if err != nil {
		t.Fatal(err)
	}
	d.OrganizationID = org.ID
	if err := e.store.CreateDirectory(ctx, d); err != nil {
		t.Fatal(err)
	}
	_, token, err := e.svc.CreateToken(ctx, d.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"Users", "ServiceProviderConfig", "Nope"} {
		e.do("GET", "/scim/v2/"+d.ID+"/"+path, nil, "Authorization", "Bearer "+token).want(t, http.StatusForbidden)
	}
	e.do("POST", "/scim/v2/"+d.ID+"/Users", map[string]any{"userName": "x"}, "Authorization", "Bearer "+token).want(t, http.StatusForbidden)
	// A wrong token on a disabled directory learns nothing about it.
	e.do("GET", "/scim/v2/"+d.ID+"/Users", nil, "Authorization", "Bearer "+e.token).want(t, http.StatusUnauthorized)
}

// Authentication costs one read (the token with its directory), and never
// counts the directory.
func TestAuthIsCheap(t *testing.T) {
	e := newEnv(t)
	e.createUser("a@example.com")
	for _, path := range []string{"Users", "Groups", "ServiceProviderConfig", "Schemas"} {
		e.calls.reset()
		e.do("GET", path, nil).want(t, http.StatusOK)
		if n := e.calls.credential.Load(); n != 1 {
			t.Errorf("GET %s: %d credential lookups, want 1", path, n)
		}
		if n := e.calls.tokenByHash.Load() + e.calls.getDirectory.Load(); n != 0 {
			t.Errorf("GET %s: %d more token or directory lookups, want 0", path, n)
		}
		if n := e.calls.countDirectory.Load(); n != 0 {
			t.Errorf("GET %s: %d directory counts, want 0", path, n)
		}
	}
}

// GET /Users/{id} reads the token and the user in one store read when the
// service keeps no token cache (PostgreSQL); the user is only shown to
// its directory's token, and a revocation takes effect at once.
func TestGetUserReadWithToken(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("a@example.com")
	e.calls.reset()
	res := e.do("GET", "Users/"+id, nil).want(t, http.StatusOK)
	if got := res.str("id"); got != id {
		t.Fatalf("GET: id %q, want %q", got, id)
	}
	if c, cu, g := e.calls.credential.Load(), e.calls.credentialWithUser.Load(), e.calls.getUserWithGroups.Load(); c != 0 || cu != 1 || g != 0 {
		t.Errorf("GET /Users/{id}: %d Credential, %d CredentialWithUser, %d GetUserWithGroups; want 0, 1, 0", c, cu, g)
	}
	if res := e.do("GET", "Users/"+id+"?excludedAttributes=groups", nil).want(t, http.StatusOK); res.get("groups") != nil || res.str("userName") != "a@example.com" {
		t.Errorf("excludedAttributes=groups: %s", res.raw)
	}
	e.do("GET", "Users/usr_nobody", nil).want(t, http.StatusNotFound)
	otherDir, otherToken := e.newDirectory()
	// Another directory's token on this directory: refused, the user unseen.
	if res := e.do("GET", "Users/"+id, nil, "Authorization", "Bearer "+otherToken); res.status != http.StatusUnauthorized || strings.Contains(string(res.raw), "a@example.com") {
		t.Errorf("another directory's token: %d %s, want 401", res.status, res.raw)
	}
	// Its own directory does not hold the user.
	e.do("GET", e.srv.URL+"/scim/v2/"+otherDir+"/Users/"+id, nil, "Authorization", "Bearer "+otherToken).want(t, http.StatusNotFound)
	toks, err := e.store.ListTokens(context.Background(), e.dir)
	if err != nil || len(toks) != 1 {
		t.Fatalf("ListTokens: %v %v", toks, err)
	}
	if err := e.svc.RevokeToken(context.Background(), e.dir, toks[0].ID); err != nil {
		t.Fatal(err)
	}
	e.do("GET", "Users/"+id, nil).want(t, http.StatusUnauthorized)
}

func TestHyphenDirectoryAlias(t *testing.T) {
	e := newEnv(t)
	alias := strings.Replace(e.dir, "dir_", "dir-", 1)
	base := strings.Replace(e.base, e.dir, alias, 1)
	res := e.do("POST", base+"/Users", `{"userName":"okta.user@example.com"}`)
	if res.status != 201 {
		t.Fatalf("POST via dir- alias: %d %s", res.status, res.raw)
	}
	if !strings.Contains(string(res.raw), base+"/Users/") {
		t.Errorf("meta.location should use the URL the client used (%s): %s", base, res.raw)
	}
	// The alias names the same directory: the user is visible at dir_.
	if res := e.do("GET", "Users?filter=userName%20eq%20%22okta.user%40example.com%22", nil); !strings.Contains(string(res.raw), `"totalResults":1`) {
		t.Errorf("user created via the alias not found via dir_: %s", res.raw)
	}
}

// POST /Users on PostgreSQL (no token cache): once the token has
// authenticated, it is checked in the create's own transaction, with no
// Credential read of its own; every refusal is answered as before, after
// authentication: an invalid body with a revoked token is a 401, not a
// 400, and a revocation or a disabled directory applies at once.
func TestCreateUserTokenInTransaction(t *testing.T) {
	e := newEnvOn(t, testenv.PostgresStore(t))
	ctx := context.Background()
	e.do("POST", "Users", `{"userName":"first@example.com"}`).want(t, http.StatusCreated)
	e.calls.reset()
	res := e.do("POST", "Users?attributes=userName", `{"userName":"second@example.com","title":"x"}`).want(t, http.StatusCreated)
	if res.str("userName") != "second@example.com" || res.get("title") != nil || !strings.Contains(res.header.Get("Location"), e.base+"/Users/") {
		t.Errorf("create: %s %v", res.raw, res.header)
	}
	if c := e.calls.credential.Load(); c != 0 {
		t.Errorf("create: %d Credential reads, want 0 (the token is read in the create's transaction)", c)
	}
	if res := e.do("GET", "Users/"+res.str("id"), nil).want(t, http.StatusOK); res.str("title") != "x" {
		t.Errorf("created user: %s", res.raw)
	}
	e.do("POST", "Users", `{"userName":"second@example.com"}`).want(t, http.StatusConflict, "uniqueness")
	e.do("POST", "Users", `{"userName":`).want(t, http.StatusBadRequest)
	e.do("POST", "Users", `{"displayName":"no userName"}`).want(t, http.StatusBadRequest)
	e.do("POST", "Users", `{"userName":"x@example.com"}`, "Authorization", "Bearer scimtok_wrong").want(t, http.StatusUnauthorized)
	// Another directory's token, which authenticated on its own directory.
	otherDir, otherToken := e.newDirectory()
	e.do("POST", e.srv.URL+"/scim/v2/"+otherDir+"/Users", `{"userName":"o@example.com"}`, "Authorization", "Bearer "+otherToken).want(t, http.StatusCreated)
	e.do("POST", "Users", `{"userName":"o@example.com"}`, "Authorization", "Bearer "+otherToken).want(t, http.StatusUnauthorized)

	off, on := false, true
	if _, err := e.svc.UpdateDirectory(ctx, e.dir, directory.DirectoryChange{Enabled: &off}); err != nil {
		t.Fatal(err)
	}
	e.do("POST", "Users", `{"userName":"disabled@example.com"}`).want(t, http.StatusForbidden)
	if _, err := e.svc.UpdateDirectory(ctx, e.dir, directory.DirectoryChange{Enabled: &on}); err != nil {
		t.Fatal(err)
	}
	e.do("POST", "Users", `{"userName":"enabled@example.com"}`).want(t, http.StatusCreated)
	toks, err := e.store.ListTokens(ctx, e.dir)
	if err != nil || len(toks) != 1 {
		t.Fatalf("ListTokens: %v %v", toks, err)
	}
	if err := e.store.RevokeToken(ctx, e.dir, toks[0].ID, time.Now()); err != nil { // as another replica would
		t.Fatal(err)
	}
	// The hint is still there: bodies that cannot be a user are refused
	// as unauthorized first, then the create.
	e.do("POST", "Users", `{"userName":`).want(t, http.StatusUnauthorized)
	e.do("POST", "Users", `{"displayName":"no userName"}`).want(t, http.StatusUnauthorized)
	e.do("POST", "Users", `{"userName":"revoked@example.com"}`).want(t, http.StatusUnauthorized)
	_, fresh, err := e.svc.CreateToken(ctx, e.dir, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"disabled@example.com", "revoked@example.com", "o@example.com"} {
		if res := e.do("GET", "Users?filter=userName%20eq%20%22"+name+"%22", nil, "Authorization", "Bearer "+fresh).want(t, http.StatusOK); res.num("totalResults") != 0 {
			t.Errorf("%s was created: %s", name, res.raw)
		}
	}
}

// TestFilterUserNameReadWithToken: on PostgreSQL (no token cache) the
// plain `userName eq "…"` filter reads the token and the user of that
// name in one statement, and answers byte for byte as the list does;
// another directory's token sees nothing of it.
func TestFilterUserNameReadWithToken(t *testing.T) {
	e := newEnvOn(t, testenv.PostgresStore(t))
	ada := e.createUser("Ada.Lovelace@example.com")
	e.createUser("grace@example.com")
	e.createGroup("Analysts", ada)
	filter := func(name string) string { return "Users?filter=" + url.QueryEscape(`userName eq "`+name+`"`) }
	for _, name := range []string{"ada.lovelace@EXAMPLE.com", "Grace@example.com", "nobody@example.com"} {
		e.calls.reset()
		fast := e.do("GET", filter(name), nil).want(t, http.StatusOK)
		if n, l, c := e.calls.credentialWithUserNamed.Load(), e.calls.listUsers.Load(), e.calls.credential.Load(); n != 1 || l != 0 || c != 0 {
			t.Errorf("%s: %d CredentialWithUserNamed, %d ListUsers, %d Credential; want 1, 0, 0", name, n, l, c)
		}
		e.calls.reset()
		// sortBy takes the list's own path (plainUserNameFilter).
		listed := e.do("GET", filter(name)+"&sortBy=userName", nil).want(t, http.StatusOK)
		if e.calls.listUsers.Load() == 0 || e.calls.credentialWithUserNamed.Load() != 0 {
			t.Errorf("%s&sortBy: not listed", name)
		}
		if string(fast.raw) != string(listed.raw) {
			t.Errorf("%s: read with the token\n%s\nlisted\n%s", name, fast.raw, listed.raw)
		}
		if fast.header.Get("Content-Type") != listed.header.Get("Content-Type") {
			t.Errorf("%s: Content-Type %q, listed %q", name, fast.header.Get("Content-Type"), listed.header.Get("Content-Type"))
		}
	}
	if res := e.do("GET", filter("ada.lovelace@example.com"), nil); len(res.resources()) != 1 || res.resources()[0]["id"] != ada || len(res.resources()[0]["groups"].([]any)) != 1 {
		t.Errorf("ada: %s", res.raw)
	}
	e.calls.reset()
	e.do("GET", filter("ada.lovelace@example.com")+"&attributes=userName", nil).want(t, http.StatusOK)
	if e.calls.credentialWithUserNamed.Load() != 0 {
		t.Error("attributes=userName: read with the token, want the list's projection")
	}
	_, otherToken := e.newDirectory()
	if res := e.do("GET", filter("ada.lovelace@example.com"), nil, "Authorization", "Bearer "+otherToken); res.status != http.StatusUnauthorized || strings.Contains(string(res.raw), "Lovelace") {
		t.Errorf("another directory's token: %d %s, want 401", res.status, res.raw)
	}
}
