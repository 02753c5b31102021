package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// AppendRequests implements directory.Store. Entries of directories
// deleted since their request are skipped, so that one of them does not
// fail the whole batch.
func (s *Store) AppendRequests(ctx context.Context, entries []directory.RequestLog) error {
	if len(entries) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		exists := map[string]bool{}
		for _, e := range entries {
			ok, seen := exists[e.DirectoryID]
			if !seen {
				var n int
				if err := s.txRow(ctx, tx, `SELECT count(*) FROM directories WHERE id = $1`, e.DirectoryID).Scan(&n); err != nil {
					return fmt.Errorf("appending request log entry: %w", err)
				}
				ok = n > 0
				exists[e.DirectoryID] = ok
			}
			if !ok {
				continue
			}
			_, err := s.txExec(ctx, tx, `INSERT INTO scim_requests (id, directory_id, occurred_at, method, path, status, duration_us,
				request_body, response_body, request_truncated, response_truncated, request_id, user_agent, remote_addr)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
				e.ID, e.DirectoryID, micros(e.OccurredAt), e.Method, e.Path, e.Status, e.Duration.Microseconds(),
				e.RequestBody, e.ResponseBody, e.RequestTruncated, e.ResponseTruncated, e.RequestID, e.UserAgent, e.RemoteAddr)
			if err != nil {
				return fmt.Errorf("appending request log entry: %w", err)
			}
		}
		return nil
	})
}

const requestColumns = `id, directory_id, occurred_at, method, path, status, duration_us, request_body, response_body,
	request_truncated, response_truncated, request_id, user_agent, remote_addr`

// ListRequests implements directory.Store.
func (s *Store) ListRequests(ctx context.Context, directoryID string, q directory.RequestQuery) ([]directory.RequestLog, error) {
	var n int
	if err := s.readRow(ctx, `SELECT count(*) FROM directories WHERE id = $1`, directoryID).Scan(&n); err != nil {
		return nil, fmt.Errorf("listing requests: %w", err)
	}
	if n == 0 {
		return nil, notFound("directory", directoryID)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	var where strings.Builder
	args := []any{directoryID}
	where.WriteString(`directory_id = $1`)
	add := func(cond string, v any) {
		args = append(args, v)
		where.WriteString(" AND " + strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if q.Before != "" {
		// An unknown id yields NULL, and pk < NULL selects nothing.
		add(`pk < (SELECT pk FROM scim_requests WHERE id = $? AND directory_id = $1)`, q.Before)
	}
	if q.MinStatus > 0 {
		add(`status >= $?`, q.MinStatus)
	}
	if q.MaxStatus > 0 {
		add(`status <= $?`, q.MaxStatus)
	}
	if q.Method != "" {
		add(`method = $?`, q.Method)
	}
	args = append(args, limit)
	query := `SELECT ` + requestColumns + ` FROM scim_requests WHERE ` + where.String() +
		` ORDER BY pk DESC LIMIT $` + strconv.Itoa(len(args))
	rows, err := s.readRows(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("listing requests: %w", err)
	}
	defer rows.Close()
	out := []directory.RequestLog{}
	for rows.Next() {
		var e directory.RequestLog
		var at, dur int64
		if err := rows.Scan(&e.ID, &e.DirectoryID, &at, &e.Method, &e.Path, &e.Status, &dur, &e.RequestBody, &e.ResponseBody,
			&e.RequestTruncated, &e.ResponseTruncated, &e.RequestID, &e.UserAgent, &e.RemoteAddr); err != nil {
			return nil, fmt.Errorf("listing requests: %w", err)
		}
		e.OccurredAt, e.Duration = fromMicros(at), time.Duration(dur)*time.Microsecond
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing requests: %w", err)
	}
	return out, nil
}

// PruneRequests implements directory.Store.
func (s *Store) PruneRequests(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, `DELETE FROM scim_requests WHERE occurred_at < $1`, micros(before))
		if err != nil {
			return fmt.Errorf("pruning request log: %w", err)
		}
		n, err = res.RowsAffected()
		if err != nil {
			return fmt.Errorf("pruning request log: %w", err)
		}
		return nil
	})
	return int(n), err
}
