package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/filter"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// queryWhere translates a directory.Query's selection (its Filter and its
// typed fields) into the WHERE condition of ListUsers (users, alias u) or
// ListGroups (groups, alias g), with the page cursor (Query.After). $1 is
// the directory id; the returned args start with it. This is the one place
// the typed fields become SQL.
func (s *Store) queryWhere(ctx context.Context, users bool, directoryID string, q directory.Query) (string, []any, error) {
	rt, alias, table, kind := s.schemas.Group, "g", "groups", "group"
	if users {
		rt, alias, table, kind = s.schemas.User, "u", "users", "user"
	}
	e, err := typedFilter(rt, users, q)
	if err != nil {
		return "", nil, err
	}
	where, args, err := s.compileWhere(rt, alias, e, 2)
	if err != nil {
		return "", nil, err
	}
	args = append([]any{directoryID}, args...)
	cond := alias + `.directory_id = $1`
	if where != "" {
		cond += ` AND (` + where + `)`
	}
	if users && q.MemberOf != "" {
		args = append(args, q.MemberOf)
		cond += fmt.Sprintf(` AND u.pk IN (SELECT gm.user_pk FROM group_members gm JOIN groups mg ON mg.pk = gm.group_pk WHERE mg.id = $%d AND mg.directory_id = $1)`, len(args))
	}
	var after string // the cursor's key, "": none
	if q.After != "" {
		key, arg, err := s.keyset(ctx, directoryID, table, kind, q, len(args)+1)
		if err != nil {
			return "", nil, err
		}
		op := ">"
		if q.Descending {
			op = "<"
		}
		cond += ` AND ` + alias + `.pk ` + op + ` ` + key
		args = append(args, arg)
		after = key
	}
	if q.Search != "" {
		lo := schema.FoldString(q.Search)
		args = append(args, lo, lo+maxRune)
		a, b := len(args)-1, len(args)
		var tail string
		if users && searchOnly(q) {
			// The page is the first Limit matches after the cursor: each
			// range scan keeps only those (a top-N), instead of every match
			// (10,000 for a one-letter-and-digit prefix at 50,000 users).
			if after != "" {
				// +pk: a condition for the range scan to check, not an
				// index to walk (walking (directory_id, pk) from the
				// cursor read every later user's row for the three
				// columns with no match).
				tail = ` AND +pk > ` + after
			}
			args = append(args, q.Limit)
			tail += fmt.Sprintf(` ORDER BY pk LIMIT $%d`, len(args))
		}
		cond += s.searchCond(users, a, b, tail)
	}
	return cond, args, nil
}

// searchOnly reports whether Search (and a cursor) is all that q selects
// by, in creation order, with a page limit: then a page is the first Limit
// matches of the search alone.
func searchOnly(q directory.Query) bool {
	return q.Filter == nil && q.Active == nil && q.Email == "" && q.UpdatedAfter.IsZero() && q.MemberOf == "" &&
		q.SortBy == nil && !q.Descending && q.Offset == 0 && q.Limit > 0 && q.SkipTotal
}

// searchCond is Query.Search: a bytewise range [$a, $b) on folded columns.
// For users, each column's range scan ends with tail (a top-N, or "").
func (s *Store) searchCond(users bool, a, b int, tail string) string {
	if !users {
		// groups_display_name indexes it on SQLite; on PostgreSQL the
		// column's collation is not bytewise, so the range is compared in
		// "C" over the directory's groups.
		col := s.d.bytewise("g.display_name_fold")
		return fmt.Sprintf(` AND %[3]s >= $%[1]d AND %[3]s < $%[2]d`, a, b, col)
	}
	userName := s.d.bytewise("user_name_fold") // indexed so by users_user_name_c on PostgreSQL
	// One indexed range scan per column, united: an OR of the ranges
	// made SQLite walk the directory in pk order instead.
	var parts []string
	for _, col := range []string{userName, "email_fold", "display_fold", "family_fold"} {
		part := fmt.Sprintf(`SELECT pk FROM users WHERE directory_id = $1 AND %[3]s >= $%[1]d AND %[3]s < $%[2]d`, a, b, col)
		if tail != "" {
			part = `SELECT pk FROM (` + part + tail + `) AS s` + strconv.Itoa(len(parts))
		}
		parts = append(parts, part)
	}
	return ` AND u.pk IN (` + strings.Join(parts, ` UNION `) + `)`
}

// typedFilter ANDs q.Filter with the filters that Active, Email,
// UpdatedAfter and HasMember stand for, resolved against rt.
func typedFilter(rt *schema.ResourceType, users bool, q directory.Query) (filter.Expr, error) {
	var terms []filter.Expr
	str := func(name, sub string, op filter.Op, v string) filter.Expr {
		return &filter.Compare{Path: schema.Path{Name: name, Sub: sub}, Op: op, Value: filter.Value{Kind: filter.StringValue, Str: v}}
	}
	if !q.UpdatedAfter.IsZero() {
		terms = append(terms, str("meta", "lastModified", filter.Gt, q.UpdatedAfter.UTC().Format(time.RFC3339Nano)))
	}
	if users && q.Active != nil {
		terms = append(terms, &filter.Compare{Path: schema.Path{Name: "active"}, Op: filter.Eq, Value: filter.Value{Kind: filter.BoolValue, Bool: *q.Active}})
	}
	if users && q.Email != "" {
		terms = append(terms, str("emails", "value", filter.Eq, q.Email))
	}
	if !users && q.HasMember != "" {
		terms = append(terms, str("members", "value", filter.Eq, q.HasMember))
	}
	if len(terms) == 0 {
		return q.Filter, nil
	}
	e := terms[0]
	for _, t := range terms[1:] {
		e = &filter.Logical{Op: filter.And, Left: e, Right: t}
	}
	e, err := filter.Resolve(rt, e)
	if err != nil {
		return nil, err
	}
	if q.Filter != nil {
		e = &filter.Logical{Op: filter.And, Left: q.Filter, Right: e}
	}
	return e, nil
}
