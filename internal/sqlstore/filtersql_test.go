package sqlstore

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/filter"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// compileStores are Store values for compiling only: no database behind them.
func compileStores() map[string]*Store {
	sch := schema.New()
	return map[string]*Store{
		"sqlite":   {d: &sqliteDialect{}, schemas: sch},
		"postgres": {d: &postgresDialect{}, schemas: sch},
	}
}

func resourceType(sch *schema.Schemas, name string) (*schema.ResourceType, string) {
	if name == "Group" {
		return sch.Group, "g"
	}
	return sch.User, "u"
}

// compileText parses, resolves and compiles a filter as ListUsers and
// ListGroups do (parameters from $2: $1 is the directory id).
func compileText(t *testing.T, s *Store, rtName, text string) (string, []any, error) {
	t.Helper()
	rt, alias := resourceType(s.schemas, rtName)
	e, err := filter.Parse(text)
	if err != nil {
		t.Fatalf("Parse(%s): %v", text, err)
	}
	e, err = filter.Resolve(rt, e)
	if err != nil {
		t.Fatalf("Resolve(%s): %v", text, err)
	}
	return s.compileWhere(rt, alias, e, 2)
}

const emailsSQLite = `EXISTS (SELECT 1 FROM json_each(u.doc_fold, '$."emails"') AS e WHERE e.type = 'object' AND `
const emailsPostgres = `EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(u.doc_fold -> 'emails') = 'array' THEN u.doc_fold -> 'emails' END) AS e(v) WHERE jsonb_typeof(e.v) = 'object' AND `

