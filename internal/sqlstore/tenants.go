package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// CreateOrganization implements directory.Store.
func (s *Store) CreateOrganization(ctx context.Context, o directory.Organization) error {
	return s.tx(ctx, func(tx *txn) error {
		_, err := s.txExec(ctx, tx, `INSERT INTO organizations (id, name, external_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)`,
			o.ID, o.Name, nullString(o.ExternalID), micros(o.CreatedAt), micros(o.UpdatedAt))
		if isUnique(err) {
			return conflict(fmt.Sprintf("an organization with external_id %q already exists", o.ExternalID), err)
		}
		if err != nil {
			return fmt.Errorf("creating organization: %w", err)
		}
		return nil
	})
}

// GetOrganization implements directory.Store.
func (s *Store) GetOrganization(ctx context.Context, id string) (directory.Organization, error) {
	var o directory.Organization
	var ext sql.NullString
	var created, updated int64
	err := s.readRow(ctx, `SELECT id, name, external_id, created_at, updated_at FROM organizations WHERE id = $1`, id).
		Scan(&o.ID, &o.Name, &ext, &created, &updated)
	if err == sql.ErrNoRows {
		return o, notFound("organization", id)
	}
	if err != nil {
		return o, fmt.Errorf("reading organization: %w", err)
	}
	o.ExternalID, o.CreatedAt, o.UpdatedAt = ext.String, fromMicros(created), fromMicros(updated)
	return o, nil
}

