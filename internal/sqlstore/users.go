package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

const userColumns = `u.id, u.directory_id, u.user_name, u.external_id, u.active, u.doc, u.version, u.created_at, u.updated_at, u.custom_attrs, u.attr_version`

func scanUser(row interface{ Scan(...any) error }) (directory.User, error) {
	u, _, err := scanUserRaw(row)
	return u, err
}

// scanUserRaw is scanUser that also returns the stored document's bytes.
func scanUserRaw(row interface{ Scan(...any) error }) (directory.User, []byte, error) {
	var u directory.User
	var ext optText
	var doc []byte
	var created, updated int64
	var custom optText
	if err := row.Scan(&u.ID, &u.DirectoryID, &u.UserName, &ext, &u.Active, &doc, &u.Version, &created, &updated, &custom, &u.AttrVersion); err != nil {
		return u, nil, err
	}
	d, err := decodeDoc(doc)
	if err != nil {
		return u, nil, fmt.Errorf("user %s: %w", u.ID, err)
	}
	if u.Custom, err = decodeCustom(custom.NullString); err != nil {
		return u, nil, fmt.Errorf("user %s: %w", u.ID, err)
	}
	u.ExternalID, u.Doc, u.CreatedAt, u.UpdatedAt = ext.String, d, fromMicros(created), fromMicros(updated)
	return u, doc, nil
}

// decodeDoc decodes a stored document with encoding/json, numbers kept
// as json.Number so that they round-trip exactly.
func decodeDoc(b []byte) (schema.Resource, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var r schema.Resource
	if err := d.Decode(&r); err != nil {
		return nil, fmt.Errorf("decoding stored document: %w", err)
	}
	if r == nil {
		r = schema.Resource{}
	}
	return r, nil
}

// maxRune is the highest code point: a folded prefix p matches the
// values in [p, p+maxRune), compared bytewise (SQLite's BINARY collation,
// PostgreSQL's "C", in which the search columns are declared).
const maxRune = "\U0010FFFF"

// searchFolds returns the lower-cased primary email, display name and
// family name of u, which Query.Search matches by prefix.
func searchFolds(u directory.User) (email, display, family string) {
	name, _ := u.Doc["name"].(map[string]any)
	fam, _ := name["familyName"].(string)
	if e := directory.PrimaryEmail(u.Doc); e != nil {
		email = schema.FoldString(*e)
	}
	return email, schema.FoldString(userDisplay(u)), schema.FoldString(fam)
}

// userDisplay is what a group's member list shows for a user.
func userDisplay(u directory.User) string {
	if s, ok := u.Doc["displayName"].(string); ok && s != "" {
		return s
	}
	return u.UserName
}

func (s *Store) userArgs(u directory.User) (doc, fold string, err error) {
	d, err := json.Marshal(u.Doc)
	if err != nil {
		return "", "", fmt.Errorf("encoding user: %w", err)
	}
	f, err := json.Marshal(schema.Fold(s.schemas.User, u.Doc))
	if err != nil {
		return "", "", fmt.Errorf("encoding user: %w", err)
	}
	return string(d), string(f), nil
}

func userNameTaken(name string, err error) error {
	return conflict(fmt.Sprintf("userName %q is already in use in this directory (userName is unique, compared case-insensitively)", name), err)
}

