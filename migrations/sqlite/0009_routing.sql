-- Routing through the chain (issue 12): weights, cut-offs, credit terms,
-- routes stored as legs, consolidated shipments and their scans, and
-- leases for work that runs on a clock.

-- 1. A product's weight per unit, in grams, so legs and shipments carry
--    weights. Required for new products (checked by src/catalog); products
--    made before this migration have none until their cooperative gives it
--    (a shipment counts them as 0 g and says so).
ALTER TABLE products ADD COLUMN unit_weight_g BIGINT CHECK (unit_weight_g IS NULL OR (unit_weight_g >= 1 AND unit_weight_g <= 1000000));

-- 2. Each node's daily cut-off, China time HH:MM: goods at the node before
--    it leave in that day's shipments.
ALTER TABLE nodes ADD COLUMN cutoff TEXT NOT NULL DEFAULT '16:00' CHECK (length(cutoff) = 5 AND substr(cutoff, 3, 1) = ':');

-- 3. Credit terms (账期): an agency with `credit_terms_days` gets its
--    invoice-paid orders released at approval and pays within that many
--    days of acceptance. An order keeps the terms it was placed under.
--    `released_at`: when its lines were released for fulfilment (routed);
--    `paid_at`: when the money was confirmed (no longer implied by the
--    status: a credit order can be accepted before it is paid); `due_on`:
--    the China date by which a credit order must be paid, set at
--    acceptance. Orders paid before this migration were released when paid.
ALTER TABLE agencies ADD COLUMN credit_terms_days BIGINT CHECK (credit_terms_days IS NULL OR (credit_terms_days >= 1 AND credit_terms_days <= 365));
ALTER TABLE orders ADD COLUMN credit_terms_days BIGINT;
ALTER TABLE orders ADD COLUMN released_at TEXT;
ALTER TABLE orders ADD COLUMN paid_at TEXT;
ALTER TABLE orders ADD COLUMN due_on TEXT;
UPDATE orders SET paid_at = (SELECT MIN(p.confirmed_at) FROM payments p WHERE p.order_id = orders.id);
UPDATE orders SET released_at = paid_at WHERE paid_at IS NOT NULL;
CREATE INDEX orders_credit_due ON orders (due_on) WHERE due_on IS NOT NULL AND paid_at IS NULL;

-- 4. A route per (line, lot): the goods of one lot allocated to one line,
--    from the node where the lot sits to the buyer. Planned once, when the
--    line is released, and never silently recomputed. `skipped` lists the
--    levels passed over with their reason ("township:no_node,county:no_cold_storage").
CREATE TABLE routes (
    id                   INTEGER PRIMARY KEY,
    line_id              BIGINT NOT NULL REFERENCES order_lines (id),
    lot_id               BIGINT NOT NULL REFERENCES lots (id),
    quantity             BIGINT NOT NULL CHECK (quantity > 0),
    weight_g             BIGINT NOT NULL CHECK (weight_g >= 0),
    cold                 BIGINT NOT NULL CHECK (cold IN (0, 1)),
    leaves_on_pickup_day BIGINT NOT NULL CHECK (leaves_on_pickup_day IN (0, 1)),
    skipped              TEXT NOT NULL DEFAULT '',
    created_at           TEXT NOT NULL,
    UNIQUE (line_id, lot_id)
);

-- A shipment: the legs leaving one node for one next hop (a node, or the
-- buyer of one order) in one dispatch window, all cold or all ambient.
-- `hop` is the next hop as one comparable key ("n<node id>" or "o<order
-- id>"), so the unique index below keeps one open shipment per node, hop,
-- temperature and window even when two writers open one at once.
CREATE TABLE shipments (
    id             INTEGER PRIMARY KEY,
    code           TEXT NOT NULL UNIQUE,
    from_node_id   BIGINT NOT NULL REFERENCES nodes (id),
    to_node_id     BIGINT REFERENCES nodes (id),
    to_order_id    BIGINT REFERENCES orders (id),
    hop            TEXT NOT NULL,
    cold           BIGINT NOT NULL CHECK (cold IN (0, 1)),
    status         TEXT NOT NULL CHECK (status IN ('open', 'closed', 'dispatched', 'received', 'delivered')),
    window_ends_at TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    closed_at      TEXT,
    CHECK ((to_node_id IS NULL) <> (to_order_id IS NULL))
);
CREATE UNIQUE INDEX shipments_one_open ON shipments (from_node_id, hop, cold, window_ends_at) WHERE status = 'open';
CREATE INDEX shipments_from ON shipments (from_node_id, status);
CREATE INDEX shipments_to ON shipments (to_node_id, status);
CREATE INDEX shipments_window ON shipments (window_ends_at) WHERE status = 'open';

-- The legs of a route, in travel order. A leg joins a shipment when its
-- goods are at (or routed to start from) its `from` node. The node columns
-- carry no foreign key on purpose: nodes are reference data that nothing
-- deletes, every leg is planned from nodes just read, and on PostgreSQL
-- the two checks per leg were half the cost of routing a day's lines
-- (docs/PERFORMANCE.md, Routing).
CREATE TABLE route_legs (
    id           INTEGER PRIMARY KEY,
    route_id     BIGINT NOT NULL REFERENCES routes (id),
    seq          BIGINT NOT NULL CHECK (seq >= 1),
    from_node_id BIGINT NOT NULL,
    to_node_id   BIGINT,
    kind         TEXT NOT NULL CHECK (kind IN ('collection', 'trunk', 'line_haul', 'last_mile')),
    planned_on   TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'dispatched', 'received', 'delivered')),
    shipment_id  BIGINT REFERENCES shipments (id),
    UNIQUE (route_id, seq)
);
CREATE INDEX route_legs_shipment ON route_legs (shipment_id);
CREATE INDEX route_legs_to_node ON route_legs (to_node_id, status);

-- Every scan, as scanned: which node, what, when it was scanned (`at`, from
-- the device for scans queued offline) and when the server recorded it.
CREATE TABLE shipment_scans (
    id          INTEGER PRIMARY KEY,
    shipment_id BIGINT NOT NULL REFERENCES shipments (id),
    node_id     BIGINT NOT NULL REFERENCES nodes (id),
    event       TEXT NOT NULL CHECK (event IN ('dispatched', 'received', 'delivered')),
    at          TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    user_id     BIGINT REFERENCES users (id),
    org_id      BIGINT REFERENCES organisations (id),
    UNIQUE (shipment_id, event)
);

-- A leg sent elsewhere by an operator, with the reason.
CREATE TABLE leg_reroutes (
    id          INTEGER PRIMARY KEY,
    leg_id      BIGINT NOT NULL REFERENCES route_legs (id),
    old_to_node BIGINT REFERENCES nodes (id),
    new_to_node BIGINT REFERENCES nodes (id),
    reason      TEXT NOT NULL,
    user_id     BIGINT REFERENCES users (id),
    at          TEXT NOT NULL
);
CREATE INDEX leg_reroutes_leg ON leg_reroutes (leg_id);

-- 5. Work that runs on a clock, claimed through the database so that
--    several instances do it once: a named lease, taken by a conditional
--    UPDATE when it has lapsed (src/jobs.rs).
CREATE TABLE job_leases (
    name   TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until  TEXT NOT NULL
);
