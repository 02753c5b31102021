package storetest

import (
	"testing"

	"github.com/scimbridge/scimbridge/internal/directory"
)

func unicodeTests() []subtest {
	return []subtest{
		{"Unicode/UserNameUniqueUnderNFC", testUserNameNFC},
		{"Unicode/FilterEqUnderNFC", testFilterNFC},
		{"Unicode/GroupDisplayNameUniqueUnderNFC", testGroupNameNFC},
	}
}

// "é" precomposed (U+00E9) and decomposed (e + U+0301).
const (
	composed   = "ren\u00e9@example.com"
	decomposed = "rene\u0301@example.com"
)

// userName uniqueness compares under NFC as well as case: the decomposed
// and the precomposed (upper-case) form are the same userName. The stored
// value stays as sent.
func testUserNameNFC(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	u := f.userNamed(f.dir.ID, decomposed)
	if got := f.getUser(f.dir.ID, u.ID).UserName; got != decomposed {
		t.Errorf("stored userName %q, want it as sent %q", got, decomposed)
	}
	_, err := f.svc.CreateUser(f.ctx, f.dir, map[string]any{"userName": "REN\u00c9@example.com"})
	wantUniqueness(t, err, "userName", "CreateUser with the precomposed upper-case form")
	_, err = f.svc.CreateUser(f.ctx, f.dir, map[string]any{"userName": composed})
	wantUniqueness(t, err, "userName", "CreateUser with the precomposed form")
}

// An eq filter on userName, or on a case-insensitive sub-attribute
// (emails.value), finds the user whichever form either side used.
func testFilterNFC(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	a := f.user(f.dir.ID, map[string]any{"userName": decomposed,
		"emails": []any{map[string]any{"value": decomposed, "type": "work"}}})
	b := f.user(f.dir.ID, map[string]any{"userName": "zo\u00eb@example.com",
		"emails": []any{map[string]any{"value": "zo\u00eb@example.com", "type": "work"}}})
	for filterText, want := range map[string]string{
		`userName eq "` + composed + `"`:                         a.ID,
		`userName eq "` + decomposed + `"`:                       a.ID,
		`userName eq "REN\u00c9@EXAMPLE.COM"`:                    a.ID,
		`emails.value eq "` + composed + `"`:                     a.ID,
		`emails[type eq "work" and value eq "` + composed + `"]`: a.ID,
		`userName eq "zoe\u0308@example.com"`:                    b.ID,
		`emails.value eq "ZOE\u0308@example.com"`:                b.ID,
	} {
		got := userIDs(f.listUsers(f.dir.ID, filterText).Users)
		if len(got) != 1 || got[0] != want {
			t.Errorf("%s: got %v, want [%s]", filterText, got, want)
		}
	}
}

// Group displayName uniqueness compares under NFC too.
func testGroupNameNFC(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	f.group(f.dir.ID, "Caf\u00e9")
	_, err := f.svc.CreateGroup(f.ctx, f.dir, map[string]any{"displayName": "CAFE\u0301"})
	wantUniqueness(t, err, "displayName", "CreateGroup with the decomposed form")
	if p := f.listGroups(f.dir.ID, `displayName eq "cafe\u0301"`); len(p.Groups) != 1 {
		t.Errorf(`displayName eq "cafe\u0301": %d groups, want 1`, len(p.Groups))
	}
}
