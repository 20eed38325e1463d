-- Confirmed payments (audited: who confirmed, with what reference) and the
-- append-only attribution ledger: who grew what was paid for.

CREATE TABLE payments (
    id           INTEGER PRIMARY KEY,
    order_id     BIGINT NOT NULL UNIQUE REFERENCES orders (id),
    method       TEXT NOT NULL CHECK (method IN ('invoice', 'stripe')),
    reference    TEXT NOT NULL,
    amount_fen   BIGINT NOT NULL CHECK (amount_fen >= 0),
    confirmed_by BIGINT REFERENCES users (id),
    confirmed_at TEXT NOT NULL
);

-- One row per (line, lot, household) share of a paid line; refunds add
-- rows of kind 'refund' with negative amounts. Never updated or deleted.
CREATE TABLE attribution_entries (
    id           INTEGER PRIMARY KEY,
    order_id     BIGINT NOT NULL REFERENCES orders (id),
    line_id      BIGINT NOT NULL REFERENCES order_lines (id),
    lot_id       BIGINT NOT NULL REFERENCES lots (id),
    household_id BIGINT NOT NULL REFERENCES households (id),
    kind         TEXT NOT NULL CHECK (kind IN ('sale', 'refund')),
    gross_fen    BIGINT NOT NULL,
    income_fen   BIGINT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX attribution_entries_order ON attribution_entries (order_id);
CREATE INDEX attribution_entries_household ON attribution_entries (household_id);
