// Package filtersql compiles resolved SCIM filters (RFC 7644 §3.4.2.2) and
// sort orders (§3.4.2.3) into SQL conditions and ORDER BY lists for the
// store's tables, on SQLite or PostgreSQL. It runs no queries.
package filtersql

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/filter"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// The filter compiler turns a resolved filter AST (RFC 7644 §3.4.2.2) into a
// SQL condition with bound parameters. Attribute paths go through an
// allowlist: indexed columns for the attributes IdPs filter on (id,
// externalId, userName, displayName, active, meta.created,
// meta.lastModified), membership rows for groups/members, and JSON paths
// into the case-folded document for every other attribute of the schema.
// Attribute names in the generated SQL come from the schema, never from the
// request; values are always parameters.
//
// Semantics match filter.Eval exactly (a differential test checks this):
// a comparison is true when some reached value satisfies it, ne is "not eq",
// eq null means absent. Because SQL comparisons with NULL yield NULL,
// conditions under a NOT are wrapped in COALESCE(…, FALSE).

type compiler struct {
	d     Dialect
	rt    *schema.ResourceType
	alias string
	args  []any
	next  int
}

func invalidFilter(format string, args ...any) error {
	return &directory.Error{Kind: directory.KindInvalid, ScimType: schema.ErrInvalidFilter, Message: fmt.Sprintf(format, args...)}
}

// Where compiles e for the table aliased alias (users u or groups g);
// parameters start at $first. An empty condition means "all rows".
func Where(d Dialect, rt *schema.ResourceType, alias string, e filter.Expr, first int) (string, []any, error) {
	if e == nil {
		return "", nil, nil
	}
	c := &compiler{d: d, rt: rt, alias: alias, next: first}
	sql, err := c.expr(e, false)
	if err != nil {
		return "", nil, err
	}
	return sql, c.args, nil
}

func (c *compiler) param(v any) string {
	c.args = append(c.args, v)
	p := "$" + strconv.Itoa(c.next)
	c.next++
	return p
}

func (c *compiler) expr(e filter.Expr, negated bool) (string, error) {
	switch x := e.(type) {
	case *filter.Logical:
		l, err := c.expr(x.Left, negated)
		if err != nil {
			return "", err
		}
		r, err := c.expr(x.Right, negated)
		if err != nil {
			return "", err
		}
		op := " AND "
		if x.Op == filter.Or {
			op = " OR "
		}
		return "(" + l + op + r + ")", nil
	case *filter.Not:
		in, err := c.expr(x.X, !negated)
		if err != nil {
			return "", err
		}
		return "NOT (" + in + ")", nil
	case *filter.Compare:
		if x.Op == filter.Ne {
			in, err := c.compare(&filter.Compare{Path: x.Path, Op: filter.Eq, Value: x.Value}, !negated)
			if err != nil {
				return "", err
			}
			return "NOT (" + in + ")", nil
		}
		return c.compare(x, negated)
	case *filter.Present:
		return c.present(x.Path, negated)
	case *filter.ValuePath:
		return c.valuePath(x)
	}
	return "", invalidFilter("unsupported filter expression")
}

// target describes where a path's values live.
type target struct {
	col      string      // a column expression (single value), or
	multi    string      // the JSON array of a multi-valued attribute
	sub      string      // with multi: the sub-attribute of each element
	relation string      // "groups" (user's groups) or "members" (group's members)
	path     schema.Path // the path in its canonical spelling
	attr     *schema.Attribute
	leaf     *schema.Attribute
	notNull  bool // col is never NULL
	isTime   bool // col holds microseconds
}

