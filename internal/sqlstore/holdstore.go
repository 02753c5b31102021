package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// The directory.HoldStore methods: settings, holds, the app's view of the
// users it sees differently, and the delete_after policy's deletes.

const settingsColumns = `guard_enabled, guard_min, guard_percent, guard_window_min, on_delete, delete_after_days`

// deprovisionSettings reads a directory's settings (the defaults when it
// has no row; KindNotFound when the directory does not exist).
func (s *Store) deprovisionSettings(ctx context.Context, query queryFunc, dirID string) (directory.DeprovisionSettings, error) {
	set := directory.DefaultDeprovisionSettings()
	rows, err := query(ctx, `SELECT `+settingsColumns+`, 1 FROM deprovision_settings WHERE directory_id = $1
		UNION ALL SELECT `+"TRUE, 0, 0, 0, '', 0, 0"+` FROM directories WHERE id = $1`, dirID)
	if err != nil {
		return set, fmt.Errorf("reading deprovisioning settings: %w", err)
	}
	defer rows.Close()
	found := false
	for rows.Next() {
		var got directory.DeprovisionSettings
		var minutes, stored int
		if err := rows.Scan(&got.GuardEnabled, &got.GuardMin, &got.GuardPercent, &minutes, &got.OnDelete, &got.DeleteAfterDays, &stored); err != nil {
			return set, fmt.Errorf("reading deprovisioning settings: %w", err)
		}
		found = true
		if stored == 1 {
			got.GuardWindow = time.Duration(minutes) * time.Minute
			set = got
		}
	}
	if err := rows.Err(); err != nil {
		return set, fmt.Errorf("reading deprovisioning settings: %w", err)
	}
	if !found {
		return set, notFound("directory", dirID)
	}
	return set, nil
}

// DeprovisionSettings implements directory.HoldStore.
func (s *Store) DeprovisionSettings(ctx context.Context, directoryID string) (directory.DeprovisionSettings, error) {
	return s.deprovisionSettings(ctx, s.readRows, directoryID)
}