// userInsert returns u's INSERT and the function mapping its failure.
func (s *Store) userInsert(u directory.User) (string, []any, func(error) error, error) {
	doc, fold, err := s.userArgs(u)
	if err != nil {
		return "", nil, nil, err
	}
	custom, err := encodeCustom(u.Custom)
	if err != nil {
		return "", nil, nil, err
	}
	email, display, family := searchFolds(u)
	query, args := `INSERT INTO users (id, directory_id, user_name, user_name_fold, external_id, active, display, doc, doc_fold, version, created_at, updated_at,
			email_fold, display_fold, family_fold, custom_attrs, attr_version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
		[]any{u.ID, u.DirectoryID, u.UserName, schema.FoldString(u.UserName), nullString(u.ExternalID), u.Active, userDisplay(u),
			doc, fold, u.Version, micros(u.CreatedAt), micros(u.UpdatedAt), email, display, family, custom, u.AttrVersion}
	insertErr := func(err error) error {
		switch {
		case err == nil:
			return nil
		case isUnique(err):
			return userNameTaken(u.UserName, err)
		case isForeignKey(err):
			return notFound("directory", u.DirectoryID)
		}
		return fmt.Errorf("creating user: %w", err)
	}
	return query, args, insertErr, nil
}

// CreateUserWithCredential implements directory.Store: on PostgreSQL,
// once this process has written to u's directory, the token is read and
// checked in the create's own transaction, which is then one round trip
// (createUserOneTrip). Otherwise, or when the check fails, nothing is
// written and the error is directory.ErrUnconfirmed.
func (s *Store) CreateUserWithCredential(ctx context.Context, hint directory.CredentialHint, now time.Time, u directory.User) (directory.Token, directory.Directory, error) {
	pg, ok := s.d.(*postgresDialect)
	if !ok {
		return directory.Token{}, directory.Directory{}, directory.ErrUnconfirmed
	}
	query, args, insertErr, err := s.userInsert(u)
	if err != nil {
		return directory.Token{}, directory.Directory{}, err
	}
	cred := &pendingCredential{hint: hint, now: now}
	done, err := pg.createUserOneTrip(ctx, u, query, args, insertErr, cred)
	if !done || !cred.ok {
		// The check failed, or the transaction before it: nothing was
		// written.
		return directory.Token{}, directory.Directory{}, directory.ErrUnconfirmed
	}
	return cred.t, cred.d, err
}

// CreateUser implements directory.Store.
func (s *Store) CreateUser(ctx context.Context, u directory.User) error {
	query, args, insertErr, err := s.userInsert(u)
	if err != nil {
		return err
	}
	if pg, ok := s.d.(*postgresDialect); ok {
		if done, err := pg.createUserOneTrip(ctx, u, query, args, insertErr, nil); done {
			return err
		}
	}
	return s.tx(ctx, func(tx *txn) error {
		// The INSERT needs nothing the directory read returns: it goes in
		// the same round trip (on PostgreSQL, with BEGIN and the lock).
		// RETURNING the directory's mapping version: when it is not the
		// one u was mapped with, the mappings changed meanwhile
		// (customattrs.go).
		//
		// On SQLite the version is read by a statement of its own after
		// the INSERT: SQLite runs RETURNING as a trigger, which makes the
		// INSERT keep a statement journal (a copy of every page it
		// changes, to undo it alone should a constraint fail midway),
		// about a twentieth of a create's CPU; without it, SQLite checks
		// the constraints before writing. The single writer makes the two
		// statements see the same directory row.
		var current int64
		version := pgRow{query: `SELECT d.attr_version FROM directories d WHERE d.id = $1`, args: []any{u.DirectoryID}, dest: []any{&current}}
		insert := pgRow{query: query, args: args, check: insertErr}
		rows := []pgRow{insert}
		if tx.pg != nil {
			insert.query += `
			RETURNING (SELECT d.attr_version FROM directories d WHERE d.id = $2)`
			insert.dest = version.dest
			rows[0] = insert
		} else {
			rows = append(rows, version)
		}
		w, err := s.openEvents(ctx, tx, u.DirectoryID, rows...)
		if err == nil && current != u.AttrVersion {
			err = s.remapStale(ctx, tx, &u)
		}
		if err != nil {
			return err
		}
		return s.userCreatedEvent(ctx, tx, w, u)
	})
}

// userCreatedEvent writes a new user's event: a new user is in no group,
// its roles are the default role.
func (s *Store) userCreatedEvent(ctx context.Context, tx *txn, w *eventWriter, u directory.User) error {
	eff := directory.Effective{Roles: []string{w.def}, Role: w.def}
	rec := directory.NewUserRecord(u, w.orgID, nil, &eff)
	if err := w.add(directory.UserCreatedEvent(rec)); err != nil {
		return err
	}
	return s.flushEvents(ctx, tx, w)
}

// GetUser implements directory.Store.
func (s *Store) GetUser(ctx context.Context, directoryID, id string) (directory.User, error) {
	u, err := scanUser(s.readRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = $1 AND u.directory_id = $2`, id, directoryID))
	if err == sql.ErrNoRows {
		return u, notFound("user", id)
	}
	if err != nil {
		return u, fmt.Errorf("reading user: %w", err)
	}
	return u, nil
}

