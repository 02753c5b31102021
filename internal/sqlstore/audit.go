package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/scimbridge/scimbridge/internal/directory"
)

var _ directory.AuditStore = (*Store)(nil)

const auditColumns = `id, occurred_at, actor_type, actor_id, organization_id, action, method, route, target_type, target_id, status, source_ip, request_id`

// RecordAudit stores one audit entry.
func (s *Store) RecordAudit(ctx context.Context, e directory.AuditEntry) error {
	return s.tx(ctx, func(tx *txn) error {
		_, err := s.txExec(ctx, tx, `INSERT INTO audit_log (`+auditColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			e.ID, micros(e.OccurredAt), e.ActorType, e.ActorID, e.OrganizationID, e.Action, e.Method, e.Route,
			e.TargetType, e.TargetID, e.Status, e.SourceIP, e.RequestID)
		if err != nil {
			return fmt.Errorf("recording audit entry: %w", err)
		}
		return nil
	})
}

// ListAudit returns entries matching q, newest first (by insertion order),
// older than the entry q.Before names.
func (s *Store) ListAudit(ctx context.Context, q directory.AuditQuery) ([]directory.AuditEntry, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if q.ActorID != "" {
		add("actor_id = ?", q.ActorID)
	}
	if q.ActorType != "" {
		add("actor_type = ?", q.ActorType)
	}
	if q.Action != "" {
		add("action = ?", q.Action)
	}
	if q.TargetID != "" {
		add("target_id = ?", q.TargetID)
	}
	if q.OrganizationID != "" {
		add("organization_id = ?", q.OrganizationID)
	}
	if !q.Since.IsZero() {
		add("occurred_at >= ?", micros(q.Since))
	}
	if !q.Until.IsZero() {
		add("occurred_at < ?", micros(q.Until))
	}
	if q.Before != "" {
		var pk int64
		err := s.readRow(ctx, `SELECT pk FROM audit_log WHERE id = $1`, q.Before).Scan(&pk)
		if err == sql.ErrNoRows {
			return nil, directory.Errorf(directory.KindInvalid, "cursor %q names no audit entry", q.Before)
		}
		if err != nil {
			return nil, fmt.Errorf("reading audit cursor: %w", err)
		}
		add("pk < ?", pk)
	}
	query := `SELECT ` + auditColumns + ` FROM audit_log`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, q.Limit)
	query += ` ORDER BY pk DESC LIMIT $` + strconv.Itoa(len(args))
	rows, err := s.readRows(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("listing audit log: %w", err)
	}
	defer rows.Close()
	var out []directory.AuditEntry
	for rows.Next() {
		var e directory.AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.ActorType, &e.ActorID, &e.OrganizationID, &e.Action, &e.Method, &e.Route,
			&e.TargetType, &e.TargetID, &e.Status, &e.SourceIP, &e.RequestID); err != nil {
			return nil, fmt.Errorf("listing audit log: %w", err)
		}
		e.OccurredAt = fromMicros(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
