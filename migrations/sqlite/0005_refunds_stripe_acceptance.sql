-- Refunds of whole lines or quantities, Stripe's payment intents and the
-- webhook events already handled, the buyer's goods acceptance with a
-- rating per cooperative, and each user's cart.

CREATE TABLE refunds (
    id         INTEGER PRIMARY KEY,
    order_id   BIGINT NOT NULL REFERENCES orders (id),
    -- stripe: money back to the card or wallet; credit_note: for invoice orders
    method     TEXT NOT NULL CHECK (method IN ('stripe', 'credit_note')),
    -- Stripe's refund id, or the credit note number
    reference  TEXT NOT NULL,
    -- pending/succeeded/failed as Stripe reports it; credit notes are issued
    status     TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'issued')),
    reason     TEXT NOT NULL,
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    -- 1 when the refunded units went back to their lots (before dispatch)
    restocked  BIGINT NOT NULL CHECK (restocked IN (0, 1)),
    created_by BIGINT REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX refunds_order ON refunds (order_id);

CREATE TABLE refund_lines (
    refund_id  BIGINT NOT NULL REFERENCES refunds (id),
    line_id    BIGINT NOT NULL REFERENCES order_lines (id),
    quantity   BIGINT NOT NULL CHECK (quantity > 0),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    PRIMARY KEY (refund_id, line_id)
);
CREATE INDEX refund_lines_line ON refund_lines (line_id);

CREATE TABLE stripe_payment_intents (
    id         TEXT PRIMARY KEY,
    order_id   BIGINT NOT NULL REFERENCES orders (id),
    amount_fen BIGINT NOT NULL,
    -- Stripe's last word on it, and the buyer-facing reason of a failure
    status     TEXT NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX stripe_payment_intents_order ON stripe_payment_intents (order_id);

-- Each webhook event once (invariant 5): a replay finds its id here.
CREATE TABLE stripe_events (
    id          TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    received_at TEXT NOT NULL
);

CREATE TABLE ratings (
    order_id       BIGINT NOT NULL REFERENCES orders (id),
    cooperative_id BIGINT NOT NULL REFERENCES cooperatives (org_id),
    stars          BIGINT NOT NULL CHECK (stars BETWEEN 1 AND 5),
    comment        TEXT NOT NULL DEFAULT '',
    rated_by       BIGINT NOT NULL REFERENCES users (id),
    created_at     TEXT NOT NULL,
    PRIMARY KEY (order_id, cooperative_id)
);
CREATE INDEX ratings_cooperative ON ratings (cooperative_id);

CREATE TABLE cart_lines (
    user_id    BIGINT NOT NULL REFERENCES users (id),
    product_id BIGINT NOT NULL REFERENCES products (id),
    quantity   BIGINT NOT NULL CHECK (quantity BETWEEN 1 AND 1000000),
    added_at   TEXT NOT NULL,
    PRIMARY KEY (user_id, product_id)
);
