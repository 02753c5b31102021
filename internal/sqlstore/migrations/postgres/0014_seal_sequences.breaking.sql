-- Writers of a directory commit in parallel (sqlstore/dirlock.go): events
-- are inserted with no sequence and no id, and the reader that seals them
-- gives both with the position, in commit order (sqlstore/dialect_postgres.go,
-- seal). directories.event_seq is no longer written.
--
-- Events already inserted but not sealed were numbered by the old writers;
-- seal them with the numbers they have before the new sealer runs (it
-- numbers only events without a position).
UPDATE events e SET position = f.last_position + t.rn
FROM event_feed f,
     (SELECT pk, row_number() OVER (ORDER BY pk) AS rn FROM events WHERE position IS NULL) t
WHERE e.pk = t.pk AND f.id = 1;
UPDATE event_feed SET last_position = COALESCE((SELECT MAX(position) FROM events), last_position) WHERE id = 1;
ALTER TABLE events ALTER COLUMN id DROP NOT NULL;
-- A directory's event is sealed with its sequence, never without: an older
-- scimbridge's sealer (which gives positions only) fails here instead of
-- publishing events without sequences during a rolling upgrade. NOT VALID:
-- rows already there are not scanned (they all have one).
ALTER TABLE events ADD CONSTRAINT events_sealed_with_sequence
    CHECK (position IS NULL OR directory_id IS NULL OR sequence IS NOT NULL) NOT VALID;
