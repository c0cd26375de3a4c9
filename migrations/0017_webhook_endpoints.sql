-- An organizer's endpoints for outgoing webhooks. events is the subscribed types between commas
-- (",order.paid,ticket.admitted,") so that one LIKE finds the endpoints of a type. The secret signs
-- deliveries and is shown once; after a rotation the previous one also signs until
-- previous_secret_expires_at. failing_since is the first failure since the last success.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    organizer_id TEXT NOT NULL REFERENCES organizers (id),
    url TEXT NOT NULL,
    description TEXT,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_expires_at BIGINT,
    status TEXT NOT NULL,
    disabled_reason TEXT,
    failing_since BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX webhook_endpoints_organizer ON webhook_endpoints (organizer_id, status);

-- One row per event and endpoint, written in the transaction of the change (an outbox). event_id
-- is the event's stable id, the same for every endpoint and every attempt; payload is the body
-- sent, fixed when the event happened. status: pending, sending (leased until lease_until),
-- delivered, failed (given up after 3 days or when the endpoint was disabled). endpoint_id has no
-- foreign key: a change that read the endpoint just before it was deleted still commits, and its
-- delivery fails for want of an endpoint.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    organizer_id TEXT NOT NULL,
    type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    last_status INTEGER,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT,
    UNIQUE (event_id, endpoint_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

-- Every attempt at a delivery and what the endpoint answered (the first 1 KB of its body).
CREATE TABLE webhook_attempts (
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id),
    attempt INTEGER NOT NULL,
    started_at BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    status_code INTEGER,
    error TEXT,
    response_body TEXT,
    PRIMARY KEY (delivery_id, attempt)
);