// GetUserWithGroups implements directory.Store: the user's groups ride in
// the same row as a JSON array of [id, displayName] pairs, in the order
// UserGroups returns them.
func (s *Store) GetUserWithGroups(ctx context.Context, directoryID, id string) (directory.User, []directory.GroupRef, error) {
	var groups []byte
	u, err := scanUser(scanFunc(func(dest ...any) error {
		return s.readRow(ctx, s.userReads.withGroups, id, directoryID).Scan(append(dest, &groups)...)
	}))
	if err == sql.ErrNoRows {
		return u, nil, notFound("user", id)
	}
	if err != nil {
		return u, nil, fmt.Errorf("reading user: %w", err)
	}
	refs, err := decodeGroupRefs(id, groups)
	return u, refs, err
}

// userReadQueries are the statements reading one user with its groups
// (GetUserWithGroups) and, with the token and its directory, a GET's whole
// read (CredentialWithUser).
type userReadQueries struct {
	withGroups, withCredential, namedWithCredential string
}

func newUserReadQueries(d dialect) userReadQueries {
	withCredential := func(on string) string {
		return `SELECT ` + credentialColumns + `, ` + userColumns + `, ` + d.groupRefs("u.pk") + credentialFrom + `
		LEFT JOIN users u ON ` + on + ` AND u.directory_id = t.directory_id WHERE t.hash = $1`
	}
	return userReadQueries{
		withGroups:     `SELECT ` + userColumns + `, ` + d.groupRefs("u.pk") + ` FROM users u WHERE u.id = $1 AND u.directory_id = $2`,
		withCredential: withCredential(`u.id = $2`),
		// users_user_name: (directory_id, user_name_fold), unique.
		namedWithCredential: withCredential(`u.user_name_fold = $2`),
	}
}

// decodeGroupRefs decodes the groups of user id as groupRefs aggregates
// them: a JSON array of [id, displayName] pairs, or NULL.
func decodeGroupRefs(id string, groups []byte) ([]directory.GroupRef, error) {
	var pairs [][2]string
	if len(groups) > 0 {
		if err := json.Unmarshal(groups, &pairs); err != nil {
			return nil, fmt.Errorf("reading user %s: groups: %w", id, err)
		}
	}
	var refs []directory.GroupRef
	if len(pairs) > 0 {
		refs = make([]directory.GroupRef, len(pairs))
		for i, p := range pairs {
			refs[i] = directory.GroupRef{ID: p[0], DisplayName: p[1]}
		}
	}
	return refs, nil
}

