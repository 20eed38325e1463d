-- Business rules of issue 16: order lines with their own fulfilment status,
-- unpaid holds with deadlines and a per-buyer cap, and idempotency keys
-- scoped to (user, endpoint) that expire.

-- 1. Each line moves on its own (a hub operator moves only the lines from
--    its region); the order's status is derived from its lines
--    (src/orders/fulfil.rs). Lines of orders already under way take their
--    order's status.
ALTER TABLE order_lines ADD COLUMN status TEXT NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'in_transit', 'delivered'));
UPDATE order_lines SET status = 'in_transit' WHERE order_id IN (SELECT id FROM orders WHERE status = 'in_transit');
UPDATE order_lines SET status = 'delivered' WHERE order_id IN (SELECT id FROM orders WHERE status IN ('delivered', 'accepted'));

-- 2. When an unpaid order's hold on stock lapses: `pay_by` for an order
--    awaiting payment, `approve_by` (shorter) while it waits for an
--    approver. Written by Rust from the configuration at placement; orders
--    placed before this migration keep the default 72-hour window.
ALTER TABLE orders ADD COLUMN pay_by TEXT;
ALTER TABLE orders ADD COLUMN approve_by TEXT;
UPDATE orders SET pay_by = strftime('%Y-%m-%dT%H:%M:%S', created_at, '+72 hours') || substr(created_at, 20)
 WHERE status IN ('placed', 'pending_approval', 'awaiting_payment');
CREATE INDEX orders_unpaid_pay_by ON orders (pay_by) WHERE status IN ('placed', 'pending_approval', 'awaiting_payment');

-- One row per buyer organisation and product, locked (by an upsert) by
-- every placement before it counts what the buyer already holds unpaid, so
-- two orders of one buyer cannot both pass the cap on PostgreSQL.
CREATE TABLE hold_locks (
    org_id     BIGINT NOT NULL REFERENCES organisations (id),
    product_id BIGINT NOT NULL REFERENCES products (id),
    touched_at TEXT NOT NULL,
    PRIMARY KEY (org_id, product_id)
);

-- 3. Idempotency keys belong to a user and an endpoint, and their answers
--    expire after 24 hours. Rows of placed orders are kept for the user who
--    placed them (as `POST /api/v1/orders`); stored refusals are dropped (a
--    retry is simply judged again).
CREATE TABLE idempotency_keys_scoped (
    id            INTEGER PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id),
    endpoint      TEXT NOT NULL,
    key           TEXT NOT NULL,
    org_id        BIGINT NOT NULL REFERENCES organisations (id),
    request_hash  TEXT NOT NULL,
    status_code   BIGINT NOT NULL,
    response_body TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
INSERT INTO idempotency_keys_scoped (user_id, endpoint, key, org_id, request_hash, status_code, response_body, created_at)
SELECT o.buyer_user_id, 'POST /api/v1/orders', k.key, k.org_id, k.request_hash, k.status_code, k.response_body, k.created_at
  FROM idempotency_keys k
  JOIN orders o ON o.id = CAST(CASE WHEN k.status_code = 201 AND json_valid(k.response_body) THEN json_extract(k.response_body, '$.id') END AS BIGINT) AND o.buyer_org_id = k.org_id
 WHERE k.status_code = 201;
DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_scoped RENAME TO idempotency_keys;
CREATE UNIQUE INDEX idempotency_keys_scope ON idempotency_keys (user_id, endpoint, key);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
