-- The event log (docs/events.md): one row per change, written in the same
-- transaction as the change. Concurrent transactions commit in an order
-- that identity values do not follow, so position (the feed cursor) is not
-- given at insert: it is NULL until a feed reader "seals" committed events,
-- numbering them after the last sealed position while holding the
-- event_feed row lock (see sqlstore/events.go).
ALTER TABLE directories ADD COLUMN event_seq BIGINT NOT NULL DEFAULT 0;

CREATE TABLE events (
    pk              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    position        BIGINT,
    id              TEXT NOT NULL,
    type            TEXT NOT NULL,
    occurred_at     BIGINT NOT NULL,
    organization_id TEXT NOT NULL,
    directory_id    TEXT,
    sequence        BIGINT,
    subject_id      TEXT,
    member_id       TEXT,
    data            TEXT NOT NULL,
    previous        TEXT
);
CREATE UNIQUE INDEX events_position ON events (position);
CREATE INDEX events_unsealed ON events (pk) WHERE position IS NULL;
CREATE UNIQUE INDEX events_id ON events (id);
CREATE INDEX events_directory ON events (directory_id, position);
CREATE INDEX events_subject ON events (subject_id, position);
CREATE INDEX events_member ON events (member_id, position) WHERE member_id IS NOT NULL;

CREATE TABLE event_feed (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    last_position BIGINT NOT NULL
);
INSERT INTO event_feed (id, last_position) VALUES (1, 0);
