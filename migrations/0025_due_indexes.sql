-- The workers' "next due row" queries in the order they take rows, as partial indexes of the rows
-- still to do: with (status, next_attempt_at) alone, a status list cannot be read in
-- next_attempt_at order, so every claim read and sorted the whole backlog (20,000 webhooks waiting
-- made each claim read 20,000 rows, and the inbox slower the further behind it was).
-- The claims name the same status lists as the indexes, so SQLite uses them too.
CREATE INDEX webhook_inbox_due_order ON webhook_inbox (next_attempt_at, id) WHERE status IN ('pending', 'failed');
CREATE INDEX outbox_due_order ON outbox_messages (next_attempt_at, id) WHERE status IN ('queued', 'sending');
CREATE INDEX webhook_deliveries_due_order ON webhook_deliveries (next_attempt_at, id) WHERE status IN ('pending', 'sending');
