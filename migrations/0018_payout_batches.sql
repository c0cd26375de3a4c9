-- The provider batch a payout was first sent in (PayPal's sender_batch_id): sent again, it goes
-- in the same batch under the same id, so the provider can recognise it and never pays twice.
ALTER TABLE payouts ADD COLUMN batch_id TEXT;
