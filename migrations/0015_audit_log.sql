-- Who changed what: one row per change, written in the transaction of the change. organizer_id is
-- NULL for platform-wide changes (an admin's payout run, a replayed inbox row). order_id and
-- event_id let an order's or an event's history be read without scanning the subject list.
-- changes is a JSON object {"field": {"from": ..., "to": ...}}; it never holds a secret.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    organizer_id TEXT,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    action TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    order_id TEXT,
    event_id TEXT,
    changes TEXT NOT NULL,
    request_id TEXT,
    created_at BIGINT NOT NULL
);

-- No index on subject_id: an organizer's lookup by subject goes through its own entries, and an
-- order's or event's subjects through those indexes; every entry at the door pays for each index.
CREATE INDEX audit_log_organizer ON audit_log (organizer_id, id);
CREATE INDEX audit_log_order ON audit_log (order_id, id) WHERE order_id IS NOT NULL;
CREATE INDEX audit_log_event ON audit_log (event_id, id) WHERE event_id IS NOT NULL;
