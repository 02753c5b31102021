package storetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

func tenantTests() []subtest {
	return []subtest{
		{"Ping", testPing},
		{"Organization/CreateGet", testOrganizationCreateGet},
		{"Organization/ExternalIDUnique", testOrganizationExternalIDUnique},
		{"Organization/NotFound", testOrganizationNotFound},
		{"Directory/CreateGet", testDirectoryCreateGet},
		{"Directory/UnknownOrganization", testDirectoryUnknownOrganization},
		{"Directory/NotFound", testDirectoryNotFound},
		{"Directory/Count", testDirectoryCount},
		{"Directory/TouchOnlyMovesForward", testDirectoryTouch},
		{"Token/CreateGetList", testTokenCreateGetList},
		{"Token/Revoke", testTokenRevoke},
		{"Token/CredentialWithUser", testCredentialWithUser},
		{"Token/Touch", testTokenTouch},
		{"APIKey/CreateGetList", testAPIKeyCreateGetList},
		{"APIKey/RevokeTouch", testAPIKeyRevokeTouch},
	}
}

func testPing(t *testing.T, s directory.Store) {
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping on a migrated store: %v", err)
	}
}

// ts returns a UTC time with microsecond precision, as the store returns it.
func ts(sec int64) time.Time {
	return time.Unix(1_900_000_000+sec, 654321000).UTC()
}

func testOrganizationCreateGet(t *testing.T, s directory.Store) {
	ctx := context.Background()
	o := directory.Organization{ID: "org_01", Name: "Acme", ExternalID: "acme-42", CreatedAt: ts(1), UpdatedAt: ts(2)}
	if err := s.CreateOrganization(ctx, o); err != nil {
		t.Fatalf("CreateOrganization: %v", err)
	}
	got, err := s.GetOrganization(ctx, o.ID)
	if err != nil {
		t.Fatalf("GetOrganization: %v", err)
	}
	if d := diff(o, got); d != "" {
		t.Errorf("GetOrganization mismatch (-want +got):\n%s", d)
	}
	// Without an external id.
	o2 := directory.Organization{ID: "org_02", Name: "Globex", CreatedAt: ts(3), UpdatedAt: ts(3)}
	if err := s.CreateOrganization(ctx, o2); err != nil {
		t.Fatalf("CreateOrganization without external id: %v", err)
	}
	got, err = s.GetOrganization(ctx, o2.ID)
	if err != nil {
		t.Fatalf("GetOrganization: %v", err)
	}
	if d := diff(o2, got); d != "" {
		t.Errorf("GetOrganization mismatch (-want +got):\n%s", d)
	}
	// The same id twice is a conflict, not an internal error.
	if err := s.CreateOrganization(ctx, o2); !directory.IsConflict(err) {
		t.Errorf("CreateOrganization with a taken id: err = %v, want KindConflict", err)
	}
}

func testOrganizationExternalIDUnique(t *testing.T, s directory.Store) {
	ctx := context.Background()
	if err := s.CreateOrganization(ctx, directory.Organization{ID: "org_1", Name: "A", ExternalID: "ext-1", CreatedAt: ts(1), UpdatedAt: ts(1)}); err != nil {
		t.Fatalf("CreateOrganization: %v", err)
	}
	err := s.CreateOrganization(ctx, directory.Organization{ID: "org_2", Name: "B", ExternalID: "ext-1", CreatedAt: ts(2), UpdatedAt: ts(2)})
	wantUniqueness(t, err, "external_id", "second organization with the same external_id")
	if _, err := s.GetOrganization(ctx, "org_2"); !directory.IsNotFound(err) {
		t.Errorf("the rejected organization was stored (GetOrganization err = %v)", err)
	}
	// Many organizations without an external id are fine.
	for _, id := range []string{"org_3", "org_4", "org_5"} {
		if err := s.CreateOrganization(ctx, directory.Organization{ID: id, Name: id, CreatedAt: ts(3), UpdatedAt: ts(3)}); err != nil {
			t.Fatalf("CreateOrganization(%s) without external id: %v", id, err)
		}
	}
	// external_id is compared exactly: another spelling is another id.
	if err := s.CreateOrganization(ctx, directory.Organization{ID: "org_6", Name: "C", ExternalID: "EXT-1", CreatedAt: ts(4), UpdatedAt: ts(4)}); err != nil {
		t.Errorf("CreateOrganization with external_id EXT-1 next to ext-1: %v", err)
	}
}

