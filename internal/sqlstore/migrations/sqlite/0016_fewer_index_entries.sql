-- Nothing to do on SQLite: 0016 changes PostgreSQL's events indexes only
-- (there events get their position after they are inserted; here they
-- have it when inserted).
SELECT 1;
