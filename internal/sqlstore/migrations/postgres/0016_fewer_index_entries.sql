-- Fewer index entries per create (issue 16, docs/performance.md "PostgreSQL:
-- the token in the create's transaction, events indexed once sealed").
--
-- Events are inserted without position, id or sequence and given them by
-- the sealer's UPDATE, which writes a new entry in every index on those
-- columns anyway. The indexes that exist for sealed events (every read of
-- the feed, by position, directory, subject, member or id, is of sealed
-- events: it says position > $1, or id = $1) now leave unsealed rows out,
-- so an insert adds two index entries (events_pkey, events_unsealed)
-- instead of six, and the dead entries of the unsealed versions no longer
-- weigh on these indexes. Same names, same columns: no statement changes.
-- Rebuilding them holds the events table's lock for about 5 s per million
-- events on the benchmark machine.
DROP INDEX events_position;
CREATE UNIQUE INDEX events_position ON events (position) WHERE position IS NOT NULL;
DROP INDEX events_id;
CREATE UNIQUE INDEX events_id ON events (id) WHERE id IS NOT NULL;
DROP INDEX events_directory;
CREATE INDEX events_directory ON events (directory_id, position) WHERE position IS NOT NULL;
DROP INDEX events_subject;
CREATE INDEX events_subject ON events (subject_id, position) WHERE position IS NOT NULL;
DROP INDEX events_member;
CREATE INDEX events_member ON events (member_id, position) WHERE member_id IS NOT NULL AND position IS NOT NULL;
