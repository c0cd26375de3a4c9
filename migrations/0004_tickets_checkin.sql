-- Tickets are issued in the transaction that marks their order paid. Admission is one
-- conditional UPDATE of the ticket row; every scan, admitted or not, is kept in checkin_scans.

CREATE TABLE tickets (
    id TEXT PRIMARY KEY,
    organizer_id TEXT NOT NULL REFERENCES organizers (id),
    event_id TEXT NOT NULL REFERENCES events (id),
    variant_id TEXT NOT NULL REFERENCES ticket_variants (id),
    order_id TEXT NOT NULL REFERENCES orders (id),
    seat BIGINT NOT NULL CHECK (seat >= 1),
    unit_price BIGINT NOT NULL CHECK (unit_price >= 0),
    status TEXT NOT NULL CHECK (status IN ('valid', 'refunded', 'cancelled')),
    version BIGINT NOT NULL DEFAULT 1,
    token TEXT NOT NULL,
    blocked_reason TEXT,
    blocked_at BIGINT,
    admitted_at BIGINT,
    admitted_by TEXT,
    inside BIGINT NOT NULL DEFAULT 0 CHECK (inside IN (0, 1)),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (order_id, seat)
);

CREATE INDEX tickets_event ON tickets (event_id, id);

-- Token signing keys: the newest of the configured algorithm signs, all of them verify. The
-- private key is sealed with AES-GCM under a key from the environment; keys given in the
-- environment itself are stored without it, so their tokens still verify after a rotation.
CREATE TABLE ticket_signing_keys (
    kid TEXT PRIMARY KEY,
    algorithm TEXT NOT NULL,
    public_key TEXT,
    sealed_private_key TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE checkin_scans (
    id TEXT PRIMARY KEY,
    organizer_id TEXT NOT NULL REFERENCES organizers (id),
    event_id TEXT,
    ticket_id TEXT,
    device TEXT NOT NULL,
    nonce TEXT,
    direction TEXT NOT NULL CHECK (direction IN ('entry', 'exit')),
    source TEXT NOT NULL CHECK (source IN ('online', 'offline')),
    result TEXT NOT NULL,
    answer TEXT NOT NULL,
    scanned_at BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL
);

CREATE UNIQUE INDEX checkin_scans_nonce ON checkin_scans (device, nonce);
CREATE INDEX checkin_scans_ticket ON checkin_scans (ticket_id);
CREATE INDEX checkin_scans_event ON checkin_scans (event_id, id);

CREATE TABLE ticket_blocks (
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    action TEXT NOT NULL CHECK (action IN ('block', 'unblock')),
    reason TEXT NOT NULL,
    actor TEXT NOT NULL,
    at BIGINT NOT NULL
);

CREATE INDEX ticket_blocks_ticket ON ticket_blocks (ticket_id);