func TestCompileFilter(t *testing.T) {
	tests := []struct {
		rt       string // "User" (default) or "Group"
		filter   string
		sqlite   string
		postgres string // "" when the same as sqlite
		args     []any  // SQLite's; PostgreSQL's are the same unless pgArgs
		pgArgs   []any
	}{
		// Indexed columns; caseExact=false values are folded in Go.
		{filter: `userName eq "Alice@X.com"`, sqlite: `u.user_name_fold = $2`, args: []any{"alice@x.com"}},
		{filter: `USERNAME EQ "ZOË@X.COM"`, sqlite: `u.user_name_fold = $2`, args: []any{"zoë@x.com"}},
		{filter: `externalId eq "Ext-1"`, sqlite: `u.external_id = $2`, args: []any{"Ext-1"}},
		{filter: `id ne "diruser_1"`, sqlite: `NOT (u.id = $2)`, args: []any{"diruser_1"}},
		{filter: `active eq false`, sqlite: `u.active = $2`, args: []any{0}, pgArgs: []any{false}},
		{filter: `active eq "True"`, sqlite: `u.active = $2`, args: []any{1}, pgArgs: []any{true}},
		{filter: `userName gt "M"`, sqlite: `u.user_name_fold > $2`, postgres: `u.user_name_fold COLLATE "C" > $2`, args: []any{"m"}},
		{filter: `userName co ""`, sqlite: `u.user_name_fold IS NOT NULL`},
		{filter: `userName pr`, sqlite: `u.user_name_fold <> ''`},
		{filter: `meta.lastModified gt "2024-01-02T03:04:05.123456Z"`, sqlite: `u.updated_at > $2`, args: []any{int64(1704164645123456)}},
		{filter: `meta.created le "2024-01-02T05:04:05.123456+02:00"`, sqlite: `u.created_at <= $2`, args: []any{int64(1704164645123456)}},
		{filter: `meta.resourceType eq "User"`, sqlite: `'User' = $2`, args: []any{"User"}},
		{rt: "Group", filter: `displayName sw "Eng"`, sqlite: `substr(g.display_name_fold, 1, length($2)) = $2`, postgres: `left(g.display_name_fold, length($2)) = $2`, args: []any{"eng"}},
		{rt: "Group", filter: `externalId eq null`, sqlite: `NOT ((g.external_id IS NOT NULL))`},
		// JSON paths into the folded document.
		{filter: `title co "Eng"`, sqlite: `instr(json_extract(u.doc_fold, '$."title"'), $2) > 0`, postgres: `strpos((u.doc_fold ->> 'title'), $2) > 0`, args: []any{"eng"}},
		{filter: `title ew "Eng"`, sqlite: `substr(json_extract(u.doc_fold, '$."title"'), -length($2)) = $2`, postgres: `right((u.doc_fold ->> 'title'), length($2)) = $2`, args: []any{"eng"}},
		{filter: `title pr`, sqlite: `(json_extract(u.doc_fold, '$."title"') IS NOT NULL AND json_extract(u.doc_fold, '$."title"') <> '')`, postgres: `((u.doc_fold ->> 'title') IS NOT NULL AND (u.doc_fold ->> 'title') <> '')`},
		{filter: `title eq null`, sqlite: `NOT ((json_extract(u.doc_fold, '$."title"') IS NOT NULL))`, postgres: `NOT (((u.doc_fold ->> 'title') IS NOT NULL))`},
		{filter: `title ne null`, sqlite: `NOT (NOT ((json_extract(u.doc_fold, '$."title"') IS NOT NULL)))`, postgres: `NOT (NOT (((u.doc_fold ->> 'title') IS NOT NULL)))`},
		// Under NOT, a comparison on a nullable value is made two-valued.
		{filter: `not (title eq "x")`, sqlite: `NOT (COALESCE(json_extract(u.doc_fold, '$."title"') = $2, FALSE))`, postgres: `NOT (COALESCE((u.doc_fold ->> 'title') = $2, FALSE))`, args: []any{"x"}},
		{filter: `title ne "x"`, sqlite: `NOT (COALESCE(json_extract(u.doc_fold, '$."title"') = $2, FALSE))`, postgres: `NOT (COALESCE((u.doc_fold ->> 'title') = $2, FALSE))`, args: []any{"x"}},
		{filter: `title eq "a" or not (nickName eq "b")`, sqlite: `(json_extract(u.doc_fold, '$."title"') = $2 OR NOT (COALESCE(json_extract(u.doc_fold, '$."nickName"') = $3, FALSE)))`, postgres: `((u.doc_fold ->> 'title') = $2 OR NOT (COALESCE((u.doc_fold ->> 'nickName') = $3, FALSE)))`, args: []any{"a", "b"}},
		{filter: `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "diruser_B"`,
			sqlite:   `json_extract(u.doc_fold, '$."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"."manager"."value"') = $2`,
			postgres: `(u.doc_fold -> 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User' -> 'manager' ->> 'value') = $2`,
			args:     []any{"diruser_b"}},
		{filter: `name[givenName eq "Zoë"]`,
			sqlite:   `(json_extract(u.doc_fold, '$."name"') IS NOT NULL AND COALESCE(json_extract(u.doc_fold, '$."name"."givenName"') = $2, FALSE))`,
			postgres: `((u.doc_fold ->> 'name') IS NOT NULL AND COALESCE((u.doc_fold -> 'name' ->> 'givenName') = $2, FALSE))`,
			args:     []any{"zoë"}},
		// Multi-valued attributes: EXISTS over the elements.
		{filter: `emails.value eq "A@x.com"`, sqlite: emailsSQLite + `json_extract(e.value, '$."value"') = $2)`, postgres: emailsPostgres + `(e.v ->> 'value') = $2)`, args: []any{"a@x.com"}},
		{filter: `emails eq "A@x.com"`, sqlite: emailsSQLite + `json_extract(e.value, '$."value"') = $2)`, postgres: emailsPostgres + `(e.v ->> 'value') = $2)`, args: []any{"a@x.com"}},
		{filter: `emails.primary eq true`, sqlite: emailsSQLite + `json_extract(e.value, '$."primary"') = $2)`, postgres: emailsPostgres + `(e.v ->> 'primary') = $2)`, args: []any{1}, pgArgs: []any{"true"}},
		{filter: `emails pr`, sqlite: emailsSQLite + `(1 = 1))`, postgres: emailsPostgres + `(1 = 1))`},
		{filter: `emails[type eq "work" and value co "@X.com"]`,
			sqlite:   emailsSQLite + `(COALESCE(json_extract(e.value, '$."type"') = $2, FALSE) AND COALESCE(instr(json_extract(e.value, '$."value"'), $3) > 0, FALSE)))`,
			postgres: emailsPostgres + `(COALESCE((e.v ->> 'type') = $2, FALSE) AND COALESCE(strpos((e.v ->> 'value'), $3) > 0, FALSE)))`,
			args:     []any{"work", "@x.com"}},
		{filter: `emails[type eq null]`, sqlite: emailsSQLite + `NOT (json_extract(e.value, '$."type"') IS NOT NULL))`, postgres: emailsPostgres + `NOT ((e.v ->> 'type') IS NOT NULL))`},
		{filter: `emails[not (value pr)]`,
			sqlite:   emailsSQLite + `NOT (COALESCE(json_extract(e.value, '$."value"') IS NOT NULL AND json_extract(e.value, '$."value"') <> '', FALSE)))`,
			postgres: emailsPostgres + `NOT (COALESCE((e.v ->> 'value') IS NOT NULL AND (e.v ->> 'value') <> '', FALSE)))`},
		// Membership rows.
		{filter: `groups.value eq "dirgroup_1"`, sqlite: `EXISTS (SELECT 1 FROM group_members rm JOIN groups r ON r.pk = rm.group_pk WHERE rm.user_pk = u.pk AND r.id = $2)`, args: []any{"dirgroup_1"}},
		{filter: `groups.display co "Eng"`, sqlite: `EXISTS (SELECT 1 FROM group_members rm JOIN groups r ON r.pk = rm.group_pk WHERE rm.user_pk = u.pk AND instr(r.display_name_fold, $2) > 0)`, postgres: `EXISTS (SELECT 1 FROM group_members rm JOIN groups r ON r.pk = rm.group_pk WHERE rm.user_pk = u.pk AND strpos(r.display_name_fold, $2) > 0)`, args: []any{"eng"}},
		{rt: "Group", filter: `members.value eq "diruser_1"`,
			sqlite: `(EXISTS (SELECT 1 FROM group_members rm JOIN users r ON r.pk = rm.user_pk WHERE rm.group_pk = g.pk AND r.id = $2) OR EXISTS (SELECT 1 FROM group_subgroups rm JOIN groups r ON r.pk = rm.child_pk WHERE rm.group_pk = g.pk AND r.id = $3))`,
			args:   []any{"diruser_1", "diruser_1"}},
		{rt: "Group", filter: `members[type eq "Group"]`,
			sqlite: `(EXISTS (SELECT 1 FROM group_members rm JOIN users r ON r.pk = rm.user_pk WHERE rm.group_pk = g.pk AND COALESCE('user' = $2, FALSE)) OR EXISTS (SELECT 1 FROM group_subgroups rm JOIN groups r ON r.pk = rm.child_pk WHERE rm.group_pk = g.pk AND COALESCE('group' = $3, FALSE)))`,
			args:   []any{"group", "group"}},
		{rt: "Group", filter: `members eq null`,
			sqlite: `NOT ((EXISTS (SELECT 1 FROM group_members rm JOIN users r ON r.pk = rm.user_pk WHERE rm.group_pk = g.pk AND (1 = 1)) OR EXISTS (SELECT 1 FROM group_subgroups rm JOIN groups r ON r.pk = rm.child_pk WHERE rm.group_pk = g.pk AND (1 = 1))))`},
		// Literals that cannot match a value of the attribute.
		{filter: `userName gt null`, sqlite: `(1 = 0)`},
	}
	for _, tc := range tests {
		rt := tc.rt
		if rt == "" {
			rt = "User"
		}
		for dialect, s := range compileStores() {
			want, wantArgs := tc.sqlite, tc.args
			if dialect == "postgres" {
				if tc.postgres != "" {
					want = tc.postgres
				}
				if tc.pgArgs != nil {
					wantArgs = tc.pgArgs
				}
			}
			if tc.filter == `userName gt null` {
				// Resolve refuses it; compile the AST directly.
				got, args, err := s.compileWhere(s.schemas.User, "u", &filter.Compare{Path: schema.Path{Name: "userName"}, Op: filter.Gt, Value: filter.Value{Kind: filter.NullValue}}, 2)
				if err != nil || got != want || len(args) != 0 {
					t.Errorf("%s %s: %q, %v, %v; want %q", dialect, tc.filter, got, args, err, want)
				}
				continue
			}
			got, args, err := compileText(t, s, rt, tc.filter)
			if err != nil {
				t.Errorf("%s %s: %v", dialect, tc.filter, err)
				continue
			}
			if got != want {
				t.Errorf("%s %s:\n got: %s\nwant: %s", dialect, tc.filter, got, want)
			}
			if d := cmp.Diff(wantArgs, args); d != "" {
				t.Errorf("%s %s: args (-want +got):\n%s", dialect, tc.filter, d)
			}
		}
	}
}

