package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

const groupColumns = `g.id, g.directory_id, g.display_name, g.external_id, g.doc, g.version, g.created_at, g.updated_at`

func scanGroup(row interface{ Scan(...any) error }) (directory.Group, error) {
	g, _, err := scanGroupRaw(row)
	return g, err
}

// scanGroupRaw is scanGroup that also returns the stored document's bytes.
func scanGroupRaw(row interface{ Scan(...any) error }) (directory.Group, []byte, error) {
	var g directory.Group
	var ext sql.NullString
	var doc []byte
	var created, updated int64
	if err := row.Scan(&g.ID, &g.DirectoryID, &g.DisplayName, &ext, &doc, &g.Version, &created, &updated); err != nil {
		return g, nil, err
	}
	d, err := decodeDoc(doc)
	if err != nil {
		return g, nil, fmt.Errorf("group %s: %w", g.ID, err)
	}
	g.ExternalID, g.Doc, g.CreatedAt, g.UpdatedAt = ext.String, d, fromMicros(created), fromMicros(updated)
	return g, doc, nil
}

func (s *Store) groupArgs(g directory.Group) (doc, fold string, err error) {
	d, err := json.Marshal(g.Doc)
	if err != nil {
		return "", "", fmt.Errorf("encoding group: %w", err)
	}
	f, err := json.Marshal(schema.Fold(s.schemas.Group, g.Doc))
	if err != nil {
		return "", "", fmt.Errorf("encoding group: %w", err)
	}
	return string(d), string(f), nil
}

func displayNameTaken(name string, err error) error {
	return conflict(fmt.Sprintf("a group named %q already exists in this directory (displayName is unique, compared case-insensitively)", name), err)
}

// CreateGroup implements directory.Store.
func (s *Store) CreateGroup(ctx context.Context, g directory.Group, members []string) ([]string, error) {
	doc, fold, err := s.groupArgs(g)
	if err != nil {
		return nil, err
	}
	var unknown []string
	err = s.tx(ctx, func(tx *txn) error {
		w, err := s.openEvents(ctx, tx, g.DirectoryID)
		if err != nil {
			return err
		}
		var pk int64
		err = s.txRow(ctx, tx, `INSERT INTO groups (id, directory_id, display_name, display_name_fold, external_id, doc, doc_fold, version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING pk`,
			g.ID, g.DirectoryID, g.DisplayName, schema.FoldString(g.DisplayName), nullString(g.ExternalID), doc, fold, g.Version, micros(g.CreatedAt), micros(g.UpdatedAt)).Scan(&pk)
		if isUnique(err) {
			return displayNameTaken(g.DisplayName, err)
		}
		if isForeignKey(err) {
			return notFound("directory", g.DirectoryID)
		}
		if err != nil {
			return fmt.Errorf("creating group: %w", err)
		}
		var added []memberRef
		if len(members) > 0 {
			if unknown, added, err = s.addMembers(ctx, tx, g.DirectoryID, pk, members); err != nil {
				return err
			}
		}
		// A new group has no role mappings: its members' roles do not change.
		if err := w.add(directory.GroupCreatedEvents(directory.NewGroupRecord(g, w.orgID), briefs(added))...); err != nil {
			return err
		}
		return s.flushEvents(ctx, tx, w)
	})
	return unknown, err
}

// briefs names the members whose membership rows a write changed, as
// membership events carry them.
func briefs(ms []memberRef) []directory.MemberBrief {
	out := make([]directory.MemberBrief, len(ms))
	for i, m := range ms {
		out[i] = directory.MemberBrief{Type: "group", ID: m.id, DisplayName: m.display}
		if m.user {
			out[i].Type = "user"
		}
	}
	return out
}

// GetGroup implements directory.Store.
func (s *Store) GetGroup(ctx context.Context, directoryID, id string) (directory.Group, error) {
	g, err := scanGroup(s.readRow(ctx, `SELECT `+groupColumns+` FROM groups g WHERE g.id = $1 AND g.directory_id = $2`, id, directoryID))
	if err == sql.ErrNoRows {
		return g, notFound("group", id)
	}
	if err != nil {
		return g, fmt.Errorf("reading group: %w", err)
	}
	return g, nil
}

