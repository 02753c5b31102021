package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// Management API support: organization and directory listing, updates and
// deletes, keyset pagination and member counts.

// keyset returns the key (an SQL expression, for a list query whose $1
// is the directory id) after which a page starts in creation order, and
// its argument, numbered n: the page starts after the resource q.After.
//
// On SQLite the cursor's key is looked up in the page's own statement
// (cursorPK): a cursor that names no resource of the directory selects
// nothing, and the caller then tells the two apart (checkCursor). On
// PostgreSQL it is looked up first and bound as a value: not knowing the
// key, the planner estimated few rows after it, then fetched and sorted
// every one (200 ms at 20,000 users).
func (s *Store) keyset(ctx context.Context, directoryID, table, kind string, q directory.Query, n int) (string, any, error) {
	if q.SortBy != nil {
		return "", nil, directory.Errorf(directory.KindInvalid, "a page cursor cannot be combined with sortBy")
	}
	if s.cursorInline() {
		return cursorPK(table, n), q.After, nil
	}
	var pk int64
	err := s.readRow(ctx, `SELECT pk FROM `+table+` WHERE id = $1 AND directory_id = $2`, q.After, directoryID).Scan(&pk)
	if err == sql.ErrNoRows {
		return "", nil, cursorGone(kind)
	}
	if err != nil {
		return "", nil, fmt.Errorf("reading page cursor: %w", err)
	}
	return fmt.Sprintf(`$%d`, n), pk, nil
}

// cursorInline reports whether page cursors are looked up in the page's
// statement (keyset).
func (s *Store) cursorInline() bool {
	_, ok := s.d.(*sqliteDialect)
	return ok
}

// cursorPK is the key of the resource whose id is bound at $n, in the
// directory bound at $1 (NULL when there is none).
func cursorPK(table string, n int) string {
	return fmt.Sprintf(`(SELECT c.pk FROM %s c WHERE c.id = $%d AND c.directory_id = $1)`, table, n)
}

func cursorGone(kind string) error {
	return directory.Errorf(directory.KindInvalid, "the page cursor names no %s of this directory (it may have been deleted): start again from the first page", kind)
}

// checkCursor is called when a page read after a cursor came back empty:
// it reports KindInvalid when the cursor names no resource of the
// directory (deleted, or never one of it), if keyset did not already.
func (s *Store) checkCursor(ctx context.Context, directoryID, table, kind, after string) error {
	if !s.cursorInline() {
		return nil
	}
	var one int
	err := s.readRow(ctx, `SELECT 1 FROM `+table+` WHERE id = $1 AND directory_id = $2`, after, directoryID).Scan(&one)
	if err == sql.ErrNoRows {
		return cursorGone(kind)
	}
	if err != nil {
		return fmt.Errorf("reading page cursor: %w", err)
	}
	return nil
}

const orgColumns = `id, name, external_id, created_at, updated_at`

func scanOrganization(row interface{ Scan(...any) error }) (directory.Organization, error) {
	var o directory.Organization
	var ext sql.NullString
	var created, updated int64
	if err := row.Scan(&o.ID, &o.Name, &ext, &created, &updated); err != nil {
		return o, err
	}
	o.ExternalID, o.CreatedAt, o.UpdatedAt = ext.String, fromMicros(created), fromMicros(updated)
	return o, nil
}

