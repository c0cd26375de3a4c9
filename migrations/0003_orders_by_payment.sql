-- Refund and dispute events of some providers name the payment, not the order.
CREATE INDEX orders_provider_payment ON orders (provider, provider_payment);
