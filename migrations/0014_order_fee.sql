-- The organizer's fee rate (basis points) when the order was placed: the ledger books the fee of
-- its payment at this rate, without reading the organizer on the payment's hot path. NULL for
-- orders placed before this column existed; their payment reads the organizer's rate.
ALTER TABLE orders ADD COLUMN fee_bps INTEGER;
