-- Reports (issue 13): the ledger remembers the facts of the sale, and two
-- monthly totals are kept beside it.
--
-- 1. Every attribution entry records, as they were when the money moved,
--    the household's village and poverty status, the cooperative, the
--    product, its category and origin, the buyer organisation and its kind,
--    the delivery region, and the China date (Asia/Shanghai) of the money
--    moving: the payment for a 'sale' entry, the refund for a 'refund'
--    entry. A report of last year then does not change when a household is
--    reclassified or moves today.
--
--    Entries written before this migration are back-filled from today's
--    values (the best that is known); their date is their posting time in
--    China time, which is when the money moved.
--
--    SQLite cannot add NOT NULL columns to a table with rows, so the table
--    is rebuilt; nothing references it.
CREATE TABLE attribution_entries_new (
    id               INTEGER PRIMARY KEY,
    order_id         BIGINT NOT NULL REFERENCES orders (id),
    line_id          BIGINT NOT NULL REFERENCES order_lines (id),
    lot_id           BIGINT NOT NULL REFERENCES lots (id),
    household_id     BIGINT NOT NULL REFERENCES households (id),
    kind             TEXT NOT NULL CHECK (kind IN ('sale', 'refund')),
    gross_fen        BIGINT NOT NULL,
    income_fen       BIGINT NOT NULL,
    created_at       TEXT NOT NULL,
    village_code     TEXT NOT NULL,
    household_status TEXT NOT NULL CHECK (household_status IN ('registered_poor', 'monitored', 'edge', 'lifted', 'none')),
    cooperative_id   BIGINT NOT NULL,
    product_id       BIGINT NOT NULL,
    category         TEXT NOT NULL,
    origin_code      TEXT NOT NULL,
    buyer_org_id     BIGINT NOT NULL,
    buyer_kind       TEXT NOT NULL CHECK (buyer_kind IN ('agency', 'partner_city', 'other')),
    delivery_region  TEXT NOT NULL,
    day              TEXT NOT NULL CHECK (length(day) = 10),
    month            TEXT NOT NULL CHECK (month = substr(day, 1, 7))
);
INSERT INTO attribution_entries_new
SELECT e.id, e.order_id, e.line_id, e.lot_id, e.household_id, e.kind, e.gross_fen, e.income_fen, e.created_at,
       h.village_code, h.status, l.cooperative_id, l.product_id, p.category, p.origin_code, o.buyer_org_id,
       CASE b.kind WHEN 'agency' THEN 'agency' WHEN 'partner_city' THEN 'partner_city' ELSE 'other' END,
       o.delivery_region_code,
       date(e.created_at, '+8 hours'), substr(date(e.created_at, '+8 hours'), 1, 7)
FROM attribution_entries e
JOIN households h ON h.id = e.household_id
JOIN order_lines l ON l.id = e.line_id
JOIN products p ON p.id = l.product_id
JOIN orders o ON o.id = e.order_id
JOIN organisations b ON b.id = o.buyer_org_id;
DROP TABLE attribution_entries;
ALTER TABLE attribution_entries_new RENAME TO attribution_entries;
SELECT MAX(id) FROM attribution_entries;
CREATE INDEX attribution_entries_order ON attribution_entries (order_id);
CREATE INDEX attribution_entries_line ON attribution_entries (line_id);
CREATE INDEX attribution_entries_household ON attribution_entries (household_id, day);
CREATE INDEX attribution_entries_village ON attribution_entries (village_code, day);
CREATE INDEX attribution_entries_cooperative ON attribution_entries (cooperative_id, day);
CREATE INDEX attribution_entries_buyer ON attribution_entries (buyer_org_id, day);
CREATE INDEX attribution_entries_delivery ON attribution_entries (delivery_region, day);

-- 2. Monthly totals, upserted in the same transaction as the entries they
--    sum (src/orders/ledger.rs), so they are never behind the ledger;
--    `zhunong verify` recomputes them from it. Reports over whole months
--    read these; reports over other date ranges read the ledger.
--
--    Per household and month (the households report, households with
--    sales, monitoring incomes):
CREATE TABLE ledger_household_months (
    month            TEXT NOT NULL,
    household_id     BIGINT NOT NULL,
    village_code     TEXT NOT NULL,
    household_status TEXT NOT NULL,
    cooperative_id   BIGINT NOT NULL,
    gross_fen        BIGINT NOT NULL,
    income_fen       BIGINT NOT NULL,
    PRIMARY KEY (household_id, month, village_code, household_status, cooperative_id)
);
CREATE INDEX ledger_household_months_village ON ledger_household_months (village_code, month);
CREATE INDEX ledger_household_months_cooperative ON ledger_household_months (cooperative_id, month);

--    Per village, month, status, cooperative and buyer (the regional
--    rollups, cooperatives, buyers):
CREATE TABLE ledger_region_months (
    month            TEXT NOT NULL,
    village_code     TEXT NOT NULL,
    household_status TEXT NOT NULL,
    cooperative_id   BIGINT NOT NULL,
    buyer_org_id     BIGINT NOT NULL,
    buyer_kind       TEXT NOT NULL,
    gross_fen        BIGINT NOT NULL,
    income_fen       BIGINT NOT NULL,
    PRIMARY KEY (village_code, month, household_status, cooperative_id, buyer_org_id)
);
CREATE INDEX ledger_region_months_month ON ledger_region_months (month, village_code);
CREATE INDEX ledger_region_months_cooperative ON ledger_region_months (cooperative_id, month);

INSERT INTO ledger_household_months
SELECT month, household_id, village_code, household_status, cooperative_id, SUM(gross_fen), SUM(income_fen)
FROM attribution_entries GROUP BY month, household_id, village_code, household_status, cooperative_id;
INSERT INTO ledger_region_months
SELECT month, village_code, household_status, cooperative_id, buyer_org_id, MIN(buyer_kind), SUM(gross_fen), SUM(income_fen)
FROM attribution_entries GROUP BY month, village_code, household_status, cooperative_id, buyer_org_id;

-- 3. The registered households of a region, counted by status, without
--    reading the households themselves.
CREATE INDEX households_village_status ON households (village_code, status);
