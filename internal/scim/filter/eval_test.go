package filter

import (
	"encoding/json"
	"testing"

	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// babs is a User in rendered form (RFC 7643 §8.2, trimmed).
func babs() map[string]any {
	return map[string]any{
		"id":          "2819c223-7f76-453a-919d-413861904646",
		"externalId":  "Bjensen",
		"userName":    "BJensen",
		"name":        map[string]any{"familyName": "Jensen", "givenName": "Barbara"},
		"displayName": "Babs Jensen",
		"title":       "",
		"nickName":    nil,
		"active":      true,
		"emails": []any{
			map[string]any{"value": "bjensen@Example.com", "type": "work", "primary": true},
			map[string]any{"value": "babs@jensen.org", "type": "home"},
			nil,
		},
		"phoneNumbers": []any{},
		"roles":        []any{map[string]any{}},
		"meta": map[string]any{
			"resourceType": "User",
			"created":      "2010-01-23T04:56:22Z",
			"lastModified": "2011-05-13T04:42:34.5+02:00",
			"version":      `W/"3694e05e9dff591"`,
			"location":     "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646",
		},
		ent: map[string]any{
			"employeeNumber": "701984",
			"manager":        map[string]any{"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"},
		},
		"groups": []any{map[string]any{"value": "e9e30dba", "display": "Tour Guides", "type": "direct"}},
	}
}

func TestEvalUser(t *testing.T) {
	user := schema.New().User
	doc := babs()
	tests := []struct {
		in   string
		want bool
	}{
		// eq, case-insensitive userName and case-exact id/externalId.
		{`userName eq "bjensen"`, true},
		{`USERNAME eq "BJENSEN"`, true},
		{`userName eq "bjensen2"`, false},
		{`externalId eq "Bjensen"`, true},
		{`externalId eq "bjensen"`, false},
		{`externalId eq Bjensen`, true},
		{`id eq "2819C223-7F76-453A-919D-413861904646"`, false},
		{`id eq "2819c223-7f76-453a-919d-413861904646"`, true},
		{`meta.version eq "w/\"3694e05e9dff591\""`, false},

		// ne is not eq.
		{`userName ne "bjensen"`, false},
		{`userName ne "other"`, true},
		{`nickName ne "x"`, true},
		{`nickName eq "x"`, false},
		{`emails.value ne "babs@jensen.org"`, false},
		{`emails.value ne "nobody@example.com"`, true},
		{`emails.display ne "x"`, true},

		// co, sw, ew.
		{`name.familyName co "ENS"`, true},
		{`name.familyName co "x"`, false},
		{`userName sw "bj"`, true},
		{`userName sw "jensen"`, false},
		{`userName ew "SEN"`, true},
		{`userName ew "bj"`, false},
		{`externalId sw "bj"`, false},
		{`externalId sw "Bj"`, true},
		{`title co ""`, true},

		// gt, ge, lt, le on strings are byte-wise after folding.
		{`userName gt "bj"`, true},
		{`userName gt "bjensen"`, false},
		{`userName ge "BJENSEN"`, true},
		{`userName lt "c"`, true},
		{`userName le "bjensen"`, true},
		{`userName lt "bjensen"`, false},
		{`externalId lt "a"`, true}, // "B" < "a" byte-wise: externalId is caseExact

		// pr.
		{`userName pr`, true},
		{`title pr`, false},
		{`nickName pr`, false},
		{`locale pr`, false},
		{`name pr`, true},
		{`emails pr`, true},
		{`phoneNumbers pr`, false},
		{`roles pr`, true}, // [{}]: the list has a non-null member
		{`emails.primary pr`, true},
		{`emails.display pr`, false},
		{`not (title pr)`, true},

		// null: absent vs present.
		{`nickName eq null`, true},
		{`locale eq null`, true},
		{`title eq null`, false},
		{`userName ne null`, true},
		{`nickName ne null`, false},
		{`phoneNumbers.value eq null`, true},
		{`emails.display eq null`, true},
		{`emails.type ne null`, true},

		// Multi-valued complex attributes.
		{`emails co "jensen.org"`, true},
		{`emails.value eq "BJENSEN@example.COM"`, true},
		{`emails.type eq "work"`, true},
		{`emails.type eq "other"`, false},
		{`emails[type eq "work" and value co "@example.com"]`, true},
		{`emails[type eq "home" and value co "@example.com"]`, false},
		{`emails[type eq "home" or value co "@example.com"]`, true},
		{`emails[type eq "home" and primary eq true]`, false},
		{`emails[type eq "work" and primary eq true]`, true},
		{`emails[primary eq "True"]`, true},
		{`emails[not (primary eq true)]`, true},
		{`emails[primary ne true]`, true},
		{`emails[primary eq false]`, false},
		{`emails[display pr]`, false},
		{`emails[type eq "work"].value eq "bjensen@example.com"`, true},
		{`emails[type eq "home"].value eq "bjensen@example.com"`, false},
		{`emails[type eq "home"].value pr`, true},
		{`phoneNumbers[type eq "work"]`, false},
		{`not (phoneNumbers[type eq "work"])`, true},
		{`groups[display sw "tour"]`, true},
		{`groups.value eq "e9e30dba"`, true},

		// dateTime compares instants.
		{`meta.lastModified gt "2011-05-13T02:42:33Z"`, true},
		{`meta.lastModified gt "2011-05-13T02:42:34.5Z"`, false},
		{`meta.lastModified eq "2011-05-13T02:42:34.500Z"`, true},
		{`meta.lastModified ge "2011-05-13T02:42:34.5Z"`, true},
		{`meta.lastModified lt "2011-05-13T04:42:34Z"`, true},
		{`meta.lastModified le "2011-05-13T02:42:34Z"`, false},
		{`meta.created ne "2010-01-23T04:56:22Z"`, false},

		// Enterprise extension.
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq "26118915-6090-4610-87E4-49D8CA9F808D"`, true},
		{`manager eq 26118915`, false},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`, true},
		{`employeeNumber eq 701984`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department pr`, false},
		{`manager[displayName sw "john"]`, true},

		// Booleans: Entra "True".
		{`active eq true`, true},
		{`active eq "True"`, true},
		{`active eq "false"`, false},
		{`active ne false`, true},

		// Logic.
		{`userName eq "bjensen" and title pr`, false},
		{`userName eq "bjensen" or title pr`, true},
		{`not (userName eq "bjensen") or title pr`, false},
		{`title pr or userName eq "x" or not (locale pr)`, true},
		{`userName eq "x" or name.givenName eq "barbara" and active eq true`, true},
		{`(userName eq "x" or name.givenName eq "barbara") and active eq false`, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			r, err := Resolve(user, e)
			if err != nil {
				t.Fatalf("Resolve(%q): %v", tt.in, err)
			}
			if got := Eval(user, r, doc); got != tt.want {
				t.Errorf("Eval(%s) = %v, want %v", Format(r), got, tt.want)
			}
		})
	}
}

func TestEvalGroup(t *testing.T) {
	group := schema.New().Group
	doc := map[string]any{
		"id":          "e9e30dba",
		"displayName": "Tour Guides",
		"members": []any{
			map[string]any{"value": "2819c223", "display": "Babs Jensen", "type": "User"},
			map[string]any{"value": "902c246b", "display": "Mandy Pepperidge", "type": "User"},
		},
		"meta": map[string]any{"lastModified": "2011-05-13T04:42:34Z"},
	}
	tests := []struct {
		in   string
		want bool
	}{
		{`displayName eq "tour guides"`, true},
		{`members eq "2819c223"`, true},
		{`members eq "2819C223"`, true},
		{`members[value eq "902c246b" and display sw "mandy"]`, true},
		{`members[value eq "902c246b" and display sw "babs"]`, false},
		{`members.type eq "Group"`, false},
		{`members.value ne "2819c223"`, false},
		{`meta.lastModified lt "2012-01-01T00:00:00Z"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			r, err := Resolve(group, e)
			if err != nil {
				t.Fatalf("Resolve(%q): %v", tt.in, err)
			}
			if got := Eval(group, r, doc); got != tt.want {
				t.Errorf("Eval(%s) = %v, want %v", Format(r), got, tt.want)
			}
		})
	}
}

