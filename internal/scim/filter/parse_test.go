package filter

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Expr
	}{
		// RFC 7644 §3.4.2.2 examples.
		{"eq", `userName eq "bjensen"`, cmpr(path("userName"), Eq, str("bjensen"))},
		{"sub-attribute co", `name.familyName co "O'Malley"`, cmpr(subPath("name", "familyName"), Co, str("O'Malley"))},
		{"sw", `userName sw "J"`, cmpr(path("userName"), Sw, str("J"))},
		{"core URN prefix", `urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`,
			cmpr(urnPath(schema.UserURN, "userName", ""), Sw, str("J"))},
		{"pr", `title pr`, pres(path("title"))},
		{"gt dateTime", `meta.lastModified gt "2011-05-13T04:42:34Z"`, cmpr(subPath("meta", "lastModified"), Gt, str("2011-05-13T04:42:34Z"))},
		{"ge", `meta.lastModified ge "2011-05-13T04:42:34Z"`, cmpr(subPath("meta", "lastModified"), Ge, str("2011-05-13T04:42:34Z"))},
		{"lt", `meta.lastModified lt "2011-05-13T04:42:34Z"`, cmpr(subPath("meta", "lastModified"), Lt, str("2011-05-13T04:42:34Z"))},
		{"le", `meta.lastModified le "2011-05-13T04:42:34Z"`, cmpr(subPath("meta", "lastModified"), Le, str("2011-05-13T04:42:34Z"))},
		{"ne", `title ne "x"`, cmpr(path("title"), Ne, str("x"))},
		{"ew", `title ew "x"`, cmpr(path("title"), Ew, str("x"))},
		{"and", `title pr and userType eq "Employee"`, and(pres(path("title")), cmpr(path("userType"), Eq, str("Employee")))},
		{"or", `title pr or userType eq "Intern"`, or(pres(path("title")), cmpr(path("userType"), Eq, str("Intern")))},
		{"schemas", `schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`, cmpr(path("schemas"), Eq, str(ent))},
		{"grouping", `userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
			and(cmpr(path("userType"), Eq, str("Employee")),
				or(cmpr(path("emails"), Co, str("example.com")), cmpr(subPath("emails", "value"), Co, str("example.org"))))},
		{"not", `userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
			and(cmpr(path("userType"), Ne, str("Employee")),
				not(or(cmpr(path("emails"), Co, str("example.com")), cmpr(subPath("emails", "value"), Co, str("example.org")))))},
		{"group of one", `userType eq "Employee" and (emails.type eq "work")`,
			and(cmpr(path("userType"), Eq, str("Employee")), cmpr(subPath("emails", "type"), Eq, str("work")))},
		{"value path", `userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`,
			and(cmpr(path("userType"), Eq, str("Employee")),
				vpath(path("emails"), and(cmpr(path("type"), Eq, str("work")), cmpr(path("value"), Co, str("@example.com")))))},
		{"two value paths", `emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
			or(vpath(path("emails"), and(cmpr(path("type"), Eq, str("work")), cmpr(path("value"), Co, str("@example.com")))),
				vpath(path("ims"), and(cmpr(path("type"), Eq, str("xmpp")), cmpr(path("value"), Co, str("@foo.com")))))},
		{"value path with not", `emails[not (type eq "work")]`, vpath(path("emails"), not(cmpr(path("type"), Eq, str("work"))))},
		{"value path with $ref", `members[$ref eq "x"]`, vpath(path("members"), cmpr(path("$ref"), Eq, str("x")))},

		// Precedence: not > and > or; both left-associative.
		{"and binds tighter than or (right)", `a pr or b pr and c pr`, or(pres(path("a")), and(pres(path("b")), pres(path("c"))))},
		{"and binds tighter than or (left)", `a pr and b pr or c pr`, or(and(pres(path("a")), pres(path("b"))), pres(path("c")))},
		{"and chain is left-associative", `a pr and b pr and c pr`, and(and(pres(path("a")), pres(path("b"))), pres(path("c")))},
		{"or chain is left-associative", `a pr or b pr or c pr`, or(or(pres(path("a")), pres(path("b"))), pres(path("c")))},
		{"not binds tightest", `not (a pr) and b pr`, and(not(pres(path("a"))), pres(path("b")))},
		{"parens override", `(a pr or b pr) and c pr`, and(or(pres(path("a")), pres(path("b"))), pres(path("c")))},
		{"right nested", `a pr and (b pr and c pr)`, and(pres(path("a")), and(pres(path("b")), pres(path("c"))))},

		// URN-qualified extension paths: split at the last ":".
		{"enterprise attribute", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`,
			cmpr(urnPath(ent, "employeeNumber", ""), Eq, str("701984"))},
		{"enterprise sub-attribute", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915"`,
			cmpr(urnPath(ent, "manager", "value"), Eq, str("26118915"))},
		{"URN case kept", `URN:IETF:params:scim:schemas:extension:enterprise:2.0:User:Manager.Value pr`,
			pres(urnPath("URN:IETF:params:scim:schemas:extension:enterprise:2.0:User", "Manager", "Value"))},

		// Case-insensitive operators and keywords; paths kept as written.
		{"Eq", `username Eq "x"`, cmpr(path("username"), Eq, str("x"))},
		{"EQ", `UserName EQ "x"`, cmpr(path("UserName"), Eq, str("x"))},
		{"AND OR NOT PR", `a PR AND NOT (b Pr) OR c pR`, or(and(pres(path("a")), not(pres(path("b")))), pres(path("c")))},

		// Literals.
		{"escapes", `displayName eq "a\"b\\c\/d\u00e9\n\t\b\f\r"`, cmpr(path("displayName"), Eq, str("a\"b\\c/dé\n\t\b\f\r"))},
		{"surrogate pair", `displayName eq "\ud83d\ude00"`, cmpr(path("displayName"), Eq, str("😀"))},
		{"lone surrogate", `displayName eq "\ud83dx"`, cmpr(path("displayName"), Eq, str("\uFFFDx"))},
		{"utf-8", `displayName eq "Zoë 日本"`, cmpr(path("displayName"), Eq, str("Zoë 日本"))},
		{"empty string", `title eq ""`, cmpr(path("title"), Eq, str(""))},
		{"true", `active eq true`, cmpr(path("active"), Eq, boolean(true))},
		{"FALSE", `active eq FALSE`, cmpr(path("active"), Eq, boolean(false))},
		{"null", `title eq null`, cmpr(path("title"), Eq, null())},
		{"Null", `title ne Null`, cmpr(path("title"), Ne, null())},
		{"integer", `age gt 10`, cmpr(path("age"), Gt, num("10"))},
		{"negative exponent", `age gt -1.5e3`, cmpr(path("age"), Gt, num("-1.5e3"))},
		{"zero", `age eq 0`, cmpr(path("age"), Eq, num("0"))},
		{"quoted true is a string", `active eq "True"`, cmpr(path("active"), Eq, str("True"))},

		// Unquoted barewords (legacy Entra ID).
		{"bareword", `externalId eq jyoung`, cmpr(path("externalId"), Eq, str("jyoung"))},
		{"bareword and number", `id eq 54D3 and manager eq 2819`,
			and(cmpr(path("id"), Eq, str("54D3")), cmpr(path("manager"), Eq, num("2819")))},
		{"bareword not a number", `id eq 1.2.3`, cmpr(path("id"), Eq, str("1.2.3"))},

		// Entra ID: value path followed by a sub-attribute comparison.
		{"entra value path eq", `emails[type eq "work"].value eq "user@contoso.com"`,
			vpath(path("emails"), and(cmpr(path("type"), Eq, str("work")), cmpr(path("value"), Eq, str("user@contoso.com"))))},
		{"entra value path pr", `emails[type eq "work"].value pr`,
			vpath(path("emails"), and(cmpr(path("type"), Eq, str("work")), pres(path("value"))))},
		{"entra value path with or", `emails[type eq "work" or type eq "home"].value co "@x"`,
			vpath(path("emails"), and(or(cmpr(path("type"), Eq, str("work")), cmpr(path("type"), Eq, str("home"))), cmpr(path("value"), Co, str("@x"))))},
		{"entra then and", `emails[type eq "work"].value eq "a" and active eq true`,
			and(vpath(path("emails"), and(cmpr(path("type"), Eq, str("work")), cmpr(path("value"), Eq, str("a")))), cmpr(path("active"), Eq, boolean(true)))},

		// Whitespace.
		{"runs of spaces and tabs", " \t userName  \t eq\t\t\"x\"   ", cmpr(path("userName"), Eq, str("x"))},
		{"spaces in brackets", `emails [ type eq "work" ]`, vpath(path("emails"), cmpr(path("type"), Eq, str("work")))},
		{"spaces in parens", `( userName eq "x" )`, cmpr(path("userName"), Eq, str("x"))},
		{"not without space", `not(userName eq "x")`, not(cmpr(path("userName"), Eq, str("x")))},
		{"no space before string", `userName eq"x"`, cmpr(path("userName"), Eq, str("x"))},
		{"no space around and", `userName eq "x"and(title pr)`, and(cmpr(path("userName"), Eq, str("x")), pres(path("title")))},
		{"line breaks", "userName eq \"x\"\r\n and title pr", and(cmpr(path("userName"), Eq, str("x")), pres(path("title")))},

		// Names that look like keywords.
		{"attribute called not", `not eq "x"`, cmpr(path("not"), Eq, str("x"))},
		{"attribute called and", `and pr and or pr`, and(pres(path("and")), pres(path("or")))},

		{"nesting at the limit", nest(MaxDepth, `userName eq "x"`), cmpr(path("userName"), Eq, str("x"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		fragments []string
	}{
		{"empty", ``, []string{"empty"}},
		{"blank", "  \t", []string{"empty"}},
		{"unbalanced open", `(userName eq "x"`, []string{`expected ")" to close the "(" at position 1`, "position 17", "end of the filter"}},
		{"unbalanced close", `userName eq "x")`, []string{`unbalanced ")"`, "position 16"}},
		{"unbalanced bracket close", `userName eq "x"]`, []string{`unbalanced "]"`}},
		{"empty group", `()`, []string{"expected an attribute path", "position 2"}},
		{"missing value", `userName eq`, []string{`expected a value after "eq"`, "position 12"}},
		{"missing value before and", `userName eq and title pr`, []string{`expected a value after "eq"`, `"and"`, "position 13"}},
		{"missing value before paren", `(userName eq)`, []string{`expected a value after "eq"`, `")"`}},
		{"unknown operator", `userName eqq "x"`, []string{`unknown operator "eqq"`, "position 10"}},
		{"missing operator", `userName`, []string{"expected an operator", "end of the filter"}},
		{"string instead of operator", `userName "x"`, []string{"expected an operator", `"\""`}},
		{"trailing garbage", `userName eq "x" title pr`, []string{`expected "and", "or" or the end of the filter`, `"title"`, "position 17"}},
		{"trailing string", `title pr "x"`, []string{`expected "and", "or"`}},
		{"dangling and", `userName eq "x" and`, []string{"expected an attribute path", "end of the filter"}},
		{"dangling or", `userName eq "x" or `, []string{"expected an attribute path"}},
		{"dangling not", `not`, []string{`expected "(" after "not"`}},
		{"not without parens", `not userName eq "x"`, []string{`expected "(" after "not"`}},
		{"unterminated string", `userName eq "abc`, []string{"unterminated string", "position 13"}},
		{"bad escape", `userName eq "a\qb"`, []string{`invalid escape "\q"`, "position 15"}},
		{"short unicode escape", `userName eq "\u12"`, []string{"four hex digits"}},
		{"control character", "userName eq \"a\x01b\"", []string{"control character"}},
		{"too deep", nest(MaxDepth+1, `userName eq "x"`), []string{"nested more than 32 levels", "position 33"}},
		{"too deep not", strings.Repeat("not (", MaxDepth+1) + "a pr" + strings.Repeat(")", MaxDepth+1), []string{"nested more than 32"}},
		{"too deep entra rewrite", nest(MaxDepth-1, `emails[a pr or b pr].value pr`), []string{"nested more than 32"}},
		{"too long", `userName eq "` + strings.Repeat("a", MaxLen) + `"`, []string{"at most 8192 bytes"}},
		{"too long once normalised", strings.Repeat("a eq b or ", 818) + "a pr", []string{"once normalised", "at most 8192 bytes"}},
		{"control character in bareword", "userName eq a\x1db", []string{"control character U+001D in an unquoted value", "position 14"}},
		{"invalid utf-8", "userName eq \"\xff\"", []string{"UTF-8"}},
		{"unclosed bracket", `emails[type eq "work"`, []string{`expected "]" to close the "[" at position 7`}},
		{"empty bracket", `emails[]`, []string{"expected an attribute path", `"]"`}},
		{"nested value path", `emails[type[value eq "x"] pr]`, []string{"cannot be nested"}},
		{"dotted path in brackets", `emails[emails.type eq "work"]`, []string{`inside "[...]"`}},
		{"urn path in brackets", `emails[urn:x:y:type eq "work"]`, []string{`inside "[...]"`}},
		{"value path on sub-attribute", `name.givenName[value eq "x"]`, []string{`must follow an attribute name`}},
		{"path starts with digit", `1abc eq "x"`, []string{`invalid attribute path "1abc"`, "position 1"}},
		{"too many dots", `a.b.c eq "x"`, []string{`invalid attribute path "a.b.c"`}},
		{"empty sub-attribute", `name. eq "x"`, []string{`invalid attribute path "name."`}},
		{"bad urn", `urn:x eq "x"`, []string{`invalid attribute path "urn:x"`}},
		{"urn without attribute", `urn:ietf:params:scim:schemas:core:2.0:User: eq "x"`, []string{`invalid attribute path`}},
		{"colon in plain path", `foo:bar eq "x"`, []string{`invalid attribute path "foo:bar"`}},
		{"entra without operator", `emails[type eq "work"].value`, []string{"expected an operator", `after "value"`, "position 29"}},
		{"entra bad sub-attribute", `emails[type eq "work"].1 eq "x"`, []string{`expected a sub-attribute name after "]."`}},
		{"leading bracket", `]`, []string{"expected an attribute path"}},
		{"position counts characters", `displayName eq "é" foo`, []string{"position 20"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %s, want an error", tt.in, Format(got))
			}
			wantSCIMError(t, err, schema.ErrInvalidFilter, tt.fragments...)
		})
	}
}

func TestParseErrorDetail(t *testing.T) {
	_, err := Parse(`userName eqq "x"`)
	want := `invalidFilter: unknown operator "eqq" after "userName"; expected eq, ne, co, sw, ew, gt, ge, lt, le or pr at position 10 of the filter`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestParsePatchPath(t *testing.T) {
	tests := []struct {
		in   string
		want PatchPath
	}{
		{`members`, PatchPath{Attr: path("members")}},
		{`name.givenName`, PatchPath{Attr: subPath("name", "givenName")}},
		{`emails[type eq "work"].value`, PatchPath{Attr: path("emails"), Filter: cmpr(path("type"), Eq, str("work")), Sub: "value"}},
		{`members[value eq "2819c223"]`, PatchPath{Attr: path("members"), Filter: cmpr(path("value"), Eq, str("2819c223"))}},
		{`addresses[type eq "work"].postalCode`, PatchPath{Attr: path("addresses"), Filter: cmpr(path("type"), Eq, str("work")), Sub: "postalCode"}},
		{`roles[primary eq "True"].value`, PatchPath{Attr: path("roles"), Filter: cmpr(path("primary"), Eq, str("True")), Sub: "value"}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`, PatchPath{Attr: urnPath(ent, "manager", "")}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`, PatchPath{Attr: urnPath(ent, "manager", "value")}},
		{`manager[value eq "x"]`, PatchPath{Attr: path("manager"), Filter: cmpr(path("value"), Eq, str("x"))}},
		{`members[value eq "a" or value eq "b"]`, PatchPath{Attr: path("members"),
			Filter: or(cmpr(path("value"), Eq, str("a")), cmpr(path("value"), Eq, str("b")))}},
		{`emails[type eq "work" and primary eq true].display`, PatchPath{Attr: path("emails"),
			Filter: and(cmpr(path("type"), Eq, str("work")), cmpr(path("primary"), Eq, boolean(true))), Sub: "display"}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager[value eq "x"].displayName`,
			PatchPath{Attr: urnPath(ent, "manager", ""), Filter: cmpr(path("value"), Eq, str("x")), Sub: "displayName"}},
		{`  Emails [ Type EQ "work" ] .Value `, PatchPath{Attr: path("Emails"), Filter: cmpr(path("Type"), Eq, str("work")), Sub: "Value"}},
		{`members[$ref eq "x"].$ref`, PatchPath{Attr: path("members"), Filter: cmpr(path("$ref"), Eq, str("x")), Sub: "$ref"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePatchPath(tt.in)
			if err != nil {
				t.Fatalf("ParsePatchPath(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePatchPath(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			again, err := ParsePatchPath(got.String())
			if err != nil {
				t.Fatalf("ParsePatchPath(%q) (String of %q): %v", got.String(), tt.in, err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("round trip through %q mismatch (-want +got):\n%s", got.String(), diff)
			}
		})
	}
}

func TestParsePatchPathErrors(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		fragments []string
	}{
		{"empty", ``, []string{"path is empty"}},
		{"unclosed", `emails[type eq "work"`, []string{`expected "]"`}},
		{"empty filter", `emails[]`, []string{"expected an attribute path"}},
		{"trailing", `emails[type eq "work"]x`, []string{`expected "[", "." or the end of the path`, `"x"`}},
		{"two words", `name givenName`, []string{`expected "[", "." or the end of the path`, "position 6"}},
		{"three parts", `name.givenName.x`, []string{`invalid attribute path`}},
		{"stray bracket", `emails]`, []string{`expected "[", "." or the end`}},
		{"filter on sub-attribute", `name.givenName[type eq "x"]`, []string{"must follow an attribute name"}},
		{"dot without name", `emails[type eq "work"].`, []string{`expected a sub-attribute name after "]."`}},
		{"two filters", `emails[type eq "work"][value pr]`, []string{`expected "[", "." or the end`}},
		{"bad filter", `emails[type eq]`, []string{`expected a value after "eq"`}},
		{"nested", `emails[type[value pr] pr]`, []string{"cannot be nested"}},
		{"starts with bracket", `[type eq "x"]`, []string{"expected an attribute path"}},
		{"bad urn", `urn:x`, []string{"invalid attribute path"}},
		{"too long", strings.Repeat("a", MaxLen+1), []string{"at most 8192 bytes"}},
		{"too deep", `emails[` + nest(MaxDepth, `type pr`) + `]`, []string{"nested more than 32"}},
		{"invalid utf-8", "emails\xff", []string{"UTF-8"}},
		{"too long once normalised", `emails[` + strings.Repeat("a eq b or ", 817) + `a pr]`, []string{"once normalised"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePatchPath(tt.in)
			if err == nil {
				t.Fatalf("ParsePatchPath(%q) = %s, want an error", tt.in, got)
			}
			wantSCIMError(t, err, schema.ErrInvalidPath, tt.fragments...)
		})
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		in   Expr
		want string
	}{
		{cmpr(path("userName"), Eq, str("bjensen")), `userName eq "bjensen"`},
		{cmpr(urnPath(ent, "manager", "value"), Eq, str("x")), `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x"`},
		{cmpr(path("title"), Eq, str("a\"b\\c\n\x01é")), `title eq "a\"b\\c\n\u0001é"`},
		{cmpr(path("active"), Ne, boolean(false)), `active ne false`},
		{cmpr(path("title"), Eq, null()), `title eq null`},
		{cmpr(path("age"), Ge, num("-1.5e3")), `age ge -1.5e3`},
		{cmpr(path("age"), Ge, num("abc")), `age ge "abc"`},
		{pres(path("title")), `title pr`},
		{or(pres(path("a")), and(pres(path("b")), pres(path("c")))), `a pr or b pr and c pr`},
		{and(or(pres(path("a")), pres(path("b"))), pres(path("c"))), `(a pr or b pr) and c pr`},
		{and(and(pres(path("a")), pres(path("b"))), pres(path("c"))), `a pr and b pr and c pr`},
		{and(pres(path("a")), and(pres(path("b")), pres(path("c")))), `a pr and (b pr and c pr)`},
		{or(pres(path("a")), or(pres(path("b")), pres(path("c")))), `a pr or (b pr or c pr)`},
		{not(and(pres(path("a")), pres(path("b")))), `not (a pr and b pr)`},
		{not(pres(path("a"))), `not (a pr)`},
		{vpath(path("emails"), and(cmpr(path("type"), Eq, str("work")), pres(path("value")))), `emails[type eq "work" and value pr]`},
		// Resolved paths inside a value filter format as their sub-attribute.
		{vpath(urnPath(ent, "manager", ""), cmpr(urnPath(ent, "manager", "value"), Eq, str("x"))),
			`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager[value eq "x"]`},
		{nil, ``},
		{(*Compare)(nil), ``},
		{and(nil, (*Not)(nil)), ` and `},
		{not(nil), `not ()`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := Format(tt.in); got != tt.want {
				t.Errorf("Format() = %s, want %s", got, tt.want)
			}
		})
	}
}
