package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// requestsPerInsert is how many entries one INSERT statement carries
// (16 parameters each, well within both databases' limits).
const requestsPerInsert = 200

// AppendRequests implements directory.Store: multi-row INSERTs on SQLite,
// one COPY on PostgreSQL (pgTxn.copyRequests), then each directory's
// usage row grows by the entries' sizes. Entries of directories deleted
// since their request are skipped, so that one of them does not fail the
// whole batch.
func (s *Store) AppendRequests(ctx context.Context, entries []directory.RequestLog) error {
	if len(entries) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *txn) error {
		type usage struct{ bytes, entries int64 }
		used := map[string]*usage{}
		kept := make([]*directory.RequestLog, 0, len(entries))
		for i := range entries {
			e := &entries[i]
			u, seen := used[e.DirectoryID]
			if !seen {
				var n int
				if err := s.txRow(ctx, tx, `SELECT count(*) FROM directories WHERE id = $1`, e.DirectoryID).Scan(&n); err != nil {
					return fmt.Errorf("appending request log entries: %w", err)
				}
				if n > 0 {
					u = &usage{}
				}
				used[e.DirectoryID] = u
			}
			if u == nil {
				continue
			}
			u.bytes += e.Size()
			u.entries++
			kept = append(kept, e)
		}
		if tx.pg != nil {
			// PostgreSQL: one COPY (pgtx.go).
			if err := tx.pg.copyRequests(ctx, kept); err != nil {
				return fmt.Errorf("appending request log entries: %w", err)
			}
		}
		// SQLite: at most rowsPerStatement rows per INSERT (16), so that the
		// statement texts are few enough to stay prepared (stmt.go); with up
		// to 200 rows a statement, a text per batch size, most batches
		// parsed their INSERT again (about 4 % of a create's CPU).
		per := min(requestsPerInsert, s.d.rowsPerStatement())
		for start := 0; tx.pg == nil && start < len(kept); start += per {
			chunk := kept[start:min(start+per, len(kept))]
			var b strings.Builder
			b.WriteString(`INSERT INTO scim_requests (id, directory_id, occurred_at, method, path, status, duration_us,
				request_body, response_body, request_truncated, response_truncated, request_id, user_agent, remote_addr,
				metadata_only, repeats) VALUES `)
			args := make([]any, 0, 16*len(chunk))
			for i, e := range chunk {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(" + placeholders(len(args)+1, 16) + ")")
				args = append(args, e.ID, e.DirectoryID, micros(e.OccurredAt), e.Method, e.Path, e.Status, e.Duration.Microseconds(),
					e.RequestBody, e.ResponseBody, e.RequestTruncated, e.ResponseTruncated, e.RequestID, e.UserAgent, e.RemoteAddr,
					e.MetadataOnly, e.Repeats)
			}
			if _, err := s.txExec(ctx, tx, b.String(), args...); err != nil {
				return fmt.Errorf("appending request log entries: %w", err)
			}
		}
		// In directory order, so that concurrent batches of several
		// processes lock the usage rows in the same order.
		dirs := make([]string, 0, len(used))
		for dir, u := range used {
			if u != nil {
				dirs = append(dirs, dir)
			}
		}
		sort.Strings(dirs)
		for _, dir := range dirs {
			if _, err := s.txExec(ctx, tx, `INSERT INTO scim_request_usage (directory_id, bytes, entries) VALUES ($1, $2, $3)
				ON CONFLICT (directory_id) DO UPDATE SET bytes = scim_request_usage.bytes + excluded.bytes,
				entries = scim_request_usage.entries + excluded.entries`, dir, used[dir].bytes, used[dir].entries); err != nil {
				return fmt.Errorf("appending request log entries: %w", err)
			}
			if err := s.noteHealth(ctx, tx, dir, kept); err != nil {
				return fmt.Errorf("appending request log entries: %w", err)
			}
		}
		return nil
	})
}

const healthColumns = `accepted_at, refused, refused_at, failed, failed_since, failed_at`

func scanHealth(row interface{ Scan(...any) error }, h *directory.RequestHealth) error {
	var accepted, refusedAt, failedSince, failedAt sql.NullInt64
	if err := row.Scan(&accepted, &h.Refused, &refusedAt, &h.Failed, &failedSince, &failedAt); err != nil {
		return err
	}
	h.AcceptedAt, h.RefusedAt = fromNullMicros(accepted), fromNullMicros(refusedAt)
	h.FailedSince, h.FailedAt = fromNullMicros(failedSince), fromNullMicros(failedAt)
	return nil
}

