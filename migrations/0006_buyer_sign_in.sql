-- "My tickets" sign-in. A buyer asks for a link by email; the link carries a single-use token that
-- is good for 30 minutes and becomes a buyer session, which reads every order placed with that
-- address. Only hashes of tokens are stored. Emails are kept lowercased (ASCII), as lower() does.

CREATE TABLE magic_links (
    token_hash TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE INDEX magic_links_email ON magic_links (email, created_at);

CREATE TABLE buyer_sessions (
    token_hash TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX buyer_sessions_expiry ON buyer_sessions (expires_at);

CREATE INDEX orders_buyer_email ON orders (lower(email), id);
