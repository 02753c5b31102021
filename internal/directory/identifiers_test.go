package directory_test

import (
	"context"
	"errors"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
	"github.com/scimbridge/scimbridge/internal/sqlstore"
	"github.com/scimbridge/scimbridge/internal/testenv"
)

// randomText returns exactly n bytes of random letters from several
// scripts, upper case included: text PostgreSQL cannot compress into an
// index entry, and that lower-casing does not shrink.
func randomText(r *mrand.Rand, n int) string {
	ranges := [][2]rune{{'A', 'Z'}, {'a', 'z'}, {0x0410, 0x042F}, {0x4E00, 0x9FFF}, {0x0100, 0x017F}}
	var b strings.Builder
	for b.Len() < n {
		rg := ranges[r.IntN(len(ranges))]
		c := rg[0] + rune(r.IntN(int(rg[1]-rg[0]+1)))
		if b.Len()+len(string(c)) > n {
			b.WriteByte('X')
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// TestIdentifierLimit: identifiers of exactly MaxIdentifierBytes are stored
// on both backends (the limit is safe for PostgreSQL's index entries, even
// for text that grows when lower-cased), one byte more is 400 invalidValue
// naming the attribute, and an organization's external_id is limited too.
func TestIdentifierLimit(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			var st *sqlstore.Store
			if backend == "postgres" {
				st = testenv.PostgresStore(t)
			} else {
				st = testenv.Store(t)
			}
			svc := testenv.Service(st)
			svc.IDs.Now = (&clock{t: time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)}).Now
			identifierLimit(t, svc)
		})
	}
}

func identifierLimit(t *testing.T, svc *directory.Service) {
	ctx := context.Background()
	r := mrand.New(mrand.NewPCG(7, 7))
	const max = directory.MaxIdentifierBytes
	at := func() string { return randomText(r, max) }
	org, err := svc.CreateOrganization(ctx, "Acme", at())
	if err != nil {
		t.Fatalf("external_id of %d bytes: %v", max, err)
	}
	if _, err := svc.CreateOrganization(ctx, "Acme", randomText(r, max+1)); !isInvalid(err, "external_id") {
		t.Errorf("external_id of %d bytes: %v, want invalid naming external_id", max+1, err)
	}
	over := randomText(r, max+1)
	if _, err := svc.UpdateOrganization(ctx, org.ID, directory.OrganizationChange{ExternalID: &over}); !isInvalid(err, "external_id") {
		t.Errorf("PATCH external_id of %d bytes: %v, want invalid naming external_id", max+1, err)
	}
	d, err := svc.CreateDirectory(ctx, org.ID, "okta", "")
	if err != nil {
		t.Fatal(err)
	}

	user := func(name, ext, display, family, email string) map[string]any {
		return map[string]any{"userName": name, "externalId": ext, "displayName": display,
			"name": map[string]any{"familyName": family}, "emails": []any{map[string]any{"value": email, "primary": true}}}
	}
	// Every indexed attribute at the limit at once; U+023A is two bytes
	// and lower-cases to three.
	if _, err := svc.CreateUser(ctx, d, user(at(), at(), at(), at(), at())); err != nil {
		t.Fatalf("user with identifiers of %d bytes: %v", max, err)
	}
	grows := strings.Repeat("Ⱥ", max/2)
	if _, err := svc.CreateUser(ctx, d, user(grows, grows, grows, grows, grows)); err != nil {
		t.Fatalf("user with identifiers that grow when lower-cased: %v", err)
	}
	for i, attr := range []string{"userName", "externalId", "displayName", "name.familyName", "emails[0].value"} {
		vals := []string{"u" + attr, "e", "d", "f", "m@example.com"}
		vals[i] = randomText(r, max+1)
		if _, err := svc.CreateUser(ctx, d, user(vals[0], vals[1], vals[2], vals[3], vals[4])); !isInvalid(err, attr) {
			t.Errorf("user with %s of %d bytes: %v, want invalid naming %s", attr, max+1, err, attr)
		}
	}
	if _, err := svc.CreateGroup(ctx, d, map[string]any{"displayName": at(), "externalId": at()}); err != nil {
		t.Fatalf("group with identifiers of %d bytes: %v", max, err)
	}
	g, err := svc.CreateGroup(ctx, d, map[string]any{"displayName": "eng"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateGroup(ctx, d, map[string]any{"displayName": randomText(r, max+1)}); !isInvalid(err, "displayName") {
		t.Errorf("group displayName of %d bytes: %v", max+1, err)
	}
	body := []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"externalId","value":"` + randomText(r, max+1) + `"}]}`)
	if _, err := svc.PatchGroup(ctx, d, g.ID, body, ""); !isInvalid(err, "externalId") {
		t.Errorf("PATCH group externalId of %d bytes: %v", max+1, err)
	}
}

// isInvalid reports whether err is KindInvalid with scimType invalidValue
// and a message naming attr.
func isInvalid(err error, attr string) bool {
	var de *directory.Error
	return errors.As(err, &de) && de.Kind == directory.KindInvalid &&
		de.ScimType == schema.ErrInvalidValue && strings.HasPrefix(de.Message, attr+" is ")
}