// ListOrganizations implements directory.Store.
func (s *Store) ListOrganizations(ctx context.Context, q directory.OrgQuery) ([]directory.Organization, error) {
	cond, args := `1 = 1`, []any{}
	if q.ExternalID != "" {
		args = append(args, q.ExternalID)
		cond += fmt.Sprintf(` AND external_id = $%d`, len(args))
	}
	if q.After != "" {
		args = append(args, q.After)
		cond += fmt.Sprintf(` AND id > $%d`, len(args))
	}
	limit := ""
	if q.Limit > 0 {
		args = append(args, q.Limit)
		limit = fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	rows, err := s.readRows(ctx, `SELECT `+orgColumns+` FROM organizations WHERE `+cond+` ORDER BY id`+limit, args...)
	if err != nil {
		return nil, fmt.Errorf("listing organizations: %w", err)
	}
	defer rows.Close()
	var out []directory.Organization
	for rows.Next() {
		o, err := scanOrganization(rows)
		if err != nil {
			return nil, fmt.Errorf("listing organizations: %w", err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing organizations: %w", err)
	}
	return out, nil
}

// UpdateOrganization implements directory.Store.
func (s *Store) UpdateOrganization(ctx context.Context, id string, now time.Time, fn func(*directory.Organization) error) (directory.Organization, error) {
	var out directory.Organization
	err := s.tx(ctx, func(tx *txn) error {
		o, err := scanOrganization(s.txRow(ctx, tx, `SELECT `+orgColumns+` FROM organizations WHERE id = $1`+s.d.forUpdate(), id))
		if err == sql.ErrNoRows {
			return notFound("organization", id)
		}
		if err != nil {
			return fmt.Errorf("reading organization: %w", err)
		}
		if err := fn(&o); err != nil {
			return err
		}
		o.UpdatedAt = fromMicros(micros(now))
		_, err = s.txExec(ctx, tx, `UPDATE organizations SET name = $2, external_id = $3, updated_at = $4 WHERE id = $1`,
			id, o.Name, nullString(o.ExternalID), micros(now))
		if isUnique(err) {
			return conflict(fmt.Sprintf("an organization with external_id %q already exists", o.ExternalID), err)
		}
		if err != nil {
			return fmt.Errorf("updating organization: %w", err)
		}
		out = o
		return nil
	})
	return out, err
}

// DeleteOrganization implements directory.Store: its directories and
// everything in them go with it (ON DELETE CASCADE), in one transaction.
func (s *Store) DeleteOrganization(ctx context.Context, id string) error {
	return s.tx(ctx, func(tx *txn) error {
		res, err := s.txExec(ctx, tx, `DELETE FROM organizations WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("deleting organization: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("organization", id)
		}
		return nil
	})
}

const dirColumns = `id, organization_id, name, provider, enabled, created_at, updated_at, last_request_at, strict, reject_unknown_members, request_log_bodies, ` + attrColumns

// ListDirectories implements directory.Store.
func (s *Store) ListDirectories(ctx context.Context, orgID, after string, limit int) ([]directory.Directory, error) {
	var n int
	if err := s.readRow(ctx, `SELECT count(*) FROM organizations WHERE id = $1`, orgID).Scan(&n); err != nil {
		return nil, fmt.Errorf("listing directories: %w", err)
	}
	if n == 0 {
		return nil, notFound("organization", orgID)
	}
	args := []any{orgID, after}
	lim := ""
	if limit > 0 {
		args = append(args, limit)
		lim = ` LIMIT $3`
	}
	rows, err := s.readRows(ctx, `SELECT `+dirColumns+` FROM directories WHERE organization_id = $1 AND id > $2 ORDER BY id`+lim, args...)
	if err != nil {
		return nil, fmt.Errorf("listing directories: %w", err)
	}
	defer rows.Close()
	var out []directory.Directory
	for rows.Next() {
		var d directory.Directory
		var created, updated int64
		var last sql.NullInt64
		var ac attrCols
		if err := rows.Scan(append([]any{&d.ID, &d.OrganizationID, &d.Name, &d.Provider, &d.Enabled, &created, &updated, &last, &d.Settings.Strict, &d.Settings.RejectUnknownMembers, &d.Settings.RequestLogBodies}, ac.dest()...)...); err != nil {
			return nil, fmt.Errorf("listing directories: %w", err)
		}
		d.CreatedAt, d.UpdatedAt, d.LastRequestAt = fromMicros(created), fromMicros(updated), fromNullMicros(last)
		if err := ac.decode(&d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing directories: %w", err)
	}
	return out, nil
}

// DeleteDirectory implements directory.Store: users, groups, memberships,
// tokens and the request log go with it (ON DELETE CASCADE).
func (s *Store) DeleteDirectory(ctx context.Context, id string) error {
	return s.tx(ctx, func(tx *txn) error {
		res, err := s.txExec(ctx, tx, `DELETE FROM directories WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("deleting directory: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("directory", id)
		}
		return nil
	})
}

// CountMembers implements directory.Store.
func (s *Store) CountMembers(ctx context.Context, directoryID, groupID string, limit int) (int, error) {
	var n int
	var err error
	if limit <= 0 {
		err = s.readRow(ctx, `SELECT (SELECT count(*) FROM group_members WHERE group_pk = g.pk) + (SELECT count(*) FROM group_subgroups WHERE group_pk = g.pk)
			FROM groups g WHERE g.id = $1 AND g.directory_id = $2`, groupID, directoryID).Scan(&n)
	} else {
		// Each kind of member counted up to limit, through the
		// group's key, then the sum capped.
		var pk int64
		if err = s.readRow(ctx, `SELECT pk FROM groups WHERE id = $1 AND directory_id = $2`, groupID, directoryID).Scan(&pk); err == nil {
			err = s.readRow(ctx, `SELECT (SELECT count(*) FROM (SELECT 1 FROM group_members WHERE group_pk = $1 LIMIT $2) m)
				+ (SELECT count(*) FROM (SELECT 1 FROM group_subgroups WHERE group_pk = $1 LIMIT $2) c)`, pk, limit).Scan(&n)
			n = min(n, limit)
		}
	}
	if err == sql.ErrNoRows {
		return 0, notFound("group", groupID)
	}
	if err != nil {
		return 0, fmt.Errorf("counting members: %w", err)
	}
	return n, nil
}
