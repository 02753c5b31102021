-- Custom attributes and per-directory attribute mappings
-- (docs/custom-attributes.md). The app declares attributes once; each
-- directory maps them to SCIM attribute paths. A directory's mappings are
-- a JSON array on its row ([{"key","type","source"}], NULL: none), read
-- with the directory so that a user write maps values without a query;
-- attr_version counts their changes. Each user stores its mapped values
-- ({"values":{…},"errors":{…}}, NULL: none) and the mapping version they
-- were computed from, so that a mapping change re-maps the users still on
-- an older version, in chunks.
CREATE TABLE custom_attributes (
    key            TEXT PRIMARY KEY,
    type           TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    default_source TEXT NOT NULL DEFAULT ''
);
ALTER TABLE directories ADD COLUMN attr_mappings TEXT;
ALTER TABLE directories ADD COLUMN attr_version INTEGER NOT NULL DEFAULT 0;
-- The last version applied to every user, and when the mappings last
-- changed: the background re-mapper finishes changes the PUT did not.
ALTER TABLE directories ADD COLUMN attr_applied INTEGER NOT NULL DEFAULT 0;
ALTER TABLE directories ADD COLUMN attr_changed_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN custom_attrs TEXT;
ALTER TABLE users ADD COLUMN attr_version INTEGER NOT NULL DEFAULT 0;
