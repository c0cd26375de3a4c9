-- An organizer's own payout hold, set by an admin: when its net becomes available ('event_end'
-- or 'payment') and how many days later. Unset, PAYOUT_HOLD_FROM and PAYOUT_HOLD_DAYS apply.
ALTER TABLE organizers ADD COLUMN payout_hold_from TEXT;
ALTER TABLE organizers ADD COLUMN payout_hold_days INTEGER;

-- The hold release looks for paid orders that are not yet released.
CREATE INDEX orders_status_paid_at ON orders (status, paid_at);