func (c *compiler) target(p schema.Path) (target, error) {
	r, ok := c.rt.Resolve(p.URN, p.Name, p.Sub)
	if !ok {
		return target{}, invalidFilter("attribute %q is not defined for %s", p.String(), c.rt.ID)
	}
	// From here on the schema's spelling, never the request's.
	p = r.Path
	t := target{path: p, attr: r.Attr, leaf: r.Leaf()}
	a := c.alias
	switch {
	case p.URN == "" && p.Name == "id":
		t.col, t.notNull = a+".id", true
	case p.URN == "" && p.Name == "externalId":
		t.col = a + ".external_id"
	case p.URN == "" && p.Name == "meta":
		switch p.Sub {
		case "created":
			t.col, t.notNull, t.isTime = a+".created_at", true, true
		case "lastModified":
			t.col, t.notNull, t.isTime = a+".updated_at", true, true
		case "resourceType":
			t.col, t.notNull = "'"+c.rt.ID+"'", true
		default:
			return t, invalidFilter("filtering on %q is not supported", p.String())
		}
	case c.rt.ID == "User" && p.URN == "" && p.Name == "userName":
		t.col, t.notNull = a+".user_name_fold", true
	case c.rt.ID == "User" && p.URN == "" && p.Name == "active":
		t.col, t.notNull = a+".active", true
	case c.rt.ID == "Group" && p.URN == "" && p.Name == "displayName":
		t.col, t.notNull = a+".display_name_fold", true
	case c.rt.ID == "User" && p.URN == "" && p.Name == "groups",
		c.rt.ID == "Group" && p.URN == "" && p.Name == "members":
		t.relation, t.sub = p.Name, p.Sub
	case r.Attr.MultiValued:
		t.multi, t.sub = c.d.jsonArray(a+".doc_fold", p.URN, p.Name), p.Sub
	default:
		keys := []string{p.Name}
		if p.URN != "" {
			keys = []string{p.URN, p.Name}
		}
		if p.Sub != "" {
			keys = append(keys, p.Sub)
		}
		t.col = c.d.jsonText(a+".doc_fold", keys...)
	}
	return t, nil
}

// literal converts a filter value for comparison with attribute a: folded
// when a compares case-insensitively, microseconds for times. ok is false
// when the literal cannot match a value of a.
func (c *compiler) literal(t target, v filter.Value) (any, bool, error) {
	a := t.leaf
	switch a.Type {
	case schema.Boolean:
		if v.Kind != filter.BoolValue {
			return nil, false, nil
		}
		return c.d.jsonBool(v.Bool, t.col != "" && strings.HasSuffix(t.col, ".active")), true, nil
	case schema.DateTime:
		if v.Kind != filter.StringValue {
			return nil, false, nil
		}
		ts, err := time.Parse(time.RFC3339Nano, v.Str)
		if err != nil {
			return nil, false, invalidFilter("%q is not an RFC 3339 date-time", v.Str)
		}
		if t.isTime {
			return ts.UnixMicro(), true, nil
		}
		return nil, false, invalidFilter("filtering on %q by time is not supported", a.Name)
	case schema.Integer, schema.Decimal:
		return nil, false, invalidFilter("numeric filters are not supported on %q", a.Name)
	default:
		if v.Kind != filter.StringValue {
			return nil, false, nil
		}
		if !c.d.storable(v.Str) {
			return nil, false, nil // no stored value can match
		}
		s := v.Str
		if !a.CaseExact {
			s = schema.FoldString(s)
		}
		return s, true, nil
	}
}

