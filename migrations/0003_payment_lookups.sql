-- Refund and dispute events of some providers name the payment, not the order.
CREATE INDEX orders_provider_payment ON orders (provider, provider_payment);

-- Idempotency answers are kept 24 hours and then purged by age.
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
