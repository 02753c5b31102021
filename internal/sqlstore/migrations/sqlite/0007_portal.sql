-- Admin Portal (issue 6): portal links and sessions, and the columns the
-- portal's user search matches by prefix. Only hashes of link tokens and
-- session secrets are stored.
CREATE TABLE portal_links (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    hash            BLOB NOT NULL UNIQUE,
    return_url      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER,
    revoked_at      INTEGER
);
CREATE INDEX portal_links_organization ON portal_links (organization_id, created_at);

CREATE TABLE portal_sessions (
    hash            BLOB PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    link_id         TEXT NOT NULL REFERENCES portal_links (id) ON DELETE CASCADE,
    return_url      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
);
CREATE INDEX portal_sessions_link ON portal_sessions (link_id);
CREATE INDEX portal_sessions_expires ON portal_sessions (expires_at);

-- Lower-cased search columns, written by the store on every user write.
-- Existing rows are filled here from the stored document: the primary email
-- (else the first), the display column and name.familyName.
ALTER TABLE users ADD COLUMN email_fold TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN display_fold TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN family_fold TEXT NOT NULL DEFAULT '';
UPDATE users SET
    display_fold = lower(display),
    family_fold = lower(coalesce(json_extract(doc, '$.name.familyName'), '')),
    email_fold = lower(coalesce((SELECT json_extract(e.value, '$.value') FROM json_each(users.doc, '$.emails') AS e
        ORDER BY coalesce(json_extract(e.value, '$.primary'), 0) DESC, e.key LIMIT 1), ''));
CREATE INDEX users_email_fold ON users (directory_id, email_fold);
CREATE INDEX users_display_fold ON users (directory_id, display_fold);
CREATE INDEX users_family_fold ON users (directory_id, family_fold);