// noteHealth updates a directory's RequestHealth (its usage row, which the
// caller has just written and so holds locked) with the entries of that
// directory, in the order they occurred.
func (s *Store) noteHealth(ctx context.Context, tx *txn, dir string, entries []*directory.RequestLog) error {
	var h directory.RequestHealth
	if err := scanHealth(s.txRow(ctx, tx, `SELECT `+healthColumns+` FROM scim_request_usage WHERE directory_id = $1`, dir), &h); err != nil {
		return err
	}
	mine := make([]*directory.RequestLog, 0, len(entries))
	for _, e := range entries {
		if e.DirectoryID == dir {
			mine = append(mine, e)
		}
	}
	sort.SliceStable(mine, func(i, j int) bool { return mine[i].OccurredAt.Before(mine[j].OccurredAt) })
	for _, e := range mine {
		h.Note(e)
	}
	_, err := s.txExec(ctx, tx, `UPDATE scim_request_usage SET accepted_at = $2, refused = $3, refused_at = $4, failed = $5,
		failed_since = $6, failed_at = $7 WHERE directory_id = $1`, dir, nullMicros(h.AcceptedAt), h.Refused, nullMicros(h.RefusedAt),
		h.Failed, nullMicros(h.FailedSince), nullMicros(h.FailedAt))
	return err
}

// RequestHealth implements directory.Store: one query for all the listed
// directories.
func (s *Store) RequestHealth(ctx context.Context, directoryIDs []string) (map[string]directory.RequestHealth, error) {
	out := map[string]directory.RequestHealth{}
	if len(directoryIDs) == 0 {
		return out, nil
	}
	args := make([]any, len(directoryIDs))
	for i, id := range directoryIDs {
		args[i] = id
	}
	rows, err := s.readRows(ctx, `SELECT directory_id, `+healthColumns+` FROM scim_request_usage WHERE directory_id IN (`+
		placeholders(1, len(args))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("reading request health: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var h directory.RequestHealth
		if err := scanHealth(scanFunc(func(dest ...any) error {
			return rows.Scan(append([]any{&id}, dest...)...)
		}), &h); err != nil {
			return nil, fmt.Errorf("reading request health: %w", err)
		}
		out[id] = h
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading request health: %w", err)
	}
	return out, nil
}

// requestSize is directory.RequestLog.Size in SQL, for entries being
// deleted (RETURNING).
func (s *Store) requestSize() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(directory.RequestOverhead))
	for _, c := range []string{"id", "directory_id", "method", "path", "request_body", "response_body", "request_id", "user_agent", "remote_addr"} {
		b.WriteString(" + " + s.d.octetLength(c))
	}
	return b.String()
}

