package sqlstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// The deprovisioning guard, as the store applies it to each transaction's
// events just before writing them (flushEvents calls guard). It does not
// depend on how events are numbered: the events it keeps from the app go
// to held_events instead of the events table, and a release appends them
// through an ordinary eventWriter, which numbers them then
// (docs/deprovisioning-guard.md).
//
// Per transaction of a directory it:
//   - records when users were deactivated, for on_deactivate=delete_after;
//   - makes an IdP delete a deactivation when on_delete=deactivate (the
//     user is gone for the IdP, kept inactive for the app: app_users);
//   - counts deprovisions in the window and opens a hold past the
//     threshold; a deprovisioned user of an open hold is "held": the app's
//     view of it is the record it had before (app_users.record), and every
//     later event about it (its memberships and roles too) is held;
//   - drops events about diverged users (a discarded hold) until the IdP
//     makes one active again, which is replaced by the events that bring
//     the app from its record to the IdP's.
//
// The common case (no deprovision, no user the app sees differently) costs
// one indexed read of app_users.

// concerned returns the user an event is about ("" for none).
func concerned(r eventRow) string {
	switch r.typ {
	case directory.EventUserCreated, directory.EventUserUpdated, directory.EventUserDeleted:
		return r.subject
	case directory.EventGroupMemberAdded, directory.EventGroupMemberRemoved:
		if strings.HasPrefix(r.member, directory.PrefixUser+"_") {
			return r.member
		}
	}
	return ""
}

// openHold is the directory's open hold as the guard sees it.
type openHold struct {
	id        string
	threshold int
	openedAt  time.Time
}

func (s *Store) guard(ctx context.Context, tx *txn, w *eventWriter) error {
	if w.raw || w.dirID == "" {
		return nil
	}
	var ids []string
	seen := map[string]bool{}
	deprov := false
	for _, r := range w.rows {
		// A user just created is new to app_users too: creates (the bulk
		// of an initial sync) cost no lookup.
		if id := concerned(r); id != "" && !seen[id] && r.typ != directory.EventUserCreated {
			seen[id] = true
			ids = append(ids, id)
		}
		deprov = deprov || r.life.Deprovision()
		if err := s.noteLifecycle(ctx, tx, w, r); err != nil {
			return err
		}
	}
	if len(ids) == 0 || (!deprov && w.appKnown && !w.hasApp) {
		return nil // (PostgreSQL: openEvents read that no user is in app_users)
	}
	app, err := s.appUsers(ctx, s.txQuery(tx), w.dirID, ids)
	if err != nil {
		return err
	}
	if !deprov && len(app) == 0 {
		return nil
	}
	var extra []directory.EventSpec // events the guard adds (hold_opened)
	if deprov {
		if extra, err = s.guardDeprovisions(ctx, tx, w, app); err != nil {
			return err
		}
	}
	return s.partition(ctx, tx, w, app, extra)
}

// noteLifecycle keeps user_inactive_since: when each inactive user was
// deactivated, as the IdP did it (held or not).
func (s *Store) noteLifecycle(ctx context.Context, tx *txn, w *eventWriter, r eventRow) error {
	var err error
	switch r.life {
	case directory.LifeDeactivated, directory.LifeCreatedInactive:
		// Since the change as the service timed it (the record's
		// updated_at), which the policy job compares with its own clock.
		since := r.at
		var rec struct {
			UpdatedAt *time.Time `json:"updated_at"`
		}
		if json.Unmarshal(r.data, &rec) == nil && rec.UpdatedAt != nil {
			since = *rec.UpdatedAt
		}
		_, err = s.txExec(ctx, tx, `INSERT INTO user_inactive_since (directory_id, user_id, since) VALUES ($1, $2, $3)
			ON CONFLICT (directory_id, user_id) DO NOTHING`, w.dirID, r.subject, micros(since))
	case directory.LifeReactivated, directory.LifeDeleted:
		_, err = s.txExec(ctx, tx, `DELETE FROM user_inactive_since WHERE directory_id = $1 AND user_id = $2`, w.dirID, r.subject)
	}
	if err != nil {
		return fmt.Errorf("recording deactivation: %w", err)
	}
	return nil
}

