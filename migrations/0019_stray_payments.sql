-- Payments an order cannot take as its own: a second, distinct payment for an order paid already.
-- Each is refunded in full through the provider that took it; until then its money waits in review.
CREATE TABLE stray_payments (
    provider TEXT NOT NULL,
    reference TEXT NOT NULL,
    order_id TEXT NOT NULL REFERENCES orders (id),
    organizer_id TEXT NOT NULL REFERENCES organizers (id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    refunded BIGINT NOT NULL DEFAULT 0 CHECK (refunded >= 0),
    received_at BIGINT NOT NULL,
    PRIMARY KEY (provider, reference)
);

CREATE INDEX stray_payments_order ON stray_payments (order_id);

-- The stray payment a refund gives back; NULL for a refund of the order's own payment.
ALTER TABLE refunds ADD COLUMN payment_reference TEXT;