// cmp renders "x op p" for a value expression x (never NULL-safe).
func (c *compiler) cmp(x string, op filter.Op, t target, lit any) (string, error) {
	switch op {
	case filter.Eq:
		return x + " = " + c.param(lit), nil
	case filter.Gt, filter.Ge, filter.Lt, filter.Le:
		sym := map[filter.Op]string{filter.Gt: ">", filter.Ge: ">=", filter.Lt: "<", filter.Le: "<="}[op]
		if t.leaf.Type == schema.Boolean {
			return "", invalidFilter("%s is not defined for boolean %q", op, t.leaf.Name)
		}
		if _, isStr := lit.(string); isStr {
			return c.d.bytewise(x) + " " + sym + " " + c.param(lit), nil
		}
		return x + " " + sym + " " + c.param(lit), nil
	case filter.Co, filter.Sw, filter.Ew:
		s, ok := lit.(string)
		if !ok {
			return "", invalidFilter("%s needs a string attribute", op)
		}
		if s == "" {
			return x + " IS NOT NULL", nil
		}
		p := c.param(s)
		switch op {
		case filter.Co:
			return c.d.contains(x, p), nil
		case filter.Sw:
			return c.d.startsWith(x, p), nil
		default:
			return c.d.endsWith(x, p), nil
		}
	}
	return "", invalidFilter("operator %q is not supported", op)
}

func (c *compiler) compare(x *filter.Compare, negated bool) (string, error) {
	t, err := c.target(x.Path)
	if err != nil {
		return "", err
	}
	if x.Value.Kind == filter.NullValue {
		if x.Op != filter.Eq {
			return "(1 = 0)", nil
		}
		// "eq null" means absent: no value reached. An empty string is a
		// value (it is not "pr", but it is not null either).
		p, err := c.reached(x.Path)
		if err != nil {
			return "", err
		}
		return "NOT (" + p + ")", nil
	}
	lit, ok, err := c.literal(t, x.Value)
	if err != nil {
		return "", err
	}
	if !ok {
		return "(1 = 0)", nil
	}
	switch {
	case t.col != "":
		s, err := c.cmp(t.col, x.Op, t, lit)
		if err != nil {
			return "", err
		}
		if negated && !t.notNull {
			s = "COALESCE(" + s + ", FALSE)"
		}
		return s, nil
	case t.relation != "":
		return c.relation(t, func(col func(sub string) (string, *schema.Attribute, error)) (string, error) {
			sub := t.sub
			if sub == "" {
				sub = "value"
			}
			x2, _, err := col(sub)
			if err != nil {
				return "", err
			}
			return c.cmp(x2, x.Op, t, lit)
		})
	default:
		if t.sub == "" {
			return "", invalidFilter("compare a sub-attribute of %q, e.g. %s.value", t.attr.Name, t.attr.Name)
		}
		el, err := c.cmp(c.d.elemText(t.sub), x.Op, t, lit)
		if err != nil {
			return "", err
		}
		return c.d.exists(t.multi, el), nil
	}
}

// reached compiles "p reaches some non-null value", the negation of
// "p eq null". It is never NULL.
func (c *compiler) reached(p schema.Path) (string, error) {
	t, err := c.target(p)
	if err != nil {
		return "", err
	}
	switch {
	case t.col != "":
		if t.notNull {
			return "(1 = 1)", nil
		}
		return "(" + t.col + " IS NOT NULL)", nil
	case t.relation != "":
		return c.relation(t, func(func(string) (string, *schema.Attribute, error)) (string, error) { return "(1 = 1)", nil })
	case t.sub == "":
		return c.d.exists(t.multi, "(1 = 1)"), nil
	default:
		return c.d.exists(t.multi, "("+c.d.elemText(t.sub)+" IS NOT NULL)"), nil
	}
}

func (c *compiler) present(p schema.Path, negated bool) (string, error) {
	t, err := c.target(p)
	if err != nil {
		return "", err
	}
	switch {
	case t.col != "":
		if t.notNull {
			if t.leaf.Type == schema.String {
				return t.col + " <> ''", nil
			}
			return "(1 = 1)", nil
		}
		s := "(" + t.col + " IS NOT NULL AND " + t.col + " <> '')"
		if negated {
			s = "COALESCE(" + s + ", FALSE)"
		}
		return s, nil
	case t.relation != "":
		return c.relation(t, func(func(string) (string, *schema.Attribute, error)) (string, error) { return "(1 = 1)", nil })
	case t.sub == "":
		return c.d.exists(t.multi, "(1 = 1)"), nil
	default:
		e := c.d.elemText(t.sub)
		return c.d.exists(t.multi, "("+e+" IS NOT NULL AND "+e+" <> '')"), nil
	}
}