// CreateDirectory implements directory.Store.
func (s *Store) CreateDirectory(ctx context.Context, d directory.Directory) error {
	return s.tx(ctx, func(tx *txn) error {
		var n int
		if err := s.txRow(ctx, tx, `SELECT count(*) FROM organizations WHERE id = $1`, d.OrganizationID).Scan(&n); err != nil {
			return fmt.Errorf("creating directory: %w", err)
		}
		if n == 0 {
			return notFound("organization", d.OrganizationID)
		}
		attrs, err := encodeMappings(d.Attributes.Mappings)
		if err != nil {
			return err
		}
		_, err = s.txExec(ctx, tx, `INSERT INTO directories (id, organization_id, name, provider, enabled, created_at, updated_at, last_request_at, strict, reject_unknown_members, request_log_bodies, attr_mappings, attr_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			d.ID, d.OrganizationID, d.Name, d.Provider, d.Enabled, micros(d.CreatedAt), micros(d.UpdatedAt), nullMicros(d.LastRequestAt), d.Settings.Strict, d.Settings.RejectUnknownMembers, string(d.Settings.RequestLogBodies), attrs, d.Attributes.Version)
		if err != nil {
			return fmt.Errorf("creating directory: %w", err)
		}
		return nil
	})
}

// GetDirectory implements directory.Store.
func (s *Store) GetDirectory(ctx context.Context, id string) (directory.Directory, error) {
	var d directory.Directory
	var created, updated int64
	var last optInt
	var ac attrCols
	err := s.readRow(ctx, `SELECT id, organization_id, name, provider, enabled, created_at, updated_at, last_request_at, strict, reject_unknown_members, request_log_bodies, `+attrColumns+`
		FROM directories WHERE id = $1`, id).
		Scan(append([]any{&d.ID, &d.OrganizationID, &d.Name, &d.Provider, &d.Enabled, &created, &updated, &last, &d.Settings.Strict, &d.Settings.RejectUnknownMembers, &d.Settings.RequestLogBodies}, ac.dest()...)...)
	if err == sql.ErrNoRows {
		return d, notFound("directory", id)
	}
	if err != nil {
		return d, fmt.Errorf("reading directory: %w", err)
	}
	d.CreatedAt, d.UpdatedAt, d.LastRequestAt = fromMicros(created), fromMicros(updated), fromNullMicros(last.NullInt64)
	return d, ac.decode(&d)
}

// UpdateDirectory implements directory.Store.
func (s *Store) UpdateDirectory(ctx context.Context, id string, now time.Time, fn func(*directory.Directory) error) (directory.Directory, error) {
	var out directory.Directory
	err := s.tx(ctx, func(tx *txn) error {
		var d directory.Directory
		var created, updated int64
		var last sql.NullInt64
		var ac attrCols
		err := s.txRow(ctx, tx, `SELECT id, organization_id, name, provider, enabled, created_at, updated_at, last_request_at, strict, reject_unknown_members, request_log_bodies, `+attrColumns+`
			FROM directories WHERE id = $1`+s.d.forUpdate(), id).
			Scan(append([]any{&d.ID, &d.OrganizationID, &d.Name, &d.Provider, &d.Enabled, &created, &updated, &last, &d.Settings.Strict, &d.Settings.RejectUnknownMembers, &d.Settings.RequestLogBodies}, ac.dest()...)...)
		if err == sql.ErrNoRows {
			return notFound("directory", id)
		}
		if err != nil {
			return fmt.Errorf("reading directory: %w", err)
		}
		d.CreatedAt, d.UpdatedAt, d.LastRequestAt = fromMicros(created), fromMicros(updated), fromNullMicros(last)
		if err := ac.decode(&d); err != nil {
			return err
		}
		wasEnabled := d.Enabled
		if err := fn(&d); err != nil {
			return err
		}
		d.UpdatedAt = fromMicros(micros(now))
		if _, err := s.txExec(ctx, tx, `UPDATE directories SET name = $2, provider = $3, enabled = $4, strict = $5, reject_unknown_members = $6, updated_at = $7, request_log_bodies = $8 WHERE id = $1`,
			id, d.Name, d.Provider, d.Enabled, d.Settings.Strict, d.Settings.RejectUnknownMembers, micros(now), string(d.Settings.RequestLogBodies)); err != nil {
			return fmt.Errorf("updating directory: %w", err)
		}
		out = d
		if d.Enabled == wasEnabled {
			return nil
		}
		w, err := s.openEvents(ctx, tx, id)
		if err != nil {
			return err
		}
		e, _ := directory.DirectoryStateEvent(d, wasEnabled)
		if err := w.add(e); err != nil {
			return err
		}
		return s.flushEvents(ctx, tx, w)
	})
	return out, err
}

// CountDirectory implements directory.Store.
func (s *Store) CountDirectory(ctx context.Context, id string) (users, groups int, err error) {
	err = s.readRow(ctx, `SELECT (SELECT count(*) FROM users WHERE directory_id = $1), (SELECT count(*) FROM groups WHERE directory_id = $1)
		FROM directories WHERE id = $1`, id).
		Scan(&users, &groups)
	if err == sql.ErrNoRows {
		return 0, 0, notFound("directory", id)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("counting directory: %w", err)
	}
	return users, groups, nil
}

// TouchDirectory implements directory.Store.
func (s *Store) TouchDirectory(ctx context.Context, id string, at time.Time) error {
	return s.tx(ctx, func(tx *txn) error {
		_, err := s.txExec(ctx, tx, `UPDATE directories SET last_request_at = $2 WHERE id = $1 AND (last_request_at IS NULL OR last_request_at < $2)`, id, micros(at))
		if err != nil {
			return fmt.Errorf("touching directory: %w", err)
		}
		return nil
	})
}

const tokenColumns = `id, directory_id, hash, suffix, created_at, expires_at, last_used_at, revoked_at`

func scanToken(row interface{ Scan(...any) error }) (directory.Token, error) {
	var t directory.Token
	var created int64
	var expires, used, revoked optInt
	if err := row.Scan(&t.ID, &t.DirectoryID, &t.Hash, &t.Suffix, &created, &expires, &used, &revoked); err != nil {
		return t, err
	}
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt = fromMicros(created), fromNullMicros(expires.NullInt64), fromNullMicros(used.NullInt64), fromNullMicros(revoked.NullInt64)
	return t, nil
}

// CreateToken implements directory.Store.
func (s *Store) CreateToken(ctx context.Context, t directory.Token) error {
	return s.tx(ctx, func(tx *txn) error {
		_, err := s.txExec(ctx, tx, `INSERT INTO directory_tokens (`+tokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			t.ID, t.DirectoryID, t.Hash, t.Suffix, micros(t.CreatedAt), nullMicros(t.ExpiresAt), nullMicros(t.LastUsedAt), nullMicros(t.RevokedAt))
		if isUnique(err) {
			return conflict("token already exists", err)
		}
		if err != nil {
			return fmt.Errorf("creating token: %w", err)
		}
		return nil
	})
}

// TokenByHash implements directory.Store.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (directory.Token, error) {
	t, err := scanToken(s.readRow(ctx, `SELECT `+tokenColumns+` FROM directory_tokens WHERE hash = $1`, hash))
	if err == sql.ErrNoRows {
		return t, directory.Errorf(directory.KindNotFound, "token not found")
	}
	if err != nil {
		return t, fmt.Errorf("reading token: %w", err)
	}
	return t, nil
}

// credentialColumns and credentialFrom read a token with its directory
// (scanCredential).
const (
	credentialColumns = `t.id, t.directory_id, t.hash, t.suffix, t.created_at, t.expires_at, t.last_used_at, t.revoked_at,
		d.id, d.organization_id, d.name, d.provider, d.enabled, d.created_at, d.updated_at, d.last_request_at, d.strict, d.reject_unknown_members, d.request_log_bodies, d.attr_mappings, d.attr_version`
	credentialFrom = ` FROM directory_tokens t JOIN directories d ON d.id = t.directory_id`
)

// scanCredential scans credentialColumns, then more.
func scanCredential(row interface{ Scan(...any) error }, more ...any) (directory.Token, directory.Directory, error) {
	var d directory.Directory
	var created, updated int64
	var last optInt
	var ac attrCols
	t, err := scanToken(scanFunc(func(dest ...any) error {
		dest = append(dest, &d.ID, &d.OrganizationID, &d.Name, &d.Provider, &d.Enabled, &created, &updated, &last, &d.Settings.Strict, &d.Settings.RejectUnknownMembers, &d.Settings.RequestLogBodies)
		return row.Scan(append(append(dest, ac.dest()...), more...)...)
	}))
	if err == sql.ErrNoRows {
		return t, d, directory.Errorf(directory.KindNotFound, "token not found")
	}
	if err != nil {
		return t, d, fmt.Errorf("reading token: %w", err)
	}
	d.CreatedAt, d.UpdatedAt, d.LastRequestAt = fromMicros(created), fromMicros(updated), fromNullMicros(last.NullInt64)
	return t, d, ac.decode(&d)
}

// Credential implements directory.Store.
func (s *Store) Credential(ctx context.Context, hash []byte) (directory.Token, directory.Directory, error) {
	return scanCredential(s.d.nativeRow(ctx, `SELECT `+credentialColumns+credentialFrom+` WHERE t.hash = $1`, hash))
}

// CredentialWithUser implements directory.Store: the user is LEFT JOINed
// to the token within the token's directory and its groups ride along as
// in GetUserWithGroups. A token of another directory than the request's
// fails authentication afterwards, and the user read with it is dropped.
func (s *Store) CredentialWithUser(ctx context.Context, hash []byte, userID string) (directory.Token, directory.Directory, directory.UserRead, error) {
	return s.credentialWithUser(ctx, s.userReads.withCredential, hash, userID)
}

// CredentialWithUserNamed implements directory.Store: CredentialWithUser
// for the user whose folded userName is nameFold (unique in a directory,
// users_user_name).
func (s *Store) CredentialWithUserNamed(ctx context.Context, hash []byte, nameFold string) (directory.Token, directory.Directory, directory.UserRead, error) {
	return s.credentialWithUser(ctx, s.userReads.namedWithCredential, hash, nameFold)
}

// credentialWithUser runs query, a userReadQueries statement reading the
// token of hash, its directory and the user that key names.
func (s *Store) credentialWithUser(ctx context.Context, query string, hash []byte, key string) (directory.Token, directory.Directory, directory.UserRead, error) {
	row := s.d.nativeRow(ctx, query, hash, key)
	var t directory.Token
	var d directory.Directory
	var credErr error
	var groups []byte
	var ur directory.UserRead
	ur.User, ur.Err = scanUser(scanFunc(func(dest ...any) error {
		t, d, credErr = scanCredential(row, append(orNull(dest), &groups)...)
		if credErr != nil {
			return credErr
		}
		if *dest[0].(*string) == "" { // u.id, NOT NULL: the join found no user
			return sql.ErrNoRows
		}
		return nil
	}))
	if credErr != nil {
		return t, d, ur, credErr
	}
	switch {
	case ur.Err == sql.ErrNoRows:
		ur.Err = notFound("user", key)
	case ur.Err != nil:
		ur.Err = fmt.Errorf("reading user: %w", ur.Err)
	default:
		ur.Groups, ur.Err = decodeGroupRefs(ur.User.ID, groups)
	}
	return t, d, ur, nil
}

// ListTokens implements directory.Store.
func (s *Store) ListTokens(ctx context.Context, directoryID string) ([]directory.Token, error) {
	rows, err := s.readRows(ctx, `SELECT `+tokenColumns+` FROM directory_tokens WHERE directory_id = $1 ORDER BY created_at, id`, directoryID)
	if err != nil {
		return nil, fmt.Errorf("listing tokens: %w", err)
	}
	defer rows.Close()
	var out []directory.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("listing tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken implements directory.Store.
func (s *Store) RevokeToken(ctx context.Context, directoryID, tokenID string, at time.Time) error {
	return s.tx(ctx, func(tx *txn) error {
		res, err := s.txExec(ctx, tx, `UPDATE directory_tokens SET revoked_at = COALESCE(revoked_at, $3) WHERE id = $1 AND directory_id = $2`, tokenID, directoryID, micros(at))
		if err != nil {
			return fmt.Errorf("revoking token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("token", tokenID)
		}
		return nil
	})
}

// TouchToken implements directory.Store.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	return s.tx(ctx, func(tx *txn) error {
		_, err := s.txExec(ctx, tx, `UPDATE directory_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)`, id, micros(at))
		if err != nil {
			return fmt.Errorf("touching token: %w", err)
		}
		return nil
	})
}

const apiKeyColumns = `id, name, hash, suffix, created_at, last_used_at, revoked_at`

func scanAPIKey(row interface{ Scan(...any) error }) (directory.APIKey, error) {
	var k directory.APIKey
	var created int64
	var used, revoked sql.NullInt64
	if err := row.Scan(&k.ID, &k.Name, &k.Hash, &k.Suffix, &created, &used, &revoked); err != nil {
		return k, err
	}
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = fromMicros(created), fromNullMicros(used), fromNullMicros(revoked)
	return k, nil
}

// CreateAPIKey implements directory.Store.
func (s *Store) CreateAPIKey(ctx context.Context, k directory.APIKey) error {
	return s.tx(ctx, func(tx *txn) error {
		_, err := s.txExec(ctx, tx, `INSERT INTO api_keys (`+apiKeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			k.ID, k.Name, k.Hash, k.Suffix, micros(k.CreatedAt), nullMicros(k.LastUsedAt), nullMicros(k.RevokedAt))
		if isUnique(err) {
			return conflict("API key already exists", err)
		}
		if err != nil {
			return fmt.Errorf("creating API key: %w", err)
		}
		return nil
	})
}

// APIKeyByHash implements directory.Store.
func (s *Store) APIKeyByHash(ctx context.Context, hash []byte) (directory.APIKey, error) {
	k, err := scanAPIKey(s.readRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = $1`, hash))
	if err == sql.ErrNoRows {
		return k, directory.Errorf(directory.KindNotFound, "API key not found")
	}
	if err != nil {
		return k, fmt.Errorf("reading API key: %w", err)
	}
	return k, nil
}

// ListAPIKeys implements directory.Store.
func (s *Store) ListAPIKeys(ctx context.Context) ([]directory.APIKey, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("listing API keys: %w", err)
	}
	defer rows.Close()
	var out []directory.APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, fmt.Errorf("listing API keys: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeAPIKey implements directory.Store.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, at time.Time) error {
	return s.tx(ctx, func(tx *txn) error {
		res, err := s.txExec(ctx, tx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1`, id, micros(at))
		if err != nil {
			return fmt.Errorf("revoking API key: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("API key", id)
		}
		return nil
	})
}

// TouchAPIKey implements directory.Store.
func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	return s.tx(ctx, func(tx *txn) error {
		_, err := s.txExec(ctx, tx, `UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)`, id, micros(at))
		if err != nil {
			return fmt.Errorf("touching API key: %w", err)
		}
		return nil
	})
}
