-- Every payment writes its transfers into each index of the ledger, so it keeps only the ones
-- the hot paths read: by id, by order, by organizer. Balances over all accounts scan the table
-- anyway; an organizer's accounts are read through its organizer_id.
DROP INDEX ledger_transfers_debit;
DROP INDEX ledger_transfers_credit;

-- Account codes are also filtered by byte ranges ('organizer_available:' up to
-- 'organizer_available;'), which only a byte-wise collation keeps together: under en_US.UTF-8
-- punctuation hardly counts. These columns sort as bytes whatever the database's collation, as
-- SQLite's always do.
ALTER TABLE ledger_transfers ALTER COLUMN debit_account TYPE TEXT COLLATE "C";
ALTER TABLE ledger_transfers ALTER COLUMN credit_account TYPE TEXT COLLATE "C";
