-- Zhunong foundation schema (SQLite). The PostgreSQL twin has the same file
-- name under migrations/postgres/ and differs only in the id column type
-- (INTEGER PRIMARY KEY here, BIGINT identity there).
--
-- Conventions, shared by both backends so one SQL text serves both:
--   * money is BIGINT fen, quantities BIGINT in the product's unit;
--   * timestamps are TEXT RFC 3339 UTC with microseconds, written by Rust
--     (fixed width, so text order is time order); dates are TEXT YYYY-MM-DD;
--   * flags are BIGINT 0/1 (the sqlx Any driver cannot read SQLite BOOLEAN);
--   * region codes are TEXT of 12 digits, so a region's descendants are a
--     prefix range.

CREATE TABLE regions (
    code        TEXT PRIMARY KEY CHECK (length(code) = 12),
    parent_code TEXT REFERENCES regions (code),
    level       TEXT NOT NULL CHECK (level IN ('province', 'prefecture', 'county', 'township', 'village')),
    name        TEXT NOT NULL
);
CREATE INDEX regions_parent_code ON regions (parent_code);

CREATE TABLE organisations (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('cooperative', 'agency', 'partner_city', 'hub_operator', 'government', 'platform')),
    name        TEXT NOT NULL UNIQUE,
    -- cooperative: its village; agency: where it sits; partner city: the
    -- city; government: its jurisdiction; hub operator: its node's region.
    region_code TEXT NOT NULL REFERENCES regions (code),
    created_at  TEXT NOT NULL
);
CREATE INDEX organisations_kind ON organisations (kind);

CREATE TABLE cooperatives (
    org_id              BIGINT PRIMARY KEY REFERENCES organisations (id),
    -- share of sales value passed to supplying households, in basis points
    payout_ratio_bp     BIGINT NOT NULL CHECK (payout_ratio_bp BETWEEN 0 AND 10000),
    registration_number TEXT,
    description         TEXT NOT NULL DEFAULT ''
);

CREATE TABLE agencies (
    org_id             BIGINT PRIMARY KEY REFERENCES organisations (id),
    -- orders above this total wait for an agency approver
    approval_limit_fen BIGINT NOT NULL CHECK (approval_limit_fen >= 0)
);

CREATE TABLE agency_reserved_shares (
    agency_id  BIGINT NOT NULL REFERENCES agencies (org_id),
    year       BIGINT NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    target_fen BIGINT NOT NULL CHECK (target_fen >= 0),
    PRIMARY KEY (agency_id, year)
);

CREATE TABLE partner_pairings (
    partner_id  BIGINT NOT NULL REFERENCES organisations (id),
    region_code TEXT NOT NULL REFERENCES regions (code),
    programme   TEXT NOT NULL,
    PRIMARY KEY (partner_id, region_code)
);
CREATE INDEX partner_pairings_region ON partner_pairings (region_code);

CREATE TABLE partner_pledges (
    partner_id  BIGINT NOT NULL,
    region_code TEXT NOT NULL,
    year        BIGINT NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    pledge_fen  BIGINT NOT NULL CHECK (pledge_fen >= 0),
    PRIMARY KEY (partner_id, region_code, year),
    FOREIGN KEY (partner_id, region_code) REFERENCES partner_pairings (partner_id, region_code)
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    org_id        BIGINT NOT NULL REFERENCES organisations (id),
    disabled      BIGINT NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    TEXT NOT NULL
);
CREATE INDEX users_org ON users (org_id);

CREATE TABLE user_roles (
    user_id BIGINT NOT NULL REFERENCES users (id),
    role    TEXT NOT NULL CHECK (role IN ('platform_admin', 'platform_finance', 'agency_buyer', 'agency_approver',
                                          'coop_manager', 'partner_buyer', 'hub_operator', 'official')),
    PRIMARY KEY (user_id, role)
);

-- Sessions and API tokens are one table: the browser's cookie and a bearer
-- token are the same secret, of which only the SHA-256 is stored.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Failed sign-ins, for the rate limit; kept in the database so that several
-- instances share one count.
CREATE TABLE login_failures (
    id    INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    at    TEXT NOT NULL
);
CREATE INDEX login_failures_email_at ON login_failures (email, at);

