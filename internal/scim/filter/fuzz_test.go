package filter

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// FuzzParse checks that Parse never panics, that its errors are invalidFilter
// errors, that Format(Parse(s)) parses back to the same AST, and that
// Resolve and Eval neither panic nor lose the round trip on what parses.
func FuzzParse(f *testing.F) {
	// filterSeeds are filters from RFC 7644 §3.4.2.2 and from identity providers
	// (Entra ID, Okta, OneLogin, Google), plus edge cases.
	filterSeeds := []string{
		`userName eq "bjensen"`,
		`name.familyName co "O'Malley"`,
		`userName sw "J"`,
		`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`,
		`title pr`,
		`meta.lastModified gt "2011-05-13T04:42:34Z"`,
		`meta.lastModified ge "2011-05-13T04:42:34Z"`,
		`meta.lastModified lt "2011-05-13T04:42:34Z"`,
		`meta.lastModified le "2011-05-13T04:42:34Z"`,
		`title pr and userType eq "Employee"`,
		`title pr or userType eq "Intern"`,
		`schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`,
		`userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
		`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
		`userType eq "Employee" and (emails.type eq "work")`,
		`userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`,
		`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
		// Entra ID.
		`userName eq "Test_User_dfeef4c5-5681-4387-b016-bdf221e82081"`,
		`externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"`,
		`displayName eq "Group_1"`,
		`externalId eq jyoung`,
		`id eq 54D3 and manager eq 2819`,
		`emails[type eq "work"].value eq "user@contoso.com"`,
		`emails[type eq "work"].value pr`,
		`roles[primary eq "True"].value eq "Admin"`,
		`active eq "True"`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`,
		`members[value eq "2819c223-7f76-453a-919d-413861904646"]`,
		// Okta, OneLogin, Google.
		`userName eq "isaac.brock@example.com"`,
		`displayName eq "Engineering" and members eq "00u1dhhb1fkIGP7RL1d8"`,
		`userName Eq "x"`,
		`UserName EQ "x" AND Active eq TRUE`,
		`emails.value eq "a@b.c" or userName eq "a@b.c"`,
		// Edge cases.
		`a pr or b pr and c pr`,
		`a pr and (b pr and c pr)`,
		`not (a pr) and not (b pr or c pr)`,
		`displayName eq "a\"b\\c\u00e9\ud83d\ude00\n"`,
		`age gt -1.5e3 and score le 0`,
		`title eq null or title ne NULL`,
		" \temails [ type eq \"work\" ] ",
		`not(userName eq"x")and(title pr)`,
		`not eq "x"`,
		`members[$ref eq "x"]`,
		nest(MaxDepth, `a pr`),
		nest(MaxDepth+1, `a pr`),
		`(userName eq "x"`,
		`userName eq "x")`,
		`userName eqq "x"`,
		`userName eq`,
		`emails[type[value eq 1] pr]`,
		"userName eq \"\xff\"",
		`emails[a pr or b pr].value eq "x"`,
	}
	for _, s := range filterSeeds {
		f.Add(s)
	}
	user := schema.New().User
	doc := babs()
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			var se *schema.Error
			if !errors.As(err, &se) || se.ScimType != schema.ErrInvalidFilter || se.Detail == "" {
				t.Fatalf("Parse(%q): error %#v is not an invalidFilter *schema.Error", s, err)
			}
			return
		}
		if e == nil {
			t.Fatalf("Parse(%q) = nil, nil", s)
		}
		out := Format(e)
		e2, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(%q) succeeded, but Parse(Format) = Parse(%q) failed: %v", s, out, err)
		}
		if !reflect.DeepEqual(e, e2) {
			t.Fatalf("Parse(%q) != Parse(Format) = Parse(%q) (-first +second):\n%s", s, out, cmp.Diff(e, e2))
		}
		if out2 := Format(e2); out2 != out {
			t.Fatalf("Format is not stable: %q then %q", out, out2)
		}

		r, err := Resolve(user, e)
		if err != nil {
			return
		}
		Eval(user, r, doc)
		// A resolved expression formats to a filter that resolves to itself
		// (unless canonical names made it longer than Parse accepts).
		rs := Format(r)
		if len(rs) > MaxLen {
			return
		}
		e3, err := Parse(rs)
		if err != nil {
			t.Fatalf("Format(Resolve(%q)) = %q does not parse: %v", s, rs, err)
		}
		r3, err := Resolve(user, e3)
		if err != nil {
			t.Fatalf("Format(Resolve(%q)) = %q does not resolve: %v", s, rs, err)
		}
		if !reflect.DeepEqual(r, r3) {
			t.Fatalf("Resolve(Parse(Format(Resolve(%q)))) differs (-want +got):\n%s", s, cmp.Diff(r, r3))
		}
	})
}

// FuzzParsePatchPath checks that ParsePatchPath never panics, that its errors
// are invalidPath errors and that String parses back to the same path.
func FuzzParsePatchPath(f *testing.F) {
	for _, s := range []string{
		`members`,
		`name.givenName`,
		`emails[type eq "work"].value`,
		`members[value eq "2819c223"]`,
		`addresses[type eq "work"].postalCode`,
		`roles[primary eq "True"].value`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`,
		`manager[value eq "x"]`,
		`members[value eq "a" or value eq "b"]`,
		`emails[type eq "work" and primary eq true].display`,
		`  Emails [ Type EQ "work" ] .Value `,
		`members[$ref eq "x"].$ref`,
		`emails[not (type eq "work")]`,
		`emails[type eq "work"][value pr]`,
		`name.givenName.x`,
		`emails[`,
		`emails[type eq "work"].`,
		`urn:x`,
		`emails[` + nest(MaxDepth, `type pr`) + `]`,
	} {
		f.Add(s)
	}
	user := schema.New().User
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePatchPath(s)
		if err != nil {
			var se *schema.Error
			if !errors.As(err, &se) || se.ScimType != schema.ErrInvalidPath || se.Detail == "" {
				t.Fatalf("ParsePatchPath(%q): error %#v is not an invalidPath *schema.Error", s, err)
			}
			return
		}
		out := p.String()
		p2, err := ParsePatchPath(out)
		if err != nil {
			t.Fatalf("ParsePatchPath(%q) succeeded, but ParsePatchPath(%q) failed: %v", s, out, err)
		}
		if !reflect.DeepEqual(p, p2) {
			t.Fatalf("ParsePatchPath(%q) != ParsePatchPath(%q) (-first +second):\n%s", s, out, cmp.Diff(p, p2))
		}
		r, err := ResolvePatchPath(user, p)
		if err != nil {
			var se *schema.Error
			if !errors.As(err, &se) || se.ScimType != schema.ErrInvalidPath {
				t.Fatalf("ResolvePatchPath(%q): error %#v is not an invalidPath *schema.Error", s, err)
			}
			return
		}
		if len(r.String()) > MaxLen {
			return
		}
		p3, err := ParsePatchPath(r.String())
		if err != nil {
			t.Fatalf("String of resolved %q = %q does not parse: %v", s, r.String(), err)
		}
		r3, err := ResolvePatchPath(user, p3)
		if err != nil {
			t.Fatalf("String of resolved %q = %q does not resolve: %v", s, r.String(), err)
		}
		if !reflect.DeepEqual(r, r3) {
			t.Fatalf("resolved %q does not round-trip through %q (-want +got):\n%s", s, r.String(), cmp.Diff(r, r3))
		}
	})
}

func BenchmarkParse(b *testing.B) {
	inputs := map[string]string{
		"simple":     `userName eq "bjensen"`,
		"entra":      `emails[type eq "work"].value eq "user@contoso.com"`,
		"rfc":        `userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
		"enterprise": `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`,
		"long":       strings.Repeat(`userName eq "bjensen" or `, 300) + `title pr`,
		"deep":       nest(MaxDepth, `a pr`),
	}
	for name, in := range inputs {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