// guardDeprovisions applies the policies and the threshold to the
// transaction's deprovisions, adding the users an open hold now shields to
// app. It returns the hold_opened event when the transaction opened one.
func (s *Store) guardDeprovisions(ctx context.Context, tx *txn, w *eventWriter, app map[string]directory.HeldUser) ([]directory.EventSpec, error) {
	// The directory row orders the directory's deprovisioning writers (the
	// count, the opening of a hold and a release).
	var one int
	if err := s.txRow(ctx, tx, `SELECT 1 FROM directories WHERE id = $1`+s.d.forUpdate(), w.dirID).Scan(&one); err != nil {
		return nil, fmt.Errorf("locking directory: %w", err)
	}
	set, err := s.deprovisionSettings(ctx, s.txQuery(tx), w.dirID)
	if err != nil {
		return nil, err
	}
	req := directory.RequestIDFrom(ctx)
	if set.OnDelete == directory.OnDeleteDeactivate {
		if err := s.deleteAsDeactivation(ctx, tx, w, app, req); err != nil {
			return nil, err
		}
	}
	if !set.GuardEnabled {
		return nil, nil
	}
	var fresh []int // rows deprovisioning a user no hold shields yet
	for i, r := range w.rows {
		if a, ok := app[r.subject]; r.life.Deprovision() && (!ok || a.State == directory.AppUserRetained) {
			fresh = append(fresh, i)
		}
	}
	if len(fresh) == 0 {
		return nil, s.noteHeldDeletes(ctx, tx, w, app)
	}
	from := micros(w.at.Add(-set.GuardWindow))
	if _, err := s.txExec(ctx, tx, `DELETE FROM deprovision_log WHERE directory_id = $1 AND at < $2`, w.dirID, from); err != nil {
		return nil, fmt.Errorf("counting deprovisions: %w", err)
	}
	for range fresh {
		if _, err := s.txExec(ctx, tx, `INSERT INTO deprovision_log (directory_id, at) VALUES ($1, $2)`, w.dirID, micros(w.at)); err != nil {
			return nil, fmt.Errorf("counting deprovisions: %w", err)
		}
	}
	h, err := s.currentHold(ctx, tx, w.dirID)
	if err != nil {
		return nil, err
	}
	var extra []directory.EventSpec
	if h == nil {
		var n int
		if err := s.txRow(ctx, tx, `SELECT count(*) FROM deprovision_log WHERE directory_id = $1`, w.dirID).Scan(&n); err != nil {
			return nil, fmt.Errorf("counting deprovisions: %w", err)
		}
		if n <= set.GuardMin {
			return nil, nil // under the floor, whatever the directory's size
		}
		var active int
		if err := s.txRow(ctx, tx, `SELECT count(*) FROM users WHERE directory_id = $1 AND active = $2`, w.dirID, true).Scan(&active); err != nil {
			return nil, fmt.Errorf("counting active users: %w", err)
		}
		// The window's deprovisions were active before it: the threshold
		// is a share of the directory as it was.
		threshold := set.Threshold(active + n)
		if n <= threshold {
			return nil, nil
		}
		if h, err = s.openHold(ctx, tx, w, threshold); err != nil {
			return nil, err
		}
		extra = append(extra, directory.HoldEvent(directory.EventHoldOpened, directory.Hold{ID: h.id, DirectoryID: w.dirID,
			OrganizationID: w.orgID, Status: directory.HoldOpen, Threshold: threshold, OpenedAt: h.openedAt}))
	}
	for _, i := range fresh {
		r := w.rows[i]
		rec, err := directory.AppRecordBefore(r.data, r.previous)
		if err != nil {
			return nil, err
		}
		var name struct {
			UserName string `json:"user_name"`
		}
		if err := json.Unmarshal(r.data, &name); err != nil {
			return nil, fmt.Errorf("decoding event data: %w", err)
		}
		action := directory.ActionDeactivated
		if r.life == directory.LifeDeleted || app[r.subject].State == directory.AppUserRetained {
			action = directory.ActionDeleted
		}
		hu := directory.HeldUser{UserID: r.subject, UserName: name.UserName, State: directory.AppUserHeld, HoldID: h.id,
			Action: action, At: r.at, RequestID: req, Record: rec}
		if _, err := s.txExec(ctx, tx, `INSERT INTO app_users (directory_id, user_id, state, hold_id, user_name, action, at, request_id, record)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (directory_id, user_id) DO UPDATE SET state = excluded.state, hold_id = excluded.hold_id, action = excluded.action,
				at = excluded.at, request_id = excluded.request_id, record = excluded.record`,
			w.dirID, hu.UserID, hu.State, hu.HoldID, hu.UserName, hu.Action, micros(hu.At), hu.RequestID, string(rec)); err != nil {
			return nil, fmt.Errorf("holding user: %w", err)
		}
		app[r.subject] = hu
	}
	return extra, s.noteHeldDeletes(ctx, tx, w, app)
}