// deleteRequests runs one DELETE of request log entries that returns
// their directory and size (a DELETE … RETURNING directory_id, size), and
// takes what it deleted off the directories' usage rows, in the same
// transaction. It returns how many entries it deleted.
func (s *Store) deleteRequests(ctx context.Context, tx *txn, query string, args ...any) (int, error) {
	rows, err := s.txRows(ctx, tx, query+` RETURNING directory_id, `+s.requestSize(), args...)
	if err != nil {
		return 0, err
	}
	type usage struct{ bytes, entries int64 }
	freed := map[string]*usage{}
	n := 0
	for rows.Next() {
		var dir string
		var size int64
		if err := rows.Scan(&dir, &size); err != nil {
			rows.Close()
			return 0, err
		}
		u := freed[dir]
		if u == nil {
			u = &usage{}
			freed[dir] = u
		}
		u.bytes += size
		u.entries++
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	rows.Close()
	dirs := make([]string, 0, len(freed))
	for dir := range freed {
		dirs = append(dirs, dir)
	}
	sort.Strings(dirs)
	for _, dir := range dirs {
		if _, err := s.txExec(ctx, tx, `UPDATE scim_request_usage SET bytes = bytes - $2, entries = entries - $3 WHERE directory_id = $1`,
			dir, freed[dir].bytes, freed[dir].entries); err != nil {
			return 0, err
		}
	}
	return n, nil
}

const requestColumns = `id, directory_id, occurred_at, method, path, status, duration_us, request_body, response_body,
	request_truncated, response_truncated, request_id, user_agent, remote_addr, metadata_only, repeats`

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
			&e.RequestTruncated, &e.ResponseTruncated, &e.RequestID, &e.UserAgent, &e.RemoteAddr, &e.MetadataOnly, &e.Repeats); err != nil {
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

// PruneRequests implements directory.Store, in chunks of pruneChunk
// entries, one transaction each.
func (s *Store) PruneRequests(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for {
		var n int
		err := s.tx(ctx, func(tx *txn) error {
			var err error
			n, err = s.deleteRequests(ctx, tx, `DELETE FROM scim_requests WHERE pk IN (SELECT pk FROM scim_requests
				WHERE occurred_at < $1 ORDER BY occurred_at LIMIT $2)`, micros(before), pruneChunk)
			if err != nil {
				return fmt.Errorf("pruning request log: %w", err)
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < pruneChunk {
			return total, nil
		}
	}
}

// PruneRequestsOverBudget implements directory.Store. A directory over
// the budget is pruned to nine tenths of it, so that one that keeps
// growing is not pruned on every call; the oldest entries go first, in
// chunks of at most pruneChunk, one transaction each.
func (s *Store) PruneRequestsOverBudget(ctx context.Context, maxBytes int64) (int, error) {
	type over struct {
		dir            string
		bytes, entries int64
	}
	rows, err := s.readRows(ctx, `SELECT directory_id, bytes, entries FROM scim_request_usage WHERE bytes > $1 ORDER BY directory_id`, maxBytes)
	if err != nil {
		return 0, fmt.Errorf("pruning request log to its budget: %w", err)
	}
	var dirs []over
	for rows.Next() {
		var o over
		if err := rows.Scan(&o.dir, &o.bytes, &o.entries); err != nil {
			rows.Close()
			return 0, fmt.Errorf("pruning request log to its budget: %w", err)
		}
		dirs = append(dirs, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("pruning request log to its budget: %w", err)
	}
	target := maxBytes - maxBytes/10
	total := 0
	for _, o := range dirs {
		for o.bytes > target && o.entries > 0 {
			// Entries to delete, from the average size: at least one,
			// at most a chunk.
			k := min(max((o.bytes-target)*o.entries/o.bytes+1, 1), pruneChunk)
			var n int
			err := s.tx(ctx, func(tx *txn) error {
				var err error
				n, err = s.deleteRequests(ctx, tx, `DELETE FROM scim_requests WHERE pk IN (SELECT pk FROM scim_requests
					WHERE directory_id = $1 ORDER BY pk LIMIT $2)`, o.dir, k)
				if err != nil {
					return err
				}
				return s.txRow(ctx, tx, `SELECT bytes, entries FROM scim_request_usage WHERE directory_id = $1`, o.dir).Scan(&o.bytes, &o.entries)
			})
			if errors.Is(err, sql.ErrNoRows) {
				break // the directory was deleted meanwhile
			}
			if err != nil {
				return total, fmt.Errorf("pruning request log to its budget: %w", err)
			}
			total += n
			if n == 0 {
				break
			}
		}
	}
	return total, nil
}

// NoteRequestsDropped implements directory.Store.
func (s *Store) NoteRequestsDropped(ctx context.Context, dropped map[string]int64, at time.Time) error {
	dirs := make([]string, 0, len(dropped))
	for dir := range dropped {
		dirs = append(dirs, dir)
	}
	sort.Strings(dirs)
	return s.tx(ctx, func(tx *txn) error {
		for _, dir := range dirs {
			if _, err := s.txExec(ctx, tx, `INSERT INTO scim_request_usage (directory_id, dropped, dropped_since)
				SELECT id, $2, $3 FROM directories WHERE id = $1
				ON CONFLICT (directory_id) DO UPDATE SET dropped = scim_request_usage.dropped + excluded.dropped,
				dropped_since = COALESCE(scim_request_usage.dropped_since, excluded.dropped_since)`,
				dir, dropped[dir], micros(at)); err != nil {
				return fmt.Errorf("recording dropped request log entries: %w", err)
			}
		}
		return nil
	})
}

// RequestLogStats implements directory.Store.
func (s *Store) RequestLogStats(ctx context.Context, directoryID string) (directory.RequestLogStats, error) {
	var st directory.RequestLogStats
	var since sql.NullInt64
	var exists int
	err := s.readRow(ctx, `SELECT (SELECT count(*) FROM directories WHERE id = $1), COALESCE(u.bytes, 0), COALESCE(u.entries, 0),
		COALESCE(u.dropped, 0), u.dropped_since
		FROM (SELECT 1 AS one) o LEFT JOIN scim_request_usage u ON u.directory_id = $1`, directoryID).
		Scan(&exists, &st.Bytes, &st.Entries, &st.Dropped, &since)
	if err != nil {
		return st, fmt.Errorf("reading request log stats: %w", err)
	}
	if exists == 0 {
		return st, notFound("directory", directoryID)
	}
	st.DroppedSince = fromNullMicros(since)
	return st, nil
}
