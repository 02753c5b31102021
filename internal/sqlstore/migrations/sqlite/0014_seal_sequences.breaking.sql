-- Nothing changes on SQLite: its single writer numbers events at commit.
-- (PostgreSQL's 0014 lets events wait for their id until they are sealed.)
SELECT 1;