// UpdateUser implements directory.Store.
func (s *Store) UpdateUser(ctx context.Context, directoryID, id string, now time.Time, fn func(*directory.User) (bool, error)) (directory.User, []directory.GroupRef, error) {
	var out directory.User
	var groups []directory.GroupRef
	err := s.tx(ctx, func(tx *txn) error {
		// FOR UPDATE, not NO KEY UPDATE: it conflicts with the KEY SHARE
		// lock that adding or removing a membership of the user takes, so
		// the groups and roles the event carries are not changed by a
		// write that commits first (writers of a directory run in
		// parallel on PostgreSQL, dirlock.go). Read with BEGIN and the
		// directory, in one round trip.
		var lu lockedUser
		w, err := s.openEvents(ctx, tx, directoryID, s.userForUpdateRow(directoryID, id, &lu, true))
		if err != nil {
			return err
		}
		u, err := lu.decode()
		if err != nil {
			return err
		}
		if lu.related {
			// Read with the user (SQLite): whether the directory has
			// app_users rows, for the deprovisioning guard (holds.go).
			w.appKnown, w.hasApp = true, lu.hasApp
		}
		// fn may change the loaded document in place: the event compares
		// with a copy (cheaper than decoding the stored document again).
		before := u
		before.Doc = u.Doc.Clone()
		changed, err := fn(&u)
		if err != nil {
			return err
		}
		if !changed {
			out = u
			groups, err = s.lockedUserGroups(ctx, tx, w.dirID, &lu)
			return err
		}
		u.Version++
		u.UpdatedAt = fromMicros(micros(now)) // as stored: UTC, microseconds
		doc, fold, err := s.userArgs(u)
		if err != nil {
			return err
		}
		// The directory's mapping version was read with the user: when it
		// is not the one u was mapped with, the mappings changed meanwhile
		// (customattrs.go); map u again before its event is made.
		if lu.attrVersion != u.AttrVersion {
			if err := s.remapValues(ctx, tx, &u); err != nil {
				return err
			}
		}
		// The event first (its reads do not depend on the UPDATE), so that
		// the UPDATE goes with the COMMIT on PostgreSQL (later).
		if groups, err = s.userUpdatedEvent(ctx, tx, w, before, u, &lu); err != nil {
			return err
		}
		custom, err := encodeCustom(u.Custom)
		if err != nil {
			return err
		}
		name := u.UserName
		query, args := lu.updateQuery(id, directoryID, u, doc, fold, custom)
		err = s.later(ctx, tx, func(err error) error {
			if isUnique(err) {
				return userNameTaken(name, err)
			}
			return fmt.Errorf("updating user: %w", err)
		}, query, args...)
		if err != nil {
			return err
		}
		out = u
		return nil
	})
	return out, groups, err
}

// lockedUser is a user read, locked FOR UPDATE, by userForUpdateRow, with
// its directory's custom attribute mapping version and the stored values
// of its indexed columns (updateQuery).
type lockedUser struct {
	u                directory.User
	ext, custom      sql.NullString
	raw              []byte
	created, updated int64
	attrVersion      int64
	// The stored values of the columns an index of users holds (besides
	// external_id, in ext).
	nameFold, emailFold, displayFold, familyFold string
	// related: the user's groups and role grants, and whether its
	// directory has app_users rows, were read with it (SQLite:
	// sqliteDialect.userRelations); groups and grants are JSON arrays.
	related        bool
	groups, grants []byte
	hasApp         bool
	err            error
}

// updateQuery is the UPDATE that stores u (id, of directoryID), read as lu, with its document
// encoded (doc, fold) and its custom attributes (custom). A column that
// an index holds is set only when its value changes: SQLite rewrites the
// entry of every index whose column the SET names, changed or not, so a
// PATCH of displayName that set all five indexed columns dirtied six
// b-tree pages instead of two, each written to the WAL at commit and
// again by the checkpoint (docs/performance.md, "Hot path: writes").
func (lu *lockedUser) updateQuery(id, directoryID string, u directory.User, doc, fold string, custom sql.NullString) (string, []any) {
	email, display, family := searchFolds(u)
	var b strings.Builder
	b.WriteString(`UPDATE users SET user_name = $1, active = $2, display = $3, doc = $4, doc_fold = $5, version = $6, updated_at = $7, custom_attrs = $8, attr_version = $9`)
	args := make([]any, 0, 16)
	args = append(args, u.UserName, u.Active, userDisplay(u), doc, fold, u.Version, micros(u.UpdatedAt), custom, u.AttrVersion)
	// Parameters are numbered in the order they appear (rebind).
	param := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	set := func(col string, v any) { b.WriteString(", " + col + " = " + param(v)) }
	if nameFold := schema.FoldString(u.UserName); nameFold != lu.nameFold {
		set("user_name_fold", nameFold)
	}
	if ext := nullString(u.ExternalID); ext != lu.ext {
		set("external_id", ext)
	}
	if email != lu.emailFold {
		set("email_fold", email)
	}
	if display != lu.displayFold {
		set("display_fold", display)
	}
	if family != lu.familyFold {
		set("family_fold", family)
	}
	b.WriteString(` WHERE id = ` + param(id) + ` AND directory_id = ` + param(directoryID))
	return b.String(), args
}

