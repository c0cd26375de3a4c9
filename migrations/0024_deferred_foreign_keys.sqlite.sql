-- PostgreSQL only (see the .postgres.sql of this version): SQLite has one writer at a time, so no
-- row is share-locked by many transactions at once.
SELECT 1;
