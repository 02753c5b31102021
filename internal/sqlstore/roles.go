package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// Roles and role mappings. Effective roles are never stored: UserRoles joins
// a page of users' membership rows with the directory's mappings, so a
// mapping change writes only the directory's mapping rows and never holds
// the write lock for longer than that.

const roleColumns = `key, name, description, is_default`

func scanRole(sc func(dest ...any) error) (directory.Role, error) {
	var r directory.Role
	err := sc(&r.Key, &r.Name, &r.Description, &r.Default)
	return r, err
}

// ListRoles implements directory.Store.
func (s *Store) ListRoles(ctx context.Context) ([]directory.Role, error) {
	rows, err := s.readRows(ctx, `SELECT `+roleColumns+` FROM roles ORDER BY key`)
	if err != nil {
		return nil, fmt.Errorf("listing roles: %w", err)
	}
	defer rows.Close()
	out := []directory.Role{}
	for rows.Next() {
		r, err := scanRole(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("listing roles: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing roles: %w", err)
	}
	return out, nil
}

// GetRole implements directory.Store.
func (s *Store) GetRole(ctx context.Context, key string) (directory.Role, error) {
	r, err := scanRole(s.readRow(ctx, `SELECT `+roleColumns+` FROM roles WHERE key = $1`, key).Scan)
	if err == sql.ErrNoRows {
		return r, notFound("role", key)
	}
	if err != nil {
		return r, fmt.Errorf("reading role: %w", err)
	}
	return r, nil
}

// CreateRole implements directory.Store.
func (s *Store) CreateRole(ctx context.Context, r directory.Role) error {
	return s.tx(ctx, func(tx *txn) error {
		create := func() error {
			if r.Default {
				if err := s.unsetDefault(ctx, tx, r.Key); err != nil {
					return err
				}
			}
			_, err := s.txExec(ctx, tx, `INSERT INTO roles (`+roleColumns+`) VALUES ($1, $2, $3, $4)`, r.Key, r.Name, r.Description, r.Default)
			if isUnique(err) {
				return conflict(fmt.Sprintf("a role with key %q already exists", r.Key), err)
			}
			if err != nil {
				return fmt.Errorf("creating role: %w", err)
			}
			return nil
		}
		if !r.Default {
			return create()
		}
		// A new default role changes the roles of every user with no
		// mapped group, in organizations without their own default.
		dirs, err := s.directoriesWhere(ctx, tx, dirsOnGlobalDefault)
		if err != nil {
			return err
		}
		return s.withRoleEvents(ctx, tx, dirs, create)
	})
}

func (s *Store) unsetDefault(ctx context.Context, tx *txn, except string) error {
	if _, err := s.txExec(ctx, tx, `UPDATE roles SET is_default = FALSE WHERE is_default AND key <> $1`, except); err != nil {
		return fmt.Errorf("unsetting the default role: %w", err)
	}
	return nil
}

// UpdateRole implements directory.Store.
func (s *Store) UpdateRole(ctx context.Context, key string, fn func(*directory.Role) error) (directory.Role, error) {
	var out directory.Role
	err := s.tx(ctx, func(tx *txn) error {
		r, err := scanRole(s.txRow(ctx, tx, `SELECT `+roleColumns+` FROM roles WHERE key = $1`+s.d.forUpdate(), key).Scan)
		if err == sql.ErrNoRows {
			return notFound("role", key)
		}
		if err != nil {
			return fmt.Errorf("reading role: %w", err)
		}
		wasDefault := r.Default
		if err := fn(&r); err != nil {
			return err
		}
		r.Key = key
		if wasDefault && !r.Default {
			return directory.Errorf(directory.KindInvalid, "role %q is the default role: make another role the default instead", key)
		}
		write := func() error {
			if r.Default && !wasDefault {
				if err := s.unsetDefault(ctx, tx, key); err != nil {
					return err
				}
			}
			if _, err := s.txExec(ctx, tx, `UPDATE roles SET name = $2, description = $3, is_default = $4 WHERE key = $1`, key, r.Name, r.Description, r.Default); err != nil {
				if isUnique(err) {
					return conflict("another role became the default at the same time", err)
				}
				return fmt.Errorf("updating role: %w", err)
			}
			return nil
		}
		out = r
		if !r.Default || wasDefault {
			return write()
		}
		dirs, err := s.directoriesWhere(ctx, tx, dirsOnGlobalDefault)
		if err != nil {
			return err
		}
		return s.withRoleEvents(ctx, tx, dirs, write)
	})
	return out, err
}

// DeleteRole implements directory.Store.
func (s *Store) DeleteRole(ctx context.Context, key string) error {
	return s.tx(ctx, func(tx *txn) error {
		// Its mappings and the organization defaults naming it go with it.
		dirs, err := s.directoriesWhere(ctx, tx, dirsUsingRole, key)
		if err != nil {
			return err
		}
		var n int64
		err = s.withRoleEvents(ctx, tx, dirs, func() error {
			res, err := s.txExec(ctx, tx, `DELETE FROM roles WHERE key = $1 AND NOT is_default`, key)
			if err != nil {
				return fmt.Errorf("deleting role: %w", err)
			}
			if n, err = res.RowsAffected(); err != nil {
				return fmt.Errorf("deleting role: %w", err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		var exists int
		if err := s.txRow(ctx, tx, `SELECT count(*) FROM roles WHERE key = $1`, key).Scan(&exists); err != nil {
			return fmt.Errorf("deleting role: %w", err)
		}
		if exists == 0 {
			return notFound("role", key)
		}
		return directory.Errorf(directory.KindConflict, "role %q is the default role and cannot be deleted: make another role the default first", key)
	})
}

// SetOrganizationDefaultRole implements directory.Store.
func (s *Store) SetOrganizationDefaultRole(ctx context.Context, orgID, role string) error {
	return s.tx(ctx, func(tx *txn) error {
		var n int
		if err := s.txRow(ctx, tx, `SELECT count(*) FROM organizations WHERE id = $1`, orgID).Scan(&n); err != nil {
			return fmt.Errorf("setting default role: %w", err)
		}
		if n == 0 {
			return notFound("organization", orgID)
		}
		dirs, err := s.directoriesWhere(ctx, tx, dirsOfOrg, orgID)
		if err != nil {
			return err
		}
		return s.withRoleEvents(ctx, tx, dirs, func() error { return s.setOrgDefault(ctx, tx, orgID, role) })
	})
}

func (s *Store) setOrgDefault(ctx context.Context, tx *txn, orgID, role string) error {
	{
		if role == "" {
			if _, err := s.txExec(ctx, tx, `DELETE FROM organization_roles WHERE organization_id = $1`, orgID); err != nil {
				return fmt.Errorf("clearing default role: %w", err)
			}
			return nil
		}
		var key string
		err := s.txRow(ctx, tx, `SELECT key FROM roles WHERE key = $1`+s.d.forKeyShare(), role).Scan(&key)
		if err == sql.ErrNoRows {
			return directory.Errorf(directory.KindInvalid, "role %q does not exist", role)
		}
		if err != nil {
			return fmt.Errorf("setting default role: %w", err)
		}
		_, err = s.txExec(ctx, tx, `INSERT INTO organization_roles (organization_id, default_role) VALUES ($1, $2)
			ON CONFLICT (organization_id) DO UPDATE SET default_role = excluded.default_role`, orgID, role)
		if isForeignKey(err) {
			return directory.Errorf(directory.KindInvalid, "role %q does not exist", role)
		}
		if err != nil {
			return fmt.Errorf("setting default role: %w", err)
		}
		return nil
	}
}

// DefaultRoles implements directory.Store.
func (s *Store) DefaultRoles(ctx context.Context, orgID string) (string, string, error) {
	var global, override sql.NullString
	err := s.readRow(ctx, `SELECT (SELECT key FROM roles WHERE is_default), (SELECT default_role FROM organization_roles WHERE organization_id = $1)`, orgID).
		Scan(&global, &override)
	if err != nil {
		return "", "", fmt.Errorf("reading default roles: %w", err)
	}
	return global.String, override.String, nil
}

// RoleMappings implements directory.Store.
func (s *Store) RoleMappings(ctx context.Context, directoryID string) ([]directory.RoleMapping, error) {
	var n int
	if err := s.readRow(ctx, `SELECT count(*) FROM directories WHERE id = $1`, directoryID).Scan(&n); err != nil {
		return nil, fmt.Errorf("reading role mappings: %w", err)
	}
	if n == 0 {
		return nil, notFound("directory", directoryID)
	}
	rows, err := s.readRows(ctx, `SELECT g.id, rm.role_key, rm.priority FROM role_mappings rm JOIN groups g ON g.pk = rm.group_pk
		WHERE rm.directory_id = $1 ORDER BY rm.priority DESC, rm.role_key, g.id`, directoryID)
	if err != nil {
		return nil, fmt.Errorf("reading role mappings: %w", err)
	}
	defer rows.Close()
	out := []directory.RoleMapping{}
	for rows.Next() {
		var m directory.RoleMapping
		if err := rows.Scan(&m.GroupID, &m.Role, &m.Priority); err != nil {
			return nil, fmt.Errorf("reading role mappings: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading role mappings: %w", err)
	}
	return out, nil
}

// PutRoleMappings implements directory.Store. It writes as many rows as
// there are mappings, never one per affected user.
func (s *Store) PutRoleMappings(ctx context.Context, directoryID string, ms []directory.RoleMapping) error {
	return s.tx(ctx, func(tx *txn) error {
		// The directory's writer lock first, exclusive (a role change,
		// dirlock.go), then the groups.
		if err := s.lockDirectories(ctx, tx, []string{directoryID}); err != nil {
			return err
		}
		pks := make([]int64, len(ms))
		for i, m := range ms {
			// KEY SHARE: the group cannot be deleted before the mapping
			// is written.
			err := s.txRow(ctx, tx, `SELECT pk FROM groups WHERE id = $1 AND directory_id = $2`+s.d.forKeyShare(), m.GroupID, directoryID).Scan(&pks[i])
			if err == sql.ErrNoRows {
				return directory.Errorf(directory.KindInvalid, "group %q is not a group of directory %s", m.GroupID, directoryID)
			}
			if err != nil {
				return fmt.Errorf("replacing role mappings: %w", err)
			}
			var key string
			err = s.txRow(ctx, tx, `SELECT key FROM roles WHERE key = $1`+s.d.forKeyShare(), m.Role).Scan(&key)
			if err == sql.ErrNoRows {
				return directory.Errorf(directory.KindInvalid, "role %q does not exist", m.Role)
			}
			if err != nil {
				return fmt.Errorf("replacing role mappings: %w", err)
			}
		}
		return s.withRoleEvents(ctx, tx, []string{directoryID}, func() error { return s.writeMappings(ctx, tx, directoryID, ms, pks) })
	})
}

func (s *Store) writeMappings(ctx context.Context, tx *txn, directoryID string, ms []directory.RoleMapping, pks []int64) error {
	{
		if _, err := s.txExec(ctx, tx, `DELETE FROM role_mappings WHERE directory_id = $1`, directoryID); err != nil {
			return fmt.Errorf("replacing role mappings: %w", err)
		}
		for i, m := range ms {
			_, err := s.txExec(ctx, tx, `INSERT INTO role_mappings (directory_id, group_pk, role_key, priority) VALUES ($1, $2, $3, $4)`,
				directoryID, pks[i], m.Role, m.Priority)
			if isUnique(err) {
				return directory.Errorf(directory.KindInvalid, "group %s is mapped to role %q twice", m.GroupID, m.Role)
			}
			if isForeignKey(err) {
				return directory.Errorf(directory.KindInvalid, "group %q or role %q was deleted meanwhile", m.GroupID, m.Role)
			}
			if err != nil {
				return fmt.Errorf("replacing role mappings: %w", err)
			}
		}
		return nil
	}
}

// UserRoles implements directory.Store: one query for a page of users,
// looking each user up by its unique id and following the indexes
// group_members_user and role_mappings' primary key.
func (s *Store) UserRoles(ctx context.Context, directoryID string, userIDs []string) (map[string][]directory.RoleGrant, error) {
	return s.userRoles(ctx, s.readRows, directoryID, userIDs, 0)
}

// userRoles is UserRoles through query (the read pool or a transaction),
// leaving out the grants of group exceptGroup (0: none).
func (s *Store) userRoles(ctx context.Context, query queryFunc, directoryID string, userIDs []string, exceptGroup int64) (map[string][]directory.RoleGrant, error) {
	out := map[string][]directory.RoleGrant{}
	if len(userIDs) == 0 {
		return out, nil
	}
	ids, err := json.Marshal(userIDs)
	if err != nil {
		return nil, fmt.Errorf("reading user roles: %w", err)
	}
	from, cond := s.d.idsFrom("$2", "users", "u", "") // see joinIDs
	q := `SELECT u.id, rm.role_key, rm.priority
		FROM ` + from + ` JOIN group_members gm ON gm.user_pk = u.pk JOIN role_mappings rm ON rm.group_pk = gm.group_pk
		WHERE ` + cond + ` AND u.directory_id = $1 AND gm.group_pk <> $3`
	rows, err := query(ctx, q, directoryID, string(ids), exceptGroup)
	if err != nil {
		return nil, fmt.Errorf("reading user roles: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var uid string
		var g directory.RoleGrant
		if err := rows.Scan(&uid, &g.Role, &g.Priority); err != nil {
			return nil, fmt.Errorf("reading user roles: %w", err)
		}
		out[uid] = append(out[uid], g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading user roles: %w", err)
	}
	return out, nil
}
