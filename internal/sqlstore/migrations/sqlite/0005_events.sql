-- The event log (docs/events.md): one row per change, written in the same
-- transaction as the change. position is the feed cursor: SQLite has one
-- writer, and the group commit gives positions (and each directory's
-- sequence) after the newest event, in commit order, just before it
-- commits. Pruning keeps the newest event overall and each directory's
-- newest, so neither is ever given twice. Event ids encode the position
-- (sqlstore/events.go), so there is no index on id: every index is one more
-- page to write at every commit.

CREATE TABLE events (
    position        INTEGER PRIMARY KEY,
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
CREATE INDEX events_directory ON events (directory_id, position);
CREATE INDEX events_subject ON events (subject_id, position);
CREATE INDEX events_member ON events (member_id, position) WHERE member_id IS NOT NULL;