// noteHeldDeletes records that the IdP deleted a user an open hold already
// shields for its deactivation.
func (s *Store) noteHeldDeletes(ctx context.Context, tx *txn, w *eventWriter, app map[string]directory.HeldUser) error {
	for _, r := range w.rows {
		a, ok := app[r.subject]
		if !ok || a.State != directory.AppUserHeld || r.life != directory.LifeDeleted || a.Action == directory.ActionDeleted {
			continue
		}
		if _, err := s.txExec(ctx, tx, `UPDATE app_users SET action = $3 WHERE directory_id = $1 AND user_id = $2`,
			w.dirID, r.subject, directory.ActionDeleted); err != nil {
			return fmt.Errorf("holding user: %w", err)
		}
		a.Action = directory.ActionDeleted
		app[r.subject] = a
	}
	return nil
}

// deleteAsDeactivation turns the transaction's user_deleted events into
// deactivations and keeps the users for the app (on_delete=deactivate).
func (s *Store) deleteAsDeactivation(ctx context.Context, tx *txn, w *eventWriter, app map[string]directory.HeldUser, req string) error {
	for i, r := range w.rows {
		if r.life != directory.LifeDeleted {
			continue
		}
		if a, ok := app[r.subject]; ok && a.State == directory.AppUserDiverged {
			continue // the app keeps it as it was; the delete is dropped
		}
		var rec directory.UserRecord
		if err := json.Unmarshal(r.data, &rec); err != nil {
			return fmt.Errorf("decoding event data: %w", err)
		}
		e := directory.DeleteAsDeactivation(rec)
		data, err := json.Marshal(e.Data)
		if err != nil {
			return fmt.Errorf("encoding event: %w", err)
		}
		prev, err := json.Marshal(e.Previous)
		if err != nil {
			return fmt.Errorf("encoding event: %w", err)
		}
		w.rows[i].typ, w.rows[i].data, w.rows[i].previous = e.Type, data, prev
		if !rec.Active {
			// Already inactive: not a deprovision now, and no change the
			// app sees (the IdP forgot a user the app keeps inactive):
			// no event (partition drops rows without a type).
			w.rows[i].typ, w.rows[i].life = "", directory.LifeNone
		}
		if _, err := s.txExec(ctx, tx, `INSERT INTO app_users (directory_id, user_id, state, hold_id, user_name, action, at, request_id, record)
			VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8)
			ON CONFLICT (directory_id, user_id) DO NOTHING`,
			w.dirID, rec.ID, directory.AppUserRetained, rec.UserName, directory.ActionDeleted, micros(r.at), req, string(data)); err != nil {
			return fmt.Errorf("retaining user: %w", err)
		}
		if _, ok := app[rec.ID]; !ok {
			app[rec.ID] = directory.HeldUser{UserID: rec.ID, State: directory.AppUserRetained}
		}
	}
	return nil
}