func testOrganizationNotFound(t *testing.T, s directory.Store) {
	_, err := s.GetOrganization(context.Background(), "org_missing")
	wantNotFound(t, err, "GetOrganization of an unknown id")
}

func testDirectoryCreateGet(t *testing.T, s directory.Store) {
	ctx := context.Background()
	if err := s.CreateOrganization(ctx, directory.Organization{ID: "org_1", Name: "A", CreatedAt: ts(1), UpdatedAt: ts(1)}); err != nil {
		t.Fatalf("CreateOrganization: %v", err)
	}
	d := directory.Directory{ID: "dir_1", OrganizationID: "org_1", Name: "Okta prod", Provider: "okta", Enabled: true, CreatedAt: ts(2), UpdatedAt: ts(3)}
	if err := s.CreateDirectory(ctx, d); err != nil {
		t.Fatalf("CreateDirectory: %v", err)
	}
	got, err := s.GetDirectory(ctx, d.ID)
	if err != nil {
		t.Fatalf("GetDirectory: %v", err)
	}
	if d := diff(d, got); d != "" {
		t.Errorf("GetDirectory mismatch (-want +got):\n%s", d)
	}
	if !got.LastRequestAt.IsZero() {
		t.Errorf("LastRequestAt = %v, want zero before the first request", got.LastRequestAt)
	}
	// A disabled directory with a last request time round-trips too.
	d2 := directory.Directory{ID: "dir_2", OrganizationID: "org_1", Name: "Entra", Provider: "entra_id", Enabled: false, CreatedAt: ts(4), UpdatedAt: ts(4), LastRequestAt: ts(5)}
	if err := s.CreateDirectory(ctx, d2); err != nil {
		t.Fatalf("CreateDirectory: %v", err)
	}
	got, err = s.GetDirectory(ctx, d2.ID)
	if err != nil {
		t.Fatalf("GetDirectory: %v", err)
	}
	if d := diff(d2, got); d != "" {
		t.Errorf("GetDirectory mismatch (-want +got):\n%s", d)
	}
}

func testDirectoryUnknownOrganization(t *testing.T, s directory.Store) {
	ctx := context.Background()
	err := s.CreateDirectory(ctx, directory.Directory{ID: "dir_1", OrganizationID: "org_missing", Name: "x", Provider: "okta", Enabled: true, CreatedAt: ts(1), UpdatedAt: ts(1)})
	wantNotFound(t, err, "CreateDirectory for an unknown organization")
	if _, err := s.GetDirectory(ctx, "dir_1"); !directory.IsNotFound(err) {
		t.Errorf("the rejected directory was stored (GetDirectory err = %v)", err)
	}
}

func testDirectoryNotFound(t *testing.T, s directory.Store) {
	_, err := s.GetDirectory(context.Background(), "dir_missing")
	wantNotFound(t, err, "GetDirectory of an unknown id")
}

func testDirectoryCount(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	other := f.newDir()
	check := func(dirID string, wantUsers, wantGroups int) {
		t.Helper()
		u, g, err := s.CountDirectory(f.ctx, dirID)
		if err != nil {
			t.Fatalf("CountDirectory: %v", err)
		}
		if u != wantUsers || g != wantGroups {
			t.Errorf("CountDirectory(%s) = %d users, %d groups; want %d, %d", dirID, u, g, wantUsers, wantGroups)
		}
	}
	check(f.dir.ID, 0, 0)
	a := f.userNamed(f.dir.ID, "a")
	f.userNamed(f.dir.ID, "b")
	f.userNamed(f.dir.ID, "c")
	f.group(f.dir.ID, "g1", a.ID)
	f.group(f.dir.ID, "g2")
	f.userNamed(other.ID, "a")
	check(f.dir.ID, 3, 2)
	check(other.ID, 1, 0)
	if err := s.DeleteUser(f.ctx, f.dir.ID, a.ID, nil); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	check(f.dir.ID, 2, 2)
	// GetDirectory leaves the counts to CountDirectory.
	if _, err := s.GetDirectory(f.ctx, f.dir.ID); err != nil {
		t.Fatalf("GetDirectory: %v", err)
	}
	_, _, err := s.CountDirectory(f.ctx, "dir_missing")
	wantNotFound(t, err, "CountDirectory of an unknown directory")
}

