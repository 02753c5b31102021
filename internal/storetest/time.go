package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

var timeUTC = time.UTC

func timeTests() []subtest {
	return []subtest{
		{"Time/UTCMicroseconds", testTimeUTCMicroseconds},
	}
}

func jsonQuote(s string) (string, error) {
	b, err := json.Marshal(s)
	return string(b), err
}

// wantInstant fails unless got is in UTC and is the instant of in truncated
// to microseconds.
func wantInstant(t *testing.T, what string, in, got time.Time) {
	t.Helper()
	want := in.Truncate(time.Microsecond)
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v (the instant of %v at microsecond precision)", what, got, want.UTC(), in)
	}
	if got.Location() != time.UTC {
		t.Errorf("%s = %v is not in UTC", what, got)
	}
}

// testTimeUTCMicroseconds: times given in any location, with nanoseconds,
// come back as the same instant in UTC, at microsecond precision.
func testTimeUTCMicroseconds(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	tm := newTZTimes()
	d := tm.orgAndDirectory(t, f, s)
	tm.credentials(t, f, s, d)
	u := tm.user(t, f, s, d)
	tm.group(t, f, s, d, u)
	t1, kolkata := tm.t1, tm.kolkata
	// Filters on meta times compare instants whatever the literal's offset.
	lit := t1.Add(-time.Microsecond).In(kolkata).Format(time.RFC3339Nano)
	if p := f.listUsers(d.ID, `meta.created gt "`+lit+`" and meta.created le "`+t1.Format(time.RFC3339Nano)+`"`); p.Total != 1 {
		t.Errorf("meta.created around %s with offsets: total %d, want 1", lit, p.Total)
	}
}

// tzTimes are instants in various zones, with nanoseconds.
type tzTimes struct {
	ny, kolkata        *time.Location
	t1, t2, t3, t4, t5 time.Time
}

func newTZTimes() tzTimes {
	ny := time.FixedZone("UTC-5", -5*3600)
	kolkata := time.FixedZone("UTC+5:30", 5*3600+1800)
	t4 := time.Date(2031, 3, 6, 1, 2, 3, 1000, kolkata).Local() // the local zone, whatever it is
	return tzTimes{ny: ny, kolkata: kolkata,
		t1: time.Date(2031, 3, 4, 22, 30, 15, 123456789, ny),   // next day in UTC
		t2: time.Date(2031, 3, 5, 1, 2, 3, 999999999, kolkata), // previous day in UTC
		t3: time.Date(1969, 12, 31, 23, 59, 59, 500000500, ny), // before the epoch
		t4: t4,
		t5: t4.Add(time.Hour).In(ny),
	}
}

// orgAndDirectory checks an organization's and a directory's times and
// returns the directory.
func (tm tzTimes) orgAndDirectory(t *testing.T, f *fixture, s directory.Store) directory.Directory {
	t1, t2, t3, t4, t5 := tm.t1, tm.t2, tm.t3, tm.t4, tm.t5
	o := directory.Organization{ID: "org_tz", Name: "TZ", CreatedAt: t3, UpdatedAt: t1}
	if err := s.CreateOrganization(f.ctx, o); err != nil {
		t.Fatalf("CreateOrganization: %v", err)
	}
	og, err := s.GetOrganization(f.ctx, o.ID)
	if err != nil {
		t.Fatalf("GetOrganization: %v", err)
	}
	wantInstant(t, "Organization.CreatedAt", t3, og.CreatedAt)
	wantInstant(t, "Organization.UpdatedAt", t1, og.UpdatedAt)

	d := directory.Directory{ID: "dir_tz", OrganizationID: o.ID, Name: "tz", Provider: "okta", Enabled: true, CreatedAt: t1, UpdatedAt: t2, LastRequestAt: t4}
	if err := s.CreateDirectory(f.ctx, d); err != nil {
		t.Fatalf("CreateDirectory: %v", err)
	}
	dg, err := s.GetDirectory(f.ctx, d.ID)
	if err != nil {
		t.Fatalf("GetDirectory: %v", err)
	}
	wantInstant(t, "Directory.CreatedAt", t1, dg.CreatedAt)
	wantInstant(t, "Directory.UpdatedAt", t2, dg.UpdatedAt)
	wantInstant(t, "Directory.LastRequestAt", t4, dg.LastRequestAt)
	if err := s.TouchDirectory(f.ctx, d.ID, t5); err != nil {
		t.Fatalf("TouchDirectory: %v", err)
	}
	dg, _ = s.GetDirectory(f.ctx, d.ID)
	wantInstant(t, "Directory.LastRequestAt after touch", t5, dg.LastRequestAt)

	return d
}

