package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

var _ directory.PortalStore = (*Store)(nil)

const portalLinkColumns = `id, organization_id, kind, hash, return_url, created_at, expires_at, used_at, revoked_at`

func scanPortalLink(row interface{ Scan(...any) error }) (directory.PortalLink, error) {
	var l directory.PortalLink
	var created, expires int64
	var used, revoked sql.NullInt64
	if err := row.Scan(&l.ID, &l.OrganizationID, &l.Kind, &l.Hash, &l.ReturnURL, &created, &expires, &used, &revoked); err != nil {
		return l, err
	}
	l.CreatedAt, l.ExpiresAt, l.UsedAt, l.RevokedAt = fromMicros(created), fromMicros(expires), fromNullMicros(used), fromNullMicros(revoked)
	return l, nil
}

// CreatePortalLink implements directory.PortalStore.
func (s *Store) CreatePortalLink(ctx context.Context, l directory.PortalLink) error {
	return s.tx(ctx, func(tx *txn) error {
		var n int
		if err := s.txRow(ctx, tx, `SELECT count(*) FROM organizations WHERE id = $1`, l.OrganizationID).Scan(&n); err != nil {
			return fmt.Errorf("creating portal link: %w", err)
		}
		if n == 0 {
			return notFound("organization", l.OrganizationID)
		}
		_, err := s.txExec(ctx, tx, `INSERT INTO portal_links (`+portalLinkColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			l.ID, l.OrganizationID, l.Kind, l.Hash, l.ReturnURL, micros(l.CreatedAt), micros(l.ExpiresAt), nullMicros(l.UsedAt), nullMicros(l.RevokedAt))
		if err != nil {
			return fmt.Errorf("creating portal link: %w", err)
		}
		return nil
	})
}

// PortalLinkByHash implements directory.PortalStore.
func (s *Store) PortalLinkByHash(ctx context.Context, hash []byte) (directory.PortalLink, error) {
	l, err := scanPortalLink(s.readRow(ctx, `SELECT `+portalLinkColumns+` FROM portal_links WHERE hash = $1`, hash))
	if err == sql.ErrNoRows {
		return l, notFound("portal link", "")
	}
	if err != nil {
		return l, fmt.Errorf("reading portal link: %w", err)
	}
	return l, nil
}

// ListPortalLinks implements directory.PortalStore.
func (s *Store) ListPortalLinks(ctx context.Context, orgID string) ([]directory.PortalLink, error) {
	rows, err := s.readRows(ctx, `SELECT `+portalLinkColumns+` FROM portal_links WHERE organization_id = $1 ORDER BY created_at DESC, id DESC`, orgID)
	if err != nil {
		return nil, fmt.Errorf("listing portal links: %w", err)
	}
	defer rows.Close()
	var out []directory.PortalLink
	for rows.Next() {
		l, err := scanPortalLink(rows)
		if err != nil {
			return nil, fmt.Errorf("listing portal links: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// RevokePortalLink implements directory.PortalStore.
func (s *Store) RevokePortalLink(ctx context.Context, orgID, id string, at time.Time) error {
	return s.tx(ctx, func(tx *txn) error {
		var n int
		if err := s.txRow(ctx, tx, `SELECT count(*) FROM portal_links WHERE id = $1 AND organization_id = $2`, id, orgID).Scan(&n); err != nil {
			return fmt.Errorf("revoking portal link: %w", err)
		}
		if n == 0 {
			return notFound("portal link", id)
		}
		if _, err := s.txExec(ctx, tx, `UPDATE portal_links SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, id, micros(at)); err != nil {
			return fmt.Errorf("revoking portal link: %w", err)
		}
		if _, err := s.txExec(ctx, tx, `DELETE FROM portal_sessions WHERE link_id = $1`, id); err != nil {
			return fmt.Errorf("revoking portal link: ending its sessions: %w", err)
		}
		return nil
	})
}

// MarkPortalLinkUsed implements directory.PortalStore. The conditional
// update makes the first use exclusive across processes.
func (s *Store) MarkPortalLinkUsed(ctx context.Context, id string, at time.Time) (bool, error) {
	var first bool
	err := s.tx(ctx, func(tx *txn) error {
		res, err := s.txExec(ctx, tx, `UPDATE portal_links SET used_at = $2 WHERE id = $1 AND used_at IS NULL`, id, micros(at))
		if err != nil {
			return fmt.Errorf("marking portal link used: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("marking portal link used: %w", err)
		}
		first = n == 1
		return nil
	})
	return first, err
}

const portalSessionColumns = `hash, organization_id, link_id, return_url, created_at, last_seen_at, expires_at`

// CreatePortalSession implements directory.PortalStore.
func (s *Store) CreatePortalSession(ctx context.Context, ps directory.PortalSession) error {
	return s.tx(ctx, func(tx *txn) error {
		if _, err := s.txExec(ctx, tx, `DELETE FROM portal_sessions WHERE expires_at < $1`, micros(ps.CreatedAt)); err != nil {
			return fmt.Errorf("pruning portal sessions: %w", err)
		}
		_, err := s.txExec(ctx, tx, `INSERT INTO portal_sessions (`+portalSessionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			ps.Hash, ps.OrganizationID, ps.LinkID, ps.ReturnURL, micros(ps.CreatedAt), micros(ps.LastSeenAt), micros(ps.ExpiresAt))
		if isForeignKey(err) {
			return notFound("portal link", ps.LinkID)
		}
		if err != nil {
			return fmt.Errorf("creating portal session: %w", err)
		}
		return nil
	})
}

// PortalSessionByHash implements directory.PortalStore.
func (s *Store) PortalSessionByHash(ctx context.Context, hash []byte) (directory.PortalSession, error) {
	var ps directory.PortalSession
	var created, seen, expires int64
	err := s.readRow(ctx, `SELECT `+portalSessionColumns+` FROM portal_sessions WHERE hash = $1`, hash).
		Scan(&ps.Hash, &ps.OrganizationID, &ps.LinkID, &ps.ReturnURL, &created, &seen, &expires)
	if err == sql.ErrNoRows {
		return ps, notFound("portal session", "")
	}
	if err != nil {
		return ps, fmt.Errorf("reading portal session: %w", err)
	}
	ps.CreatedAt, ps.LastSeenAt, ps.ExpiresAt = fromMicros(created), fromMicros(seen), fromMicros(expires)
	return ps, nil
}

// TouchPortalSession implements directory.PortalStore.
func (s *Store) TouchPortalSession(ctx context.Context, hash []byte, at time.Time) error {
	return s.tx(ctx, func(tx *txn) error {
		if _, err := s.txExec(ctx, tx, `UPDATE portal_sessions SET last_seen_at = $2 WHERE hash = $1`, hash, micros(at)); err != nil {
			return fmt.Errorf("touching portal session: %w", err)
		}
		return nil
	})
}

// DeletePortalSession implements directory.PortalStore.
func (s *Store) DeletePortalSession(ctx context.Context, hash []byte) error {
	return s.tx(ctx, func(tx *txn) error {
		if _, err := s.txExec(ctx, tx, `DELETE FROM portal_sessions WHERE hash = $1`, hash); err != nil {
			return fmt.Errorf("ending portal session: %w", err)
		}
		return nil
	})
}