func testDirectoryTouch(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	last := func() time.Time {
		t.Helper()
		d, err := s.GetDirectory(f.ctx, f.dir.ID)
		if err != nil {
			t.Fatalf("GetDirectory: %v", err)
		}
		return d.LastRequestAt
	}
	if err := s.TouchDirectory(f.ctx, f.dir.ID, ts(100)); err != nil {
		t.Fatalf("TouchDirectory: %v", err)
	}
	if got := last(); !got.Equal(ts(100)) {
		t.Errorf("LastRequestAt = %v, want %v", got, ts(100))
	}
	// An older time (a slow request finishing late) does not move it back.
	if err := s.TouchDirectory(f.ctx, f.dir.ID, ts(50)); err != nil {
		t.Fatalf("TouchDirectory: %v", err)
	}
	if got := last(); !got.Equal(ts(100)) {
		t.Errorf("after touching with an older time LastRequestAt = %v, want %v", got, ts(100))
	}
	if err := s.TouchDirectory(f.ctx, f.dir.ID, ts(200)); err != nil {
		t.Fatalf("TouchDirectory: %v", err)
	}
	if got := last(); !got.Equal(ts(200)) {
		t.Errorf("LastRequestAt = %v, want %v", got, ts(200))
	}
	// Touching leaves the other fields alone.
	d, _ := s.GetDirectory(f.ctx, f.dir.ID)
	want := f.dir
	want.LastRequestAt = ts(200)
	if df := diff(want, d); df != "" {
		t.Errorf("directory after touches (-want +got):\n%s", df)
	}
}

func mkToken(id, dirID string, secret string, created time.Time) directory.Token {
	return directory.Token{ID: id, DirectoryID: dirID, Hash: directory.HashSecret(secret), Suffix: secret[len(secret)-4:], CreatedAt: created}
}

func testTokenCreateGetList(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	other := f.newDir()
	t1 := mkToken("dtok_1", f.dir.ID, "scimb_dt_secret-one", ts(1))
	t2 := mkToken("dtok_2", f.dir.ID, "scimb_dt_secret-two", ts(2))
	t2.ExpiresAt = ts(1000)
	t3 := mkToken("dtok_3", other.ID, "scimb_dt_secret-three", ts(3))
	for _, tok := range []directory.Token{t1, t2, t3} {
		if err := s.CreateToken(f.ctx, tok); err != nil {
			t.Fatalf("CreateToken(%s): %v", tok.ID, err)
		}
	}
	for _, tok := range []directory.Token{t1, t2, t3} {
		got, err := s.TokenByHash(f.ctx, tok.Hash)
		if err != nil {
			t.Fatalf("TokenByHash(%s): %v", tok.ID, err)
		}
		if d := diff(tok, got); d != "" {
			t.Errorf("TokenByHash(%s) mismatch (-want +got):\n%s", tok.ID, d)
		}
	}
	_, err := s.TokenByHash(f.ctx, directory.HashSecret("scimb_dt_unknown"))
	wantNotFound(t, err, "TokenByHash of an unknown hash")
	for _, tok := range []directory.Token{t1, t3} {
		gotTok, gotDir, err := s.Credential(f.ctx, tok.Hash)
		if err != nil {
			t.Fatalf("Credential(%s): %v", tok.ID, err)
		}
		if d := diff(tok, gotTok); d != "" {
			t.Errorf("Credential(%s) token mismatch (-want +got):\n%s", tok.ID, d)
		}
		wantDir, err := s.GetDirectory(f.ctx, tok.DirectoryID)
		if err != nil {
			t.Fatal(err)
		}
		if d := diff(wantDir, gotDir); d != "" {
			t.Errorf("Credential(%s) directory mismatch (-want +got):\n%s", tok.ID, d)
		}
	}
	_, _, err = s.Credential(f.ctx, directory.HashSecret("scimb_dt_unknown"))
	wantNotFound(t, err, "Credential of an unknown hash")

	list, err := s.ListTokens(f.ctx, f.dir.ID)
	if err != nil {
		t.Fatalf("ListTokens: %v", err)
	}
	if d := diff([]directory.Token{t1, t2}, list); d != "" {
		t.Errorf("ListTokens mismatch (-want +got):\n%s", d)
	}
	list, err = s.ListTokens(f.ctx, other.ID)
	if err != nil {
		t.Fatalf("ListTokens: %v", err)
	}
	if d := diff([]directory.Token{t3}, list); d != "" {
		t.Errorf("ListTokens(other directory) mismatch (-want +got):\n%s", d)
	}
	list, err = s.ListTokens(f.ctx, f.newDir().ID)
	if err != nil {
		t.Fatalf("ListTokens: %v", err)
	}
	if len(list) != 0 {
		t.Errorf("ListTokens of a directory without tokens = %v, want none", list)
	}
}