// UpdateGroup implements directory.Store.
func (s *Store) UpdateGroup(ctx context.Context, directoryID, id string, now time.Time, fn func(*directory.Group) (bool, []directory.MemberChange, error)) (directory.Group, []string, error) {
	var out directory.Group
	var unknown []string
	err := s.tx(ctx, func(tx *txn) error {
		unknown = nil
		// The group is read and locked in the round trip that opens the
		// events.
		var lg lockedGroup
		w, err := s.openEvents(ctx, tx, directoryID, s.groupForUpdateRow(directoryID, id, &lg))
		if err != nil {
			return err
		}
		pk, g, before, err := lg.decode()
		if err != nil {
			return err
		}
		docChanged, changes, err := fn(&g)
		if err != nil {
			return err
		}
		// Membership of a mapped group decides roles: note who was a
		// member before the first change that touched them.
		var gg []directory.RoleGrant
		if len(changes) > 0 && lg.mapped {
			if gg, err = s.groupGrants(ctx, tx, pk); err != nil {
				return err
			}
		}
		was, is := map[string]bool{}, map[string]bool{}
		note := func(ms []memberRef, member bool) {
			for _, m := range ms {
				if !m.user {
					continue // nested groups' members inherit no mappings
				}
				if _, seen := was[m.id]; !seen {
					was[m.id] = !member
				}
				is[m.id] = member
			}
		}
		u, deltas, err := s.applyMemberChanges(ctx, tx, directoryID, pk, changes, note)
		if err != nil {
			return err
		}
		unknown = u
		if !docChanged && !anyMembers(deltas) {
			out = g
			return nil
		}
		g.Version++
		g.UpdatedAt = fromMicros(micros(now)) // as stored: UTC, microseconds
		doc, fold, err := s.groupArgs(g)
		if err != nil {
			return err
		}
		// Nothing reads the UPDATE's result: on PostgreSQL it goes with the
		// COMMIT (later).
		name := g.DisplayName
		err = s.later(ctx, tx, func(err error) error {
			if isUnique(err) {
				return displayNameTaken(name, err)
			}
			return fmt.Errorf("updating group: %w", err)
		}, `UPDATE groups SET display_name = $2, display_name_fold = $3, external_id = $4, doc = $5, doc_fold = $6, version = $7, updated_at = $8 WHERE pk = $1`,
			pk, g.DisplayName, schema.FoldString(g.DisplayName), nullString(g.ExternalID), doc, fold, g.Version, micros(g.UpdatedAt))
		if err != nil {
			return err
		}
		out = g
		events, err := directory.GroupUpdatedEvents(directory.NewGroupRecord(before, w.orgID), directory.NewGroupRecord(g, w.orgID),
			before.Doc, g.Doc, docChanged, deltas)
		if err != nil {
			return err
		}
		if err := w.add(events...); err != nil {
			return err
		}
		if err := s.membershipRoleEvents(ctx, tx, w, pk, gg, was, is); err != nil {
			return err
		}
		return s.flushEvents(ctx, tx, w)
	})
	return out, unknown, err
}

// lockedGroup is a group read, locked for update, by groupForUpdateRow.
type lockedGroup struct {
	pk               int64
	g                directory.Group
	ext              sql.NullString
	raw              []byte
	created, updated int64
	mapped           bool // some role mapping names the group
	err              error
}

// groupForUpdateRow reads a group, locked for update, with its primary key
// and whether it is mapped to roles, into lg (a row for openEvents).
func (s *Store) groupForUpdateRow(directoryID, id string, lg *lockedGroup) pgRow {
	g := &lg.g
	return pgRow{query: `SELECT g.pk, ` + groupColumns + `, EXISTS (SELECT 1 FROM role_mappings rm WHERE rm.group_pk = g.pk)
		FROM groups g WHERE g.id = $1 AND g.directory_id = $2` + s.d.forUpdate(), args: []any{id, directoryID},
		dest: []any{&lg.pk, &g.ID, &g.DirectoryID, &g.DisplayName, &lg.ext, &lg.raw, &g.Version, &lg.created, &lg.updated, &lg.mapped},
		check: func(err error) error {
			if err == sql.ErrNoRows {
				lg.err = notFound("group", id)
			} else if err != nil {
				lg.err = fmt.Errorf("reading group: %w", err)
			}
			return lg.err
		}}
}

