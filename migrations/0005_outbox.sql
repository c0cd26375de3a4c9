-- Every email is a row here, written in the transaction of the change that causes it. The
-- dispatcher leases due rows (status 'sending' until lease_until), sends them outside any
-- transaction, and marks them sent with the provider's message id. A lease that runs out (a
-- crashed worker) makes the row due again; the idempotency key keeps the resend from delivering
-- twice.

CREATE TABLE outbox_messages (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    organizer_id TEXT REFERENCES organizers (id),
    recipient TEXT NOT NULL,
    payload TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'dead')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    last_error TEXT,
    mailer TEXT,
    provider_message_id TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    updated_at BIGINT NOT NULL
);

CREATE INDEX outbox_due ON outbox_messages (status, next_attempt_at);
CREATE INDEX outbox_organizer ON outbox_messages (organizer_id, id);

-- Further access tokens of an order, such as the one in its confirmation email: the order's own
-- token is known only to the browser that placed it, and only its hash is stored.
CREATE TABLE order_access_tokens (
    token_hash TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    purpose TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX order_access_tokens_order ON order_access_tokens (order_id);
