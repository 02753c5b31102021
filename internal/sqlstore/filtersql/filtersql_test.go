package filtersql

import (
	"strings"
	"testing"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/filter"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// The package compiles without a database; sqlstore's tests run what it
// compiles on both databases against filter.Eval.
func TestDialectsDiffer(t *testing.T) {
	sch := schema.New()
	co := &filter.Compare{Path: schema.Path{Name: "userName"}, Op: filter.Co, Value: filter.Value{Kind: filter.StringValue, Str: "Ab"}}
	for _, tc := range []struct {
		d        Dialect
		where    string
		orderSub string
	}{
		{SQLite, "instr(u.user_name_fold, $2) > 0", "(u.user_name_fold) IS NULL"},
		{Postgres, "strpos(u.user_name_fold, $2) > 0", `(u.user_name_fold COLLATE "C") IS NULL`},
	} {
		where, args, err := Where(tc.d, sch.User, "u", co, 2)
		if err != nil || where != tc.where || len(args) != 1 || args[0] != "ab" {
			t.Errorf("Where(%T) = %q, %v, %v; want %q, [ab]", tc.d, where, args, err, tc.where)
		}
		order, err := OrderBy(tc.d, sch.User, "u", directory.Query{SortBy: &schema.Path{Name: "userName"}})
		if err != nil || !strings.HasPrefix(order, tc.orderSub) {
			t.Errorf("OrderBy(%T) = %q, %v; want it to start with %q", tc.d, order, err, tc.orderSub)
		}
	}
	// PostgreSQL text cannot hold NUL: such a literal matches nothing and
	// is not sent.
	nul := &filter.Compare{Path: schema.Path{Name: "userName"}, Op: filter.Eq, Value: filter.Value{Kind: filter.StringValue, Str: "a\x00"}}
	if _, args, err := Where(Postgres, sch.User, "u", nul, 2); err != nil || len(args) != 0 {
		t.Errorf("Where(Postgres, NUL) args %v, %v; want none", args, err)
	}
}
