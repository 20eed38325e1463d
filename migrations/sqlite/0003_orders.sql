-- Orders, their lines, the lots allocated to each line, every status change,
-- and the responses of idempotent requests.

CREATE TABLE orders (
    id                   INTEGER PRIMARY KEY,
    number               TEXT NOT NULL UNIQUE,
    buyer_org_id         BIGINT NOT NULL REFERENCES organisations (id),
    buyer_user_id        BIGINT NOT NULL REFERENCES users (id),
    status               TEXT NOT NULL CHECK (status IN ('placed', 'pending_approval', 'awaiting_payment', 'paid', 'in_transit',
                                                         'delivered', 'accepted', 'cancelled', 'refunded')),
    payment_method       TEXT NOT NULL CHECK (payment_method IN ('invoice', 'stripe')),
    delivery_region_code TEXT NOT NULL REFERENCES regions (code),
    delivery_address     TEXT NOT NULL,
    contact_name         TEXT NOT NULL,
    phone                TEXT NOT NULL,
    note                 TEXT NOT NULL DEFAULT '',
    total_fen            BIGINT NOT NULL CHECK (total_fen >= 0),
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE INDEX orders_buyer ON orders (buyer_org_id, id);
CREATE INDEX orders_status ON orders (status);

CREATE TABLE order_lines (
    id             INTEGER PRIMARY KEY,
    order_id       BIGINT NOT NULL REFERENCES orders (id),
    product_id     BIGINT NOT NULL REFERENCES products (id),
    cooperative_id BIGINT NOT NULL REFERENCES cooperatives (org_id),
    quantity       BIGINT NOT NULL CHECK (quantity > 0),
    unit_price_fen BIGINT NOT NULL CHECK (unit_price_fen > 0),
    amount_fen     BIGINT NOT NULL CHECK (amount_fen = quantity * unit_price_fen)
);
CREATE INDEX order_lines_order ON order_lines (order_id);
CREATE INDEX order_lines_cooperative ON order_lines (cooperative_id);

-- Which lots hold a line's quantity; their sum per lot is lots.allocated
-- (while the order is not cancelled).
CREATE TABLE allocations (
    id       INTEGER PRIMARY KEY,
    line_id  BIGINT NOT NULL REFERENCES order_lines (id),
    lot_id   BIGINT NOT NULL REFERENCES lots (id),
    quantity BIGINT NOT NULL CHECK (quantity > 0)
);
CREATE INDEX allocations_line ON allocations (line_id);
CREATE INDEX allocations_lot ON allocations (lot_id);

CREATE TABLE order_events (
    id          INTEGER PRIMARY KEY,
    order_id    BIGINT NOT NULL REFERENCES orders (id),
    from_status TEXT,
    to_status   TEXT NOT NULL,
    user_id     BIGINT REFERENCES users (id),
    at          TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX order_events_order ON order_events (order_id, id);

-- The first response to each Idempotency-Key of an organisation.
CREATE TABLE idempotency_keys (
    org_id        BIGINT NOT NULL REFERENCES organisations (id),
    key           TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    status_code   BIGINT NOT NULL,
    response_body TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (org_id, key)
);