// credentials checks a token's and an API key's times.
func (tm tzTimes) credentials(t *testing.T, f *fixture, s directory.Store, d directory.Directory) {
	t1, t2, t4, t5 := tm.t1, tm.t2, tm.t4, tm.t5
	tok := mkToken("dtok_tz", d.ID, "scimb_dt_tz-secret", t1)
	tok.ExpiresAt = t2
	if err := s.CreateToken(f.ctx, tok); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	if err := s.TouchToken(f.ctx, tok.ID, t4); err != nil {
		t.Fatalf("TouchToken: %v", err)
	}
	if err := s.RevokeToken(f.ctx, d.ID, tok.ID, t5); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	tg, err := s.TokenByHash(f.ctx, tok.Hash)
	if err != nil {
		t.Fatalf("TokenByHash: %v", err)
	}
	wantInstant(t, "Token.CreatedAt", t1, tg.CreatedAt)
	wantInstant(t, "Token.ExpiresAt", t2, tg.ExpiresAt)
	wantInstant(t, "Token.LastUsedAt", t4, tg.LastUsedAt)
	wantInstant(t, "Token.RevokedAt", t5, tg.RevokedAt)

	k := mkKey("key_tz", "tz", "scimb_ak_tz-secret", t2)
	if err := s.CreateAPIKey(f.ctx, k); err != nil {
		t.Fatalf("CreateAPIKey: %v", err)
	}
	if err := s.TouchAPIKey(f.ctx, k.ID, t1); err != nil {
		t.Fatalf("TouchAPIKey: %v", err)
	}
	if err := s.RevokeAPIKey(f.ctx, k.ID, t4); err != nil {
		t.Fatalf("RevokeAPIKey: %v", err)
	}
	kg, err := s.APIKeyByHash(f.ctx, k.Hash)
	if err != nil {
		t.Fatalf("APIKeyByHash: %v", err)
	}
	wantInstant(t, "APIKey.CreatedAt", t2, kg.CreatedAt)
	wantInstant(t, "APIKey.LastUsedAt", t1, kg.LastUsedAt)
	wantInstant(t, "APIKey.RevokedAt", t4, kg.RevokedAt)
}

// user checks a user's times and returns the user.
func (tm tzTimes) user(t *testing.T, f *fixture, s directory.Store, d directory.Directory) directory.User {
	t1, t2, t4 := tm.t1, tm.t2, tm.t4
	u := directory.User{ID: "diruser_tz", DirectoryID: d.ID, UserName: "tz", Active: true,
		Doc: map[string]any{"userName": "tz", "active": true}, Version: 1, CreatedAt: t1, UpdatedAt: t2}
	if err := s.CreateUser(f.ctx, u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	ug, err := s.GetUser(f.ctx, d.ID, u.ID)
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	wantInstant(t, "User.CreatedAt", t1, ug.CreatedAt)
	wantInstant(t, "User.UpdatedAt", t2, ug.UpdatedAt)
	// What UpdateUser returns is what a later GetUser returns.
	ur, _, err := s.UpdateUser(f.ctx, d.ID, u.ID, t4, renameTo("tz2"))
	if err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	wantInstant(t, "UpdateUser(…).UpdatedAt", t4, ur.UpdatedAt)
	ug, _ = s.GetUser(f.ctx, d.ID, u.ID)
	wantInstant(t, "User.UpdatedAt after update", t4, ug.UpdatedAt)
	if df := diff(ug, ur); df != "" {
		t.Errorf("UpdateUser returned something else than GetUser (-get +update):\n%s", df)
	}
	return u
}

// group checks a group's times.
func (tm tzTimes) group(t *testing.T, f *fixture, s directory.Store, d directory.Directory, u directory.User) {
	t2, t3, t5 := tm.t2, tm.t3, tm.t5
	g := directory.Group{ID: "dirgroup_tz", DirectoryID: d.ID, DisplayName: "tz",
		Doc: map[string]any{"displayName": "tz"}, Version: 1, CreatedAt: t2, UpdatedAt: t3}
	if _, err := s.CreateGroup(f.ctx, g, nil); err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	gg, err := s.GetGroup(f.ctx, d.ID, g.ID)
	if err != nil {
		t.Fatalf("GetGroup: %v", err)
	}
	wantInstant(t, "Group.CreatedAt", t2, gg.CreatedAt)
	wantInstant(t, "Group.UpdatedAt", t3, gg.UpdatedAt)
	gr, _, err := s.UpdateGroup(f.ctx, d.ID, g.ID, t5, func(*directory.Group) (bool, []directory.MemberChange, error) {
		return false, []directory.MemberChange{add(u.ID)}, nil
	})
	if err != nil {
		t.Fatalf("UpdateGroup: %v", err)
	}
	wantInstant(t, "UpdateGroup(…).UpdatedAt", t5, gr.UpdatedAt)
	gg, _ = s.GetGroup(f.ctx, d.ID, g.ID)
	if df := diff(gg, gr); df != "" {
		t.Errorf("UpdateGroup returned something else than GetGroup (-get +update):\n%s", df)
	}
}
