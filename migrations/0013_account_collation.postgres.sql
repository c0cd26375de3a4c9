-- Account codes are read by byte ranges ('organizer_available:' up to 'organizer_available;'),
-- which only a byte-wise collation keeps together: under en_US.UTF-8 punctuation hardly counts.
-- These columns sort as bytes whatever the database's collation, as SQLite's always do.
ALTER TABLE ledger_transfers ALTER COLUMN debit_account TYPE TEXT COLLATE "C";
ALTER TABLE ledger_transfers ALTER COLUMN credit_account TYPE TEXT COLLATE "C";
