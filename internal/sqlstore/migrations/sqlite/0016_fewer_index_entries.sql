-- Nothing to do on SQLite: 0016 changes PostgreSQL's indexes only (its
-- userName collation, and events indexed once sealed; SQLite's columns
-- compare bytewise, and its events have their position when inserted).
SELECT 1;
