-- People who sign in to the pages: organizer owners, managers and door staff, and platform admins
-- (no organizer). One active member per address, so that an address and its password name one place.
CREATE TABLE members (
    id TEXT PRIMARY KEY,
    organizer_id TEXT REFERENCES organizers (id),
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'door', 'admin')),
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    removed_at BIGINT,
    CHECK ((role = 'admin') = (organizer_id IS NULL))
);

CREATE UNIQUE INDEX members_email ON members (email) WHERE removed_at IS NULL;
CREATE INDEX members_organizer ON members (organizer_id, id);

-- Signed-in browsers: the cookie's token is stored only as its SHA-256.
CREATE TABLE member_sessions (
    token_hash TEXT PRIMARY KEY,
    member_id TEXT NOT NULL REFERENCES members (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX member_sessions_member ON member_sessions (member_id);

-- Single-use links sent by email: an invitation to join an organizer, or a password reset.
CREATE TABLE member_links (
    token_hash TEXT PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (purpose IN ('invitation', 'password_reset')),
    email TEXT NOT NULL,
    organizer_id TEXT REFERENCES organizers (id),
    role TEXT,
    member_id TEXT REFERENCES members (id),
    created_by TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE INDEX member_links_email ON member_links (email, created_at);
