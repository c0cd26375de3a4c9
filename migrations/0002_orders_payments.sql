-- Orders hold seats while pending (seats = 'held'), own them once paid ('sold') and give them
-- back when they expire, fail, are cancelled or fully refunded ('released'). Every move between
-- those states is one conditional UPDATE, so it happens once however often it is asked for.

CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    organizer_id TEXT NOT NULL REFERENCES organizers (id),
    event_id TEXT NOT NULL REFERENCES events (id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'refunded', 'partially_refunded', 'expired', 'cancelled', 'failed', 'review')),
    seats TEXT NOT NULL CHECK (seats IN ('held', 'sold', 'released')),
    email TEXT NOT NULL,
    buyer_name TEXT,
    currency TEXT NOT NULL,
    total BIGINT NOT NULL CHECK (total >= 0),
    refunded BIGINT NOT NULL DEFAULT 0 CHECK (refunded >= 0),
    provider TEXT NOT NULL,
    provider_session TEXT,
    provider_payment TEXT,
    checkout_url TEXT,
    access_token_hash TEXT NOT NULL,
    review_reason TEXT,
    dispute_reason TEXT,
    expires_at BIGINT NOT NULL,
    paid_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX orders_event ON orders (event_id, id);
CREATE INDEX orders_held_expiry ON orders (seats, expires_at);

CREATE TABLE order_lines (
    order_id TEXT NOT NULL REFERENCES orders (id),
    organizer_id TEXT NOT NULL REFERENCES organizers (id),
    variant_id TEXT NOT NULL REFERENCES ticket_variants (id),
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    unit_price BIGINT NOT NULL CHECK (unit_price >= 0),
    PRIMARY KEY (order_id, variant_id)
);

CREATE TABLE refunds (
    id TEXT PRIMARY KEY,
    organizer_id TEXT NOT NULL REFERENCES organizers (id),
    order_id TEXT NOT NULL REFERENCES orders (id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('requested', 'succeeded', 'failed')),
    provider_refund TEXT,
    reason TEXT,
    error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX refunds_order ON refunds (order_id);

CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('in_flight', 'done')),
    response_status BIGINT,
    response_body TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scope, idempotency_key)
);

CREATE TABLE webhook_inbox (
    id TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'processed', 'ignored', 'failed', 'dead')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    received_at BIGINT NOT NULL,
    processed_at BIGINT,
    UNIQUE (provider, event_id)
);

CREATE INDEX webhook_inbox_due ON webhook_inbox (status, next_attempt_at);