// TestEvalTypes covers numbers in every decoded form, multi-valued simple
// attributes, case-exact strings and mismatched literal kinds.
func TestEvalTypes(t *testing.T) {
	device := deviceType()
	docs := map[string]map[string]any{
		"json.Number": {"age": json.Number("42"), "score": json.Number("2.5")},
		"float64":     {"age": float64(42), "score": 2.5},
		"int":         {"age": 42, "score": float32(2.5)},
	}
	numeric := []struct {
		in   string
		want bool
	}{
		{`age eq 42`, true},
		{`age eq 42.0`, true},
		{`age eq "42"`, true},
		{`age ne 42`, false},
		{`age ne 41`, true},
		{`age gt 41`, true},
		{`age gt 42`, false},
		{`age ge 42`, true},
		{`age lt 4.2e1`, false},
		{`age le 42`, true},
		{`score gt 2.25`, true},
		{`score lt -1`, false},
		{`age pr`, true},
		{`score eq null`, false},
	}
	for name, doc := range docs {
		for _, tt := range numeric {
			t.Run(name+"/"+tt.in, func(t *testing.T) {
				r := mustResolve(t, device, tt.in)
				if got := Eval(device, r, doc); got != tt.want {
					t.Errorf("Eval(%s) = %v, want %v", Format(r), got, tt.want)
				}
			})
		}
	}

	doc := map[string]any{
		"age":   "42", // a string where a number belongs: matches nothing
		"code":  "AbC",
		"tags":  []any{"Red", "green", nil},
		"when":  "not a date",
		"flag":  false,
		"blob":  "AAEC",
		"parts": []any{map[string]any{"size": json.Number("3"), "label": "Bolt"}, "junk"},
	}
	tests := []struct {
		in   string
		want bool
	}{
		{`age eq 42`, false},
		{`age ne 42`, true},
		{`age pr`, true},
		{`code eq "AbC"`, true},
		{`code eq "abc"`, false},
		{`code co "bC"`, true},
		{`code gt "Abc"`, false}, // "AbC" < "Abc" byte-wise
		{`tags eq "red"`, true},
		{`tags sw "GR"`, true},
		{`tags eq "blue"`, false},
		{`tags ne "green"`, false},
		{`tags pr`, true},
		{`when eq "2011-05-13T04:42:34Z"`, false},
		{`when ne "2011-05-13T04:42:34Z"`, true},
		{`when lt "2011-05-13T04:42:34Z"`, false},
		{`when pr`, true},
		{`flag eq false`, true},
		{`flag eq "False"`, true},
		{`flag ne false`, false},
		{`flag pr`, true},
		{`blob eq "AAEC"`, true},
		{`parts[size ge 3 and label eq "bolt"]`, true},
		{`parts[size gt 3]`, false},
		{`parts.size lt 4`, true},
		{`parts pr`, true},
		{`parts.label eq null`, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r := mustResolve(t, device, tt.in)
			if got := Eval(device, r, doc); got != tt.want {
				t.Errorf("Eval(%s) = %v, want %v", Format(r), got, tt.want)
			}
		})
	}
}