// partition sends each event where it belongs: held events to the hold,
// events about diverged users nowhere (or, once the IdP agrees, the events
// that reconcile the app), the rest to the app. Nothing here is numbered
// yet (sequences are given at commit or seal), so what is kept stays
// gapless.
func (s *Store) partition(ctx context.Context, tx *txn, w *eventWriter, app map[string]directory.HeldUser, extra []directory.EventSpec) error {
	orig := w.rows
	w.rows = make([]eventRow, 0, len(orig)+len(extra))
	if err := w.add(extra...); err != nil {
		return err
	}
	open := map[string]bool{} // hold id → still open (checked once per transaction)
	for _, r := range orig {
		if r.typ == "" {
			continue // dropped by a policy (deleteAsDeactivation)
		}
		a, ok := app[concerned(r)]
		switch {
		case !ok || a.State == directory.AppUserRetained:
			w.rows = append(w.rows, r)
		case a.State == directory.AppUserHeld:
			isOpen, err := s.holdIsOpen(ctx, tx, a.HoldID, open)
			if err != nil {
				return err
			}
			if !isOpen {
				w.rows = append(w.rows, r)
				continue
			}
			if _, err := s.txExec(ctx, tx, `INSERT INTO held_events (hold_id, occurred_at, type, subject_id, member_id, data, previous, actor)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, a.HoldID, micros(r.at), r.typ, nullString(r.subject), nullString(r.member),
				string(r.data), nullText(r.previous), nullText(r.actor)); err != nil {
				return fmt.Errorf("holding event: %w", err)
			}
		case a.State == directory.AppUserDiverged:
			if err := s.reconcile(ctx, tx, w, app, a, r); err != nil {
				return err
			}
		}
	}
	return nil
}

// reconcile handles an event about a diverged user: dropped, unless the
// IdP's record now agrees with the app's; then the user stops being
// diverged and the app gets what changed meanwhile.
func (s *Store) reconcile(ctx context.Context, tx *txn, w *eventWriter, app map[string]directory.HeldUser, a directory.HeldUser, r eventRow) error {
	if r.typ != directory.EventUserUpdated {
		return nil
	}
	var idp directory.UserRecord
	if err := json.Unmarshal(r.data, &idp); err != nil {
		return fmt.Errorf("decoding event data: %w", err)
	}
	mine, err := a.UserRecord()
	if err != nil {
		return err
	}
	if !directory.Agrees(mine, idp) {
		return nil
	}
	specs, err := directory.ReconcileEvents(mine, idp)
	if err != nil {
		return err
	}
	if _, err := s.txExec(ctx, tx, `DELETE FROM app_users WHERE directory_id = $1 AND user_id = $2 AND state = $3`,
		w.dirID, a.UserID, directory.AppUserDiverged); err != nil {
		return fmt.Errorf("reconciling user: %w", err)
	}
	delete(app, a.UserID)
	return w.add(specs...)
}

// holdIsOpen reports whether the hold is open, locking its row for share
// so that a release or discard waits for this transaction (and this one,
// if it came second, sees the hold closed and lets the event through).
func (s *Store) holdIsOpen(ctx context.Context, tx *txn, id string, cache map[string]bool) (bool, error) {
	if v, ok := cache[id]; ok {
		return v, nil
	}
	var status string
	err := s.txRow(ctx, tx, `SELECT status FROM holds WHERE id = $1`+s.d.forKeyShare(), id).Scan(&status)
	if err != nil && err != sql.ErrNoRows {
		return false, fmt.Errorf("reading hold: %w", err)
	}
	cache[id] = status == directory.HoldOpen
	return cache[id], nil
}

// currentHold returns the directory's open hold, or nil.
func (s *Store) currentHold(ctx context.Context, tx *txn, dirID string) (*openHold, error) {
	var h openHold
	var at int64
	err := s.txRow(ctx, tx, `SELECT id, threshold, opened_at FROM holds WHERE directory_id = $1 AND status = 'open'`, dirID).Scan(&h.id, &h.threshold, &at)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading hold: %w", err)
	}
	h.openedAt = fromMicros(at)
	return &h, nil
}

// openHold opens a hold; its id derives from the directory and the time
// (a directory has one open hold at a time).
func (s *Store) openHold(ctx context.Context, tx *txn, w *eventWriter, threshold int) (*openHold, error) {
	sum := sha256.Sum256([]byte("hold/" + w.dirID + "/" + w.at.Format(time.RFC3339Nano)))
	id, err := directory.IDs{Now: func() time.Time { return w.at }, Rand: bytes.NewReader(sum[:10])}.New(directory.PrefixHold)
	if err != nil {
		return nil, err
	}
	if _, err := s.txExec(ctx, tx, `INSERT INTO holds (id, directory_id, status, threshold, opened_at) VALUES ($1, $2, 'open', $3, $4)`,
		id, w.dirID, threshold, micros(w.at)); err != nil {
		return nil, fmt.Errorf("opening hold: %w", err)
	}
	return &openHold{id: id, threshold: threshold, openedAt: w.at}, nil
}

func nullText(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}
