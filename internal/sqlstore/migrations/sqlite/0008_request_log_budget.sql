-- Request log limits (docs/operations.md, "Limits: request log and failed
-- authentication"): which entries of a directory keep their bodies
-- ('' is the default, writes and failures), entries stored without
-- bodies, summary entries standing for requests counted but not logged
-- one by one, and per directory the size of the log (the sum of the
-- entries' sizes, kept up to date on every append and prune, so that the
-- budget is enforced without scanning the log) and the entries that
-- could not be recorded.
ALTER TABLE directories ADD COLUMN request_log_bodies TEXT NOT NULL DEFAULT '';
ALTER TABLE scim_requests ADD COLUMN metadata_only INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scim_requests ADD COLUMN repeats INTEGER NOT NULL DEFAULT 0;
CREATE TABLE scim_request_usage (
    directory_id  TEXT PRIMARY KEY REFERENCES directories (id) ON DELETE CASCADE,
    bytes         INTEGER NOT NULL DEFAULT 0,
    entries       INTEGER NOT NULL DEFAULT 0,
    dropped       INTEGER NOT NULL DEFAULT 0,
    dropped_since INTEGER
);
INSERT INTO scim_request_usage (directory_id, bytes, entries)
SELECT directory_id,
    SUM(160 + length(CAST(id AS BLOB)) + length(CAST(directory_id AS BLOB)) + length(CAST(method AS BLOB))
        + length(CAST(path AS BLOB)) + length(CAST(request_body AS BLOB)) + length(CAST(response_body AS BLOB))
        + length(CAST(request_id AS BLOB)) + length(CAST(user_agent AS BLOB)) + length(CAST(remote_addr AS BLOB))),
    COUNT(*)
FROM scim_requests GROUP BY directory_id;
