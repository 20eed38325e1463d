-- Reports at prefecture scale (issue 13 §5): three small totals beside the
-- monthly ones of 0010, so that a regional rollup and the first page of
-- the households report read thousands of rows rather than every
-- household-month and village-month of the period. Like those of 0010
-- they are upserted in the same transaction as the ledger entries they
-- sum (src/orders/ledger.rs), back-filled here from the ledger, and
-- recomputed by `zhunong verify`.
--
-- 1. Per village, month and household status (at the sale): the gross
--    and poor sales of any rollup, at most villages × months × 5 rows.
CREATE TABLE ledger_village_months (
    month            TEXT NOT NULL,
    village_code     TEXT NOT NULL,
    household_status TEXT NOT NULL,
    gross_fen        BIGINT NOT NULL,
    income_fen       BIGINT NOT NULL,
    PRIMARY KEY (village_code, month, household_status)
);

-- 2. Which cooperatives sold and which buyers bought in each region and
--    month: one row per (month, region, party) with entries there, for
--    the province, prefecture, county and township of the entry's village
--    (`region_prefix` is the first `digits` digits of the village code:
--    2, 4, 6 or 9). Cooperatives and buyers are counted distinct, so they
--    cannot be summed from villages; counting them over these rows reads a
--    few rows per party rather than one per village, status, cooperative
--    and buyer.
CREATE TABLE ledger_region_parties (
    month         TEXT NOT NULL,
    digits        BIGINT NOT NULL CHECK (digits IN (2, 4, 6, 9)),
    region_prefix TEXT NOT NULL CHECK (length(region_prefix) = digits),
    party_kind    TEXT NOT NULL CHECK (party_kind IN ('buyer', 'cooperative')),
    party_id      BIGINT NOT NULL,
    PRIMARY KEY (digits, region_prefix, month, party_kind, party_id)
);

-- 3. Per household, calendar year ('YYYY') and village at the sale: the
--    households report and "households with sales" for a calendar year,
--    the common period (other periods read the monthly totals). At most
--    one row per household and year unless it moved.
CREATE TABLE ledger_household_years (
    year         TEXT NOT NULL,
    household_id BIGINT NOT NULL,
    village_code TEXT NOT NULL,
    gross_fen    BIGINT NOT NULL,
    income_fen   BIGINT NOT NULL,
    PRIMARY KEY (household_id, year, village_code)
);
CREATE INDEX ledger_household_years_village ON ledger_household_years (year, village_code, household_id, gross_fen);

INSERT INTO ledger_village_months (month, village_code, household_status, gross_fen, income_fen)
SELECT month, village_code, household_status, SUM(gross_fen), SUM(income_fen)
FROM attribution_entries GROUP BY month, village_code, household_status;
INSERT INTO ledger_region_parties (month, digits, region_prefix, party_kind, party_id)
SELECT DISTINCT month, 2, substr(village_code, 1, 2), 'cooperative', cooperative_id FROM attribution_entries
UNION SELECT DISTINCT month, 4, substr(village_code, 1, 4), 'cooperative', cooperative_id FROM attribution_entries
UNION SELECT DISTINCT month, 6, substr(village_code, 1, 6), 'cooperative', cooperative_id FROM attribution_entries
UNION SELECT DISTINCT month, 9, substr(village_code, 1, 9), 'cooperative', cooperative_id FROM attribution_entries
UNION SELECT DISTINCT month, 2, substr(village_code, 1, 2), 'buyer', buyer_org_id FROM attribution_entries
UNION SELECT DISTINCT month, 4, substr(village_code, 1, 4), 'buyer', buyer_org_id FROM attribution_entries
UNION SELECT DISTINCT month, 6, substr(village_code, 1, 6), 'buyer', buyer_org_id FROM attribution_entries
UNION SELECT DISTINCT month, 9, substr(village_code, 1, 9), 'buyer', buyer_org_id FROM attribution_entries;
INSERT INTO ledger_household_years (year, household_id, village_code, gross_fen, income_fen)
SELECT substr(month, 1, 4), household_id, village_code, SUM(gross_fen), SUM(income_fen)
FROM attribution_entries GROUP BY substr(month, 1, 4), household_id, village_code;