// userForUpdateRow reads a user of a directory, locked FOR UPDATE, into lu
// (a row for openEvents). With related, on SQLite, the same statement
// reads what the user's event needs (userUpdatedEvent): three statements
// fewer per PATCH. (On PostgreSQL the groups are read locked, and the
// directory's app_users by openEvents, in the same round trip.)
func (s *Store) userForUpdateRow(directoryID, id string, lu *lockedUser, related bool) pgRow {
	u := &lu.u
	extra := ""
	dest := []any{&u.ID, &u.DirectoryID, &u.UserName, &lu.ext, &u.Active, &lu.raw, &u.Version, &lu.created, &lu.updated, &lu.custom, &u.AttrVersion, &lu.attrVersion,
		&lu.nameFold, &lu.emailFold, &lu.displayFold, &lu.familyFold}
	if d, ok := s.d.(*sqliteDialect); ok && related {
		extra = ", " + d.userRelations("u")
		dest = append(dest, &lu.groups, &lu.grants, &lu.hasApp)
		lu.related = true
	}
	return pgRow{query: `SELECT ` + userColumns + `, (SELECT d.attr_version FROM directories d WHERE d.id = u.directory_id)
			, u.user_name_fold, u.email_fold, u.display_fold, u.family_fold` + extra + `
		FROM users u WHERE u.id = $1 AND u.directory_id = $2` + s.d.forDelete(),
		args: []any{id, directoryID},
		dest: dest,
		check: func(err error) error {
			if err == sql.ErrNoRows {
				lu.err = notFound("user", id)
			} else if err != nil {
				lu.err = fmt.Errorf("reading user: %w", err)
			}
			return lu.err
		}}
}

// decode returns the user read.
func (lu *lockedUser) decode() (directory.User, error) {
	u := lu.u
	if lu.err != nil {
		return u, lu.err
	}
	d, err := decodeDoc(lu.raw)
	if err != nil {
		return u, fmt.Errorf("user %s: %w", u.ID, err)
	}
	if u.Custom, err = decodeCustom(lu.custom); err != nil {
		return u, fmt.Errorf("user %s: %w", u.ID, err)
	}
	u.ExternalID, u.Doc, u.CreatedAt, u.UpdatedAt = lu.ext.String, d, fromMicros(lu.created), fromMicros(lu.updated)
	return u, nil
}

// remapValues maps u's custom attributes with its directory's current
// mappings (remapStale, without the write: the caller's UPDATE stores them).
func (s *Store) remapValues(ctx context.Context, tx *txn, u *directory.User) error {
	m, err := s.currentAttributes(ctx, tx, u.DirectoryID)
	if err != nil {
		return err
	}
	u.Custom, u.AttrVersion = directory.MapAttributes(s.schemas.User, m, u.Doc), m.Version
	return nil
}

// userUpdatedEvent appends the user_updated event of an attribute change:
// the user's groups and roles are the same before and after. They are
// read here unless lu has them (userForUpdateRow); the groups are
// returned.
func (s *Store) userUpdatedEvent(ctx context.Context, tx *txn, w *eventWriter, before, after directory.User, lu *lockedUser) ([]directory.GroupRef, error) {
	groups, err := s.lockedUserGroups(ctx, tx, w.dirID, lu)
	if err != nil {
		return nil, err
	}
	var grants []directory.RoleGrant
	if lu.related {
		if err := json.Unmarshal(lu.grants, &grants); err != nil {
			return nil, fmt.Errorf("reading user %s: roles: %w", after.ID, err)
		}
	} else {
		rs, err := s.userRoles(ctx, s.txQuery(tx), w.dirID, []string{after.ID}, 0)
		if err != nil {
			return nil, err
		}
		grants = rs[after.ID]
	}
	eff := directory.EffectiveRoles(grants, w.def)
	rb := directory.NewUserRecord(before, w.orgID, groups, &eff)
	ra := directory.NewUserRecord(after, w.orgID, groups, &eff)
	e, err := directory.UserUpdatedEvent(rb, ra, before.Doc, after.Doc)
	if err != nil {
		return nil, err
	}
	if err := w.add(e); err != nil {
		return nil, err
	}
	return groups, s.flushEvents(ctx, tx, w)
}

