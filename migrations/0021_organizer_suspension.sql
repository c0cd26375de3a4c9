-- An admin suspends an organizer: its events leave the shop, its keys and members stop working,
-- and payouts wait; orders already paid keep their tickets and webhooks still settle them.
ALTER TABLE organizers ADD COLUMN suspended_at BIGINT;
