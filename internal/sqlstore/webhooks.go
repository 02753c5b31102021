package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// Webhook endpoints and deliveries (directory.WebhookStore). Claiming is
// safe across processes: on PostgreSQL stream heads are locked with
// FOR UPDATE SKIP LOCKED; on SQLite the single writer serializes claims.

var _ directory.WebhookStore = (*Store)(nil)

const endpointColumns = `id, url, description, event_types, organization_ids, enabled, secret, previous_secret,
	previous_secret_expires_at, fanout_position, disabled_reason, failing_since, created_at, updated_at`

func scanEndpoint(row interface{ Scan(...any) error }) (directory.WebhookEndpoint, error) {
	var e directory.WebhookEndpoint
	var types, orgs string
	var prevExp, failing sql.NullInt64
	var created, updated int64
	if err := row.Scan(&e.ID, &e.URL, &e.Description, &types, &orgs, &e.Enabled, &e.Secret, &e.PreviousSecret,
		&prevExp, &e.FanoutPosition, &e.DisabledReason, &failing, &created, &updated); err != nil {
		return e, err
	}
	if err := json.Unmarshal([]byte(types), &e.EventTypes); err != nil {
		return e, fmt.Errorf("decoding event_types: %w", err)
	}
	if err := json.Unmarshal([]byte(orgs), &e.OrganizationIDs); err != nil {
		return e, fmt.Errorf("decoding organization_ids: %w", err)
	}
	e.PreviousSecretExpiresAt, e.FailingSince = fromNullMicros(prevExp), fromNullMicros(failing)
	e.CreatedAt, e.UpdatedAt = fromMicros(created), fromMicros(updated)
	return e, nil
}

func jsonList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// CreateWebhookEndpoint implements directory.WebhookStore. The endpoint's
// fan-out position starts at the feed's latest position.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, e directory.WebhookEndpoint) error {
	head, err := s.feedHead(ctx)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *txn) error {
		_, err := s.txExec(ctx, tx, `INSERT INTO webhook_endpoints (`+endpointColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			e.ID, e.URL, e.Description, jsonList(e.EventTypes), jsonList(e.OrganizationIDs), e.Enabled, e.Secret,
			nullBytes(e.PreviousSecret), nullMicros(e.PreviousSecretExpiresAt), head, e.DisabledReason,
			nullMicros(e.FailingSince), micros(e.CreatedAt), micros(e.UpdatedAt))
		if isUnique(err) {
			return conflict(fmt.Sprintf("webhook endpoint %q already exists", e.ID), err)
		}
		if err != nil {
			return fmt.Errorf("creating webhook endpoint: %w", err)
		}
		return nil
	})
}

// GetWebhookEndpoint implements directory.WebhookStore.
func (s *Store) GetWebhookEndpoint(ctx context.Context, id string) (directory.WebhookEndpoint, error) {
	e, err := scanEndpoint(s.readRow(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = $1`, id))
	if err == sql.ErrNoRows {
		return e, notFound("webhook endpoint", id)
	}
	if err != nil {
		return e, fmt.Errorf("reading webhook endpoint: %w", err)
	}
	return e, nil
}

// ListWebhookEndpoints implements directory.WebhookStore.
func (s *Store) ListWebhookEndpoints(ctx context.Context, after string, limit int, enabledOnly bool) ([]directory.WebhookEndpoint, error) {
	q := `SELECT ` + endpointColumns + ` FROM webhook_endpoints WHERE id > $1`
	if enabledOnly {
		q += ` AND enabled`
	}
	q += ` ORDER BY id`
	args := []any{after}
	if limit > 0 {
		q += ` LIMIT $2`
		args = append(args, limit)
	}
	rows, err := s.readRows(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing webhook endpoints: %w", err)
	}
	defer rows.Close()
	var out []directory.WebhookEndpoint
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("listing webhook endpoints: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing webhook endpoints: %w", err)
	}
	return out, nil
}

// UpdateWebhookEndpoint implements directory.WebhookStore.
func (s *Store) UpdateWebhookEndpoint(ctx context.Context, id string, now time.Time, fn func(*directory.WebhookEndpoint) error) (directory.WebhookEndpoint, error) {
	var out directory.WebhookEndpoint
	err := s.tx(ctx, func(tx *txn) error {
		e, err := scanEndpoint(s.txRow(ctx, tx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = $1`+s.d.forUpdate(), id))
		if err == sql.ErrNoRows {
			return notFound("webhook endpoint", id)
		}
		if err != nil {
			return fmt.Errorf("reading webhook endpoint: %w", err)
		}
		if err := fn(&e); err != nil {
			return err
		}
		e.UpdatedAt = fromMicros(micros(now))
		_, err = s.txExec(ctx, tx, `UPDATE webhook_endpoints SET url = $2, description = $3, event_types = $4,
			organization_ids = $5, enabled = $6, secret = $7, previous_secret = $8, previous_secret_expires_at = $9,
			disabled_reason = $10, failing_since = $11, updated_at = $12 WHERE id = $1`,
			id, e.URL, e.Description, jsonList(e.EventTypes), jsonList(e.OrganizationIDs), e.Enabled, e.Secret,
			nullBytes(e.PreviousSecret), nullMicros(e.PreviousSecretExpiresAt), e.DisabledReason,
			nullMicros(e.FailingSince), micros(now))
		if err != nil {
			return fmt.Errorf("updating webhook endpoint: %w", err)
		}
		out = e
		return nil
	})
	return out, err
}

