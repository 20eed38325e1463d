-- The typed order lifecycle (issue 11): order lines get their own events,
-- and a Stripe refund is recorded as an intent before Stripe is called.

-- 1. Each line's status changes, with who and when, as orders have
--    order_events (src/orders/lifecycle.rs writes both). Lines moved
--    before this migration have no history; their status stays.
CREATE TABLE order_line_events (
    id          INTEGER PRIMARY KEY,
    line_id     BIGINT NOT NULL REFERENCES order_lines (id),
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    user_id     BIGINT REFERENCES users (id),
    at          TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX order_line_events_line ON order_line_events (line_id, id);

-- 2. A Stripe refund is first recorded as an intent (`answered_at` NULL)
--    with the idempotency key it is sent to Stripe with, so a retry after a
--    crash or a time-out asks Stripe the same question and cannot refund
--    twice; Stripe's answer is recorded in a second transaction, which sets
--    `answered_at` (src/orders/refunds.rs). `status` keeps Stripe's word.
--    `request_key` names the API request that asked for it (user, endpoint,
--    Idempotency-Key), so a retry of that request finds the refund instead
--    of making another. Refunds made before this migration were answered
--    when made.
ALTER TABLE refunds ADD COLUMN stripe_key TEXT;
ALTER TABLE refunds ADD COLUMN request_key TEXT;
ALTER TABLE refunds ADD COLUMN answered_at TEXT;
UPDATE refunds SET answered_at = created_at;
CREATE INDEX refunds_unanswered ON refunds (created_at) WHERE answered_at IS NULL;
CREATE INDEX refunds_request_key ON refunds (request_key) WHERE request_key IS NOT NULL;