// TestEvalUnresolved: Eval is meant for resolved expressions, but must
// neither panic nor match on malformed ones.
func TestEvalUnresolved(t *testing.T) {
	user := schema.New().User
	doc := babs()
	tests := []struct {
		name string
		e    Expr
		want bool
	}{
		{"nil", nil, false},
		{"typed nil", (*Compare)(nil), false},
		{"not nil", not(nil), true},
		{"bad logical", &Logical{Op: "xor", Left: pres(path("userName")), Right: pres(path("userName"))}, false},
		{"nested value path", vpath(path("emails"), vpath(path("emails"), pres(path("value")))), false},
		{"unresolved value path", vpath(path("emails"), cmpr(path("type"), Eq, str("WORK"))), true},
		{"unknown attribute", cmpr(path("nope"), Eq, str("x")), false},
		{"number vs string", cmpr(path("userName"), Eq, num("1")), false},
		{"number ne string", cmpr(path("userName"), Ne, num("1")), true},
		{"bool vs string", cmpr(path("userName"), Eq, boolean(true)), false},
		{"string vs bool", cmpr(path("active"), Eq, str("true")), false},
		{"gt on bool", cmpr(path("active"), Gt, boolean(false)), false},
		{"gt null", cmpr(path("nickName"), Gt, null()), false},
		{"co on dateTime", cmpr(subPath("meta", "created"), Co, str("2010")), false},
		{"bad number literal", cmpr(path("age"), Eq, num("x")), false},
		{"unknown op", cmpr(path("userName"), Op("xx"), str("bjensen")), false},
		{"value path on string", vpath(path("userName"), pres(path("value"))), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Eval(user, tt.e, doc); got != tt.want {
				t.Errorf("Eval(%s) = %v, want %v", Format(tt.e), got, tt.want)
			}
		})
	}
	if Eval(nil, pres(path("userName")), doc) != true {
		t.Errorf("Eval with nil resource type: want true for a present value")
	}
	if Eval(user, pres(path("userName")), nil) != false {
		t.Errorf("Eval on nil document: want false")
	}
}

func mustResolve(t *testing.T, rt *schema.ResourceType, s string) Expr {
	t.Helper()
	e, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	r, err := Resolve(rt, e)
	if err != nil {
		t.Fatalf("Resolve(%q): %v", s, err)
	}
	return r
}
