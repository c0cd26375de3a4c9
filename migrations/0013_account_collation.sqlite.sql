-- SQLite compares text byte by byte already (see the PostgreSQL version of this migration).
SELECT 1;