func (c *compiler) valuePath(v *filter.ValuePath) (string, error) {
	t, err := c.target(v.Attr)
	if err != nil {
		return "", err
	}
	if t.relation != "" {
		return c.relation(t, func(col func(string) (string, *schema.Attribute, error)) (string, error) {
			return c.elemExpr(v.Filter, false, func(p schema.Path) (string, *schema.Attribute, error) { return col(p.Sub) })
		})
	}
	if t.multi == "" {
		return c.singleValuePath(v, t)
	}
	cond, err := c.elemExpr(v.Filter, false, func(p schema.Path) (string, *schema.Attribute, error) {
		sa := t.attr.Sub(p.Sub)
		if sa == nil {
			return "", nil, invalidFilter("%q has no sub-attribute %q", t.attr.Name, p.Sub)
		}
		return c.d.elemText(sa.Name), sa, nil
	})
	if err != nil {
		return "", err
	}
	return c.d.exists(t.multi, cond), nil
}

// singleValuePath compiles attr[filter] on a single-valued complex
// attribute (name[givenName eq "x"], manager[value eq "id"]): true when the
// attribute is present and its value satisfies filter, as in filter.Eval.
func (c *compiler) singleValuePath(v *filter.ValuePath, t target) (string, error) {
	if t.col == "" || t.notNull || !t.attr.IsComplex() || t.attr.MultiValued {
		return "", invalidFilter("%q cannot have a value filter", v.Attr.String())
	}
	cond, err := c.elemExpr(v.Filter, false, func(p schema.Path) (string, *schema.Attribute, error) {
		sa := t.attr.Sub(p.Sub)
		if sa == nil {
			return "", nil, invalidFilter("%q has no sub-attribute %q", t.attr.Name, p.Sub)
		}
		keys := []string{v.Attr.Name, sa.Name}
		if v.Attr.URN != "" {
			keys = []string{v.Attr.URN, v.Attr.Name, sa.Name}
		}
		return c.d.jsonText(c.alias+".doc_fold", keys...), sa, nil
	})
	if err != nil {
		return "", err
	}
	return "(" + t.col + " IS NOT NULL AND " + cond + ")", nil
}

// elemExpr compiles the filter inside a value path against one element,
// whose sub-attributes col maps to SQL expressions.
func (c *compiler) elemExpr(e filter.Expr, negated bool, col func(schema.Path) (string, *schema.Attribute, error)) (string, error) {
	switch x := e.(type) {
	case *filter.Logical:
		l, err := c.elemExpr(x.Left, negated, col)
		if err != nil {
			return "", err
		}
		r, err := c.elemExpr(x.Right, negated, col)
		if err != nil {
			return "", err
		}
		op := " AND "
		if x.Op == filter.Or {
			op = " OR "
		}
		return "(" + l + op + r + ")", nil
	case *filter.Not:
		in, err := c.elemExpr(x.X, !negated, col)
		if err != nil {
			return "", err
		}
		return "NOT (" + in + ")", nil
	case *filter.Present:
		ex, _, err := col(x.Path)
		if err != nil {
			return "", err
		}
		return "COALESCE(" + ex + " IS NOT NULL AND " + ex + " <> '', FALSE)", nil
	case *filter.Compare:
		ex, sa, err := col(x.Path)
		if err != nil {
			return "", err
		}
		t := target{leaf: sa, attr: sa}
		op := x.Op
		if op == filter.Ne {
			op = filter.Eq
		}
		var s string
		if x.Value.Kind == filter.NullValue {
			// null is absence; an empty string is a value.
			s = "(" + ex + " IS NOT NULL)"
			if x.Op == filter.Eq {
				return "NOT " + s, nil
			}
			if x.Op == filter.Ne {
				return s, nil
			}
			return "(1 = 0)", nil
		}
		lit, ok, err := c.literal(t, x.Value)
		if err != nil {
			return "", err
		}
		if !ok {
			s = "(1 = 0)"
		} else if s, err = c.cmp(ex, op, t, lit); err != nil {
			return "", err
		}
		s = "COALESCE(" + s + ", FALSE)"
		if x.Op == filter.Ne {
			return "NOT " + s, nil
		}
		return s, nil
	}
	return "", invalidFilter("unsupported expression inside a value filter")
}

