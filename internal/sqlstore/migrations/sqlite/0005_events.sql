-- The event log (docs/events.md): one row per change, written in the same
-- transaction as the change. position is the feed cursor: with SQLite's
-- single writer, rowids are handed out in commit order, and AUTOINCREMENT
-- never reuses one, even after pruning removed the newest rows.
ALTER TABLE directories ADD COLUMN event_seq INTEGER NOT NULL DEFAULT 0;

CREATE TABLE events (
    position        INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL,
    type            TEXT NOT NULL,
    occurred_at     INTEGER NOT NULL,
    organization_id TEXT NOT NULL,
    directory_id    TEXT,
    sequence        INTEGER,
    subject_id      TEXT,
    member_id       TEXT,
    data            TEXT NOT NULL,
    previous        TEXT
);
-- No foreign keys: events outlive the objects they describe (a deleted
-- directory's events stay in the feed until retention prunes them).
CREATE UNIQUE INDEX events_id ON events (id);
CREATE INDEX events_directory ON events (directory_id, position);
CREATE INDEX events_organization ON events (organization_id, position);
CREATE INDEX events_subject ON events (subject_id, position);
CREATE INDEX events_member ON events (member_id, position) WHERE member_id IS NOT NULL;
