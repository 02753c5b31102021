-- SCIM request log: one row per request to a directory's SCIM endpoint,
-- written in batches by directory.RequestLogger and pruned by retention.
CREATE TABLE scim_requests (
    pk                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                 TEXT NOT NULL UNIQUE,
    directory_id       TEXT NOT NULL REFERENCES directories (id) ON DELETE CASCADE,
    occurred_at        BIGINT NOT NULL,
    method             TEXT NOT NULL,
    path               TEXT NOT NULL,
    status             INTEGER NOT NULL,
    duration_us        BIGINT NOT NULL,
    request_body       TEXT NOT NULL,
    response_body      TEXT NOT NULL,
    request_truncated  BOOLEAN NOT NULL,
    response_truncated BOOLEAN NOT NULL,
    request_id         TEXT NOT NULL,
    user_agent         TEXT NOT NULL,
    remote_addr        TEXT NOT NULL
);
CREATE INDEX scim_requests_directory ON scim_requests (directory_id, pk DESC);
CREATE INDEX scim_requests_occurred ON scim_requests (occurred_at);