CREATE TABLE households (
    id              INTEGER PRIMARY KEY,
    -- stable pseudonym shown to everyone who may not see the identity
    code            TEXT NOT NULL UNIQUE,
    village_code    TEXT NOT NULL REFERENCES regions (code),
    size            BIGINT NOT NULL CHECK (size BETWEEN 1 AND 30),
    status          TEXT NOT NULL CHECK (status IN ('registered_poor', 'monitored', 'edge', 'lifted', 'none')),
    register_number TEXT UNIQUE,
    head_name       TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX households_village ON households (village_code);

-- Declared non-platform income per household and year (for monitoring).
CREATE TABLE household_incomes (
    household_id     BIGINT NOT NULL REFERENCES households (id),
    year             BIGINT NOT NULL,
    other_income_fen BIGINT NOT NULL CHECK (other_income_fen >= 0),
    PRIMARY KEY (household_id, year)
);

CREATE TABLE cooperative_members (
    cooperative_id BIGINT NOT NULL REFERENCES cooperatives (org_id),
    household_id   BIGINT NOT NULL REFERENCES households (id),
    joined_on      TEXT NOT NULL,
    PRIMARY KEY (cooperative_id, household_id)
);
CREATE INDEX cooperative_members_household ON cooperative_members (household_id);

CREATE TABLE nodes (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('village_point', 'township_sorting', 'county_distribution', 'prefecture_hub')),
    name            TEXT NOT NULL UNIQUE,
    region_code     TEXT NOT NULL REFERENCES regions (code),
    cold_storage    BIGINT NOT NULL DEFAULT 0 CHECK (cold_storage IN (0, 1)),
    capacity_kg     BIGINT NOT NULL CHECK (capacity_kg > 0),
    operator_org_id BIGINT REFERENCES organisations (id)
);
CREATE INDEX nodes_region ON nodes (region_code);

CREATE TABLE products (
    id             INTEGER PRIMARY KEY,
    cooperative_id BIGINT NOT NULL REFERENCES cooperatives (org_id),
    name           TEXT NOT NULL,
    name_en        TEXT,
    category       TEXT NOT NULL,
    unit           TEXT NOT NULL,
    spec           TEXT NOT NULL,
    storage        TEXT NOT NULL CHECK (storage IN ('ambient', 'chilled', 'frozen')),
    origin_code    TEXT NOT NULL REFERENCES regions (code),
    description    TEXT NOT NULL DEFAULT '',
    active         BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    sales_count    BIGINT NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (cooperative_id, name)
);
CREATE INDEX products_cooperative ON products (cooperative_id);
CREATE INDEX products_origin ON products (origin_code);

CREATE TABLE price_tiers (
    product_id     BIGINT NOT NULL REFERENCES products (id),
    min_quantity   BIGINT NOT NULL CHECK (min_quantity >= 1),
    unit_price_fen BIGINT NOT NULL CHECK (unit_price_fen > 0),
    PRIMARY KEY (product_id, min_quantity)
);

CREATE TABLE certificates (
    id          INTEGER PRIMARY KEY,
    product_id  BIGINT NOT NULL REFERENCES products (id),
    kind        TEXT NOT NULL CHECK (kind IN ('poverty_alleviation', 'geographic_indication', 'green_food', 'organic')),
    number      TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    UNIQUE (product_id, kind, number)
);

-- A harvest batch. `allocated` is what orders hold; the CHECK is the last
-- line of defence of invariant 1 (no overselling).
CREATE TABLE lots (
    id           INTEGER PRIMARY KEY,
    product_id   BIGINT NOT NULL REFERENCES products (id),
    quantity     BIGINT NOT NULL CHECK (quantity >= 0),
    allocated    BIGINT NOT NULL DEFAULT 0 CHECK (allocated >= 0 AND allocated <= quantity),
    harvested_on TEXT NOT NULL,
    expires_on   TEXT NOT NULL CHECK (expires_on >= harvested_on),
    node_id      BIGINT NOT NULL REFERENCES nodes (id),
    created_at   TEXT NOT NULL,
    created_by   BIGINT REFERENCES users (id)
);
CREATE INDEX lots_product_expiry ON lots (product_id, expires_on);

CREATE TABLE lot_contributions (
    lot_id       BIGINT NOT NULL REFERENCES lots (id),
    household_id BIGINT NOT NULL REFERENCES households (id),
    quantity     BIGINT NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (lot_id, household_id)
);
CREATE INDEX lot_contributions_household ON lot_contributions (household_id);

-- Invariant 8: every change of a lot's quantity, append-only.
CREATE TABLE stock_movements (
    id              INTEGER PRIMARY KEY,
    lot_id          BIGINT NOT NULL REFERENCES lots (id),
    reason          TEXT NOT NULL CHECK (reason IN ('receipt', 'spoilage', 'recount', 'damage', 'return', 'other')),
    note            TEXT NOT NULL DEFAULT '',
    delta           BIGINT NOT NULL,
    quantity_before BIGINT NOT NULL,
    quantity_after  BIGINT NOT NULL CHECK (quantity_after = quantity_before + delta),
    user_id         BIGINT REFERENCES users (id),
    at              TEXT NOT NULL
);
CREATE INDEX stock_movements_lot ON stock_movements (lot_id, id);

-- Key/value facts about the database itself (e.g. that the demo is loaded).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