func testTokenRevoke(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	other := f.newDir()
	tok := mkToken("dtok_1", f.dir.ID, "scimb_dt_secret-one", ts(1))
	if err := s.CreateToken(f.ctx, tok); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	get := func() directory.Token {
		t.Helper()
		got, err := s.TokenByHash(f.ctx, tok.Hash)
		if err != nil {
			t.Fatalf("TokenByHash: %v", err)
		}
		return got
	}
	// Another directory cannot revoke it.
	err := s.RevokeToken(f.ctx, other.ID, tok.ID, ts(5))
	wantNotFound(t, err, "RevokeToken naming another directory")
	if got := get(); !got.RevokedAt.IsZero() {
		t.Fatalf("revoking through another directory revoked the token (RevokedAt = %v)", got.RevokedAt)
	}
	wantNotFound(t, s.RevokeToken(f.ctx, f.dir.ID, "dtok_missing", ts(5)), "RevokeToken of an unknown token")

	if err := s.RevokeToken(f.ctx, f.dir.ID, tok.ID, ts(10)); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	got := get()
	if !got.RevokedAt.Equal(ts(10)) {
		t.Errorf("RevokedAt = %v, want %v", got.RevokedAt, ts(10))
	}
	if got.Active(ts(11)) {
		t.Errorf("a revoked token is active")
	}
	// Revoking again is not an error and keeps the first revocation time.
	if err := s.RevokeToken(f.ctx, f.dir.ID, tok.ID, ts(20)); err != nil {
		t.Fatalf("RevokeToken of a revoked token: %v", err)
	}
	if got := get(); !got.RevokedAt.Equal(ts(10)) {
		t.Errorf("after revoking twice RevokedAt = %v, want the first time %v", got.RevokedAt, ts(10))
	}
	// TokenByHash still finds revoked tokens; ListTokens lists them.
	list, err := s.ListTokens(f.ctx, f.dir.ID)
	if err != nil {
		t.Fatalf("ListTokens: %v", err)
	}
	if len(list) != 1 || !list[0].RevokedAt.Equal(ts(10)) {
		t.Errorf("ListTokens = %+v, want the revoked token", list)
	}
}

func testTokenTouch(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	tok := mkToken("dtok_1", f.dir.ID, "scimb_dt_secret-one", ts(1))
	if err := s.CreateToken(f.ctx, tok); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	if err := s.TouchToken(f.ctx, tok.ID, ts(30)); err != nil {
		t.Fatalf("TouchToken: %v", err)
	}
	got, err := s.TokenByHash(f.ctx, tok.Hash)
	if err != nil {
		t.Fatalf("TokenByHash: %v", err)
	}
	want := tok
	want.LastUsedAt = ts(30)
	if d := diff(want, got); d != "" {
		t.Errorf("token after TouchToken (-want +got):\n%s", d)
	}
	if err := s.TouchToken(f.ctx, tok.ID, ts(60)); err != nil {
		t.Fatalf("TouchToken: %v", err)
	}
	got, _ = s.TokenByHash(f.ctx, tok.Hash)
	if !got.LastUsedAt.Equal(ts(60)) {
		t.Errorf("LastUsedAt = %v, want %v", got.LastUsedAt, ts(60))
	}
}

func mkKey(id, name, secret string, created time.Time) directory.APIKey {
	return directory.APIKey{ID: id, Name: name, Hash: directory.HashSecret(secret), Suffix: secret[len(secret)-4:], CreatedAt: created}
}