// lockedUserGroups returns the groups of the user lu holds, in the order
// userGroups gives them: read with it (SQLite, lu.related), or read now,
// locked FOR KEY SHARE on PostgreSQL so that a group being deleted is
// waited for and left out.
func (s *Store) lockedUserGroups(ctx context.Context, tx *txn, directoryID string, lu *lockedUser) ([]directory.GroupRef, error) {
	if lu.related {
		var groups []directory.GroupRef
		if err := json.Unmarshal(lu.groups, &groups); err != nil {
			return nil, fmt.Errorf("reading user %s: groups: %w", lu.u.ID, err)
		}
		return groups, nil
	}
	gs, err := s.userGroups(ctx, s.txQuery(tx), s.d.forKeyShare(), directoryID, []string{lu.u.ID})
	if err != nil {
		return nil, err
	}
	return gs[lu.u.ID], nil
}

// DeleteUser implements directory.Store. Memberships go with the user
// (ON DELETE CASCADE).
func (s *Store) DeleteUser(ctx context.Context, directoryID, id string, check func(version int64) error) error {
	return s.tx(ctx, func(tx *txn) error {
		// FOR UPDATE (not NO KEY): the row is about to be deleted. Read
		// with BEGIN and the directory, in one round trip.
		var lu lockedUser
		w, err := s.openEvents(ctx, tx, directoryID, s.userForUpdateRow(directoryID, id, &lu, false))
		if err != nil {
			return err
		}
		u, err := lu.decode()
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(u.Version); err != nil {
				return err
			}
		}
		// The event carries the user as it was, with its groups and roles.
		recs, err := s.userRecords(ctx, tx, w, []directory.User{u})
		if err != nil {
			return err
		}
		// Nothing reads the DELETE's result: on PostgreSQL it goes with the
		// COMMIT (later).
		if err := s.later(ctx, tx, func(err error) error { return fmt.Errorf("deleting user: %w", err) },
			`DELETE FROM users WHERE id = $1 AND directory_id = $2`, id, directoryID); err != nil {
			return err
		}
		if err := w.add(directory.UserDeletedEvent(recs[0])); err != nil {
			return err
		}
		return s.flushEvents(ctx, tx, w)
	})
}