// DeleteWebhookEndpoint implements directory.WebhookStore.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, id string) error {
	return s.tx(ctx, func(tx *txn) error {
		res, err := s.txExec(ctx, tx, `DELETE FROM webhook_endpoints WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("deleting webhook endpoint: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("webhook endpoint", id)
		}
		return nil
	})
}

// DisableWebhookEndpoint implements directory.WebhookStore. An endpoint
// already disabled is left as it is, and no notice is written.
func (s *Store) DisableWebhookEndpoint(ctx context.Context, id, reason string, now time.Time, notice directory.Event) error {
	return s.tx(ctx, func(tx *txn) error {
		res, err := s.txExec(ctx, tx, `UPDATE webhook_endpoints SET enabled = $2, disabled_reason = $3, updated_at = $4
			WHERE id = $1 AND enabled`, id, false, reason, micros(now))
		if err != nil {
			return fmt.Errorf("disabling webhook endpoint: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := s.txEndpointExists(ctx, tx, id); err != nil {
				return err
			}
			return nil
		}
		return s.appendNotice(ctx, tx, notice)
	})
}

func (s *Store) txEndpointExists(ctx context.Context, tx *txn, id string) (bool, error) {
	var n int
	if err := s.txRow(ctx, tx, `SELECT count(*) FROM webhook_endpoints WHERE id = $1`, id).Scan(&n); err != nil {
		return false, fmt.Errorf("reading webhook endpoint: %w", err)
	}
	if n == 0 {
		return false, notFound("webhook endpoint", id)
	}
	return true, nil
}

const deliveryColumns = `id, endpoint_id, event_id, event_type, position, directory_id, sequence, payload, status,
	attempts, next_attempt_at, created_at, updated_at`

// deliverySelect reads deliveries (alias d) with the feed event each refers
// to (alias e, by position: the events table's key on SQLite), from which
// the body of a delivery with no stored payload is rendered.
const deliverySelect = deliveryFields + deliveryFrom

const deliveryFields = `SELECT d.id, d.endpoint_id, d.event_id, d.event_type, d.position, d.directory_id, d.sequence, d.payload,
	d.status, d.attempts, d.next_attempt_at, d.created_at, d.updated_at,
	e.type, e.occurred_at, e.organization_id, e.directory_id, e.sequence, e.data, e.previous, e.actor`

const deliveryFrom = ` FROM webhook_deliveries d LEFT JOIN events e ON d.payload IS NULL AND d.position > 0 AND e.position = d.position`

func scanDelivery(row interface{ Scan(...any) error }, extra ...any) (directory.WebhookDelivery, error) {
	var d directory.WebhookDelivery
	var next, created, updated int64
	var typ, org, dir, data, prev, actor sql.NullString
	var at, seq sql.NullInt64
	dest := []any{&d.ID, &d.EndpointID, &d.EventID, &d.EventType, &d.Position, &d.DirectoryID, &d.Sequence,
		&d.Payload, &d.Status, &d.Attempts, &next, &created, &updated, &typ, &at, &org, &dir, &seq, &data, &prev, &actor}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return d, err
	}
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = fromMicros(next), fromMicros(created), fromMicros(updated)
	if len(d.Payload) == 0 && typ.Valid {
		ev := directory.Event{ID: d.EventID, Type: typ.String, OccurredAt: fromMicros(at.Int64), OrganizationID: org.String,
			DirectoryID: dir.String, Sequence: seq.Int64, Position: d.Position, Data: json.RawMessage(data.String), Actor: scanActor(actor)}
		if prev.Valid {
			ev.Previous = json.RawMessage(prev.String)
		}
		body, err := directory.WebhookPayload(ev)
		if err != nil {
			return d, fmt.Errorf("rendering event %s: %w", d.EventID, err)
		}
		d.Payload = body
	}
	return d, nil
}

// txExisting returns which of the delivery ids exist.
func (s *Store) txExisting(ctx context.Context, tx *txn, ids []string) (map[string]bool, error) {
	out := make(map[string]bool, len(ids))
	for chunk := range slices.Chunk(ids, s.d.rowsPerStatement()) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := s.txRows(ctx, tx, `SELECT id FROM webhook_deliveries WHERE id IN (`+placeholders(1, len(chunk))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("reading webhook deliveries: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("reading webhook deliveries: %w", err)
			}
			out[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("reading webhook deliveries: %w", err)
		}
	}
	return out, nil
}

// insertAttempts logs attempts in multi-row statements.
func (s *Store) insertAttempts(ctx context.Context, tx *txn, as []directory.WebhookAttempt) error {
	const cols = 6
	for chunk := range slices.Chunk(as, s.d.rowsPerStatement()) {
		var b strings.Builder
		b.WriteString(`INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, latency_us, response_body, error) VALUES `)
		args := make([]any, 0, len(chunk)*cols)
		for i, a := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + placeholders(i*cols+1, cols) + ")")
			args = append(args, a.DeliveryID, micros(a.AttemptedAt), a.StatusCode, a.Latency.Microseconds(), a.ResponseBody, a.Error)
		}
		if _, err := s.txExec(ctx, tx, b.String(), args...); err != nil {
			return fmt.Errorf("recording webhook attempts: %w", err)
		}
	}
	return nil
}

// insertDeliveries inserts ds in multi-row statements.
func (s *Store) insertDeliveries(ctx context.Context, tx *txn, ds []directory.WebhookDelivery) error {
	const cols = 13
	chunk := s.d.rowsPerStatement()
	for len(ds) > 0 {
		n := min(len(ds), chunk)
		var b strings.Builder
		b.WriteString(`INSERT INTO webhook_deliveries (` + deliveryColumns + `) VALUES `)
		args := make([]any, 0, n*cols)
		for i, d := range ds[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + placeholders(i*cols+1, cols) + ")")
			args = append(args, d.ID, d.EndpointID, d.EventID, d.EventType, d.Position, d.DirectoryID, d.Sequence,
				nullBytes(d.Payload), d.Status, d.Attempts, micros(d.NextAttemptAt), micros(d.CreatedAt), micros(d.UpdatedAt))
		}
		_, err := s.txExec(ctx, tx, b.String(), args...)
		if isForeignKey(err) {
			return notFound("webhook endpoint", ds[0].EndpointID)
		}
		if err != nil {
			return fmt.Errorf("inserting webhook deliveries: %w", err)
		}
		ds = ds[n:]
	}
	return nil
}

// FanOut implements directory.WebhookStore.
func (s *Store) FanOut(ctx context.Context, endpointID string, from, to int64, ds []directory.WebhookDelivery) error {
	return s.tx(ctx, func(tx *txn) error {
		res, err := s.txExec(ctx, tx, `UPDATE webhook_endpoints SET fanout_position = $3 WHERE id = $1 AND fanout_position = $2`,
			endpointID, from, to)
		if err != nil {
			return fmt.Errorf("moving fan-out position: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := s.txEndpointExists(ctx, tx, endpointID); err != nil {
				return err
			}
			return directory.Errorf(directory.KindPrecondition, "webhook endpoint %s was fanned out past %d by another worker", endpointID, from)
		}
		return s.insertDeliveries(ctx, tx, ds)
	})
}

// EnqueueDeliveries implements directory.WebhookStore.
func (s *Store) EnqueueDeliveries(ctx context.Context, ds []directory.WebhookDelivery) error {
	return s.tx(ctx, func(tx *txn) error { return s.insertDeliveries(ctx, tx, ds) })
}

// ClaimDeliveries implements directory.WebhookStore.
func (s *Store) ClaimDeliveries(ctx context.Context, r directory.ClaimRequest) ([]directory.DeliveryRun, error) {
	if due, err := s.d.anythingDue(ctx, micros(r.Now)); err != nil || !due {
		return nil, err
	}
	var runs []directory.DeliveryRun
	err := s.tx(ctx, func(tx *txn) error {
		runs = nil
		var err error
		runs, err = s.claim(ctx, tx, r)
		return err
	})
	if err != nil || len(runs) == 0 {
		return runs, err
	}
	// A failure here leaves the leases to lapse: the runs are sent later.
	if err := s.loadPayloads(ctx, runs, r.Body); err != nil {
		return nil, err
	}
	return runs, nil
}

// claimableHeads returns a query of the stream heads claimable at $1
// (columns d.id, d.endpoint_id, d.directory_id), oldest due first, at most
// $2: pending deliveries of enabled endpoints, due and not leased, with no
// older pending delivery in their stream. Each dialect finds them its own
// way (claimableHeads in dialect_*.go).
func (s *Store) claimableHeads() string { return s.d.claimableHeads() }

type streamHead struct {
	id, endpointID, directoryID string
}

func (s *Store) claim(ctx context.Context, tx *txn, r directory.ClaimRequest) ([]directory.DeliveryRun, error) {
	// A head is a pending delivery, due and not leased, of an enabled
	// endpoint, with no older pending delivery in its stream. More than
	// MaxRuns are read so that heads of endpoints at their cap can be
	// passed over.
	rows, err := s.txRows(ctx, tx, s.claimableHeads(), micros(r.Now), 4*r.MaxRuns)
	if err != nil {
		return nil, fmt.Errorf("finding due webhook deliveries: %w", err)
	}
	var heads []streamHead
	for rows.Next() {
		var h streamHead
		if err := rows.Scan(&h.id, &h.endpointID, &h.directoryID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("finding due webhook deliveries: %w", err)
		}
		heads = append(heads, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("finding due webhook deliveries: %w", err)
	}
	claimed := map[string]int{}
	endpoints := map[string]directory.WebhookEndpoint{}
	var runs []directory.DeliveryRun
	for _, h := range heads {
		if len(runs) >= r.MaxRuns {
			break
		}
		if r.PerEndpoint > 0 && r.Busy[h.endpointID]+claimed[h.endpointID] >= r.PerEndpoint {
			continue
		}
		run, err := s.claimRun(ctx, tx, r, h)
		if err != nil {
			return nil, err
		}
		if len(run) == 0 {
			continue
		}
		e, ok := endpoints[h.endpointID]
		if !ok {
			e, err = scanEndpoint(s.txRow(ctx, tx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = $1`, h.endpointID))
			if err != nil {
				return nil, fmt.Errorf("reading webhook endpoint: %w", err)
			}
			endpoints[h.endpointID] = e
		}
		claimed[h.endpointID]++
		runs = append(runs, directory.DeliveryRun{Endpoint: e, Deliveries: run})
	}
	return runs, nil
}