// UpdateDeprovisionSettings implements directory.HoldStore.
func (s *Store) UpdateDeprovisionSettings(ctx context.Context, directoryID string, fn func(*directory.DeprovisionSettings) error) (directory.DeprovisionSettings, error) {
	var out directory.DeprovisionSettings
	err := s.tx(ctx, func(tx *txn) error {
		var one int
		err := s.txRow(ctx, tx, `SELECT 1 FROM directories WHERE id = $1`+s.d.forUpdate(), directoryID).Scan(&one)
		if err == sql.ErrNoRows {
			return notFound("directory", directoryID)
		}
		if err != nil {
			return fmt.Errorf("reading directory: %w", err)
		}
		set, err := s.deprovisionSettings(ctx, s.txQuery(tx), directoryID)
		if err != nil {
			return err
		}
		if err := fn(&set); err != nil {
			return err
		}
		if _, err := s.txExec(ctx, tx, `INSERT INTO deprovision_settings (directory_id, `+settingsColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (directory_id) DO UPDATE SET guard_enabled = excluded.guard_enabled, guard_min = excluded.guard_min,
				guard_percent = excluded.guard_percent, guard_window_min = excluded.guard_window_min,
				on_delete = excluded.on_delete, delete_after_days = excluded.delete_after_days`,
			directoryID, set.GuardEnabled, set.GuardMin, set.GuardPercent, int(set.GuardWindow/time.Minute), set.OnDelete, set.DeleteAfterDays); err != nil {
			return fmt.Errorf("storing deprovisioning settings: %w", err)
		}
		out = set
		return nil
	})
	return out, err
}

const appUserColumns = `user_id, user_name, state, hold_id, action, at, request_id, record`

func scanAppUser(row interface{ Scan(...any) error }) (directory.HeldUser, error) {
	var u directory.HeldUser
	var hold sql.NullString
	var at int64
	var rec string
	if err := row.Scan(&u.UserID, &u.UserName, &u.State, &hold, &u.Action, &at, &u.RequestID, &rec); err != nil {
		return u, err
	}
	u.HoldID, u.At, u.Record = hold.String, fromMicros(at), json.RawMessage(rec)
	return u, nil
}

// scanAppUsers reads every app_users row of rows and closes them.
func scanAppUsers(rows *sql.Rows) ([]directory.HeldUser, error) {
	defer rows.Close()
	var out []directory.HeldUser
	for rows.Next() {
		u, err := scanAppUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// appUsers reads the app_users rows of the listed users.
func (s *Store) appUsers(ctx context.Context, query queryFunc, dirID string, ids []string) (map[string]directory.HeldUser, error) {
	out := map[string]directory.HeldUser{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows *sql.Rows
	var err error
	if len(ids) == 1 {
		// The common case (a write of one user): a plain key lookup.
		rows, err = query(ctx, `SELECT `+appUserColumns+` FROM app_users WHERE directory_id = $1 AND user_id = $2`, dirID, ids[0])
	} else {
		var list []byte
		if list, err = json.Marshal(ids); err != nil {
			return nil, fmt.Errorf("reading app users: %w", err)
		}
		rows, err = query(ctx, `SELECT `+appUserColumns+` FROM app_users WHERE directory_id = $1 AND user_id IN (`+s.d.jsonStrings("$2")+`)`, dirID, string(list))
	}
	if err != nil {
		return nil, fmt.Errorf("reading app users: %w", err)
	}
	list, err := scanAppUsers(rows)
	if err != nil {
		return nil, fmt.Errorf("reading app users: %w", err)
	}
	for _, u := range list {
		out[u.UserID] = u
	}
	return out, nil
}

// AppUsers implements directory.HoldStore.
func (s *Store) AppUsers(ctx context.Context, directoryID string, userIDs []string) (map[string]directory.HeldUser, error) {
	return s.appUsers(ctx, s.readRows, directoryID, userIDs)
}

// ListAppUsers implements directory.HoldStore: one range scan of the
// app_users primary key (directory_id, user_id).
func (s *Store) ListAppUsers(ctx context.Context, directoryID, after string, gone bool) ([]directory.HeldUser, error) {
	q := `SELECT ` + appUserColumns + ` FROM app_users a WHERE a.directory_id = $1 AND a.user_id > $2`
	if gone {
		q += ` AND NOT EXISTS (SELECT 1 FROM users u WHERE u.directory_id = a.directory_id AND u.id = a.user_id)`
	}
	rows, err := s.readRows(ctx, q+` ORDER BY a.user_id`, directoryID, after)
	if err != nil {
		return nil, fmt.Errorf("listing app users: %w", err)
	}
	out, err := scanAppUsers(rows)
	if err != nil {
		return nil, fmt.Errorf("listing app users: %w", err)
	}
	return out, nil
}

// AppUserCount implements directory.HoldStore.
func (s *Store) AppUserCount(ctx context.Context, directoryID string) (int, error) {
	var n int
	if err := s.readRow(ctx, `SELECT count(*) FROM app_users WHERE directory_id = $1 AND state <> $2`, directoryID, directory.AppUserRetained).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting app users: %w", err)
	}
	return n, nil
}

// maxHoldsListed bounds ListHolds: the newest are the ones that matter.
const maxHoldsListed = 50

// ListHolds implements directory.HoldStore.
func (s *Store) ListHolds(ctx context.Context, directoryID string) ([]directory.Hold, error) {
	var orgID string
	err := s.readRow(ctx, `SELECT organization_id FROM directories WHERE id = $1`, directoryID).Scan(&orgID)
	if err == sql.ErrNoRows {
		return nil, notFound("directory", directoryID)
	}
	if err != nil {
		return nil, fmt.Errorf("listing holds: %w", err)
	}
	rows, err := s.readRows(ctx, `SELECT id, status, threshold, opened_at, closed_at, closed_by,
		(SELECT count(*) FROM held_events e WHERE e.hold_id = h.id), user_count
		FROM holds h WHERE directory_id = $1 ORDER BY opened_at DESC LIMIT $2`, directoryID, maxHoldsListed)
	if err != nil {
		return nil, fmt.Errorf("listing holds: %w", err)
	}
	out := []directory.Hold{}
	for rows.Next() {
		h, err := scanHold(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("listing holds: %w", err)
		}
		h.DirectoryID, h.OrganizationID = directoryID, orgID
		out = append(out, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing holds: %w", err)
	}
	for i := range out {
		if out[i].Users, err = s.holdUsers(ctx, s.readRows, directoryID, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func scanHold(row interface{ Scan(...any) error }) (directory.Hold, error) {
	var h directory.Hold
	var opened int64
	var closed sql.NullInt64
	var by sql.NullString
	err := row.Scan(&h.ID, &h.Status, &h.Threshold, &opened, &closed, &by, &h.Events, &h.UserCount)
	h.OpenedAt, h.ClosedAt, h.ClosedBy = fromMicros(opened), fromNullMicros(closed), by.String
	return h, err
}

func (s *Store) holdUsers(ctx context.Context, query queryFunc, dirID, holdID string) ([]directory.HeldUser, error) {
	rows, err := query(ctx, `SELECT `+appUserColumns+` FROM app_users WHERE directory_id = $1 AND hold_id = $2 ORDER BY at, user_id`, dirID, holdID)
	if err != nil {
		return nil, fmt.Errorf("listing held users: %w", err)
	}
	out, err := scanAppUsers(rows)
	if err != nil {
		return nil, fmt.Errorf("listing held users: %w", err)
	}
	return out, nil
}

// closeHold locks an open hold of the directory for closing, with its
// users; a hold of another directory is KindNotFound, a closed one
// KindConflict.
func (s *Store) closeHold(ctx context.Context, tx *txn, w *eventWriter, holdID, status, by string) (directory.Hold, error) {
	h, err := scanHold(s.txRow(ctx, tx, `SELECT id, status, threshold, opened_at, closed_at, closed_by, 0, user_count
		FROM holds WHERE id = $1 AND directory_id = $2`+s.d.forDelete(), holdID, w.dirID)) // FOR UPDATE: waits for writers' KEY SHARE (holdIsOpen)
	if err == sql.ErrNoRows {
		return h, notFound("hold", holdID)
	}
	if err != nil {
		return h, fmt.Errorf("reading hold: %w", err)
	}
	if h.Status != directory.HoldOpen {
		return h, directory.Errorf(directory.KindConflict, "hold %s is already %s", holdID, h.Status)
	}
	h.DirectoryID, h.OrganizationID = w.dirID, w.orgID
	if h.Users, err = s.holdUsers(ctx, s.txQuery(tx), w.dirID, holdID); err != nil {
		return h, err
	}
	if err := s.txRow(ctx, tx, `SELECT count(*) FROM held_events WHERE hold_id = $1`, holdID).Scan(&h.Events); err != nil {
		return h, fmt.Errorf("reading hold: %w", err)
	}
	h.Status, h.ClosedAt, h.ClosedBy, h.UserCount = status, w.at, by, len(h.Users)
	if _, err := s.txExec(ctx, tx, `UPDATE holds SET status = $2, closed_at = $3, closed_by = $4, user_count = $5 WHERE id = $1`,
		holdID, status, micros(w.at), by, len(h.Users)); err != nil {
		return h, fmt.Errorf("closing hold: %w", err)
	}
	return h, nil
}

// ReleaseHold implements directory.HoldStore.
func (s *Store) ReleaseHold(ctx context.Context, directoryID, holdID, by string, now time.Time) (directory.Hold, error) {
	var out directory.Hold
	err := s.tx(ctx, func(tx *txn) error {
		w, err := s.openEvents(ctx, tx, directoryID)
		if err != nil {
			return err
		}
		w.raw, w.at = true, now.UTC().Truncate(time.Microsecond)
		h, err := s.closeHold(ctx, tx, w, holdID, directory.HoldReleased, by)
		if err != nil {
			return err
		}
		if err := w.add(directory.HoldEvent(directory.EventHoldReleased, h)); err != nil {
			return err
		}
		if err := s.releaseEvents(ctx, tx, w, holdID); err != nil {
			return err
		}
		set, err := s.deprovisionSettings(ctx, s.txQuery(tx), directoryID)
		if err != nil {
			return err
		}
		for _, u := range h.Users {
			if err := s.afterRelease(ctx, tx, directoryID, u, set); err != nil {
				return err
			}
		}
		out = h
		return s.flushEvents(ctx, tx, w)
	})
	return out, err
}

// releaseEvents appends a hold's events to w, in the order they happened,
// each with its original time.
func (s *Store) releaseEvents(ctx context.Context, tx *txn, w *eventWriter, holdID string) error {
	rows, err := s.txRows(ctx, tx, `SELECT occurred_at, type, subject_id, member_id, data, previous, actor FROM held_events WHERE hold_id = $1 ORDER BY pk`, holdID)
	if err != nil {
		return fmt.Errorf("releasing events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var at int64
		var typ, data string
		var subject, member, prev, actor sql.NullString
		if err := rows.Scan(&at, &typ, &subject, &member, &data, &prev, &actor); err != nil {
			return fmt.Errorf("releasing events: %w", err)
		}
		if err := w.add(directory.EventSpec{Type: typ, Subject: subject.String, Member: member.String, Data: json.RawMessage(data)}); err != nil {
			return err
		}
		last := &w.rows[len(w.rows)-1]
		last.at = fromMicros(at)
		if prev.Valid {
			last.previous = []byte(prev.String)
		}
		if actor.Valid { // who made the change, not who released it
			last.actor = []byte(actor.String)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("releasing events: %w", err)
	}
	if _, err := s.txExec(ctx, tx, `DELETE FROM held_events WHERE hold_id = $1`, holdID); err != nil {
		return fmt.Errorf("releasing events: %w", err)
	}
	return nil
}

// afterRelease: the app now sees a released user as the IdP does, except
// a deleted one that on_delete=deactivate keeps (retained, inactive).
func (s *Store) afterRelease(ctx context.Context, tx *txn, dirID string, u directory.HeldUser, set directory.DeprovisionSettings) error {
	if u.Action == directory.ActionDeleted && set.OnDelete == directory.OnDeleteDeactivate {
		var rec map[string]any
		if err := json.Unmarshal(u.Record, &rec); err != nil {
			return fmt.Errorf("decoding held user: %w", err)
		}
		rec["active"] = false
		b, err := json.Marshal(rec)
		if err != nil {
			return fmt.Errorf("encoding held user: %w", err)
		}
		if _, err := s.txExec(ctx, tx, `UPDATE app_users SET state = $3, hold_id = NULL, record = $4 WHERE directory_id = $1 AND user_id = $2`,
			dirID, u.UserID, directory.AppUserRetained, string(b)); err != nil {
			return fmt.Errorf("releasing user: %w", err)
		}
		return nil
	}
	if _, err := s.txExec(ctx, tx, `DELETE FROM app_users WHERE directory_id = $1 AND user_id = $2`, dirID, u.UserID); err != nil {
		return fmt.Errorf("releasing user: %w", err)
	}
	return nil
}

// DiscardHold implements directory.HoldStore.
func (s *Store) DiscardHold(ctx context.Context, directoryID, holdID, by string, now time.Time) (directory.Hold, error) {
	var out directory.Hold
	err := s.tx(ctx, func(tx *txn) error {
		w, err := s.openEvents(ctx, tx, directoryID)
		if err != nil {
			return err
		}
		w.raw, w.at = true, now.UTC().Truncate(time.Microsecond)
		h, err := s.closeHold(ctx, tx, w, holdID, directory.HoldDiscarded, by)
		if err != nil {
			return err
		}
		if _, err := s.txExec(ctx, tx, `DELETE FROM held_events WHERE hold_id = $1`, holdID); err != nil {
			return fmt.Errorf("discarding events: %w", err)
		}
		if _, err := s.txExec(ctx, tx, `UPDATE app_users SET state = $3 WHERE directory_id = $1 AND hold_id = $2`,
			directoryID, holdID, directory.AppUserDiverged); err != nil {
			return fmt.Errorf("discarding hold: %w", err)
		}
		for i := range h.Users {
			h.Users[i].State = directory.AppUserDiverged
		}
		if err := w.add(directory.HoldEvent(directory.EventHoldDiscarded, h)); err != nil {
			return err
		}
		out = h
		return s.flushEvents(ctx, tx, w)
	})
	return out, err
}

// expiryBatch bounds how many due users one query lists.
const expiryBatch = 100

// ExpireInactiveUsers implements directory.HoldStore.
func (s *Store) ExpireInactiveUsers(ctx context.Context, now time.Time, limit int) (int, error) {
	type due struct {
		dir, user string
		since     int64
		retained  bool
	}
	const day = int64(24 * time.Hour / time.Microsecond)
	rows, err := s.readRows(ctx, fmt.Sprintf(`SELECT s.directory_id, s.user_id, s.since, 0 FROM user_inactive_since s JOIN deprovision_settings d ON d.directory_id = s.directory_id
		WHERE d.delete_after_days > 0 AND s.since <= $1 - d.delete_after_days * %[1]d
		UNION ALL SELECT a.directory_id, a.user_id, a.at, 1 FROM app_users a JOIN deprovision_settings d ON d.directory_id = a.directory_id
		WHERE a.state = 'retained' AND d.delete_after_days > 0 AND a.at <= $1 - d.delete_after_days * %[1]d
		LIMIT $2`, day), micros(now), min(limit, expiryBatch))
	if err != nil {
		return 0, fmt.Errorf("listing expired users: %w", err)
	}
	var list []due
	for rows.Next() {
		var d due
		var retained int
		if err := rows.Scan(&d.dir, &d.user, &d.since, &retained); err != nil {
			rows.Close()
			return 0, fmt.Errorf("listing expired users: %w", err)
		}
		d.retained = retained == 1
		list = append(list, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("listing expired users: %w", err)
	}
	n := 0
	for _, d := range list {
		var deleted bool
		err := s.tx(ctx, func(tx *txn) error {
			deleted = false
			w, err := s.openEvents(ctx, tx, d.dir)
			if err != nil {
				return err
			}
			w.raw = true
			var spec *directory.EventSpec
			if d.retained {
				spec, err = s.expireRetained(ctx, tx, d.dir, d.user, d.since)
			} else {
				spec, err = s.expireInactive(ctx, tx, w, d.user, d.since)
			}
			if err != nil || spec == nil {
				return err
			}
			deleted = true
			if err := w.add(*spec); err != nil {
				return err
			}
			return s.flushEvents(ctx, tx, w)
		})
		if err != nil {
			return n, err
		}
		if deleted {
			n++
		}
	}
	return n, nil
}

// expireInactive deletes a user still inactive since the time the listing
// read (another process, or a reactivation, may have come first: then
// nothing happens), unless the app sees it differently (a hold).
func (s *Store) expireInactive(ctx context.Context, tx *txn, w *eventWriter, userID string, since int64) (*directory.EventSpec, error) {
	res, err := s.txExec(ctx, tx, `DELETE FROM user_inactive_since WHERE directory_id = $1 AND user_id = $2 AND since = $3
		AND NOT EXISTS (SELECT 1 FROM app_users a WHERE a.directory_id = $1 AND a.user_id = $2)`, w.dirID, userID, since)
	if err != nil {
		return nil, fmt.Errorf("expiring user: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return nil, err
	}
	u, err := scanUser(s.txRow(ctx, tx, `SELECT `+userColumns+` FROM users u WHERE u.id = $1 AND u.directory_id = $2 AND u.active = $3`+s.d.forDelete(), userID, w.dirID, false))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("expiring user: %w", err)
	}
	recs, err := s.userRecords(ctx, tx, w, []directory.User{u})
	if err != nil {
		return nil, err
	}
	if _, err := s.txExec(ctx, tx, `DELETE FROM users WHERE id = $1 AND directory_id = $2 AND active = $3`, userID, w.dirID, false); err != nil {
		return nil, fmt.Errorf("expiring user: %w", err)
	}
	e := directory.UserDeletedEvent(recs[0])
	return &e, nil
}

// expireRetained forgets a user the IdP deleted and the app kept, inactive,
// since at.
func (s *Store) expireRetained(ctx context.Context, tx *txn, dirID, userID string, at int64) (*directory.EventSpec, error) {
	u, err := scanAppUser(s.txRow(ctx, tx, `SELECT `+appUserColumns+` FROM app_users WHERE directory_id = $1 AND user_id = $2 AND state = $3 AND at = $4`+s.d.forDelete(),
		dirID, userID, directory.AppUserRetained, at))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("expiring user: %w", err)
	}
	rec, err := u.UserRecord()
	if err != nil {
		return nil, err
	}
	if _, err := s.txExec(ctx, tx, `DELETE FROM app_users WHERE directory_id = $1 AND user_id = $2`, dirID, userID); err != nil {
		return nil, fmt.Errorf("expiring user: %w", err)
	}
	e := directory.UserDeletedEvent(rec)
	return &e, nil
}
