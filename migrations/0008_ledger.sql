-- The double-entry ledger: one row per transfer of a positive amount (minor units of its
-- currency) from one account to another. A transfer's id is derived from the business event
-- that causes it, so a repeated event never posts twice. Nothing is updated or deleted:
-- corrections are new transfers, and the database refuses anything else.

CREATE TABLE ledger_transfers (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    debit_account TEXT NOT NULL,
    credit_account TEXT NOT NULL CHECK (credit_account <> debit_account),
    organizer_id TEXT,
    order_id TEXT,
    refund_id TEXT,
    payout_id TEXT,
    provider_reference TEXT,
    booked_at BIGINT NOT NULL
);

CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit_account, currency);
CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit_account, currency);
CREATE INDEX ledger_transfers_organizer ON ledger_transfers (organizer_id, booked_at);
CREATE INDEX ledger_transfers_order ON ledger_transfers (order_id);
