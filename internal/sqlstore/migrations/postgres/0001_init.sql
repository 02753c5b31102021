-- Initial schema. Times are BIGINT microseconds since the Unix epoch, UTC,
-- the same representation as on SQLite.
CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    external_id TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX organizations_external_id ON organizations (external_id) WHERE external_id IS NOT NULL;

CREATE TABLE directories (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    provider        TEXT NOT NULL,
    enabled         BOOLEAN NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    last_request_at BIGINT
);
CREATE INDEX directories_organization ON directories (organization_id);

CREATE TABLE directory_tokens (
    id           TEXT PRIMARY KEY,
    directory_id TEXT NOT NULL REFERENCES directories (id) ON DELETE CASCADE,
    hash         BYTEA NOT NULL UNIQUE,
    suffix       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX directory_tokens_directory ON directory_tokens (directory_id);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    hash         BYTEA NOT NULL UNIQUE,
    suffix       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);

CREATE TABLE users (
    pk             BIGSERIAL PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
    directory_id   TEXT NOT NULL REFERENCES directories (id) ON DELETE CASCADE,
    user_name      TEXT NOT NULL,
    user_name_fold TEXT NOT NULL,
    external_id    TEXT,
    active         BOOLEAN NOT NULL,
    display        TEXT NOT NULL,
    doc            JSONB NOT NULL,
    doc_fold       JSONB NOT NULL,
    version        BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_user_name ON users (directory_id, user_name_fold);
CREATE INDEX users_external_id ON users (directory_id, external_id);
CREATE INDEX users_directory_pk ON users (directory_id, pk);

CREATE TABLE groups (
    pk                BIGSERIAL PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    directory_id      TEXT NOT NULL REFERENCES directories (id) ON DELETE CASCADE,
    display_name      TEXT NOT NULL,
    display_name_fold TEXT NOT NULL,
    external_id       TEXT,
    doc               JSONB NOT NULL,
    doc_fold          JSONB NOT NULL,
    version           BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX groups_display_name ON groups (directory_id, display_name_fold);
CREATE INDEX groups_external_id ON groups (directory_id, external_id);
CREATE INDEX groups_directory_pk ON groups (directory_id, pk);

CREATE TABLE group_members (
    group_pk BIGINT NOT NULL REFERENCES groups (pk) ON DELETE CASCADE,
    user_pk  BIGINT NOT NULL REFERENCES users (pk) ON DELETE CASCADE,
    PRIMARY KEY (group_pk, user_pk)
);
CREATE INDEX group_members_user ON group_members (user_pk, group_pk);

CREATE TABLE group_subgroups (
    group_pk BIGINT NOT NULL REFERENCES groups (pk) ON DELETE CASCADE,
    child_pk BIGINT NOT NULL REFERENCES groups (pk) ON DELETE CASCADE,
    PRIMARY KEY (group_pk, child_pk)
);
CREATE INDEX group_subgroups_child ON group_subgroups (child_pk, group_pk);
