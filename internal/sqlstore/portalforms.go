package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

var _ directory.PortalFormStore = (*Store)(nil)

// ClaimPortalForm implements directory.PortalFormStore: the primary key
// (session, key) decides which of two submissions is first.
func (s *Store) ClaimPortalForm(ctx context.Context, sessionHash []byte, key string, at time.Time) (bool, string, error) {
	var first bool
	var target string
	err := s.tx(ctx, func(tx *txn) error {
		first, target = false, ""
		var n int
		if err := s.txRow(ctx, tx, `SELECT count(*) FROM portal_sessions WHERE hash = $1`, sessionHash).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return notFound("portal session", "")
		}
		res, err := s.txExec(ctx, tx, `INSERT INTO portal_forms (session_hash, form_key, target, created_at) VALUES ($1, $2, '', $3)
			ON CONFLICT (session_hash, form_key) DO NOTHING`, sessionHash, key, micros(at))
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil {
			return err
		} else if k == 1 {
			first = true
			return nil
		}
		return s.txRow(ctx, tx, `SELECT target FROM portal_forms WHERE session_hash = $1 AND form_key = $2`, sessionHash, key).Scan(&target)
	})
	if err != nil && !directory.IsNotFound(err) {
		err = fmt.Errorf("claiming portal form: %w", err)
	}
	return first, target, err
}

// CompletePortalForm implements directory.PortalFormStore.
func (s *Store) CompletePortalForm(ctx context.Context, sessionHash []byte, key, target string, sealed []byte) error {
	return s.tx(ctx, func(tx *txn) error {
		if _, err := s.txExec(ctx, tx, `UPDATE portal_forms SET target = $3, sealed_secret = $4 WHERE session_hash = $1 AND form_key = $2`,
			sessionHash, key, target, sealed); err != nil {
			return fmt.Errorf("completing portal form: %w", err)
		}
		return nil
	})
}

// ReleasePortalForm implements directory.PortalFormStore.
func (s *Store) ReleasePortalForm(ctx context.Context, sessionHash []byte, key string) error {
	return s.tx(ctx, func(tx *txn) error {
		if _, err := s.txExec(ctx, tx, `DELETE FROM portal_forms WHERE session_hash = $1 AND form_key = $2`, sessionHash, key); err != nil {
			return fmt.Errorf("releasing portal form: %w", err)
		}
		return nil
	})
}

// TakePortalSecret implements directory.PortalFormStore: the rows are
// read locked (PostgreSQL: a concurrent caller waits, then finds them
// cleared; SQLite: one writer at a time) and cleared in one transaction.
func (s *Store) TakePortalSecret(ctx context.Context, sessionHash []byte, target string, since time.Time) ([]byte, error) {
	var out []byte
	err := s.tx(ctx, func(tx *txn) error {
		out = nil
		rows, err := s.txRows(ctx, tx, `SELECT form_key, sealed_secret, created_at FROM portal_forms
			WHERE session_hash = $1 AND target = $2 AND sealed_secret IS NOT NULL`+s.d.forUpdate(), sessionHash, target)
		if err != nil {
			return err
		}
		var keys []string
		newest := int64(-1)
		for rows.Next() {
			var key string
			var sealed []byte
			var at int64
			if err := rows.Scan(&key, &sealed, &at); err != nil {
				rows.Close()
				return err
			}
			keys = append(keys, key)
			if at >= micros(since) && at > newest {
				out, newest = sealed, at
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, key := range keys {
			if _, err := s.txExec(ctx, tx, `UPDATE portal_forms SET sealed_secret = NULL WHERE session_hash = $1 AND form_key = $2`,
				sessionHash, key); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("taking portal secret: %w", err)
	}
	return out, nil
}
