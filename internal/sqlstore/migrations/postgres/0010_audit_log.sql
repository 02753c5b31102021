-- The audit log of administrative changes (docs/operations.md, "Audit log").
-- One row per change made through the management API, the Admin Portal or a
-- local command; no request or response body is kept, so no secret is.
CREATE TABLE audit_log (
    pk              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE, -- aud_…
    occurred_at     BIGINT NOT NULL,     -- unix microseconds
    actor_type      TEXT NOT NULL,        -- api_key, bootstrap_key, portal, cli
    actor_id        TEXT NOT NULL,
    organization_id TEXT NOT NULL,        -- '' when none
    action          TEXT NOT NULL,
    method          TEXT NOT NULL,
    route           TEXT NOT NULL,
    target_type     TEXT NOT NULL,
    target_id       TEXT NOT NULL,
    status          INTEGER NOT NULL,
    source_ip       TEXT NOT NULL,
    request_id      TEXT NOT NULL
);
CREATE INDEX audit_log_time ON audit_log (occurred_at);
CREATE INDEX audit_log_target ON audit_log (target_id, pk);
CREATE INDEX audit_log_actor ON audit_log (actor_id, pk);