// relation compiles a condition on a user's groups or a group's members as
// EXISTS over the membership rows. body gets a function mapping a
// sub-attribute of the related object to a SQL expression.
func (c *compiler) relation(t target, body func(col func(sub string) (string, *schema.Attribute, error)) (string, error)) (string, error) {
	a := c.alias
	type branch struct{ from, id, display, typ string }
	var branches []branch
	if t.relation == "groups" {
		branches = []branch{{from: "group_members rm JOIN groups r ON r.pk = rm.group_pk WHERE rm.user_pk = " + a + ".pk", id: "r.id", display: "r.display_name_fold", typ: "'direct'"}}
	} else {
		branches = []branch{
			{from: "group_members rm JOIN users r ON r.pk = rm.user_pk WHERE rm.group_pk = " + a + ".pk", id: "r.id", typ: "'user'"},
			{from: "group_subgroups rm JOIN groups r ON r.pk = rm.child_pk WHERE rm.group_pk = " + a + ".pk", id: "r.id", display: "r.display_name_fold", typ: "'group'"},
		}
	}
	var parts []string
	for _, b := range branches {
		b := b
		cond, err := body(func(sub string) (string, *schema.Attribute, error) {
			sa := t.attr.Sub(sub)
			if sa == nil {
				return "", nil, invalidFilter("%q has no sub-attribute %q", t.attr.Name, sub)
			}
			switch sa.Name {
			case "value":
				return b.id, sa, nil
			case "type":
				// types compare case-insensitively here: "User" vs "user".
				return b.typ, &schema.Attribute{Name: "type", Type: schema.String}, nil
			case "display":
				if b.display != "" {
					return b.display, sa, nil
				}
			}
			return "", nil, invalidFilter("filtering on %s.%s is not supported", t.attr.Name, sa.Name)
		})
		if err != nil {
			return "", err
		}
		parts = append(parts, "EXISTS (SELECT 1 FROM "+b.from+" AND "+cond+")")
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return "(" + strings.Join(parts, " OR ") + ")", nil
}

// OrderBy returns the ORDER BY list for q: the sort attribute with nulls
// last (RFC 7644 §3.4.2.3), then creation order so that pages are stable.
func OrderBy(d Dialect, rt *schema.ResourceType, alias string, q directory.Query) (string, error) {
	dir := " ASC"
	if q.Descending {
		dir = " DESC"
	}
	if q.SortBy == nil {
		return alias + ".pk" + dir, nil
	}
	p := *q.SortBy
	c := &compiler{d: d, rt: rt, alias: alias}
	t, err := c.target(p)
	if err != nil {
		return "", err
	}
	p = t.path
	var x string
	switch {
	case t.col != "":
		x = t.col
	case t.multi != "":
		sub := t.sub
		if sub == "" {
			sub = "value"
		}
		if t.attr.Sub(sub) == nil {
			return "", invalidFilter("cannot sort by %q", p.String())
		}
		x = d.firstElemText(alias+".doc_fold", p.URN, p.Name, sub)
	default:
		return "", invalidFilter("cannot sort by %q", p.String())
	}
	if !strings.HasSuffix(t.col, ".active") && !t.isTime {
		x = d.bytewise(x)
	}
	return "(" + x + ") IS NULL, " + x + dir + ", " + alias + ".pk" + dir, nil
}
