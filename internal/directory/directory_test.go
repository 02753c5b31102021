package directory_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/testenv"
)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func newService(t *testing.T) (*directory.Service, *clock) {
	t.Helper()
	st := testenv.Store(t)
	c := &clock{t: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
	svc := testenv.Service(st)
	svc.IDs.Now = c.Now
	return svc, c
}

func TestIDsSortByTimeAndLookRight(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	g := directory.IDs{Now: c.Now, Rand: rand.Reader}
	var ids []string
	for i := 0; i < 50; i++ {
		id, err := g.New(directory.PrefixUser)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(id, "diruser_") || len(id) != len("diruser_")+26 || strings.ToLower(id) != id {
			t.Fatalf("id %q", id)
		}
		ids = append(ids, id)
		c.t = c.t.Add(time.Millisecond)
	}
	if !sort.StringsAreSorted(ids) {
		t.Error("ids made later do not sort later")
	}
	// Deterministic given the same clock and randomness.
	fixed := directory.IDs{Now: c.Now, Rand: bytes.NewReader(make([]byte, 64))}
	a, _ := fixed.New("x")
	fixed.Rand = bytes.NewReader(make([]byte, 64))
	b, _ := fixed.New("x")
	if a != b {
		t.Errorf("same inputs, different ids: %s %s", a, b)
	}
	if _, err := (directory.IDs{Now: c.Now, Rand: bytes.NewReader(nil)}).New("x"); err == nil {
		t.Error("want an error when randomness runs out")
	}
}

func TestSecretsHave256BitsAndAPrefix(t *testing.T) {
	g := directory.IDs{Now: time.Now, Rand: rand.Reader}
	s1, _ := g.Secret(directory.TokenPrefix)
	s2, _ := g.Secret(directory.TokenPrefix)
	if s1 == s2 || !strings.HasPrefix(s1, "scimb_dt_") || len(s1) != len("scimb_dt_")+43 {
		t.Errorf("secrets %q %q", s1, s2)
	}
	if bytes.Equal(directory.HashSecret(s1), directory.HashSecret(s2)) || len(directory.HashSecret(s1)) != 32 {
		t.Error("hash")
	}
}

func TestTokenAuthentication(t *testing.T) {
	svc, c := newService(t)
	ctx := context.Background()
	org, _ := svc.CreateOrganization(ctx, "Acme", "")
	d1, _ := svc.CreateDirectory(ctx, org.ID, "okta", "")
	d2, _ := svc.CreateDirectory(ctx, org.ID, "entra_id", "")
	tok, secret, err := svc.CreateToken(ctx, d1.ID, c.t.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AuthenticateDirectory(ctx, d1.ID, secret); err != nil {
		t.Fatalf("valid token: %v", err)
	}
	unauthorized := func(name, dir, secret string) {
		t.Helper()
		_, err := svc.AuthenticateDirectory(ctx, dir, secret)
		var de *directory.Error
		if directory.KindOf(err) != directory.KindUnauthorized {
			t.Errorf("%s: err %v, want unauthorized", name, err)
		} else if errorsAs(err, &de) && strings.Contains(de.Message, dir) {
			t.Errorf("%s: message reveals the directory: %q", name, de.Message)
		}
	}
	unauthorized("another directory's token", d2.ID, secret)
	unauthorized("empty", d1.ID, "")
	unauthorized("wrong", d1.ID, secret[:len(secret)-1]+"x")
	unauthorized("unknown directory", "dir_nope", secret)
	// Last use is recorded, but not on every request.
	toks, _ := svc.Store.ListTokens(ctx, d1.ID)
	if !toks[0].LastUsedAt.Equal(c.t) {
		t.Errorf("last used %v, want %v", toks[0].LastUsedAt, c.t)
	}
	c.t = c.t.Add(10 * time.Second)
	svc.AuthenticateDirectory(ctx, d1.ID, secret)
	toks, _ = svc.Store.ListTokens(ctx, d1.ID)
	if toks[0].LastUsedAt.Equal(c.t) {
		t.Error("last used written again after 10s")
	}
	// Expiry.
	c.t = c.t.Add(2 * time.Hour)
	unauthorized("expired", d1.ID, secret)
	// Revocation.
	c.t = c.t.Add(-2 * time.Hour)
	if err := svc.RevokeToken(ctx, d1.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	unauthorized("revoked", d1.ID, secret)
}

func errorsAs(err error, target **directory.Error) bool {
	e, ok := err.(*directory.Error)
	if ok {
		*target = e
	}
	return ok
}

func TestIfMatch(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	org, _ := svc.CreateOrganization(ctx, "Acme", "")
	d, _ := svc.CreateDirectory(ctx, org.ID, "custom", "")
	u, err := svc.CreateUser(ctx, d, map[string]any{"userName": "a"})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"Operations":[{"op":"replace","path":"displayName","value":"A"}]}`)
	if _, _, err := svc.PatchUser(ctx, d, u.ID, body, `W/"7"`); directory.KindOf(err) != directory.KindPrecondition {
		t.Errorf("stale If-Match: %v", err)
	}
	got, _, err := svc.PatchUser(ctx, d, u.ID, body, directory.ETag(u.Version))
	if err != nil || got.Version != u.Version+1 {
		t.Fatalf("matching If-Match: %v (version %d)", err, got.Version)
	}
	// Same PATCH again: nothing changes, the version stays.
	again, _, err := svc.PatchUser(ctx, d, u.ID, body, `*`)
	if err != nil || again.Version != got.Version {
		t.Errorf("no-op PATCH bumped the version: %v %d → %d", err, got.Version, again.Version)
	}
	if err := svc.DeleteUser(ctx, d, u.ID, `"1"`); directory.KindOf(err) != directory.KindPrecondition {
		t.Errorf("stale delete: %v", err)
	}
	if err := svc.DeleteUser(ctx, d, u.ID, directory.ETag(got.Version)); err != nil {
		t.Errorf("delete: %v", err)
	}
}

func TestPasswordsAreNeverStored(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	org, _ := svc.CreateOrganization(ctx, "Acme", "")
	d, _ := svc.CreateDirectory(ctx, org.ID, "okta", "")
	u, err := svc.CreateUser(ctx, d, map[string]any{"userName": "a", "password": "Hunter2-secret"})
	if err != nil {
		t.Fatal(err)
	}
	u, _, err = svc.PatchUser(ctx, d, u.ID, []byte(`{"Operations":[{"op":"replace","value":{"password":"Second-secret"}}]}`), "")
	if err != nil {
		t.Fatal(err)
	}
	u, _ = svc.Store.GetUser(ctx, d.ID, u.ID)
	for k := range u.Doc {
		if strings.EqualFold(k, "password") {
			t.Errorf("stored document has %q", k)
		}
	}
}

func TestAuthCacheNeverOutlivesRevocation(t *testing.T) {
	svc, c := newService(t)
	svc.AuthCache = directory.NewAuthCache(time.Hour)
	ctx := context.Background()
	org, _ := svc.CreateOrganization(ctx, "Acme", "")
	d, _ := svc.CreateDirectory(ctx, org.ID, "okta", "")
	other, _ := svc.CreateDirectory(ctx, org.ID, "okta", "")
	tok, secret, _ := svc.CreateToken(ctx, d.ID, c.t.Add(time.Minute))
	for i := 0; i < 3; i++ {
		if _, err := svc.AuthenticateDirectory(ctx, d.ID, secret); err != nil {
			t.Fatalf("auth #%d: %v", i, err)
		}
	}
	// A cached token still only opens its own directory.
	if _, err := svc.AuthenticateDirectory(ctx, other.ID, secret); directory.KindOf(err) != directory.KindUnauthorized {
		t.Errorf("cached token on another directory: %v", err)
	}
	// Expiry applies to cached tokens.
	c.t = c.t.Add(2 * time.Minute)
	if _, err := svc.AuthenticateDirectory(ctx, d.ID, secret); directory.KindOf(err) != directory.KindUnauthorized {
		t.Errorf("expired cached token: %v", err)
	}
	c.t = c.t.Add(-2 * time.Minute)
	if err := svc.RevokeToken(ctx, d.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AuthenticateDirectory(ctx, d.ID, secret); directory.KindOf(err) != directory.KindUnauthorized {
		t.Errorf("revoked token still authenticates through the cache: %v", err)
	}
}

func TestDirectorySettings(t *testing.T) {
	svc, _ := newService(t)
	svc.AuthCache = directory.NewAuthCache(time.Hour)
	ctx := context.Background()
	org, _ := svc.CreateOrganization(ctx, "Acme", "")
	d, _ := svc.CreateDirectory(ctx, org.ID, "entra_id", "")
	_, secret, _ := svc.CreateToken(ctx, d.ID, time.Time{})
	if _, err := svc.AuthenticateDirectory(ctx, d.ID, secret); err != nil {
		t.Fatal(err)
	}
	g, err := svc.CreateGroup(ctx, d, map[string]any{"displayName": "G"})
	if err != nil {
		t.Fatal(err)
	}
	addUnknown := []byte(`{"Operations":[{"op":"add","path":"members","value":[{"value":"diruser_nobody"}]}]}`)
	// Default: unknown members are ignored, "False" is coerced.
	if _, err := svc.PatchGroup(ctx, d, g.ID, addUnknown, ""); err != nil {
		t.Errorf("default settings: unknown member: %v", err)
	}
	if _, err := svc.CreateUser(ctx, d, map[string]any{"userName": "a", "active": "False", "favouriteColour": "red"}); err != nil {
		t.Errorf("default settings: lenient user: %v", err)
	}
	strict := directory.Settings{Strict: true, RejectUnknownMembers: true}
	yes := true
	d, err = svc.UpdateDirectory(ctx, d.ID, directory.DirectoryChange{Strict: &yes, RejectUnknownMembers: &yes})
	if err != nil || d.Settings != strict {
		t.Fatalf("UpdateDirectory: %v %+v", err, d.Settings)
	}
	// The authenticated directory carries the new settings at once.
	d, err = svc.AuthenticateDirectory(ctx, d.ID, secret)
	if err != nil || d.Settings != strict {
		t.Fatalf("settings after update: %v %+v", err, d.Settings)
	}
	if _, err := svc.PatchGroup(ctx, d, g.ID, addUnknown, ""); directory.KindOf(err) != directory.KindInvalid || !strings.Contains(err.Error(), "diruser_nobody") {
		t.Errorf("reject unknown members: %v", err)
	}
	if _, err := svc.CreateGroup(ctx, d, map[string]any{"displayName": "H", "members": []any{map[string]any{"value": "x"}}}); directory.KindOf(err) != directory.KindInvalid {
		t.Errorf("reject unknown members on create: %v", err)
	}
	if _, err := svc.CreateUser(ctx, d, map[string]any{"userName": "b", "active": "False"}); directory.KindOf(err) != directory.KindInvalid {
		t.Errorf("strict: string boolean accepted: %v", err)
	}
	if _, err := svc.CreateUser(ctx, d, map[string]any{"userName": "c", "favouriteColour": "red"}); directory.KindOf(err) != directory.KindInvalid {
		t.Errorf("strict: unknown attribute accepted: %v", err)
	}
	// Disabling takes effect at once, through the cache.
	off := false
	if _, err := svc.UpdateDirectory(ctx, d.ID, directory.DirectoryChange{Enabled: &off}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AuthenticateDirectory(ctx, d.ID, secret); directory.KindOf(err) != directory.KindForbidden {
		t.Errorf("disabled directory: %v", err)
	}
}

// racingStore lets another writer change a user or group once, at the
// last moment a precondition check could be fooled by it: right after the
// service reads the resource, or right before the store deletes it.
type racingStore struct {
	directory.Store
	write func()
	done  bool
}

func (s *racingStore) race() {
	if !s.done {
		s.done = true
		s.write()
	}
}

func (s *racingStore) GetUser(ctx context.Context, dir, id string) (directory.User, error) {
	u, err := s.Store.GetUser(ctx, dir, id)
	s.race()
	return u, err
}

func (s *racingStore) GetGroup(ctx context.Context, dir, id string) (directory.Group, error) {
	g, err := s.Store.GetGroup(ctx, dir, id)
	s.race()
	return g, err
}

func (s *racingStore) DeleteUser(ctx context.Context, dir, id string, check func(int64) error) error {
	s.race()
	return s.Store.DeleteUser(ctx, dir, id, check)
}

func (s *racingStore) DeleteGroup(ctx context.Context, dir, id string, check func(int64) error) error {
	s.race()
	return s.Store.DeleteGroup(ctx, dir, id, check)
}

// A DELETE with If-Match must not remove a resource that another request
// changed after the precondition was read (RFC 7644 §3.14): the version is
// compared in the deleting transaction, under the row lock.
func TestIfMatchDeleteRacesAConcurrentWrite(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	org, _ := svc.CreateOrganization(ctx, "Acme", "")
	d, _ := svc.CreateDirectory(ctx, org.ID, "custom", "")
	u, err := svc.CreateUser(ctx, d, map[string]any{"userName": "racer"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := svc.CreateGroup(ctx, d, map[string]any{"displayName": "Racers"})
	if err != nil {
		t.Fatal(err)
	}
	inner := svc.Store
	rs := &racingStore{Store: inner}
	svc.Store = rs

	rs.write = func() {
		body := []byte(`{"Operations":[{"op":"replace","path":"displayName","value":"Changed meanwhile"}]}`)
		svc.Store = inner
		defer func() { svc.Store = rs }()
		if _, _, err := svc.PatchUser(ctx, d, u.ID, body, ""); err != nil {
			t.Errorf("concurrent write: %v", err)
		}
	}
	if err := svc.DeleteUser(ctx, d, u.ID, directory.ETag(u.Version)); directory.KindOf(err) != directory.KindPrecondition {
		t.Errorf("delete with the version read before a concurrent write: got %v, want a precondition failure", err)
	}
	if _, err := inner.GetUser(ctx, d.ID, u.ID); err != nil {
		t.Errorf("the user changed by the concurrent write was deleted: %v", err)
	}

	rs.done = false
	rs.write = func() {
		body := []byte(`{"Operations":[{"op":"replace","path":"displayName","value":"Renamed meanwhile"}]}`)
		svc.Store = inner
		defer func() { svc.Store = rs }()
		if _, err := svc.PatchGroup(ctx, d, g.ID, body, ""); err != nil {
			t.Errorf("concurrent write: %v", err)
		}
	}
	if err := svc.DeleteGroup(ctx, d, g.ID, directory.ETag(g.Version)); directory.KindOf(err) != directory.KindPrecondition {
		t.Errorf("group delete with the version read before a concurrent write: got %v, want a precondition failure", err)
	}
	if _, err := inner.GetGroup(ctx, d.ID, g.ID); err != nil {
		t.Errorf("the group changed by the concurrent write was deleted: %v", err)
	}
}
