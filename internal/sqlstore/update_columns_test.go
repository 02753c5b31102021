package sqlstore

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// TestUpdateUserIndexedColumns: UpdateUser sets an indexed column only
// when its value changes (lockedUser.updateQuery); after every PATCH the
// stored columns are what the user's document makes them, whichever
// attributes the PATCH changed.
func TestUpdateUserIndexedColumns(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "cols.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	svc := &directory.Service{Store: s, Schemas: schema.New(), IDs: directory.IDs{Now: time.Now, Rand: rand.Reader},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	org, err := svc.CreateOrganization(ctx, "Acme", "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := svc.CreateDirectory(ctx, org.ID, "okta", "")
	if err != nil {
		t.Fatal(err)
	}
	u, err := svc.CreateUser(ctx, d, map[string]any{"userName": "Ann@Example.com", "externalId": "00u1", "displayName": "Ann A",
		"name": map[string]any{"familyName": "Andersen"}, "emails": []any{map[string]any{"value": "Ann@Example.com", "primary": true}}})
	if err != nil {
		t.Fatal(err)
	}
	check := func(step string) {
		t.Helper()
		got, err := s.GetUser(ctx, d.ID, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		email, display, family := searchFolds(got)
		want := []string{got.UserName, schema.FoldString(got.UserName), got.ExternalID, email, display, family, userDisplay(got)}
		var row [7]string
		if err := s.readRow(ctx, `SELECT user_name, user_name_fold, COALESCE(external_id, ''), email_fold, display_fold, family_fold, display
			FROM users WHERE id = $1`, u.ID).Scan(&row[0], &row[1], &row[2], &row[3], &row[4], &row[5], &row[6]); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(row[:]) != fmt.Sprint(want) {
			t.Errorf("%s: stored %q, want %q", step, row, want)
		}
	}
	check("created")
	for _, op := range []string{
		`{"op":"replace","path":"displayName","value":"Ann B"}`,
		`{"op":"replace","path":"title","value":"Engineer"}`,
		`{"op":"replace","path":"userName","value":"ANN@example.com"}`, // same fold
		`{"op":"replace","path":"userName","value":"ann.b@example.com"}`,
		`{"op":"replace","path":"externalId","value":"00u2"}`,
		`{"op":"remove","path":"externalId"}`,
		`{"op":"replace","path":"name.familyName","value":"Berg"}`,
		`{"op":"replace","path":"emails[primary eq true].value","value":"Ann.B@Example.com"}`,
		`{"op":"remove","path":"displayName"}`,
		`{"op":"replace","value":{"displayName":"Ann C","name":{"familyName":"Carr"},"externalId":"00u3"}}`,
	} {
		body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + op + `]}`
		if _, _, err := svc.PatchUser(ctx, d, u.ID, []byte(body), ""); err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		check(op)
	}

	// A displayName PATCH sets the one indexed column it changes.
	lu := lockedUser{nameFold: "ann@example.com", emailFold: "ann@example.com", displayFold: "ann a", familyFold: "andersen"}
	lu.ext.String, lu.ext.Valid = "00u1", true
	next := directory.User{UserName: "Ann@Example.com", ExternalID: "00u1", Doc: schema.Resource{"userName": "Ann@Example.com", "displayName": "Ann B",
		"name": map[string]any{"familyName": "Andersen"}, "emails": []any{map[string]any{"value": "Ann@Example.com", "primary": true}}}}
	q, args := lu.updateQuery("usr_1", "dir_1", next, "{}", "{}", nullString(""))
	for _, col := range []string{"user_name_fold", "external_id", "email_fold", "family_fold"} {
		if strings.Contains(q, col) {
			t.Errorf("displayName PATCH sets %s: %s", col, q)
		}
	}
	if !strings.Contains(q, "display_fold = $10") || len(args) != 12 {
		t.Errorf("displayName PATCH: %s with %d arguments, want display_fold = $10 and 12 arguments", q, len(args))
	}
}