func testAPIKeyCreateGetList(t *testing.T, s directory.Store) {
	ctx := context.Background()
	list, err := s.ListAPIKeys(ctx)
	if err != nil {
		t.Fatalf("ListAPIKeys: %v", err)
	}
	if len(list) != 0 {
		t.Fatalf("ListAPIKeys on an empty store = %v", list)
	}
	k1 := mkKey("key_1", "ci", "scimb_ak_one-secret", ts(1))
	k2 := mkKey("key_2", "admin", "scimb_ak_two-secret", ts(2))
	for _, k := range []directory.APIKey{k1, k2} {
		if err := s.CreateAPIKey(ctx, k); err != nil {
			t.Fatalf("CreateAPIKey(%s): %v", k.ID, err)
		}
	}
	for _, k := range []directory.APIKey{k1, k2} {
		got, err := s.APIKeyByHash(ctx, k.Hash)
		if err != nil {
			t.Fatalf("APIKeyByHash(%s): %v", k.ID, err)
		}
		if d := diff(k, got); d != "" {
			t.Errorf("APIKeyByHash(%s) mismatch (-want +got):\n%s", k.ID, d)
		}
	}
	_, err = s.APIKeyByHash(ctx, directory.HashSecret("scimb_ak_unknown"))
	wantNotFound(t, err, "APIKeyByHash of an unknown hash")
	list, err = s.ListAPIKeys(ctx)
	if err != nil {
		t.Fatalf("ListAPIKeys: %v", err)
	}
	if d := diff([]directory.APIKey{k1, k2}, list); d != "" {
		t.Errorf("ListAPIKeys mismatch (-want +got):\n%s", d)
	}
	// A second key with the same hash is rejected.
	dup := mkKey("key_3", "dup", "scimb_ak_one-secret", ts(3))
	if err := s.CreateAPIKey(ctx, dup); err == nil {
		t.Errorf("CreateAPIKey with a hash that is in use: no error")
	}
}

func testAPIKeyRevokeTouch(t *testing.T, s directory.Store) {
	ctx := context.Background()
	k := mkKey("key_1", "ci", "scimb_ak_one-secret", ts(1))
	if err := s.CreateAPIKey(ctx, k); err != nil {
		t.Fatalf("CreateAPIKey: %v", err)
	}
	get := func() directory.APIKey {
		t.Helper()
		got, err := s.APIKeyByHash(ctx, k.Hash)
		if err != nil {
			t.Fatalf("APIKeyByHash: %v", err)
		}
		if !bytes.Equal(got.Hash, k.Hash) {
			t.Fatalf("APIKeyByHash returned another key")
		}
		return got
	}
	if err := s.TouchAPIKey(ctx, k.ID, ts(5)); err != nil {
		t.Fatalf("TouchAPIKey: %v", err)
	}
	if got := get(); !got.LastUsedAt.Equal(ts(5)) {
		t.Errorf("LastUsedAt = %v, want %v", got.LastUsedAt, ts(5))
	}
	if err := s.TouchAPIKey(ctx, k.ID, ts(9)); err != nil {
		t.Fatalf("TouchAPIKey: %v", err)
	}
	if got := get(); !got.LastUsedAt.Equal(ts(9)) {
		t.Errorf("LastUsedAt = %v, want %v", got.LastUsedAt, ts(9))
	}
	wantNotFound(t, s.RevokeAPIKey(ctx, "key_missing", ts(10)), "RevokeAPIKey of an unknown key")
	if err := s.RevokeAPIKey(ctx, k.ID, ts(10)); err != nil {
		t.Fatalf("RevokeAPIKey: %v", err)
	}
	if got := get(); !got.RevokedAt.Equal(ts(10)) {
		t.Errorf("RevokedAt = %v, want %v", got.RevokedAt, ts(10))
	}
	if err := s.RevokeAPIKey(ctx, k.ID, ts(20)); err != nil {
		t.Fatalf("RevokeAPIKey of a revoked key: %v", err)
	}
	got := get()
	if !got.RevokedAt.Equal(ts(10)) {
		t.Errorf("after revoking twice RevokedAt = %v, want the first time %v", got.RevokedAt, ts(10))
	}
	want := k
	want.LastUsedAt, want.RevokedAt = ts(9), ts(10)
	if d := diff(want, got); d != "" {
		t.Errorf("API key (-want +got):\n%s", d)
	}
}

