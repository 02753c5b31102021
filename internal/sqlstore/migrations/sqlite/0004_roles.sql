-- Roles and group-based role assignment (docs/api.md, "Roles"). Effective
-- roles are not stored: they are computed at read time from group_members
-- and role_mappings, so a mapping change is one small write.
CREATE TABLE roles (
    key         TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    is_default  INTEGER NOT NULL DEFAULT 0
);
-- At most one default; the store keeps it exactly one.
CREATE UNIQUE INDEX roles_one_default ON roles (is_default) WHERE is_default = 1;
INSERT INTO roles (key, name, description, is_default) VALUES
    ('admin', 'Administrator', '', 1),
    ('member', 'Member', '', 0);

CREATE TABLE role_mappings (
    directory_id TEXT NOT NULL REFERENCES directories (id) ON DELETE CASCADE,
    group_pk     INTEGER NOT NULL REFERENCES groups (pk) ON DELETE CASCADE,
    role_key     TEXT NOT NULL REFERENCES roles (key) ON DELETE CASCADE,
    priority     INTEGER NOT NULL,
    PRIMARY KEY (group_pk, role_key)
) WITHOUT ROWID;
CREATE INDEX role_mappings_directory ON role_mappings (directory_id);
CREATE INDEX role_mappings_role ON role_mappings (role_key);

-- An organization's override of the default role.
CREATE TABLE organization_roles (
    organization_id TEXT PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    default_role    TEXT NOT NULL REFERENCES roles (key) ON DELETE CASCADE
);
CREATE INDEX organization_roles_role ON organization_roles (default_role);
