-- Where each organizer's payouts go: one method per organizer. Replacing a method (not setting
-- the first) is recorded in payout_method_changes, and a payout to a method replaced in the last
-- 24 hours waits until an admin approves the change (approved_at).
CREATE TABLE payout_methods (
    organizer_id TEXT PRIMARY KEY REFERENCES organizers (id),
    provider TEXT NOT NULL,
    account TEXT NOT NULL,
    replaced_at BIGINT,
    approved_at BIGINT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE payout_method_changes (
    id TEXT PRIMARY KEY,
    organizer_id TEXT NOT NULL REFERENCES organizers (id),
    previous_provider TEXT NOT NULL,
    previous_account TEXT NOT NULL,
    provider TEXT NOT NULL,
    account TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at BIGINT NOT NULL
);

CREATE INDEX payout_method_changes_organizer ON payout_method_changes (organizer_id, changed_at);

-- One payout per organizer and currency a run pays. Its amount left the organizer's available
-- balance in the transaction that wrote the row ('sending'); the provider call follows, leased
-- to one run (lease_owner) until lease_until so that one process at a time sends it, with the id
-- as idempotency key.
CREATE TABLE payouts (
    id TEXT PRIMARY KEY,
    organizer_id TEXT NOT NULL REFERENCES organizers (id),
    currency TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    provider TEXT NOT NULL,
    account TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'settled', 'failed', 'returned')),
    provider_reference TEXT,
    failure_reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    lease_until BIGINT,
    lease_owner TEXT,
    covers_until BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    settled_at BIGINT,
    failed_at BIGINT
);

CREATE INDEX payouts_organizer ON payouts (organizer_id, created_at);
CREATE INDEX payouts_sending ON payouts (status, lease_until);

-- Each payout's transfers name it, for its remittance advice; an order's transfers stay out of it.
CREATE INDEX ledger_transfers_payout ON ledger_transfers (payout_id) WHERE payout_id IS NOT NULL;