// TestCompileFilterSQLiteRewrite: on SQLite the $N placeholders become ?N,
// SQLite's numbered form; JSON paths ('$."title"') are left alone.
func TestCompileFilterSQLiteRewrite(t *testing.T) {
	s := compileStores()["sqlite"]
	where, args, err := compileText(t, s, "User", `title eq "a" and emails[type eq "b"] and userName sw "c"`)
	if err != nil {
		t.Fatal(err)
	}
	got := s.q(`SELECT count(*) FROM users u WHERE u.directory_id = $1 AND (` + where + `)`)
	want := `SELECT count(*) FROM users u WHERE u.directory_id = ?1 AND (((json_extract(u.doc_fold, '$."title"') = ?2 AND ` +
		`EXISTS (SELECT 1 FROM json_each(u.doc_fold, '$."emails"') AS e WHERE e.type = 'object' AND COALESCE(json_extract(e.value, '$."type"') = ?3, FALSE))) AND ` +
		`substr(u.user_name_fold, 1, length(?4)) = ?4))`
	if got != want {
		t.Errorf("rewritten:\n got: %s\nwant: %s", got, want)
	}
	if len(args) != 3 {
		t.Errorf("args = %v, want 3", args)
	}
	pg := compileStores()["postgres"]
	if q := `SELECT 1 WHERE x = $1`; pg.q(q) != q {
		t.Errorf("PostgreSQL queries are rewritten: %s", pg.q(q))
	}
}

