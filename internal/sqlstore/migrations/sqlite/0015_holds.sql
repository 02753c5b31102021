-- Deprovisioning guard (holds) and deprovisioning policies
-- (docs/deprovisioning-guard.md, docs/deprovisioning-policy.md).

-- Per-directory settings of both features; a directory without a row has
-- the defaults (guard on: more than max(10, 10 %) in 60 minutes; on_delete
-- delete; on_deactivate keep).
CREATE TABLE deprovision_settings (
    directory_id      TEXT PRIMARY KEY REFERENCES directories (id) ON DELETE CASCADE,
    guard_enabled     INTEGER NOT NULL,
    guard_min         INTEGER NOT NULL,
    guard_percent     INTEGER NOT NULL,
    guard_window_min  INTEGER NOT NULL,
    on_delete         TEXT NOT NULL,   -- delete | deactivate
    delete_after_days INTEGER NOT NULL -- 0: keep deactivated users
);

-- One row per deprovision (deactivation or deletion) the IdP made, for the
-- guard's sliding window; rows older than the window are pruned as new
-- ones arrive.
CREATE TABLE deprovision_log (
    directory_id TEXT NOT NULL REFERENCES directories (id) ON DELETE CASCADE,
    at           INTEGER NOT NULL
);
CREATE INDEX deprovision_log_directory ON deprovision_log (directory_id, at);

-- A hold: open while the app is shielded from a directory's deprovisions.
CREATE TABLE holds (
    id           TEXT PRIMARY KEY,
    directory_id TEXT NOT NULL REFERENCES directories (id) ON DELETE CASCADE,
    status       TEXT NOT NULL, -- open | released | discarded
    threshold    INTEGER NOT NULL,
    user_count   INTEGER NOT NULL DEFAULT 0, -- set when it closes
    opened_at    INTEGER NOT NULL,
    closed_at    INTEGER,
    closed_by    TEXT
);
CREATE UNIQUE INDEX holds_open ON holds (directory_id) WHERE status = 'open';
CREATE INDEX holds_directory ON holds (directory_id, opened_at);

-- The events a hold keeps from the app, in the order they happened, with
-- the request that caused them; appended to the events table on release.
CREATE TABLE held_events (
    pk          INTEGER PRIMARY KEY,
    hold_id     TEXT NOT NULL REFERENCES holds (id) ON DELETE CASCADE,
    occurred_at INTEGER NOT NULL,
    type        TEXT NOT NULL,
    subject_id  TEXT,
    member_id   TEXT,
    data        TEXT NOT NULL,
    previous    TEXT,
    actor       TEXT  -- who made the change, as the events table keeps it
);
CREATE INDEX held_events_hold ON held_events (hold_id, pk);

-- The app's view of users it does not see as the IdP does: held by an open
-- hold, diverged (a discarded hold), or retained (on_delete=deactivate
-- kept a user the IdP deleted). record is the user as the app sees it.
CREATE TABLE app_users (
    directory_id TEXT NOT NULL REFERENCES directories (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL,
    state        TEXT NOT NULL,  -- held | diverged | retained
    hold_id      TEXT,
    user_name    TEXT NOT NULL,
    action       TEXT NOT NULL,  -- deactivated | deleted
    at           INTEGER NOT NULL,
    request_id   TEXT NOT NULL,
    record       TEXT NOT NULL,
    PRIMARY KEY (directory_id, user_id)
);
CREATE INDEX app_users_hold ON app_users (hold_id);

-- When each inactive user was deactivated (on_deactivate=delete_after).
CREATE TABLE user_inactive_since (
    directory_id TEXT NOT NULL REFERENCES directories (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL,
    since        INTEGER NOT NULL,
    PRIMARY KEY (directory_id, user_id)
);
CREATE INDEX user_inactive_since_time ON user_inactive_since (since);
