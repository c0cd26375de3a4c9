-- Times are BIGINT milliseconds since the Unix epoch; money is BIGINT minor units.
-- Every tenant table carries organizer_id so the schema can be distributed by organizer.

CREATE TABLE organizers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    fee_bps BIGINT CHECK (fee_bps IS NULL OR (fee_bps >= 0 AND fee_bps <= 10000)),
    created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    organizer_id TEXT REFERENCES organizers (id),
    scope TEXT NOT NULL,
    label TEXT NOT NULL,
    prefix TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE INDEX api_keys_organizer ON api_keys (organizer_id);

CREATE TABLE events (
    id TEXT PRIMARY KEY,
    organizer_id TEXT NOT NULL REFERENCES organizers (id),
    title TEXT NOT NULL,
    venue TEXT,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT,
    timezone TEXT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'live', 'cancelled')),
    reservation_minutes BIGINT NOT NULL,
    redirect_origins TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (ends_at IS NULL OR ends_at >= starts_at)
);

CREATE INDEX events_organizer ON events (organizer_id, id);

CREATE TABLE ticket_variants (
    id TEXT PRIMARY KEY,
    organizer_id TEXT NOT NULL REFERENCES organizers (id),
    event_id TEXT NOT NULL REFERENCES events (id),
    name TEXT NOT NULL,
    price BIGINT NOT NULL CHECK (price >= 0),
    quota BIGINT NOT NULL CHECK (quota >= 0),
    max_per_order BIGINT CHECK (max_per_order IS NULL OR max_per_order >= 1),
    sales_start BIGINT,
    sales_end BIGINT,
    status TEXT NOT NULL CHECK (status IN ('draft', 'live', 'sold_out', 'hidden')),
    sold BIGINT NOT NULL DEFAULT 0 CHECK (sold >= 0),
    reserved BIGINT NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (sold + reserved <= quota),
    CHECK (sales_start IS NULL OR sales_end IS NULL OR sales_end > sales_start)
);

CREATE INDEX ticket_variants_event ON ticket_variants (event_id, id);
