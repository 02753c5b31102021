package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

func portalTests() []subtest {
	return []subtest{
		{"Portal/EmbedLinkOnce", testPortalEmbedOnce},
		{"Portal/EmbedLinkConcurrentOpen", testPortalEmbedConcurrent},
		{"Portal/ShareLinkRevoke", testPortalShareRevoke},
		{"Portal/Expiry", testPortalExpiry},
		{"Portal/ListAndScope", testPortalListScope},
		{"Users/SearchPrefix", testUserSearch},
	}
}

// advance moves the fixture clock forward by d.
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (f *fixture) portal() *directory.Portal {
	f.t.Helper()
	ps, ok := f.s.(directory.PortalStore)
	if !ok {
		f.t.Skip("the store does not implement directory.PortalStore")
	}
	return &directory.Portal{Store: ps, Orgs: f.s, IDs: f.svc.IDs, Config: directory.PortalConfig{IdleTimeout: time.Hour, MaxLifetime: 12 * time.Hour}}
}

func (f *fixture) link(p *directory.Portal, orgID, kind string) (directory.PortalLink, string) {
	f.t.Helper()
	l, tok, err := p.CreateLink(f.ctx, orgID, kind, "https://app.example.com/settings")
	if err != nil {
		f.t.Fatalf("CreateLink(%s): %v", kind, err)
	}
	return l, tok
}

func testPortalEmbedOnce(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	p := f.portal()
	l, tok := f.link(p, f.org.ID, directory.PortalEmbed)
	if l.ExpiresAt.Sub(l.CreatedAt) != directory.PortalEmbedTTL {
		t.Errorf("embed link lives %v, want %v", l.ExpiresAt.Sub(l.CreatedAt), directory.PortalEmbedTTL)
	}
	sess, secret, err := p.OpenLink(f.ctx, tok)
	if err != nil {
		t.Fatalf("OpenLink: %v", err)
	}
	if sess.OrganizationID != f.org.ID || sess.ReturnURL != "https://app.example.com/settings" || sess.LinkID != l.ID {
		t.Errorf("session = %+v, want organization %s, the link's return URL and id", sess, f.org.ID)
	}
	got, err := p.Session(f.ctx, secret)
	if err != nil || got.OrganizationID != f.org.ID {
		t.Fatalf("Session(secret) = %+v, %v; want the organization's session", got, err)
	}
	_, _, err = p.OpenLink(f.ctx, tok)
	if e := wantKind(t, err, directory.KindUnauthorized, "opening an embed link twice"); e != nil && !contains(e.Message, "already used") {
		t.Errorf("second open message %q does not say the link was used", e.Message)
	}
	if _, _, err := p.OpenLink(f.ctx, tok+"x"); err == nil {
		t.Errorf("OpenLink with a wrong token: no error")
	}
	if err := p.EndSession(f.ctx, secret); err != nil {
		t.Fatal(err)
	}
	_, err = p.Session(f.ctx, secret)
	wantKind(t, err, directory.KindUnauthorized, "a session after EndSession")
}

func testPortalEmbedConcurrent(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	p := f.portal()
	_, tok := f.link(p, f.org.ID, directory.PortalEmbed)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := p.OpenLink(f.ctx, tok); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			} else if directory.KindOf(err) != directory.KindUnauthorized {
				t.Errorf("concurrent OpenLink: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != 1 {
		t.Errorf("%d of 8 concurrent opens of one embed link succeeded, want exactly 1", ok)
	}
}

func testPortalShareRevoke(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	p := f.portal()
	l, tok := f.link(p, f.org.ID, directory.PortalShare)
	if l.ExpiresAt.Sub(l.CreatedAt) != directory.PortalShareTTL {
		t.Errorf("share link lives %v, want %v", l.ExpiresAt.Sub(l.CreatedAt), directory.PortalShareTTL)
	}
	_, s1, err := p.OpenLink(f.ctx, tok)
	if err != nil {
		t.Fatalf("first open: %v", err)
	}
	_, s2, err := p.OpenLink(f.ctx, tok)
	if err != nil {
		t.Fatalf("second open of a share link: %v", err)
	}
	if err := p.RevokeLink(f.ctx, f.org.ID, l.ID); err != nil {
		t.Fatalf("RevokeLink: %v", err)
	}
	if err := p.RevokeLink(f.ctx, f.org.ID, l.ID); err != nil {
		t.Errorf("revoking twice: %v", err)
	}
	for _, sec := range []string{s1, s2} {
		_, err := p.Session(f.ctx, sec)
		wantKind(t, err, directory.KindUnauthorized, "a session of a revoked link")
	}
	_, _, err = p.OpenLink(f.ctx, tok)
	if e := wantKind(t, err, directory.KindUnauthorized, "opening a revoked link"); e != nil && !contains(e.Message, "revoked") {
		t.Errorf("message %q does not say the link was revoked", e.Message)
	}
}