// wantInvalidFilter fails unless err is a *directory.Error of KindInvalid
// with ScimType invalidFilter.
func wantInvalidFilter(t *testing.T, err error, what string) {
	t.Helper()
	var de *directory.Error
	if !errors.As(err, &de) {
		t.Errorf("%s: error %v (%T), want a *directory.Error with ScimType invalidFilter", what, err, err)
		return
	}
	if de.Kind != directory.KindInvalid || de.ScimType != schema.ErrInvalidFilter {
		t.Errorf("%s: kind %v, ScimType %q; want invalid, invalidFilter", what, de.Kind, de.ScimType)
	}
}

func TestCompileFilterUnsupported(t *testing.T) {
	// Resolved filters the compiler does not support.
	for _, tc := range []struct{ rt, filter string }{
		{"User", `meta.location eq "https://x/Users/1"`},
		{"User", `meta.version eq "W/\"1\""`},
		{"User", `meta[created gt "2020-01-01T00:00:00Z"]`},
		{"Group", `members.display eq "alice"`},
		{"Group", `members[display co "a"]`},
		{"User", `groups.$ref eq "x"`},
		{"User", `groups[$ref pr]`},
	} {
		for dialect, s := range compileStores() {
			_, _, err := compileText(t, s, tc.rt, tc.filter)
			wantInvalidFilter(t, err, dialect+" "+tc.filter)
		}
	}
	// Hand-built expressions that did not go through Resolve: unknown or
	// hostile paths are rejected, never turned into SQL.
	str := filter.Value{Kind: filter.StringValue, Str: "x"}
	for name, e := range map[string]filter.Expr{
		"unknown attribute": &filter.Compare{Path: schema.Path{Name: "bogus"}, Op: filter.Eq, Value: str},
		"hostile attribute": &filter.Compare{Path: schema.Path{Name: `title') OR 1=1 --`}, Op: filter.Eq, Value: str},
		"hostile sub":       &filter.Compare{Path: schema.Path{Name: "name", Sub: `x"] OR 1=1`}, Op: filter.Eq, Value: str},
		"unknown URN":       &filter.Compare{Path: schema.Path{URN: "urn:evil:' OR 1=1", Name: "title"}, Op: filter.Eq, Value: str},
		"hostile pr":        &filter.Present{Path: schema.Path{Name: "x' OR '1'='1"}},
		"value path sub": &filter.ValuePath{Attr: schema.Path{Name: "emails"},
			Filter: &filter.Compare{Path: schema.Path{Name: "emails", Sub: "value') OR 1=1 --"}, Op: filter.Eq, Value: str}},
		"value path on a simple attribute": &filter.ValuePath{Attr: schema.Path{Name: "title"},
			Filter: &filter.Present{Path: schema.Path{Name: "title", Sub: "value"}}},
		"numeric literal on a column": &filter.Compare{Path: schema.Path{URN: "", Name: "meta", Sub: "created"}, Op: filter.Gt, Value: filter.Value{Kind: filter.StringValue, Str: "yesterday"}},
		"nil":                         &filter.Not{},
	} {
		for dialect, s := range compileStores() {
			sql, _, err := s.compileWhere(s.schemas.User, "u", e, 2)
			if err == nil {
				t.Errorf("%s %s: compiled to %s, want an invalidFilter error", dialect, name, sql)
				continue
			}
			wantInvalidFilter(t, err, dialect+" "+name)
		}
	}
	// Sort keys the store cannot sort by are reported the same way.
	for dialect, s := range compileStores() {
		for _, p := range []schema.Path{{Name: "nope"}, {Name: "emails", Sub: "nope"}, {Name: "groups"}, {Name: "meta", Sub: "location"}} {
			_, err := s.orderBy(s.schemas.User, "u", directory.Query{SortBy: &p})
			wantInvalidFilter(t, err, dialect+" sortBy "+p.String())
		}
	}
}