// testCredentialWithUser: the token, its directory and a user of that
// directory with its groups in one read agree with Credential and
// GetUserWithGroups; a user the token's directory does not hold is
// NotFound in the UserRead, an unknown token NotFound as the error.
func testCredentialWithUser(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	other := f.newDir()
	tok := mkToken("dtok_cwu1", f.dir.ID, "scimb_dt_secret-cwu-one", ts(1))
	if err := s.CreateToken(f.ctx, tok); err != nil {
		t.Fatal(err)
	}
	alone := f.user(f.dir.ID, map[string]any{"userName": "alone", "externalId": "x1", "title": "Dr", "active": true,
		"emails": []any{map[string]any{"value": "alone@example.com", "primary": true}}})
	member := f.userNamed(f.dir.ID, "member")
	f.group(f.dir.ID, "first", member.ID)
	f.group(f.dir.ID, "second", member.ID, alone.ID)
	elsewhere := f.userNamed(other.ID, "elsewhere")
	wantTok, wantDir, err := s.Credential(f.ctx, tok.Hash)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{alone.ID, member.ID, elsewhere.ID, "usr_unknown"} {
		gotTok, gotDir, ur, err := s.CredentialWithUser(f.ctx, tok.Hash, id)
		if err != nil {
			t.Fatalf("CredentialWithUser(%s): %v", id, err)
		}
		if d := diff(wantTok, gotTok); d != "" {
			t.Errorf("CredentialWithUser(%s) token mismatch (-Credential +got):\n%s", id, d)
		}
		if d := diff(wantDir, gotDir); d != "" {
			t.Errorf("CredentialWithUser(%s) directory mismatch (-Credential +got):\n%s", id, d)
		}
		u, groups, err := s.GetUserWithGroups(f.ctx, f.dir.ID, id)
		if err != nil {
			wantNotFound(t, ur.Err, "CredentialWithUser of a user the token's directory does not hold")
			continue
		}
		if ur.Err != nil {
			t.Fatalf("CredentialWithUser(%s): user: %v", id, ur.Err)
		}
		if d := diff(RenderUser(u, groups), RenderUser(ur.User, ur.Groups)); d != "" {
			t.Errorf("CredentialWithUser(%s) user differs from GetUserWithGroups (-get +got):\n%s", id, d)
		}
		if d := diff(u, ur.User); d != "" {
			t.Errorf("CredentialWithUser(%s) user differs from GetUserWithGroups (-get +got):\n%s", id, d)
		}
	}
	if _, _, ur, err := s.CredentialWithUser(f.ctx, tok.Hash, member.ID); err != nil || len(ur.Groups) != 2 {
		t.Errorf("CredentialWithUser(member): groups %v, %v; want 2", ur.Groups, err)
	}
	_, _, _, err = s.CredentialWithUser(f.ctx, directory.HashSecret("scimb_dt_unknown"), alone.ID)
	wantNotFound(t, err, "CredentialWithUser of an unknown hash")

	// By folded userName: the same reads as by id, in the token's
	// directory only.
	for _, tc := range []struct{ name, id string }{
		{"Alone", alone.ID}, {"MEMBER", member.ID}, {"elsewhere", ""}, {"nobody", ""},
	} {
		gotTok, gotDir, ur, err := s.CredentialWithUserNamed(f.ctx, tok.Hash, schema.FoldString(tc.name))
		if err != nil {
			t.Fatalf("CredentialWithUserNamed(%s): %v", tc.name, err)
		}
		if diff(wantTok, gotTok) != "" || diff(wantDir, gotDir) != "" {
			t.Errorf("CredentialWithUserNamed(%s): token or directory differ from Credential", tc.name)
		}
		if tc.id == "" {
			wantNotFound(t, ur.Err, "CredentialWithUserNamed of a name the token's directory does not hold")
			continue
		}
		_, _, byID, err := s.CredentialWithUser(f.ctx, tok.Hash, tc.id)
		if err != nil || ur.Err != nil {
			t.Fatalf("CredentialWithUserNamed(%s): %v, %v", tc.name, err, ur.Err)
		}
		if d := diff(byID, ur); d != "" {
			t.Errorf("CredentialWithUserNamed(%s) differs from CredentialWithUser (-by id +by name):\n%s", tc.name, d)
		}
	}
	_, _, _, err = s.CredentialWithUserNamed(f.ctx, directory.HashSecret("scimb_dt_unknown"), "alone")
	wantNotFound(t, err, "CredentialWithUserNamed of an unknown hash")
}
