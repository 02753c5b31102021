package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// Custom attributes and attribute mappings (directory/customattrs.go,
// migration 0012). A directory's mappings are a JSON column of its row,
// read with the directory (GetDirectory, Credential); users store their
// mapped values and the mapping version they were computed from. A user
// write stores what the domain computed with the directory it was given
// and checks, in the same statement (RETURNING), that the version is still
// the directory's; when a mapping change came in between, it re-maps the
// user with the current mappings before committing, so no write can leave
// a user on an old version behind a mapping change that already ran.

// attrColumns are the directory columns of its mappings, scanned by
// attrCols.
const attrColumns = `attr_mappings, attr_version`

type attrCols struct {
	mappings optText
	version  int64
}

func (a *attrCols) dest() []any { return []any{&a.mappings, &a.version} }

func (a *attrCols) decode(d *directory.Directory) error {
	d.Attributes = directory.AttributeMap{Version: a.version}
	if !a.mappings.Valid || a.mappings.String == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(a.mappings.String), &d.Attributes.Mappings); err != nil {
		return fmt.Errorf("directory %s: decoding attribute mappings: %w", d.ID, err)
	}
	return nil
}

func encodeMappings(ms []directory.TypedMapping) (sql.NullString, error) {
	if len(ms) == 0 {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(ms)
	if err != nil {
		return sql.NullString{}, fmt.Errorf("encoding attribute mappings: %w", err)
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

func encodeCustom(c directory.CustomValues) (sql.NullString, error) {
	if c.Empty() {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(c)
	if err != nil {
		return sql.NullString{}, fmt.Errorf("encoding custom attributes: %w", err)
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

func decodeCustom(s sql.NullString) (directory.CustomValues, error) {
	var c directory.CustomValues
	if !s.Valid || s.String == "" {
		return c, nil
	}
	d := json.NewDecoder(bytes.NewReader([]byte(s.String)))
	d.UseNumber()
	if err := d.Decode(&c); err != nil {
		return c, fmt.Errorf("decoding custom attributes: %w", err)
	}
	return c, nil
}

// ---- Declared attributes. ----

const customAttrColumns = `key, type, description, default_source`

// ListCustomAttributes implements directory.Store.
func (s *Store) ListCustomAttributes(ctx context.Context) ([]directory.CustomAttribute, error) {
	rows, err := s.readRows(ctx, `SELECT `+customAttrColumns+` FROM custom_attributes ORDER BY key`)
	if err != nil {
		return nil, fmt.Errorf("listing custom attributes: %w", err)
	}
	defer rows.Close()
	out := []directory.CustomAttribute{}
	for rows.Next() {
		var a directory.CustomAttribute
		if err := rows.Scan(&a.Key, &a.Type, &a.Description, &a.DefaultSource); err != nil {
			return nil, fmt.Errorf("listing custom attributes: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing custom attributes: %w", err)
	}
	return out, nil
}

// CreateCustomAttribute implements directory.Store.
func (s *Store) CreateCustomAttribute(ctx context.Context, a directory.CustomAttribute) error {
	return s.tx(ctx, func(tx *txn) error {
		_, err := s.txExec(ctx, tx, `INSERT INTO custom_attributes (`+customAttrColumns+`) VALUES ($1, $2, $3, $4)`, a.Key, a.Type, a.Description, a.DefaultSource)
		if isUnique(err) {
			return conflict(fmt.Sprintf("a custom attribute with key %q already exists", a.Key), err)
		}
		if err != nil {
			return fmt.Errorf("creating custom attribute: %w", err)
		}
		return nil
	})
}

// UpdateCustomAttribute implements directory.Store.
func (s *Store) UpdateCustomAttribute(ctx context.Context, key string, fn func(*directory.CustomAttribute) error) (directory.CustomAttribute, error) {
	var out directory.CustomAttribute
	err := s.tx(ctx, func(tx *txn) error {
		var a directory.CustomAttribute
		err := s.txRow(ctx, tx, `SELECT `+customAttrColumns+` FROM custom_attributes WHERE key = $1`+s.d.forUpdate(), key).
			Scan(&a.Key, &a.Type, &a.Description, &a.DefaultSource)
		if err == sql.ErrNoRows {
			return notFound("custom attribute", key)
		}
		if err != nil {
			return fmt.Errorf("reading custom attribute: %w", err)
		}
		if err := fn(&a); err != nil {
			return err
		}
		a.Key = key
		if _, err := s.txExec(ctx, tx, `UPDATE custom_attributes SET description = $2, default_source = $3 WHERE key = $1`, key, a.Description, a.DefaultSource); err != nil {
			return fmt.Errorf("updating custom attribute: %w", err)
		}
		out = a
		return nil
	})
	return out, err
}

// DeleteCustomAttribute implements directory.Store.
func (s *Store) DeleteCustomAttribute(ctx context.Context, key string) error {
	return s.tx(ctx, func(tx *txn) error {
		// Keys are [a-z0-9_], so the JSON text of a mapping of this key
		// is exactly this (json.Marshal of directory.TypedMapping).
		var dirID string
		err := s.txRow(ctx, tx, `SELECT id FROM directories WHERE attr_mappings LIKE $1 ORDER BY id LIMIT 1`, `%{"key":"`+key+`",%`).Scan(&dirID)
		if err == nil {
			return directory.Errorf(directory.KindConflict, "custom attribute %q is mapped in directory %s: remove it from that directory's attribute mappings first (PUT /api/v1/directories/%s/attribute_mappings)", key, dirID, dirID)
		}
		if err != sql.ErrNoRows {
			return fmt.Errorf("deleting custom attribute: %w", err)
		}
		res, err := s.txExec(ctx, tx, `DELETE FROM custom_attributes WHERE key = $1`, key)
		if err != nil {
			return fmt.Errorf("deleting custom attribute: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("deleting custom attribute: %w", err)
		} else if n == 0 {
			return notFound("custom attribute", key)
		}
		return nil
	})
}

// ---- Directory mappings. ----

// PutAttributeMappings implements directory.Store.
func (s *Store) PutAttributeMappings(ctx context.Context, directoryID string, ms []directory.TypedMapping, at time.Time) (int64, error) {
	var version int64
	err := s.tx(ctx, func(tx *txn) error {
		// The directory's writer lock first, exclusive (dirlock.go): user
		// writes of the directory in flight finish first, the next ones
		// wait for this one and read the new version.
		if err := s.lockDirectories(ctx, tx, []string{directoryID}); err != nil {
			return err
		}
		if _, err := s.openEvents(ctx, tx, directoryID); err != nil {
			return err
		}
		for _, m := range ms {
			var one int
			err := s.txRow(ctx, tx, `SELECT 1 FROM custom_attributes WHERE key = $1`+s.d.forKeyShare(), m.Key).Scan(&one)
			if err == sql.ErrNoRows {
				return directory.Errorf(directory.KindInvalid, "custom attribute %q does not exist", m.Key)
			}
			if err != nil {
				return fmt.Errorf("replacing attribute mappings: %w", err)
			}
		}
		enc, err := encodeMappings(ms)
		if err != nil {
			return err
		}
		if err := s.txRow(ctx, tx, `UPDATE directories SET attr_mappings = $2, attr_version = attr_version + 1, attr_changed_at = $3 WHERE id = $1 RETURNING attr_version`,
			directoryID, enc, micros(at)).Scan(&version); err != nil {
			return fmt.Errorf("replacing attribute mappings: %w", err)
		}
		return nil
	})
	return version, err
}

// AttributeDirectoriesToApply implements directory.Store.
func (s *Store) AttributeDirectoriesToApply(ctx context.Context, changedBefore time.Time, limit int) ([]string, error) {
	rows, err := s.readRows(ctx, `SELECT id FROM directories WHERE attr_applied < attr_version AND attr_changed_at < $1 ORDER BY id LIMIT $2`, micros(changedBefore), limit)
	if err != nil {
		return nil, fmt.Errorf("listing directories to re-map: %w", err)
	}
	ids, err := readIDs(rows)
	if err != nil {
		return nil, fmt.Errorf("listing directories to re-map: %w", err)
	}
	return ids, nil
}

// MarkAttributesApplied implements directory.Store.
func (s *Store) MarkAttributesApplied(ctx context.Context, directoryID string, version int64) error {
	return s.tx(ctx, func(tx *txn) error {
		if _, err := s.txExec(ctx, tx, `UPDATE directories SET attr_applied = $2 WHERE id = $1 AND attr_applied < $2`, directoryID, version); err != nil {
			return fmt.Errorf("marking attribute mappings applied: %w", err)
		}
		return nil
	})
}

// PendingAttributeUsers implements directory.Store.
func (s *Store) PendingAttributeUsers(ctx context.Context, directoryID string, version int64) (int, error) {
	var n int
	if err := s.readRow(ctx, `SELECT count(*) FROM users WHERE directory_id = $1 AND attr_version <> $2`, directoryID, version).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting users to re-map: %w", err)
	}
	return n, nil
}

// currentAttributes reads the directory's mappings inside tx.
func (s *Store) currentAttributes(ctx context.Context, tx *txn, directoryID string) (directory.AttributeMap, error) {
	var ac attrCols
	d := directory.Directory{ID: directoryID}
	err := s.txRow(ctx, tx, `SELECT `+attrColumns+` FROM directories WHERE id = $1`, directoryID).Scan(ac.dest()...)
	if err == sql.ErrNoRows {
		return d.Attributes, notFound("directory", directoryID)
	}
	if err != nil {
		return d.Attributes, fmt.Errorf("reading attribute mappings: %w", err)
	}
	err = ac.decode(&d)
	return d.Attributes, err
}

// remapStale is called when a user write found that the directory's
// mappings changed after the domain mapped the user: it maps u with the
// current mappings and stores the result.
func (s *Store) remapStale(ctx context.Context, tx *txn, u *directory.User) error {
	m, err := s.currentAttributes(ctx, tx, u.DirectoryID)
	if err != nil {
		return err
	}
	u.Custom, u.AttrVersion = directory.MapAttributes(s.schemas.User, m, u.Doc), m.Version
	enc, err := encodeCustom(u.Custom)
	if err != nil {
		return err
	}
	if _, err := s.txExec(ctx, tx, `UPDATE users SET custom_attrs = $3, attr_version = $4 WHERE id = $1 AND directory_id = $2`, u.ID, u.DirectoryID, enc, u.AttrVersion); err != nil {
		return fmt.Errorf("mapping custom attributes: %w", err)
	}
	return nil
}

// RemapUsers implements directory.Store: one transaction that re-maps up
// to limit users of the directory, after pk after, whose values are of an
// older mapping version, appending a user_updated event for each whose
// values changed.
func (s *Store) RemapUsers(ctx context.Context, directoryID string, after int64, limit int, mapFn func(directory.AttributeMap, map[string]any) directory.CustomValues) (directory.RemapResult, error) {
	var res directory.RemapResult
	err := s.tx(ctx, func(tx *txn) error {
		res = directory.RemapResult{}
		w, err := s.openEvents(ctx, tx, directoryID)
		if err != nil {
			return err
		}
		m, err := s.currentAttributes(ctx, tx, directoryID)
		if err != nil {
			return err
		}
		res.Version = m.Version
		// Locked: writers of the directory run in parallel (dirlock.go),
		// and a user written meanwhile is read as written, or skipped when
		// it has the new version already.
		rows, err := s.txRows(ctx, tx, `SELECT u.pk, `+userColumns+` FROM users u
			WHERE u.directory_id = $1 AND u.pk > $2 AND u.attr_version <> $3 ORDER BY u.pk LIMIT $4`+s.d.forUpdate(), directoryID, after, m.Version, limit)
		if err != nil {
			return fmt.Errorf("re-mapping users: %w", err)
		}
		var users []directory.User
		var pks []int64
		for rows.Next() {
			var pk int64
			u, _, err := scanUserRaw(scanFunc(func(dest ...any) error { return rows.Scan(append([]any{&pk}, dest...)...) }))
			if err != nil {
				rows.Close()
				return fmt.Errorf("re-mapping users: %w", err)
			}
			users, pks = append(users, u), append(pks, pk)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("re-mapping users: %w", err)
		}
		res.Done = len(users) < limit
		if len(users) == 0 {
			return nil
		}
		res.Next = pks[len(pks)-1]
		// One statement moves the whole chunk to the new version; only
		// the users whose values changed are written one by one.
		if _, err := s.txExec(ctx, tx, `UPDATE users SET attr_version = $2 WHERE directory_id = $1 AND pk > $3 AND pk <= $4 AND attr_version <> $2`,
			directoryID, m.Version, after, res.Next); err != nil {
			return fmt.Errorf("re-mapping users: %w", err)
		}
		var changed []directory.User
		var before []directory.CustomValues
		for _, u := range users {
			next := mapFn(m, u.Doc)
			if next.Equal(u.Custom) {
				continue
			}
			enc, err := encodeCustom(next)
			if err != nil {
				return err
			}
			if _, err := s.txExec(ctx, tx, `UPDATE users SET custom_attrs = $2 WHERE id = $1`, u.ID, enc); err != nil {
				return fmt.Errorf("re-mapping users: %w", err)
			}
			before = append(before, u.Custom)
			u.Custom, u.AttrVersion = next, m.Version
			changed = append(changed, u)
		}
		if len(changed) == 0 {
			return nil
		}
		recs, err := s.userRecords(ctx, tx, w, changed)
		if err != nil {
			return err
		}
		for i, rec := range recs {
			if e := directory.CustomAttributesChange(rec, before[i], changed[i].Custom); e != nil {
				if err := w.add(*e); err != nil {
					return err
				}
				res.Changed++
			}
		}
		return s.flushEvents(ctx, tx, w)
	})
	return res, err
}
