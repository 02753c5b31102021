-- Admin Portal (issue 6): portal links and sessions, and the columns the
-- portal's user search matches by prefix. Only hashes of link tokens and
-- session secrets are stored.
CREATE TABLE portal_links (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    hash            BYTEA NOT NULL UNIQUE,
    return_url      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT,
    revoked_at      BIGINT
);
CREATE INDEX portal_links_organization ON portal_links (organization_id, created_at);

CREATE TABLE portal_sessions (
    hash            BYTEA PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    link_id         TEXT NOT NULL REFERENCES portal_links (id) ON DELETE CASCADE,
    return_url      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    last_seen_at    BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);
CREATE INDEX portal_sessions_link ON portal_sessions (link_id);
CREATE INDEX portal_sessions_expires ON portal_sessions (expires_at);

-- Lower-cased search columns, written by the store on every user write, in
-- the "C" collation so that a prefix is a byte range the indexes answer.
-- Existing rows are filled here from the stored document: the primary email
-- (else the first), the display column and name.familyName.
ALTER TABLE users ADD COLUMN email_fold TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN display_fold TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN family_fold TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE users SET
    display_fold = lower(display),
    family_fold = lower(coalesce(doc->'name'->>'familyName', '')),
    email_fold = lower(coalesce((SELECT e.value->>'value'
        FROM jsonb_array_elements(CASE WHEN jsonb_typeof(users.doc->'emails') = 'array' THEN users.doc->'emails' ELSE '[]'::jsonb END) WITH ORDINALITY AS e(value, n)
        ORDER BY (e.value->>'primary') = 'true' DESC NULLS LAST, e.n LIMIT 1), ''));
CREATE INDEX users_email_fold ON users (directory_id, email_fold);
CREATE INDEX users_display_fold ON users (directory_id, display_fold);
CREATE INDEX users_family_fold ON users (directory_id, family_fold);
-- userName prefixes: user_name_fold is in the database's collation, so it
-- gets a "C" index of its own for range matches.
CREATE INDEX users_user_name_c ON users (directory_id, user_name_fold COLLATE "C");
