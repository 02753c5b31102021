-- Fewer index entries per create (issue 16, docs/performance.md "PostgreSQL:
-- a create's own cost").
--
-- userName: user_name_fold was in the database's collation, indexed twice:
-- users_user_name (unique, for equality) and users_user_name_c (COLLATE
-- "C", for the bytewise ranges of prefixes and sorting). Every query that
-- orders or compares it by range already says COLLATE "C"; equality is the
-- same in both collations (a deterministic collation breaks ties bytewise).
-- Declared "C", like the other folded search columns, one index serves
-- both. Changing the collation of a text column rewrites no rows; it
-- rebuilds the indexes on the column.
ALTER TABLE users ALTER COLUMN user_name_fold TYPE TEXT COLLATE "C";
DROP INDEX users_user_name_c;

-- Events are inserted without position, id or sequence and given them by
-- the sealer's UPDATE, which writes a new entry in every index on those
-- columns anyway. The indexes that exist for sealed events (every read of
-- the feed, by position, directory, subject, member or id, is of sealed
-- events: it says position > $1, or id = $1) leave unsealed rows out, so
-- an insert adds two index entries (events_pkey, events_unsealed) instead
-- of six.
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