// ListUsers implements directory.Store.
func (s *Store) ListUsers(ctx context.Context, directoryID string, q directory.Query) (directory.UserPage, error) {
	var page directory.UserPage
	cond, args, err := s.queryWhere(ctx, true, directoryID, q)
	if err != nil {
		return page, err
	}
	// The total is counted only when the page does not tell it: a page
	// with fewer rows than asked for that starts inside the results ends
	// them (a userName eq filter, a last page), so no second statement.
	count := func() error {
		if err := s.readRow(ctx, countQuery("users u", cond, q.CountLimit), args...).Scan(&page.Total); err != nil {
			return fmt.Errorf("counting users: %w", err)
		}
		return nil
	}
	if q.Limit <= 0 {
		if q.After != "" {
			if err := s.checkCursor(ctx, directoryID, "users", "user", q.After); err != nil {
				return page, err
			}
		}
		if q.SkipTotal {
			return page, nil
		}
		return page, count()
	}
	order, err := s.orderBy(s.schemas.User, "u", q)
	if err != nil {
		return page, err
	}
	n := len(args)
	pageArgs := append(args[:n:n], q.Limit, q.Offset)
	columns := userPageColumns(q.Fields)
	query := fmt.Sprintf(`SELECT %s FROM users u WHERE %s ORDER BY %s LIMIT $%d OFFSET $%d`, columns, cond, order, n+1, n+2)
	if q.Offset > 0 && q.SortBy == nil {
		// A page deep in creation order (startIndex, RFC 7644
		// §3.4.2.4): the offset is skipped in a subquery that reads
		// only the key, then the page is read from the key it finds.
		// Skipping whole rows made PostgreSQL fetch every skipped
		// user (3.6 s for a page at startIndex 750,000).
		cmp := ">="
		if q.Descending {
			cmp = "<="
		}
		query = fmt.Sprintf(`SELECT %s FROM users u WHERE %s AND u.pk %s (SELECT u.pk FROM users u WHERE %s ORDER BY %s LIMIT 1 OFFSET $%d) ORDER BY %s LIMIT $%d`,
			columns, cond, cmp, cond, order, n+2, order, n+1)
	}
	rows, err := s.readRows(ctx, query, pageArgs...)
	if err != nil {
		return page, fmt.Errorf("listing users: %w", err)
	}
	page.Users, err = scanUserPage(rows, directoryID, q.Fields, q.Limit)
	if err == nil {
		err = rows.Err()
	}
	rows.Close()
	if err != nil {
		return page, fmt.Errorf("listing users: %w", err)
	}
	if len(page.Users) == 0 && q.After != "" {
		if err := s.checkCursor(ctx, directoryID, "users", "user", q.After); err != nil {
			return page, err
		}
	}
	if !q.SkipTotal {
		if n := len(page.Users); n < q.Limit && (n > 0 || q.Offset == 0) {
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

// countQuery counts the rows of from (a table and its alias) matching
// cond, stopping at limit rows when limit is positive (Query.CountLimit).
func countQuery(from, cond string, limit int) string {
	if limit <= 0 {
		return `SELECT count(*) FROM ` + from + ` WHERE ` + cond
	}
	return `SELECT count(*) FROM (SELECT 1 FROM ` + from + ` WHERE ` + cond + ` LIMIT ` + strconv.Itoa(limit) + `) c`
}

// UserGroups implements directory.Store.
func (s *Store) UserGroups(ctx context.Context, directoryID string, userIDs []string) (map[string][]directory.GroupRef, error) {
	return s.userGroups(ctx, s.readRows, "", directoryID, userIDs)
}

// userGroups is UserGroups through query: the read pool, or a transaction.
// lock, in a transaction, is a locking clause for the groups (forKeyShare):
// a group being deleted is then waited for and left out, so an event's
// user record does not list a group whose deletion committed first.
func (s *Store) userGroups(ctx context.Context, query queryFunc, lock, directoryID string, userIDs []string) (map[string][]directory.GroupRef, error) {
	out := map[string][]directory.GroupRef{}
	if len(userIDs) == 0 {
		return out, nil
	}
	ids, err := json.Marshal(userIDs)
	if err != nil {
		return nil, fmt.Errorf("listing user groups: %w", err)
	}
	from, cond := s.d.idsFrom("$2", "users", "u", "") // see joinIDs
	q := `SELECT u.id, g.id, g.display_name
		FROM ` + from + ` JOIN group_members gm ON gm.user_pk = u.pk JOIN groups g ON g.pk = gm.group_pk
		WHERE ` + cond + ` AND u.directory_id = $1
		ORDER BY u.pk, g.pk` + lock
	if lock != "" {
		q += ` OF g`
	}
	rows, err := query(ctx, q, directoryID, string(ids))
	if err != nil {
		return nil, fmt.Errorf("listing user groups: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var uid string
		var g directory.GroupRef
		if err := rows.Scan(&uid, &g.ID, &g.DisplayName); err != nil {
			return nil, fmt.Errorf("listing user groups: %w", err)
		}
		out[uid] = append(out[uid], g)
	}
	return out, rows.Err()
}

// joinIDs returns a FROM-clause fragment that yields the rows of table,
// aliased alias, whose id is in the JSON array of strings bound at param,
// ending in a WHERE condition the caller extends with AND. It is written
// per dialect (idsFrom) so that each planner looks every id up by its
// unique index, whatever the sizes of the directories and whatever its
// statistics say.
func (s *Store) joinIDs(param, table, alias string) string {
	return s.joinIDsLock(param, table, alias, "")
}

// joinIDsLocked is joinIDs for rows that new membership rows are about to
// reference: on PostgreSQL they are locked FOR KEY SHARE, so that a user or
// group deleted concurrently is skipped (and reported unknown) instead of
// failing the insert's foreign key.
func (s *Store) joinIDsLocked(param, table, alias string) string {
	return s.joinIDsLock(param, table, alias, " FOR KEY SHARE")
}

func (s *Store) joinIDsLock(param, table, alias, lock string) string {
	from, cond := s.d.idsFrom(param, table, alias, lock)
	return from + ` WHERE ` + cond
}
