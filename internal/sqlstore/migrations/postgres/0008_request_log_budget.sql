-- Request log limits (docs/operations.md, "Limits: request log and failed
-- authentication"): which entries of a directory keep their bodies
-- ('' is the default, writes and failures), entries stored without
-- bodies, summary entries standing for requests counted but not logged
-- one by one, and per directory the size of the log (the sum of the
-- entries' sizes, kept up to date on every append and prune, so that the
-- budget is enforced without scanning the log) and the entries that
-- could not be recorded.
ALTER TABLE directories ADD COLUMN request_log_bodies TEXT NOT NULL DEFAULT '';
ALTER TABLE scim_requests ADD COLUMN metadata_only BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE scim_requests ADD COLUMN repeats INTEGER NOT NULL DEFAULT 0;
CREATE TABLE scim_request_usage (
    directory_id  TEXT PRIMARY KEY REFERENCES directories (id) ON DELETE CASCADE,
    bytes         BIGINT NOT NULL DEFAULT 0,
    entries       BIGINT NOT NULL DEFAULT 0,
    dropped       BIGINT NOT NULL DEFAULT 0,
    dropped_since BIGINT
);
INSERT INTO scim_request_usage (directory_id, bytes, entries)
SELECT directory_id,
    SUM(160 + octet_length(id) + octet_length(directory_id) + octet_length(method) + octet_length(path)
        + octet_length(request_body) + octet_length(response_body) + octet_length(request_id)
        + octet_length(user_agent) + octet_length(remote_addr)),
    COUNT(*)
FROM scim_requests GROUP BY directory_id;