var placeholderRE = regexp.MustCompile(`\$(\d+)`)

// TestCompileFilterNoInlining: no request text reaches the SQL. Values are
// parameters, however hostile; attribute names come from the schema, in
// their canonical spelling, whatever the request's spelling.
func TestCompileFilterNoInlining(t *testing.T) {
	hostile := []string{
		`zzmark' OR '1'='1`,
		`zzmark"; DROP TABLE users; --`,
		`zzmark $1 ?1 :1 @p1`,
		`zzmark\' --`,
		`zzmark%_*`,
		`ZZMARK') OR 1=1 --`,
		"zzmark\u2028\n\t",
	}
	templates := []struct{ rt, filter string }{
		{"User", `userName eq %s`},
		{"User", `externalId co %s`},
		{"User", `title sw %s or nickName ew %s`},
		{"User", `not (displayName gt %s)`},
		{"User", `emails[value eq %s and type ne %s]`},
		{"User", `emails.value lt %s`},
		{"User", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq %s`},
		{"User", `name[givenName co %s]`},
		{"User", `groups.value eq %s or groups[display sw %s]`},
		{"Group", `members.value eq %s`},
		{"Group", `members[value eq %s and type eq %s]`},
		{"Group", `displayName eq %s and externalId eq %s`},
	}
	for _, v := range hostile {
		lit, _ := jsonString(v)
		for _, tpl := range templates {
			text := strings.ReplaceAll(tpl.filter, "%s", lit)
			for dialect, s := range compileStores() {
				sql, args, err := compileText(t, s, tpl.rt, text)
				if err != nil {
					t.Errorf("%s %s: %v", dialect, text, err)
					continue
				}
				if strings.Contains(strings.ToLower(sql), "zzmark") {
					t.Errorf("%s %s: the value is in the SQL: %s", dialect, text, sql)
				}
				// Every parameter is a placeholder of the SQL and holds
				// the value (folded or not).
				used := map[int]bool{}
				for _, m := range placeholderRE.FindAllStringSubmatch(sql, -1) {
					n, _ := strconv.Atoi(m[1])
					used[n] = true
				}
				for i, a := range args {
					if !used[i+2] {
						t.Errorf("%s %s: parameter $%d (%v) is not used in %s", dialect, text, i+2, a, sql)
					}
					if s, ok := a.(string); ok && !strings.EqualFold(s, v) && s != "user" && s != "group" {
						t.Errorf("%s %s: parameter %q is not the literal %q", dialect, text, s, v)
					}
				}
				if len(used) != len(args) {
					t.Errorf("%s %s: %d placeholders for %d parameters", dialect, text, len(used), len(args))
				}
			}
		}
	}
	// Attribute names: an expression that has not been through Resolve
	// (odd spelling) still compiles to the schema's spelling.
	e := &filter.Logical{Op: filter.And,
		Left:  &filter.Compare{Path: schema.Path{Name: "TITLE"}, Op: filter.Eq, Value: filter.Value{Kind: filter.StringValue, Str: "a"}},
		Right: &filter.Present{Path: schema.Path{URN: strings.ToUpper(schema.EnterpriseUserURN), Name: "MANAGER", Sub: "VALUE"}},
	}
	for dialect, s := range compileStores() {
		sql, _, err := s.compileWhere(s.schemas.User, "u", e, 2)
		if err != nil {
			t.Errorf("%s: %v", dialect, err)
			continue
		}
		for _, spelled := range []string{"TITLE", "MANAGER", "VALUE", "URN:"} {
			if strings.Contains(sql, spelled) {
				t.Errorf("%s: the request's spelling %q reached the SQL: %s", dialect, spelled, sql)
			}
		}
		for _, canonical := range []string{"title", "manager", "value", schema.EnterpriseUserURN} {
			if !strings.Contains(sql, canonical) {
				t.Errorf("%s: %q missing from %s", dialect, canonical, sql)
			}
		}
		q := directory.Query{SortBy: &schema.Path{Name: "EMAILS", Sub: "VALUE"}}
		order, err := s.orderBy(s.schemas.User, "u", q)
		if err != nil {
			t.Errorf("%s: orderBy: %v", dialect, err)
		} else if strings.Contains(order, "EMAILS") || !strings.Contains(order, "emails") {
			t.Errorf("%s: orderBy uses the request's spelling: %s", dialect, order)
		}
	}
}

func jsonString(s string) (string, error) {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\u2028':
			b.WriteString(`\u2028`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String(), nil
}

// TestOrderBy covers the ORDER BY lists for both dialects.
func TestOrderBy(t *testing.T) {
	tests := []struct {
		path     *schema.Path
		desc     bool
		sqlite   string
		postgres string
	}{
		{nil, false, `u.pk ASC`, `u.pk ASC`},
		{nil, true, `u.pk DESC`, `u.pk DESC`},
		{&schema.Path{Name: "userName"}, false,
			`(u.user_name_fold) IS NULL, u.user_name_fold ASC, u.pk ASC`,
			`(u.user_name_fold COLLATE "C") IS NULL, u.user_name_fold COLLATE "C" ASC, u.pk ASC`},
		{&schema.Path{Name: "meta", Sub: "created"}, true,
			`(u.created_at) IS NULL, u.created_at DESC, u.pk DESC`,
			`(u.created_at) IS NULL, u.created_at DESC, u.pk DESC`},
		{&schema.Path{Name: "emails"}, false,
			`(json_extract(u.doc_fold, '$."emails"[0]."value"')) IS NULL, json_extract(u.doc_fold, '$."emails"[0]."value"') ASC, u.pk ASC`,
			`((u.doc_fold -> 'emails' -> 0 ->> 'value') COLLATE "C") IS NULL, (u.doc_fold -> 'emails' -> 0 ->> 'value') COLLATE "C" ASC, u.pk ASC`},
	}
	for _, tc := range tests {
		for dialect, s := range compileStores() {
			got, err := s.orderBy(s.schemas.User, "u", directory.Query{SortBy: tc.path, Descending: tc.desc})
			if err != nil {
				t.Errorf("%s %v: %v", dialect, tc.path, err)
				continue
			}
			want := tc.sqlite
			if dialect == "postgres" {
				want = tc.postgres
			}
			if got != want {
				t.Errorf("%s sortBy %v desc=%v:\n got: %s\nwant: %s", dialect, tc.path, tc.desc, got, want)
			}
		}
	}
}
