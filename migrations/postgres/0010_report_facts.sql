-- Reports (issue 13): the ledger remembers the facts of the sale, and two
-- monthly totals are kept beside it. See the SQLite migration of the same
-- number for the reasons; this one adds the columns in place.
ALTER TABLE attribution_entries
    ADD COLUMN village_code     TEXT,
    ADD COLUMN household_status TEXT CHECK (household_status IN ('registered_poor', 'monitored', 'edge', 'lifted', 'none')),
    ADD COLUMN cooperative_id   BIGINT,
    ADD COLUMN product_id       BIGINT,
    ADD COLUMN category         TEXT,
    ADD COLUMN origin_code      TEXT,
    ADD COLUMN buyer_org_id     BIGINT,
    ADD COLUMN buyer_kind       TEXT CHECK (buyer_kind IN ('agency', 'partner_city', 'other')),
    ADD COLUMN delivery_region  TEXT,
    ADD COLUMN day              TEXT CHECK (length(day) = 10),
    ADD COLUMN month            TEXT;

-- Back-filled from today's values; the date is the posting time in China
-- time (China keeps no daylight saving: UTC+8 all year).
UPDATE attribution_entries e SET
    village_code = h.village_code,
    household_status = h.status,
    cooperative_id = l.cooperative_id,
    product_id = l.product_id,
    category = p.category,
    origin_code = p.origin_code,
    buyer_org_id = o.buyer_org_id,
    buyer_kind = CASE b.kind WHEN 'agency' THEN 'agency' WHEN 'partner_city' THEN 'partner_city' ELSE 'other' END,
    delivery_region = o.delivery_region_code,
    day = to_char(e.created_at::timestamp + interval '8 hours', 'YYYY-MM-DD'),
    month = to_char(e.created_at::timestamp + interval '8 hours', 'YYYY-MM')
FROM households h, order_lines l, products p, orders o, organisations b
WHERE h.id = e.household_id AND l.id = e.line_id AND p.id = l.product_id AND o.id = e.order_id AND b.id = o.buyer_org_id;

ALTER TABLE attribution_entries
    ALTER COLUMN village_code SET NOT NULL,
    ALTER COLUMN household_status SET NOT NULL,
    ALTER COLUMN cooperative_id SET NOT NULL,
    ALTER COLUMN product_id SET NOT NULL,
    ALTER COLUMN category SET NOT NULL,
    ALTER COLUMN origin_code SET NOT NULL,
    ALTER COLUMN buyer_org_id SET NOT NULL,
    ALTER COLUMN buyer_kind SET NOT NULL,
    ALTER COLUMN delivery_region SET NOT NULL,
    ALTER COLUMN day SET NOT NULL,
    ALTER COLUMN month SET NOT NULL,
    ADD CONSTRAINT attribution_entries_month CHECK (month = substr(day, 1, 7));

DROP INDEX attribution_entries_household;
CREATE INDEX attribution_entries_line ON attribution_entries (line_id);
CREATE INDEX attribution_entries_household ON attribution_entries (household_id, day);
CREATE INDEX attribution_entries_village ON attribution_entries (village_code, day);
CREATE INDEX attribution_entries_cooperative ON attribution_entries (cooperative_id, day);
CREATE INDEX attribution_entries_buyer ON attribution_entries (buyer_org_id, day);
CREATE INDEX attribution_entries_delivery ON attribution_entries (delivery_region, day);

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
