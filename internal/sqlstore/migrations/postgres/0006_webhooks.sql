-- Webhook endpoints, deliveries and attempts (docs/webhooks.md).
--
-- An endpoint's fanout_position is the feed position (events.position) up to which
-- events have been fanned out into deliveries. A delivery of a feed event
-- refers to it by position and its body is rendered from the event row,
-- which never changes, so retries are byte-identical (Standard Webhooks:
-- the same webhook-id and body on every attempt); pruning keeps events
-- that pending deliveries refer to. Secrets are sealed (AES-256-GCM)
-- with the key from --secret-key-file, never stored in plain text.
CREATE TABLE webhook_endpoints (
    pk                         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                         TEXT NOT NULL UNIQUE,
    url                        TEXT NOT NULL,
    description                TEXT NOT NULL,
    event_types                TEXT NOT NULL, -- JSON array; [] is every type
    organization_ids           TEXT NOT NULL, -- JSON array; [] is every organization
    enabled                    BOOLEAN NOT NULL,
    secret                     BYTEA NOT NULL,
    previous_secret            BYTEA,
    previous_secret_expires_at BIGINT,
    fanout_position            BIGINT NOT NULL,
    disabled_reason            TEXT NOT NULL,
    failing_since              BIGINT,
    created_at                 BIGINT NOT NULL,
    updated_at                 BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    pk              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE, -- msg_…, sent as webhook-id
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id        TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    position        BIGINT NOT NULL, -- 0 for test events
    directory_id    TEXT NOT NULL,    -- '' for notices and test events
    sequence        BIGINT NOT NULL,
    payload         BYTEA,            -- test events only: feed events are rendered from events
    status          TEXT NOT NULL,    -- pending, succeeded, failed
    attempts        INTEGER NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_owner     TEXT,
    lease_until     BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
-- A stream is (endpoint, directory); its head is its oldest pending delivery.
CREATE INDEX webhook_deliveries_stream ON webhook_deliveries (endpoint_id, directory_id, sequence, pk) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, pk) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, pk);
CREATE INDEX webhook_deliveries_updated ON webhook_deliveries (updated_at) WHERE status <> 'pending';

CREATE TABLE webhook_attempts (
    pk            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id   TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at  BIGINT NOT NULL,
    status_code   INTEGER NOT NULL, -- 0: no HTTP response
    latency_us    BIGINT NOT NULL,
    response_body TEXT NOT NULL,    -- at most 1 KiB
    error         TEXT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, pk);
