-- Chargebacks against paid orders, one row per provider dispute. A dispute is opened once and
-- closed once (won or lost); the ledger books the money of each step in the same transaction.
CREATE TABLE disputes (
    provider TEXT NOT NULL,
    provider_dispute_id TEXT NOT NULL,
    order_id TEXT NOT NULL REFERENCES orders (id),
    organizer_id TEXT NOT NULL REFERENCES organizers (id),
    currency TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'won', 'lost')),
    opened_at BIGINT NOT NULL,
    closed_at BIGINT,
    PRIMARY KEY (provider, provider_dispute_id)
);

CREATE INDEX disputes_order ON disputes (order_id);
