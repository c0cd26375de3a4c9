-- Every payment writes its transfers into each index of the ledger, so it keeps only the ones
-- the hot paths read: by id, by order, by organizer. Balances over all accounts scan the table
-- anyway; an organizer's accounts are read through its organizer_id. (SQLite compares text
-- byte by byte already: see the PostgreSQL version of this migration for the collation.)
DROP INDEX ledger_transfers_debit;
DROP INDEX ledger_transfers_credit;