// decode returns the group read, and before, a copy of it that does not
// share its document.
func (lg *lockedGroup) decode() (pk int64, g, before directory.Group, err error) {
	if lg.err != nil {
		return 0, g, g, lg.err
	}
	g = lg.g
	if g.Doc, err = decodeDoc(lg.raw); err != nil {
		return 0, g, g, fmt.Errorf("group %s: %w", g.ID, err)
	}
	g.ExternalID, g.CreatedAt, g.UpdatedAt = lg.ext.String, fromMicros(lg.created), fromMicros(lg.updated)
	before = g
	if before.Doc, err = decodeDoc(lg.raw); err != nil {
		return 0, g, g, err
	}
	return lg.pk, g, before, nil
}

// applyMemberChanges applies a PATCH's membership changes to group pk in
// order, calling note with the user members each removed and added. It
// returns the ids it did not find and the deltas for the group's event.
func (s *Store) applyMemberChanges(ctx context.Context, tx *txn, directoryID string, pk int64, changes []directory.MemberChange,
	note func(ms []memberRef, member bool)) ([]string, []directory.MemberDelta, error) {
	var unknown []string
	var deltas []directory.MemberDelta
	for _, c := range changes {
		var u []string
		var added, removed []memberRef
		var err error
		switch c.Kind {
		case directory.AddMembers:
			u, added, err = s.addMembers(ctx, tx, directoryID, pk, c.IDs)
		case directory.RemoveMembers:
			removed, err = s.removeMembers(ctx, tx, directoryID, pk, c.IDs)
		case directory.ReplaceMembers:
			u, added, removed, err = s.replaceMembers(ctx, tx, directoryID, pk, c.IDs)
		}
		if err != nil {
			return nil, nil, err
		}
		unknown = append(unknown, u...)
		note(removed, false)
		note(added, true)
		deltas = append(deltas, directory.MemberDelta{Added: false, Members: briefs(removed)}, directory.MemberDelta{Added: true, Members: briefs(added)})
	}
	return unknown, deltas, nil
}

// anyMembers reports whether any delta lists a member.
func anyMembers(deltas []directory.MemberDelta) bool {
	for _, d := range deltas {
		if len(d.Members) > 0 {
			return true
		}
	}
	return false
}

type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// memberRef is a member whose membership row was inserted or deleted.
type memberRef struct {
	user        bool
	id, display string
}

