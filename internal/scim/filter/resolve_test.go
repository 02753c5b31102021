package filter

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// deviceType is a resource type with the attribute types that User and
// Group lack (integer, decimal, multi-valued simple), for tests.
func deviceType() *schema.ResourceType {
	return &schema.ResourceType{ID: "Device", Endpoint: "/Devices", Schema: &schema.Schema{
		ID: "urn:example:params:scim:schemas:Device",
		Attributes: []*schema.Attribute{
			{Name: "age", Type: schema.Integer},
			{Name: "score", Type: schema.Decimal},
			{Name: "blob", Type: schema.Binary},
			{Name: "code", Type: schema.String, CaseExact: true},
			{Name: "tags", Type: schema.String, MultiValued: true},
			{Name: "when", Type: schema.DateTime},
			{Name: "flag", Type: schema.Boolean},
			{Name: "parts", Type: schema.Complex, MultiValued: true, SubAttributes: []*schema.Attribute{
				{Name: "size", Type: schema.Integer},
				{Name: "label", Type: schema.String},
			}},
		},
	}}
}

func TestResolve(t *testing.T) {
	s := schema.New()
	user, group, device := s.User, s.Group, deviceType()
	tests := []struct {
		name string
		rt   *schema.ResourceType
		in   string
		want Expr
	}{
		{"canonical case", user, `USERNAME eq "x"`, cmpr(path("userName"), Eq, str("x"))},
		{"sub-attribute case", user, `NAME.FAMILYNAME co "x"`, cmpr(subPath("name", "familyName"), Co, str("x"))},
		{"common id", user, `ID eq "x"`, cmpr(path("id"), Eq, str("x"))},
		{"common externalId", group, `externalid eq "x"`, cmpr(path("externalId"), Eq, str("x"))},
		{"meta sub-attribute", user, `META.LASTMODIFIED gt "2011-05-13T04:42:34Z"`, cmpr(subPath("meta", "lastModified"), Gt, str("2011-05-13T04:42:34Z"))},
		{"core URN dropped", user, `urn:ietf:params:scim:schemas:core:2.0:user:USERNAME eq "x"`, cmpr(path("userName"), Eq, str("x"))},
		{"extension URN canonical", user, `URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:EMPLOYEENUMBER eq "1"`,
			cmpr(urnPath(ent, "employeeNumber", ""), Eq, str("1"))},
		{"extension sub-attribute", user, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x"`,
			cmpr(urnPath(ent, "manager", "value"), Eq, str("x"))},
		{"unprefixed extension attribute", user, `employeenumber eq "1"`, cmpr(urnPath(ent, "employeeNumber", ""), Eq, str("1"))},
		{"group displayName", group, `DISPLAYNAME eq "x"`, cmpr(path("displayName"), Eq, str("x"))},

		// Value paths: inner paths become sub-attributes of the attribute.
		{"value path", user, `EMAILS[TYPE eq "work" and value co "@x"]`,
			vpath(path("emails"), and(cmpr(subPath("emails", "type"), Eq, str("work")), cmpr(subPath("emails", "value"), Co, str("@x"))))},
		{"value path on extension", user, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager[value eq "x"]`,
			vpath(urnPath(ent, "manager", ""), cmpr(urnPath(ent, "manager", "value"), Eq, str("x")))},
		{"entra value path", user, `emails[type eq "work"].value eq "user@contoso.com"`,
			vpath(path("emails"), and(cmpr(subPath("emails", "type"), Eq, str("work")), cmpr(subPath("emails", "value"), Eq, str("user@contoso.com"))))},
		{"value path pr", user, `emails[not (value pr)]`, vpath(path("emails"), not(pres(subPath("emails", "value"))))},

		// Complex attribute without sub-attribute compares "value".
		{"emails co", user, `emails co "@x"`, cmpr(subPath("emails", "value"), Co, str("@x"))},
		{"manager eq", user, `manager eq "id"`, cmpr(urnPath(ent, "manager", "value"), Eq, str("id"))},
		{"members eq", group, `members eq "id"`, cmpr(subPath("members", "value"), Eq, str("id"))},
		{"emails.value stays", user, `emails.value eq "x"`, cmpr(subPath("emails", "value"), Eq, str("x"))},
		{"pr on complex stays", user, `name pr and emails pr`, and(pres(path("name")), pres(path("emails")))},

		// Literal conversions.
		{"Entra True", user, `active eq "True"`, cmpr(path("active"), Eq, boolean(true))},
		{"Entra false", user, `emails[primary eq "FALSE"]`, vpath(path("emails"), cmpr(subPath("emails", "primary"), Eq, boolean(false)))},
		{"bareword true", user, `active ne TRUE`, cmpr(path("active"), Ne, boolean(true))},
		{"unquoted number for string", user, `id eq 54D3 and manager eq 2819`,
			and(cmpr(path("id"), Eq, str("54D3")), cmpr(urnPath(ent, "manager", "value"), Eq, str("2819")))},
		{"null", user, `title eq null or title ne null`, or(cmpr(path("title"), Eq, null()), cmpr(path("title"), Ne, null()))},
		{"null on boolean", user, `active eq null`, cmpr(path("active"), Eq, null())},
		{"reference co", user, `profileUrl co "example"`, cmpr(path("profileUrl"), Co, str("example"))},
		{"integer", device, `age gt 3`, cmpr(path("age"), Gt, num("3"))},
		{"numeric string", device, `score le " 2.5 "`, cmpr(path("score"), Le, num("2.5"))},
		{"binary eq", device, `blob eq "AAEC"`, cmpr(path("blob"), Eq, str("AAEC"))},
		{"dateTime with offset", device, `when ge "2011-05-13T04:42:34.5+02:00"`, cmpr(path("when"), Ge, str("2011-05-13T04:42:34.5+02:00"))},
		{"dateTime bareword", device, `when lt 2011-05-13T04:42:34Z`, cmpr(path("when"), Lt, str("2011-05-13T04:42:34Z"))},
		{"sub-attribute integer", device, `parts[size gt 2]`, vpath(path("parts"), cmpr(subPath("parts", "size"), Gt, num("2")))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			before := Format(in)
			got, err := Resolve(tt.rt, in)
			if err != nil {
				t.Fatalf("Resolve(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Resolve(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			if after := Format(in); after != before {
				t.Errorf("Resolve modified its input: %s became %s", before, after)
			}
			again, err := Resolve(tt.rt, got)
			if err != nil {
				t.Fatalf("Resolve is not idempotent on %s: %v", Format(got), err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("Resolve is not idempotent (-once +twice):\n%s", diff)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	s := schema.New()
	user, group, device := s.User, s.Group, deviceType()
	tests := []struct {
		name      string
		rt        *schema.ResourceType
		in        Expr
		unknown   bool
		fragments []string
	}{
		{"unknown attribute", user, cmpr(path("foo"), Eq, str("x")), true, []string{`unknown attribute "foo"`}},
		{"unknown sub-attribute", user, pres(subPath("name", "foo")), true, []string{`unknown attribute "name.foo"`, `no sub-attribute "foo"`}},
		{"unknown schema", user, pres(urnPath("urn:example:Nope", "foo", "")), true, []string{`unknown schema "urn:example:Nope"`}},
		{"extension on group", group, pres(urnPath(ent, "manager", "")), true, []string{"unknown schema"}},
		{"group has no userName", group, cmpr(path("userName"), Eq, str("x")), true, []string{`unknown attribute "userName"`}},
		{"unknown in value path", user, vpath(path("emails"), pres(path("foo"))), true, []string{`unknown attribute "emails.foo"`}},
		{"gt on boolean", user, cmpr(path("active"), Gt, boolean(true)), false, []string{`boolean attribute "active"`, `"gt"`}},
		{"co on boolean", user, cmpr(path("active"), Co, str("t")), false, []string{`boolean attribute "active"`}},
		{"boolean with other string", user, cmpr(path("active"), Eq, str("yes")), false, []string{`must be compared with true or false`, `"yes"`}},
		{"boolean with number", user, cmpr(path("active"), Eq, num("1")), false, []string{`the number 1`}},
		{"string with boolean", user, cmpr(path("userName"), Eq, boolean(true)), false, []string{`string attribute "userName"`, "the boolean true"}},
		{"dateTime not RFC 3339", user, cmpr(subPath("meta", "lastModified"), Gt, str("yesterday")), false, []string{"RFC 3339", `"meta.lastModified"`}},
		{"dateTime with number", user, cmpr(subPath("meta", "created"), Gt, num("2011")), false, []string{"RFC 3339"}},
		{"co on dateTime", user, cmpr(subPath("meta", "created"), Co, str("2011-05-13T04:42:34Z")), false, []string{`cannot be compared with "co"`}},
		{"gt on binary", user, cmpr(subPath("x509Certificates", "value"), Gt, str("x")), false, []string{`binary attribute "x509Certificates.value"`}},
		{"sw on binary", device, cmpr(path("blob"), Sw, str("x")), false, []string{"binary attribute"}},
		{"co on integer", device, cmpr(path("age"), Co, num("1")), false, []string{`number attribute "age"`}},
		{"integer with word", device, cmpr(path("age"), Eq, str("ten")), false, []string{"with a number", `"ten"`}},
		{"gt null", user, cmpr(path("title"), Gt, null()), false, []string{"cannot compare with null"}},
		{"complex without value", user, cmpr(path("name"), Eq, str("x")), false, []string{`"name" is complex`, "name.formatted"}},
		{"meta without value", user, cmpr(path("meta"), Eq, str("x")), false, []string{`"meta" is complex`}},
		{"value path on simple", user, vpath(path("userName"), pres(path("value"))), false, []string{`"userName" is not complex`}},
		{"value path on sub-attribute", user, vpath(subPath("name", "givenName"), pres(path("value"))), false, []string{"must follow an attribute name"}},
		{"nested value path", user, vpath(path("emails"), vpath(path("emails"), pres(path("value")))), false, []string{"cannot be nested"}},
		{"other attribute in value path", user, vpath(path("emails"), pres(subPath("name", "givenName"))), false, []string{`inside emails[...]`}},
		{"urn in value path", user, vpath(path("emails"), pres(urnPath(ent, "value", ""))), false, []string{`inside emails[...]`}},
		{"unknown operator", user, cmpr(path("userName"), Op("EQ"), str("x")), false, []string{`unknown operator "EQ"`}},
		{"unknown logical", user, &Logical{Op: "xor", Left: pres(path("title")), Right: pres(path("title"))}, false, []string{`unknown logical operator "xor"`}},
		{"nil", user, nil, false, []string{"empty expression"}},
		{"nil child", user, and(pres(path("title")), (*Compare)(nil)), false, []string{"empty expression"}},
		{"no resource type", nil, pres(path("title")), false, []string{"no resource type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve(tt.rt, tt.in)
			if err == nil {
				t.Fatalf("Resolve(%s) = %s, want an error", Format(tt.in), Format(got))
			}
			wantSCIMError(t, err, schema.ErrInvalidFilter, tt.fragments...)
			if IsUnknownAttribute(err) != tt.unknown {
				t.Errorf("IsUnknownAttribute(%v) = %v, want %v", err, !tt.unknown, tt.unknown)
			}
		})
	}
}

func TestResolvePatchPath(t *testing.T) {
	s := schema.New()
	tests := []struct {
		in   string
		rt   *schema.ResourceType
		want PatchPath
	}{
		{`MEMBERS`, s.Group, PatchPath{Attr: path("members")}},
		{`name.GIVENNAME`, s.User, PatchPath{Attr: subPath("name", "givenName")}},
		{`EMAILS[TYPE eq "work"].VALUE`, s.User, PatchPath{Attr: path("emails"), Filter: cmpr(subPath("emails", "type"), Eq, str("work")), Sub: "value"}},
		{`members[value eq "2819c223"]`, s.Group, PatchPath{Attr: path("members"), Filter: cmpr(subPath("members", "value"), Eq, str("2819c223"))}},
		{`roles[primary eq "True"].value`, s.User, PatchPath{Attr: path("roles"), Filter: cmpr(subPath("roles", "primary"), Eq, boolean(true)), Sub: "value"}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:Manager`, s.User, PatchPath{Attr: urnPath(ent, "manager", "")}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`, s.User, PatchPath{Attr: urnPath(ent, "manager", "value")}},
		{`manager[value eq "x"]`, s.User, PatchPath{Attr: urnPath(ent, "manager", ""), Filter: cmpr(urnPath(ent, "manager", "value"), Eq, str("x"))}},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName`, s.User, PatchPath{Attr: path("userName")}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := ParsePatchPath(tt.in)
			if err != nil {
				t.Fatalf("ParsePatchPath(%q): %v", tt.in, err)
			}
			got, err := ResolvePatchPath(tt.rt, p)
			if err != nil {
				t.Fatalf("ResolvePatchPath(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ResolvePatchPath(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			// The canonical string parses and resolves to the same path.
			p2, err := ParsePatchPath(got.String())
			if err != nil {
				t.Fatalf("ParsePatchPath(%q): %v", got.String(), err)
			}
			again, err := ResolvePatchPath(tt.rt, p2)
			if err != nil {
				t.Fatalf("ResolvePatchPath(%q): %v", got.String(), err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("round trip through %q mismatch (-want +got):\n%s", got.String(), diff)
			}
		})
	}
}

func TestResolvePatchPathErrors(t *testing.T) {
	s := schema.New()
	tests := []struct {
		name      string
		rt        *schema.ResourceType
		in        PatchPath
		unknown   bool
		fragments []string
	}{
		{"unknown attribute", s.User, PatchPath{Attr: path("nickname2")}, true, []string{`unknown attribute "nickname2"`}},
		{"unknown schema", s.User, PatchPath{Attr: urnPath("urn:example:custom:2.0:User", "badge", "")}, true, []string{`unknown schema "urn:example:custom:2.0:User"`}},
		{"unknown sub-attribute", s.User, PatchPath{Attr: subPath("name", "nick")}, true, []string{`unknown attribute "name.nick"`}},
		{"unknown sub after filter", s.User, PatchPath{Attr: path("emails"), Filter: pres(path("value")), Sub: "nope"}, true, []string{`no sub-attribute "nope"`}},
		{"unknown in filter", s.User, PatchPath{Attr: path("emails"), Filter: pres(path("nope"))}, false, []string{`unknown attribute "emails.nope"`}},
		{"filter on simple", s.User, PatchPath{Attr: path("userName"), Filter: pres(path("value"))}, false, []string{"not complex"}},
		{"filter on sub-attribute", s.User, PatchPath{Attr: subPath("name", "givenName"), Filter: pres(path("value"))}, false, []string{"must follow an attribute name"}},
		{"bad filter", s.User, PatchPath{Attr: path("emails"), Filter: cmpr(path("primary"), Eq, str("maybe"))}, false, []string{"true or false"}},
		{"empty filter", s.User, PatchPath{Attr: path("emails"), Filter: (*Present)(nil)}, false, []string{"empty expression"}},
		{"no resource type", nil, PatchPath{Attr: path("emails")}, false, []string{"no resource type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolvePatchPath(tt.rt, tt.in)
			if err == nil {
				t.Fatalf("ResolvePatchPath(%s) = %s, want an error", tt.in, got)
			}
			wantSCIMError(t, err, schema.ErrInvalidPath, tt.fragments...)
			if IsUnknownAttribute(err) != tt.unknown {
				t.Errorf("IsUnknownAttribute(%v) = %v, want %v", err, !tt.unknown, tt.unknown)
			}
		})
	}
}

func TestIsUnknownAttribute(t *testing.T) {
	_, err := Resolve(schema.New().User, pres(path("nope")))
	if !IsUnknownAttribute(err) {
		t.Fatalf("IsUnknownAttribute(%v) = false, want true", err)
	}
	var se *schema.Error
	if !errors.As(err, &se) || se.ScimType != schema.ErrInvalidFilter {
		t.Errorf("errors.As(%v, *schema.Error) = %v, want an invalidFilter *schema.Error", err, se)
	}
	if err.Error() != se.Error() {
		t.Errorf("Error() = %q, want %q", err.Error(), se.Error())
	}
	for _, e := range []error{nil, errors.New("x"), schema.Errorf(schema.ErrInvalidPath, "x")} {
		if IsUnknownAttribute(e) {
			t.Errorf("IsUnknownAttribute(%v) = true, want false", e)
		}
	}
}