func testPortalExpiry(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	p := f.portal()
	_, tok := f.link(p, f.org.ID, directory.PortalEmbed)
	f.clock.advance(directory.PortalEmbedTTL)
	_, _, err := p.OpenLink(f.ctx, tok)
	if e := wantKind(t, err, directory.KindUnauthorized, "opening an expired embed link"); e != nil && !contains(e.Message, "expired") {
		t.Errorf("message %q does not say the link expired", e.Message)
	}
	// Idle timeout and absolute lifetime of sessions.
	_, tok = f.link(p, f.org.ID, directory.PortalShare)
	_, secret, err := p.OpenLink(f.ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.advance(50 * time.Minute)
	if _, err := p.Session(f.ctx, secret); err != nil {
		t.Fatalf("session used after 50 minutes (idle timeout 1h): %v", err)
	}
	f.clock.advance(50 * time.Minute)
	if _, err := p.Session(f.ctx, secret); err != nil {
		t.Fatalf("session used 50 minutes after its last use: %v", err)
	}
	f.clock.advance(61 * time.Minute)
	_, err = p.Session(f.ctx, secret)
	wantKind(t, err, directory.KindUnauthorized, "a session idle for 61 minutes")
	_, secret, err = p.OpenLink(f.ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 25; i++ { // 25 × 30 min > 12 h, never idle
		f.clock.advance(30 * time.Minute)
		if _, err = p.Session(f.ctx, secret); err != nil {
			break
		}
	}
	wantKind(t, err, directory.KindUnauthorized, "a session past its 12-hour lifetime")
}

func testPortalListScope(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	p := f.portal()
	other, err := f.svc.CreateOrganization(f.ctx, "Other", "")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := f.link(p, f.org.ID, directory.PortalEmbed)
	b, _ := f.link(p, f.org.ID, directory.PortalShare)
	c, _ := f.link(p, other.ID, directory.PortalShare)
	ls, err := p.ListLinks(f.ctx, f.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range ls {
		ids = append(ids, l.ID)
	}
	if d := diff([]string{b.ID, a.ID}, ids); d != "" {
		t.Errorf("ListLinks (newest first) (-want +got):\n%s", d)
	}
	wantNotFound(t, p.RevokeLink(f.ctx, f.org.ID, c.ID), "revoking another organization's link")
	_, _, err = p.CreateLink(f.ctx, "org_missing", directory.PortalEmbed, "")
	wantNotFound(t, err, "a link for an unknown organization")
	_, _, err = p.CreateLink(f.ctx, f.org.ID, "forever", "")
	wantKind(t, err, directory.KindInvalid, "an unknown link kind")
	_, _, err = p.CreateLink(f.ctx, f.org.ID, directory.PortalEmbed, "javascript:alert(1)")
	wantKind(t, err, directory.KindInvalid, "a javascript: return_url")
	// Deleting the organization removes its links.
	if err := f.svc.DeleteOrganization(f.ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	_, err = p.ListLinks(f.ctx, other.ID)
	wantNotFound(t, err, "links of a deleted organization")
}

func testUserSearch(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	mk := func(userName, email, given, family string) directory.User {
		return f.user(f.dir.ID, map[string]any{
			"userName": userName, "displayName": given + " " + family,
			"name":   map[string]any{"givenName": given, "familyName": family},
			"emails": []any{map[string]any{"value": "other-" + email, "type": "home"}, map[string]any{"value": email, "primary": true}},
		})
	}
	ada := mk("ada@corp.example", "Ada.Lovelace@Example.com", "Ada", "Lovelace")
	bob := mk("bob", "bob.smith@example.com", "Bob", "Smith")
	eve := mk("eve", "eve@elsewhere.org", "Éve", "Adams")
	other := f.newDir()
	f.user(other.ID, map[string]any{"userName": "ada2", "emails": []any{map[string]any{"value": "ada.lovelace@example.com"}}})
	search := func(q directory.Query) []string {
		t.Helper()
		pg, err := f.s.ListUsers(f.ctx, f.dir.ID, q)
		if err != nil {
			t.Fatalf("ListUsers(%+v): %v", q, err)
		}
		return userIDs(pg.Users)
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"ada.love", []string{ada.ID}},    // email prefix, other case
		{"ADA", []string{ada.ID, eve.ID}}, // userName / display prefix, and family name Adams
		{"bob.smith@example.com", []string{bob.ID}},
		{"smith", []string{bob.ID}}, // family name
		{"éve", []string{eve.ID}},   // display name, non-ASCII
		{"example.com", nil},        // not a prefix of anything
		{"other-", nil},             // non-primary emails are not searched
		{"zzz", nil},
	} {
		got := search(directory.Query{Search: tc.q, Limit: 10})
		if d := diff(sorted(tc.want), sorted(got)); d != "" {
			t.Errorf("Search %q (-want +got):\n%s", tc.q, d)
		}
	}
	// Search composes with the total, group membership and keyset pages.
	g := f.group(f.dir.ID, "Staff", ada.ID, bob.ID)
	pg, err := f.s.ListUsers(f.ctx, f.dir.ID, directory.Query{Search: "a", Limit: 1})
	if err != nil || pg.Total != 2 || len(pg.Users) != 1 || pg.Users[0].ID != ada.ID {
		t.Errorf("Search a, limit 1: %d users of %d, %v; want ada first of 2", len(pg.Users), pg.Total, err)
	}
	if got := search(directory.Query{Search: "a", After: ada.ID, Limit: 10}); len(got) != 1 || got[0] != eve.ID {
		t.Errorf("Search a after ada = %v, want [eve]", got)
	}
	if got := search(directory.Query{Search: "a", MemberOf: g.ID, Limit: 10}); len(got) != 1 || got[0] != ada.ID {
		t.Errorf("Search a in group Staff = %v, want [ada]", got)
	}
	// An update rewrites the search columns.
	if _, _, err := f.svc.ReplaceUser(f.ctx, f.dir, bob.ID, map[string]any{"userName": "bob", "emails": []any{map[string]any{"value": "robert@new.example"}}}, ""); err != nil {
		t.Fatal(err)
	}
	if got := search(directory.Query{Search: "robert@", Limit: 10}); len(got) != 1 || got[0] != bob.ID {
		t.Errorf("Search by the new email after an update = %v, want [bob]", got)
	}
	if got := search(directory.Query{Search: "bob.smith", Limit: 10}); len(got) != 0 {
		t.Errorf("Search by the old email after an update = %v, want none", got)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