// readRefs reads (id, display) rows returned by a membership write.
func readRefs(out []memberRef, rows *sql.Rows, user bool) ([]memberRef, error) {
	defer rows.Close()
	for rows.Next() {
		m := memberRef{user: user}
		if err := rows.Scan(&m.id, &m.display); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Membership writes return the id and display name of each member whose
// row they inserted or deleted (RETURNING with a scalar subquery: one
// statement, no second lookup), for the member events.
const (
	returnUser  = ` RETURNING (SELECT id FROM users WHERE pk = group_members.user_pk), (SELECT display FROM users WHERE pk = group_members.user_pk)`
	returnGroup = ` RETURNING (SELECT id FROM groups WHERE pk = group_subgroups.child_pk), (SELECT display_name FROM groups WHERE pk = group_subgroups.child_pk)`
)

// addMembers inserts membership rows for the ids that name users or groups
// of the directory (a group never contains itself) and returns the ids that
// name nothing, and the members whose rows were inserted.
func (s *Store) addMembers(ctx context.Context, tx *txn, directoryID string, groupPK int64, ids []string) ([]string, []memberRef, error) {
	if len(ids) == 0 {
		return nil, nil, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, nil, fmt.Errorf("adding members: %w", err)
	}
	insertUsers := `INSERT INTO group_members (group_pk, user_pk)
		SELECT $1, u.pk FROM ` + s.joinIDsLocked("$3", "users", "u") + ` AND u.directory_id = $2
		ON CONFLICT DO NOTHING` + returnUser
	insertGroups := `INSERT INTO group_subgroups (group_pk, child_pk)
		SELECT $1, g.pk FROM ` + s.joinIDsLocked("$3", "groups", "g") + ` AND g.directory_id = $2 AND g.pk <> $1
		ON CONFLICT DO NOTHING` + returnGroup
	var added []memberRef
	if tx.pg != nil {
		// One statement, one round trip: both INSERTs in a CTE, their
		// RETURNING rows united (users first, then groups).
		rows, err := s.txRows(ctx, tx, `WITH iu AS (`+insertUsers+`), ig AS (`+insertGroups+`)
			SELECT TRUE, * FROM iu UNION ALL SELECT FALSE, * FROM ig`, groupPK, directoryID, string(list))
		if err != nil {
			return nil, nil, fmt.Errorf("adding members: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var m memberRef
			if err := rows.Scan(&m.user, &m.id, &m.display); err != nil {
				return nil, nil, fmt.Errorf("adding members: %w", err)
			}
			added = append(added, m)
		}
		if err := rows.Close(); err != nil {
			return nil, nil, fmt.Errorf("adding members: %w", err)
		}
		if err := rows.Err(); err != nil {
			return nil, nil, fmt.Errorf("adding members: %w", err)
		}
	} else {
		rows, err := s.txRows(ctx, tx, insertUsers, groupPK, directoryID, string(list))
		if err != nil {
			return nil, nil, fmt.Errorf("adding members: %w", err)
		}
		if added, err = readRefs(nil, rows, true); err != nil {
			return nil, nil, fmt.Errorf("adding members: %w", err)
		}
		rows, err = s.txRows(ctx, tx, insertGroups, groupPK, directoryID, string(list))
		if err != nil {
			return nil, nil, fmt.Errorf("adding members: %w", err)
		}
		if added, err = readRefs(added, rows, false); err != nil {
			return nil, nil, fmt.Errorf("adding members: %w", err)
		}
	}
	// Which ids named nothing? Only asked when some rows were not inserted.
	if len(added) == len(ids) {
		return nil, added, nil
	}
	rows, err := s.txRows(ctx, tx, unknownIDsQuery(s), directoryID, string(list))
	if err != nil {
		return nil, nil, fmt.Errorf("adding members: %w", err)
	}
	unknown, err := unknownIDs(rows, ids)
	if err != nil {
		return nil, nil, fmt.Errorf("adding members: %w", err)
	}
	return unknown, added, nil
}

func (s *Store) removeMembers(ctx context.Context, tx *txn, directoryID string, groupPK int64, ids []string) ([]memberRef, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("removing members: %w", err)
	}
	return s.deleteMembers(ctx, tx, directoryID, groupPK, string(list), "IN")
}

// deleteMembers deletes the group's membership rows whose member is (op
// "IN") or is not (op "NOT IN") named in the JSON array list.
func (s *Store) deleteMembers(ctx context.Context, tx *txn, directoryID string, groupPK int64, list, op string) ([]memberRef, error) {
	// The members' user rows are locked FOR KEY SHARE, as when they are
	// added: a concurrent change of the user (FOR UPDATE) waits, or is
	// waited for, so its event sees the membership before or after.
	users := `SELECT u.pk FROM ` + s.joinIDsLocked("$3", "users", "u") + ` AND u.directory_id = $2`
	if op == "NOT IN" {
		users = `SELECT u.pk FROM group_members m JOIN users u ON u.pk = m.user_pk
			WHERE m.group_pk = $1 AND u.directory_id = $2 AND u.id NOT IN (` + s.d.jsonStrings("$3") + `)` + s.d.forKeyShare()
		if s.d.forKeyShare() != "" {
			users += ` OF u`
		}
	}
	rows, err := s.txRows(ctx, tx, `DELETE FROM group_members WHERE group_pk = $1
		AND user_pk IN (`+users+`)`+returnUser, groupPK, directoryID, list)
	if err != nil {
		return nil, fmt.Errorf("removing members: %w", err)
	}
	removed, err := readRefs(nil, rows, true)
	if err != nil {
		return nil, fmt.Errorf("removing members: %w", err)
	}
	rows, err = s.txRows(ctx, tx, `DELETE FROM group_subgroups WHERE group_pk = $1
		AND child_pk `+op+` (SELECT g.pk FROM `+s.joinIDs("$3", "groups", "g")+` AND g.directory_id = $2)`+returnGroup, groupPK, directoryID, list)
	if err != nil {
		return nil, fmt.Errorf("removing members: %w", err)
	}
	if removed, err = readRefs(removed, rows, false); err != nil {
		return nil, fmt.Errorf("removing members: %w", err)
	}
	return removed, nil
}

// replaceMembers makes the membership exactly ids: it deletes the rows not
// in ids and inserts the missing ones, so a full-list resend that changes
// little writes little.
func (s *Store) replaceMembers(ctx context.Context, tx *txn, directoryID string, groupPK int64, ids []string) ([]string, []memberRef, []memberRef, error) {
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("replacing members: %w", err)
	}
	if ids == nil {
		list = []byte("[]")
	}
	removed, err := s.deleteMembers(ctx, tx, directoryID, groupPK, string(list), "NOT IN")
	if err != nil {
		return nil, nil, nil, err
	}
	unknown, added, err := s.addMembers(ctx, tx, directoryID, groupPK, ids)
	if err != nil {
		return nil, nil, nil, err
	}
	return unknown, added, removed, nil
}

// DeleteGroup implements directory.Store.
func (s *Store) DeleteGroup(ctx context.Context, directoryID, id string, check func(version int64) error) error {
	return s.tx(ctx, func(tx *txn) error {
		w, err := s.openEvents(ctx, tx, directoryID)
		if err != nil {
			return err
		}
		var pk int64
		row := s.txRow(ctx, tx, `SELECT g.pk, `+groupColumns+` FROM groups g WHERE g.id = $1 AND g.directory_id = $2`+s.d.forDelete(), id, directoryID)
		g, err := scanGroup(scanFunc(func(dest ...any) error { return row.Scan(append([]any{&pk}, dest...)...) }))
		if err == sql.ErrNoRows {
			return notFound("group", id)
		}
		if err != nil {
			return fmt.Errorf("reading group: %w", err)
		}
		if check != nil {
			if err := check(g.Version); err != nil {
				return err
			}
		}
		gg, err := s.groupGrants(ctx, tx, pk)
		if err != nil {
			return err
		}
		// The group's memberships go with it; when it is mapped to roles,
		// its members may lose those roles.
		was, is := map[string]bool{}, map[string]bool{}
		if len(gg) > 0 {
			rows, err := s.txRows(ctx, tx, `SELECT u.id FROM group_members gm JOIN users u ON u.pk = gm.user_pk WHERE gm.group_pk = $1`, pk)
			if err != nil {
				return fmt.Errorf("deleting group: %w", err)
			}
			refs, err := readIDs(rows)
			if err != nil {
				return fmt.Errorf("deleting group: %w", err)
			}
			for _, uid := range refs {
				was[uid], is[uid] = true, false
			}
		}
		if _, err := s.txExec(ctx, tx, `DELETE FROM groups WHERE pk = $1`, pk); err != nil {
			return fmt.Errorf("deleting group: %w", err)
		}
		if err := w.add(directory.GroupDeletedEvent(directory.NewGroupRecord(g, w.orgID))); err != nil {
			return err
		}
		// Other grants are read after the delete, so pass no group to skip.
		if err := s.membershipRoleEvents(ctx, tx, w, 0, gg, was, is); err != nil {
			return err
		}
		return s.flushEvents(ctx, tx, w)
	})
}

// ListGroups implements directory.Store.
func (s *Store) ListGroups(ctx context.Context, directoryID string, q directory.Query) (directory.GroupPage, error) {
	var page directory.GroupPage
	cond, args, err := s.queryWhere(ctx, false, directoryID, q)
	if err != nil {
		return page, err
	}
	// The total is counted only when the page does not tell it: a page
	// with fewer rows than asked for that starts inside the results ends
	// them (a userName eq filter, a last page), so no second statement.
	count := func() error {
		if err := s.readRow(ctx, countQuery("groups g", cond, q.CountLimit), args...).Scan(&page.Total); err != nil {
			return fmt.Errorf("counting groups: %w", err)
		}
		return nil
	}
	if q.Limit <= 0 {
		if q.After != "" {
			if err := s.checkCursor(ctx, directoryID, "groups", "group", q.After); err != nil {
				return page, err
			}
		}
		if q.SkipTotal {
			return page, nil
		}
		return page, count()
	}
	order, err := s.orderBy(s.schemas.Group, "g", q)
	if err != nil {
		return page, err
	}
	n := len(args)
	pageArgs := append(args[:n:n], q.Limit, q.Offset)
	rows, err := s.readRows(ctx, fmt.Sprintf(`SELECT %s FROM groups g WHERE %s ORDER BY %s LIMIT $%d OFFSET $%d`, groupPageColumns(q.Fields), cond, order, n+1, n+2), pageArgs...)
	if err != nil {
		return page, fmt.Errorf("listing groups: %w", err)
	}
	page.Groups, err = scanGroupPage(rows, directoryID, q.Fields, q.Limit)
	if err == nil {
		err = rows.Err()
	}
	rows.Close()
	if err != nil {
		return page, fmt.Errorf("listing groups: %w", err)
	}
	if len(page.Groups) == 0 && q.After != "" {
		if err := s.checkCursor(ctx, directoryID, "groups", "group", q.After); err != nil {
			return page, err
		}
	}
	if !q.SkipTotal {
		if n := len(page.Groups); n < q.Limit && (n > 0 || q.Offset == 0) {
			page.Total = q.Offset + n
			if q.CountLimit > 0 {
				page.Total = min(page.Total, q.CountLimit)
			}
		} else if err := count(); err != nil {
			return page, err
		}
	}
	return page, nil
}

// ListMembers implements directory.Store. Users come first in the order
// they were created, then nested groups; after is the id of the last member
// of the previous page.
func (s *Store) ListMembers(ctx context.Context, directoryID, groupID, after string, limit int) ([]directory.Member, error) {
	var groupPK int64
	err := s.readRow(ctx, `SELECT pk FROM groups WHERE id = $1 AND directory_id = $2`, groupID, directoryID).Scan(&groupPK)
	if err == sql.ErrNoRows {
		return nil, notFound("group", groupID)
	}
	if err != nil {
		return nil, fmt.Errorf("listing members: %w", err)
	}
	var afterUser, afterGroup int64 = 0, 0
	usersDone := false
	if after != "" {
		err := s.readRow(ctx, `SELECT pk FROM users WHERE id = $1 AND directory_id = $2`, after, directoryID).Scan(&afterUser)
		if err == sql.ErrNoRows {
			err = s.readRow(ctx, `SELECT pk FROM groups WHERE id = $1 AND directory_id = $2`, after, directoryID).Scan(&afterGroup)
			usersDone = true
		}
		if err == sql.ErrNoRows {
			return nil, directory.Errorf(directory.KindInvalid, "member %q not found: the page cursor is stale", after)
		}
		if err != nil {
			return nil, fmt.Errorf("listing members: %w", err)
		}
	}
	var out []directory.Member
	if !usersDone {
		clause, args := limitArgs(limit, groupPK, afterUser)
		rows, err := s.readRows(ctx, `SELECT u.id, u.display FROM group_members gm JOIN users u ON u.pk = gm.user_pk
			WHERE gm.group_pk = $1 AND gm.user_pk > $2 ORDER BY gm.user_pk`+clause, args...)
		if err != nil {
			return nil, fmt.Errorf("listing members: %w", err)
		}
		if out, err = appendMembers(out, rows, directory.MemberUser); err != nil {
			return nil, err
		}
	}
	if limit > 0 && len(out) >= limit {
		return out, nil
	}
	rest := limit
	if limit > 0 {
		rest = limit - len(out)
	}
	clause, args := limitArgs(rest, groupPK, afterGroup)
	rows, err := s.readRows(ctx, `SELECT g.id, g.display_name FROM group_subgroups gs JOIN groups g ON g.pk = gs.child_pk
		WHERE gs.group_pk = $1 AND gs.child_pk > $2 ORDER BY gs.child_pk`+clause, args...)
	if err != nil {
		return nil, fmt.Errorf("listing members: %w", err)
	}
	return appendMembers(out, rows, directory.MemberGroup)
}

// limitArgs returns " LIMIT $3" and the arguments with the limit appended,
// or no clause when limit <= 0 (no limit).
func limitArgs(limit int, groupPK, after int64) (string, []any) {
	if limit > 0 {
		return " LIMIT $3", []any{groupPK, after, limit}
	}
	return "", []any{groupPK, after}
}

func appendMembers(out []directory.Member, rows *sql.Rows, typ string) ([]directory.Member, error) {
	defer rows.Close()
	for rows.Next() {
		m := directory.Member{Type: typ}
		if err := rows.Scan(&m.ID, &m.Display); err != nil {
			return nil, fmt.Errorf("listing members: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing members: %w", err)
	}
	return out, nil
}

// UnknownMembers implements directory.Store.
func (s *Store) UnknownMembers(ctx context.Context, directoryID string, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("checking members: %w", err)
	}
	rows, err := s.readRows(ctx, unknownIDsQuery(s), directoryID, string(list))
	if err != nil {
		return nil, fmt.Errorf("checking members: %w", err)
	}
	unknown, err := unknownIDs(rows, ids)
	if err != nil {
		return nil, fmt.Errorf("checking members: %w", err)
	}
	return unknown, nil
}

// unknownIDsQuery selects, of the ids in the JSON array $2, those naming a
// user or a group of directory $1.
func unknownIDsQuery(s *Store) string {
	return `SELECT u.id FROM ` + s.joinIDs("$2", "users", "u") + ` AND u.directory_id = $1
		UNION ALL SELECT g.id FROM ` + s.joinIDs("$2", "groups", "g") + ` AND g.directory_id = $1`
}

// unknownIDs reads the known ids from rows (the result of
// unknownIDsQuery, which it closes) and returns those of ids that are not
// known, once each and in the order given.
func unknownIDs(rows *sql.Rows, ids []string) ([]string, error) {
	defer rows.Close()
	known := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		known[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var unknown []string
	for _, id := range ids {
		if !known[id] {
			known[id] = true // report each id once
			unknown = append(unknown, id)
		}
	}
	return unknown, nil
}

func readIDs(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// CountUsersIn implements directory.Store: the membership rows of the
// groups, read from the (group_pk, user_pk) key, counted in the database.
func (s *Store) CountUsersIn(ctx context.Context, directoryID string, groupIDs []string) (int, error) {
	if len(groupIDs) == 0 {
		return 0, nil
	}
	list, err := json.Marshal(groupIDs)
	if err != nil {
		return 0, fmt.Errorf("counting members: %w", err)
	}
	var n int
	if err := s.readRow(ctx, `SELECT count(DISTINCT gm.user_pk) FROM group_members gm
		WHERE gm.group_pk IN (SELECT g2.pk FROM `+s.joinIDs("$2", "groups", "g2")+` AND g2.directory_id = $1)`, directoryID, string(list)).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting members: %w", err)
	}
	return n, nil
}

// MembersOf implements directory.Store.
func (s *Store) MembersOf(ctx context.Context, directoryID string, groupIDs []string) (map[string][]directory.Member, error) {
	out := map[string][]directory.Member{}
	if len(groupIDs) == 0 {
		return out, nil
	}
	list, err := json.Marshal(groupIDs)
	if err != nil {
		return nil, fmt.Errorf("listing members: %w", err)
	}
	rows, err := s.readRows(ctx, `SELECT g.id, u.id, u.display, 0, gm.user_pk FROM groups g JOIN group_members gm ON gm.group_pk = g.pk JOIN users u ON u.pk = gm.user_pk
		WHERE g.directory_id = $1 AND g.pk IN (SELECT g2.pk FROM `+s.joinIDs("$2", "groups", "g2")+`)
		UNION ALL
		SELECT g.id, c.id, c.display_name, 1, gs.child_pk FROM groups g JOIN group_subgroups gs ON gs.group_pk = g.pk JOIN groups c ON c.pk = gs.child_pk
		WHERE g.directory_id = $1 AND g.pk IN (SELECT g2.pk FROM `+s.joinIDs("$2", "groups", "g2")+`)`, directoryID, string(list))
	if err != nil {
		return nil, fmt.Errorf("listing members: %w", err)
	}
	defer rows.Close()
	type row struct {
		group string
		kind  int
		pk    int64
		m     directory.Member
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.group, &r.m.ID, &r.m.Display, &r.kind, &r.pk); err != nil {
			return nil, fmt.Errorf("listing members: %w", err)
		}
		r.m.Type = directory.MemberUser
		if r.kind == 1 {
			r.m.Type = directory.MemberGroup
		}
		all = append(all, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing members: %w", err)
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].kind != all[j].kind {
			return all[i].kind < all[j].kind
		}
		return all[i].pk < all[j].pk
	})
	for _, r := range all {
		out[r.group] = append(out[r.group], r.m)
	}
	return out, nil
}

// orNull lets each of dest take a NULL, as the columns of a LEFT JOIN's
// missing row are, leaving it at its zero value (pgread.go). Destinations
// that are scanners already (optText, …) and *[]byte (nil for NULL) are
// kept.
func orNull(dest []any) []any {
	out := make([]any, len(dest))
	for i, p := range dest {
		switch p := p.(type) {
		case *string:
			out[i] = zeroString{p}
		case *int64:
			out[i] = zeroInt{p}
		case *bool:
			out[i] = zeroBool{p}
		default:
			out[i] = p
		}
	}
	return out
}
