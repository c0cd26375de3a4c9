-- Buyer credit. A wallet is a buyer's verified email address; it holds credit per currency as a
-- liability in the ledger (`wallet:{wallet id}`). `wallet_balances` mirrors the ledger for the one
-- check that must be atomic: a spend or hold is one conditional UPDATE of `available`, which the
-- CHECKs keep from ever going below zero. `credit_grants` are where credit came from (a pack, a
-- refund), spent and expired oldest first; `remaining` over a wallet's grants is its `available`.

CREATE TABLE credit_packs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    price BIGINT NOT NULL CHECK (price > 0),
    currency TEXT NOT NULL,
    credit BIGINT NOT NULL CHECK (credit > 0),
    active BIGINT NOT NULL CHECK (active IN (0, 1)),
    expires_days BIGINT CHECK (expires_days IS NULL OR expires_days > 0),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE wallets (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE wallet_balances (
    wallet_id TEXT NOT NULL REFERENCES wallets (id),
    currency TEXT NOT NULL,
    available BIGINT NOT NULL CHECK (available >= 0),
    held BIGINT NOT NULL CHECK (held >= 0),
    owed BIGINT NOT NULL CHECK (owed >= 0),
    PRIMARY KEY (wallet_id, currency)
);

CREATE TABLE credit_grants (
    id TEXT PRIMARY KEY,
    wallet_id TEXT NOT NULL REFERENCES wallets (id),
    currency TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    remaining BIGINT NOT NULL CHECK (remaining >= 0),
    expired BIGINT NOT NULL DEFAULT 0 CHECK (expired >= 0),
    source TEXT NOT NULL CHECK (source IN ('pack', 'refund')),
    order_id TEXT REFERENCES orders (id),
    expires_at BIGINT,
    granted_at BIGINT NOT NULL
);

CREATE INDEX credit_grants_wallet ON credit_grants (wallet_id, currency, granted_at, id);
CREATE INDEX credit_grants_expiry ON credit_grants (expires_at) WHERE remaining > 0 AND expires_at IS NOT NULL;
CREATE UNIQUE INDEX credit_grants_pack_order ON credit_grants (order_id) WHERE source = 'pack';

-- The credit an order takes from a wallet: held while the order waits for the rest of its payment,
-- posted once it is paid, released when it ends unpaid; `refunded` is what went back to the wallet.
CREATE TABLE credit_spends (
    order_id TEXT PRIMARY KEY REFERENCES orders (id),
    wallet_id TEXT NOT NULL REFERENCES wallets (id),
    currency TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    status TEXT NOT NULL CHECK (status IN ('held', 'posted', 'released')),
    refunded BIGINT NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX credit_spends_wallet ON credit_spends (wallet_id, created_at);

-- Which grants a spend took its credit from, so a release or refund gives it back to them.
CREATE TABLE credit_spend_grants (
    order_id TEXT NOT NULL REFERENCES credit_spends (order_id),
    grant_id TEXT NOT NULL REFERENCES credit_grants (id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    returned BIGINT NOT NULL DEFAULT 0 CHECK (returned >= 0 AND returned <= amount),
    PRIMARY KEY (order_id, grant_id)
);

-- A pack purchase is an order of the platform itself: it names the pack, and its credit part
-- (`credit_amount`) is what a wallet pays of a ticket order, the rest going through its provider.
ALTER TABLE orders ADD COLUMN credit_pack_id TEXT REFERENCES credit_packs (id);
ALTER TABLE orders ADD COLUMN credit_amount BIGINT NOT NULL DEFAULT 0;

-- The platform as the seller of credit packs: an organizer row no API key or member can reach, and
-- a draft event that is never shown, which its pack orders name because every order names both.
INSERT INTO organizers (id, name, slug, email, fee_bps, created_at)
VALUES ('org_00000000000000000000000000', 'Platform credit', '~platform', 'credit@platform.invalid', 0, 0);
INSERT INTO events (id, organizer_id, title, venue, starts_at, ends_at, timezone, currency, status, reservation_minutes,
                    redirect_origins, created_at, updated_at)
VALUES ('evt_00000000000000000000000000', 'org_00000000000000000000000000', 'Credit packs', NULL, 0, NULL, 'UTC', 'EUR', 'draft', 30,
        '[]', 0, 0);

-- A wallet's statement reads its transfers by account. The ledger keeps no index by account (every
-- payment would write into it), so these cover only the wallets' accounts (`wallet:`,
-- `wallet_held:`, `wallet_owed:`), which ticket payments without credit never touch.
CREATE INDEX ledger_transfers_wallet_credit ON ledger_transfers (credit_account, booked_at)
    WHERE credit_account >= 'wallet' AND credit_account < 'wallet~';
CREATE INDEX ledger_transfers_wallet_debit ON ledger_transfers (debit_account, booked_at)
    WHERE debit_account >= 'wallet' AND debit_account < 'wallet~';
