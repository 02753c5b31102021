-- Admin Portal, second pass (issue 14).
--
-- Forms the portal carried out once per session: a reload, Back or a
-- double click after Configure or "Generate new token" finds the form's
-- key here and changes nothing again. A bearer token made by such a form
-- waits here, sealed with a key derived from the session's secret (which is
-- not stored), until the page that follows shows it once and clears it.
CREATE TABLE portal_forms (
    session_hash  BYTEA NOT NULL REFERENCES portal_sessions (hash) ON DELETE CASCADE,
    form_key      TEXT NOT NULL,
    target        TEXT NOT NULL DEFAULT '',
    sealed_secret BYTEA,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (session_hash, form_key)
);

-- Connection health (directory.RequestHealth), kept with each directory's
-- request log usage row as entries are appended, so that the portal and the
-- API read one row instead of scanning the log: the newest request whose
-- token was accepted, the refused requests since then and the newest, the
-- failed requests since failed_since and the newest.
ALTER TABLE scim_request_usage ADD COLUMN accepted_at BIGINT;
ALTER TABLE scim_request_usage ADD COLUMN refused BIGINT NOT NULL DEFAULT 0;
ALTER TABLE scim_request_usage ADD COLUMN refused_at BIGINT;
ALTER TABLE scim_request_usage ADD COLUMN failed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE scim_request_usage ADD COLUMN failed_since BIGINT;
ALTER TABLE scim_request_usage ADD COLUMN failed_at BIGINT;
