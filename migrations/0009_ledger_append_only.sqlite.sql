-- Ledger transfers are append-only: the database refuses to change or delete one. Corrections
-- are new transfers.
CREATE TRIGGER ledger_transfers_no_update BEFORE UPDATE ON ledger_transfers BEGIN SELECT RAISE(ABORT, 'ledger transfers are append-only: post a correcting transfer'); END;
CREATE TRIGGER ledger_transfers_no_delete BEFORE DELETE ON ledger_transfers BEGIN SELECT RAISE(ABORT, 'ledger transfers are append-only: post a correcting transfer'); END;