// claimRun leases the head h and the pending deliveries after it in its
// stream, stopping before one not due yet or leased by someone else.
func (s *Store) claimRun(ctx context.Context, tx *txn, r directory.ClaimRequest, h streamHead) ([]directory.WebhookDelivery, error) {
	limit := max(r.RunLength, 1)
	// Bodies are not read here: the writer is held, and rendering them
	// can wait until after the commit (loadPayloads).
	rows, err := s.txRows(ctx, tx, `SELECT id, endpoint_id, event_id, event_type, position, directory_id, sequence, status,
		attempts, next_attempt_at, created_at, updated_at, lease_until FROM webhook_deliveries
		WHERE endpoint_id = $1 AND directory_id = $2 AND status = 'pending' ORDER BY sequence, pk LIMIT $3`+s.d.forUpdate(),
		h.endpointID, h.directoryID, limit)
	if err != nil {
		return nil, fmt.Errorf("claiming webhook deliveries: %w", err)
	}
	defer rows.Close()
	var run []directory.WebhookDelivery
	for rows.Next() {
		var d directory.WebhookDelivery
		var next, created, updated int64
		var lease sql.NullInt64
		if err := rows.Scan(&d.ID, &d.EndpointID, &d.EventID, &d.EventType, &d.Position, &d.DirectoryID, &d.Sequence, &d.Status,
			&d.Attempts, &next, &created, &updated, &lease); err != nil {
			return nil, fmt.Errorf("claiming webhook deliveries: %w", err)
		}
		d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = fromMicros(next), fromMicros(created), fromMicros(updated)
		if len(run) == 0 && d.ID != h.id {
			return nil, nil // the stream changed since the head was read
		}
		if d.NextAttemptAt.After(r.Now) || (lease.Valid && lease.Int64 >= micros(r.Now)) {
			break
		}
		run = append(run, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claiming webhook deliveries: %w", err)
	}
	rows.Close()
	if len(run) == 0 {
		return nil, nil
	}
	// Leasing the head leases the run: no other delivery of the stream
	// can be claimed while its head is pending.
	if _, err := s.txExec(ctx, tx, `UPDATE webhook_deliveries SET lease_owner = $1, lease_until = $2 WHERE id = $3`,
		r.Owner, micros(r.LeaseUntil), h.id); err != nil {
		return nil, fmt.Errorf("leasing webhook deliveries: %w", err)
	}
	return run, nil
}

// loadPayloads fills the bodies of claimed runs: those known (rendered by
// the caller's fan-out), else, on a read connection, stored payloads or
// the feed events rendered.
func (s *Store) loadPayloads(ctx context.Context, runs []directory.DeliveryRun, known func(int64) []byte) error {
	idx := map[string]*directory.WebhookDelivery{}
	var ids []any
	for i := range runs {
		for j := range runs[i].Deliveries {
			d := &runs[i].Deliveries[j]
			if known != nil && d.Position > 0 {
				if d.Payload = known(d.Position); d.Payload != nil {
					continue
				}
			}
			idx[d.ID] = d
			ids = append(ids, d.ID)
		}
	}
	for chunk := range slices.Chunk(ids, 100) {
		rows, err := s.readRows(ctx, deliverySelect+` WHERE d.id IN (`+placeholders(1, len(chunk))+`)`, chunk...)
		if err != nil {
			return fmt.Errorf("reading webhook payloads: %w", err)
		}
		for rows.Next() {
			d, err := scanDelivery(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("reading webhook payloads: %w", err)
			}
			if p := idx[d.ID]; p != nil {
				p.Payload = d.Payload
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("reading webhook payloads: %w", err)
		}
	}
	return nil
}

// RecordDeliveries implements directory.WebhookStore.
func (s *Store) RecordDeliveries(ctx context.Context, owner string, now time.Time, results []directory.DeliveryResult, release []string) error {
	return s.tx(ctx, func(tx *txn) error {
		// Deliveries deleted meanwhile (with their endpoint) are skipped.
		ids := make([]string, len(results))
		for i, res := range results {
			ids[i] = res.Attempt.DeliveryID
		}
		exists, err := s.txExisting(ctx, tx, ids)
		if err != nil {
			return err
		}
		streaks := map[string]*streak{}
		var order []string
		var attempts []directory.WebhookAttempt
		var succeeded []string
		for _, res := range results {
			a := res.Attempt
			if !exists[a.DeliveryID] {
				continue
			}
			attempts = append(attempts, a)
			if res.Status == directory.DeliverySucceeded {
				succeeded = append(succeeded, a.DeliveryID)
			} else if _, err := s.txExec(ctx, tx, `UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, next_attempt_at = $3,
				lease_owner = NULL, lease_until = NULL, updated_at = $4 WHERE id = $1 AND status = 'pending' AND (lease_owner = $5 OR lease_owner IS NULL)`,
				a.DeliveryID, res.Status, micros(res.NextAttemptAt), micros(now), owner); err != nil {
				return fmt.Errorf("recording webhook delivery: %w", err)
			}
			st, ok := streaks[res.EndpointID]
			if !ok {
				st = &streak{}
				streaks[res.EndpointID] = st
				order = append(order, res.EndpointID)
			}
			if res.Status == directory.DeliverySucceeded {
				st.succeeded, st.firstFailure = true, time.Time{}
			} else if st.firstFailure.IsZero() {
				st.firstFailure = a.AttemptedAt
			}
		}
		if err := s.insertAttempts(ctx, tx, attempts); err != nil {
			return err
		}
		if err := s.markSucceeded(ctx, tx, owner, now, succeeded); err != nil {
			return err
		}
		if err := s.recordStreaks(ctx, tx, streaks, order); err != nil {
			return err
		}
		if len(release) > 0 {
			args := []any{owner}
			for _, id := range release {
				args = append(args, id)
			}
			if _, err := s.txExec(ctx, tx, `UPDATE webhook_deliveries SET lease_owner = NULL, lease_until = NULL
				WHERE lease_owner = $1 AND id IN (`+placeholders(2, len(release))+`)`, args...); err != nil {
				return fmt.Errorf("releasing webhook deliveries: %w", err)
			}
		}
		return nil
	})
}

// streak is what one RecordDeliveries call saw of an endpoint.
type streak struct {
	succeeded    bool
	firstFailure time.Time // first failure after the last success in results
}

// markSucceeded marks the listed deliveries succeeded, unless another
// owner leased them meanwhile.
func (s *Store) markSucceeded(ctx context.Context, tx *txn, owner string, now time.Time, succeeded []string) error {
	for chunk := range slices.Chunk(succeeded, s.d.rowsPerStatement()) {
		args := []any{micros(now), owner}
		for _, id := range chunk {
			args = append(args, id)
		}
		if _, err := s.txExec(ctx, tx, `UPDATE webhook_deliveries SET status = 'succeeded', attempts = attempts + 1, next_attempt_at = $1,
			lease_owner = NULL, lease_until = NULL, updated_at = $1 WHERE status = 'pending' AND (lease_owner = $2 OR lease_owner IS NULL) AND id IN (`+
			placeholders(3, len(chunk))+`)`, args...); err != nil {
			return fmt.Errorf("recording webhook deliveries: %w", err)
		}
	}
	return nil
}

// recordStreaks updates the endpoints' failing_since from their streaks,
// in order.
func (s *Store) recordStreaks(ctx context.Context, tx *txn, streaks map[string]*streak, order []string) error {
	for _, id := range order {
		st := streaks[id]
		var err error
		if st.succeeded {
			if st.firstFailure.IsZero() {
				_, err = s.txExec(ctx, tx, `UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL`, id)
			} else {
				_, err = s.txExec(ctx, tx, `UPDATE webhook_endpoints SET failing_since = $2 WHERE id = $1`, id, micros(st.firstFailure))
			}
		} else {
			_, err = s.txExec(ctx, tx, `UPDATE webhook_endpoints SET failing_since = $2 WHERE id = $1 AND failing_since IS NULL`, id, micros(st.firstFailure))
		}
		if err != nil {
			return fmt.Errorf("recording webhook endpoint failures: %w", err)
		}
	}
	return nil
}

// ListWebhookDeliveries implements directory.WebhookStore.
func (s *Store) ListWebhookDeliveries(ctx context.Context, endpointID, before string, limit int) ([]directory.WebhookDelivery, error) {
	if _, err := s.GetWebhookEndpoint(ctx, endpointID); err != nil {
		return nil, err
	}
	cond, args := `d.endpoint_id = $1`, []any{endpointID}
	if before != "" {
		var pk int64
		err := s.readRow(ctx, `SELECT pk FROM webhook_deliveries WHERE id = $1 AND endpoint_id = $2`, before, endpointID).Scan(&pk)
		if err == sql.ErrNoRows {
			return nil, directory.Errorf(directory.KindInvalid, "the page cursor names no delivery of this endpoint (it may have been pruned): start again from the first page")
		}
		if err != nil {
			return nil, fmt.Errorf("reading page cursor: %w", err)
		}
		args = append(args, pk)
		cond += ` AND d.pk < $2`
	}
	q := deliverySelect + ` WHERE ` + cond + ` ORDER BY d.pk DESC`
	if limit > 0 {
		args = append(args, limit)
		q += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	rows, err := s.readRows(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing webhook deliveries: %w", err)
	}
	var out []directory.WebhookDelivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("listing webhook deliveries: %w", err)
		}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing webhook deliveries: %w", err)
	}
	if err := s.loadAttempts(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// loadAttempts fills the attempt logs of ds.
func (s *Store) loadAttempts(ctx context.Context, ds []directory.WebhookDelivery) error {
	if len(ds) == 0 {
		return nil
	}
	idx := map[string]int{}
	args := make([]any, 0, len(ds))
	for i, d := range ds {
		idx[d.ID] = i
		args = append(args, d.ID)
	}
	rows, err := s.readRows(ctx, `SELECT delivery_id, attempted_at, status_code, latency_us, response_body, error
		FROM webhook_attempts WHERE delivery_id IN (`+placeholders(1, len(ds))+`) ORDER BY pk`, args...)
	if err != nil {
		return fmt.Errorf("listing webhook attempts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a directory.WebhookAttempt
		var at, latency int64
		if err := rows.Scan(&a.DeliveryID, &at, &a.StatusCode, &latency, &a.ResponseBody, &a.Error); err != nil {
			return fmt.Errorf("listing webhook attempts: %w", err)
		}
		a.AttemptedAt, a.Latency = fromMicros(at), time.Duration(latency)*time.Microsecond
		i := idx[a.DeliveryID]
		ds[i].AttemptLog = append(ds[i].AttemptLog, a)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("listing webhook attempts: %w", err)
	}
	return nil
}

// GetWebhookDelivery implements directory.WebhookStore.
func (s *Store) GetWebhookDelivery(ctx context.Context, endpointID, id string) (directory.WebhookDelivery, error) {
	d, err := scanDelivery(s.readRow(ctx, deliverySelect+` WHERE d.id = $1 AND d.endpoint_id = $2`, id, endpointID))
	if err == sql.ErrNoRows {
		return d, notFound("webhook delivery", id)
	}
	if err != nil {
		return d, fmt.Errorf("reading webhook delivery: %w", err)
	}
	ds := []directory.WebhookDelivery{d}
	if err := s.loadAttempts(ctx, ds); err != nil {
		return d, err
	}
	return ds[0], nil
}

// RetryWebhookDelivery implements directory.WebhookStore.
func (s *Store) RetryWebhookDelivery(ctx context.Context, endpointID, id string, now time.Time) (directory.WebhookDelivery, error) {
	err := s.tx(ctx, func(tx *txn) error {
		res, err := s.txExec(ctx, tx, `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $3,
			lease_owner = NULL, lease_until = NULL, updated_at = $3 WHERE id = $1 AND endpoint_id = $2`, id, endpointID, micros(now))
		if err != nil {
			return fmt.Errorf("retrying webhook delivery: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("webhook delivery", id)
		}
		return nil
	})
	if err != nil {
		return directory.WebhookDelivery{}, err
	}
	return s.GetWebhookDelivery(ctx, endpointID, id)
}

// PruneWebhookDeliveries implements directory.WebhookStore, in chunks so
// that no one transaction holds the writer for long.
func (s *Store) PruneWebhookDeliveries(ctx context.Context, before time.Time) (int, error) {
	return s.deleteInChunks(ctx, "pruning webhook deliveries", `DELETE FROM webhook_deliveries WHERE pk IN (SELECT pk FROM webhook_deliveries
		WHERE status <> 'pending' AND updated_at < $1 LIMIT $2)`, micros(before))
}
