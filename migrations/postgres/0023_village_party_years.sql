-- A township's rollup by village still counted each village's
-- cooperatives and buyers distinct over its village-months of
-- `ledger_region_months` (some thousands of rows a village-year at
-- prefecture scale). Migration 0022's lists stop at townships; this lists
-- each cooperative and buyer once per village and calendar year, written
-- in the ledger's transaction (src/orders/ledger.rs), and counts them in
-- `ledger_region_party_counts` as the villages' level (12 digits).
-- `zhunong verify` checks both against the ledger.
CREATE TABLE ledger_village_party_years (
    year         TEXT NOT NULL,
    village_code TEXT NOT NULL,
    party_kind   TEXT NOT NULL CHECK (party_kind IN ('buyer', 'cooperative')),
    party_id     BIGINT NOT NULL,
    PRIMARY KEY (village_code, year, party_kind, party_id)
);
INSERT INTO ledger_village_party_years (year, village_code, party_kind, party_id)
SELECT DISTINCT substr(month, 1, 4), village_code, 'cooperative', cooperative_id FROM ledger_region_months
UNION SELECT DISTINCT substr(month, 1, 4), village_code, 'buyer', buyer_org_id FROM ledger_region_months
ORDER BY 2, 1, 3, 4;
INSERT INTO ledger_region_party_counts (year, digits, region_prefix, party_kind, parties)
SELECT year, 12, village_code, party_kind, COUNT(*) FROM ledger_village_party_years
GROUP BY village_code, year, party_kind ORDER BY village_code, year, party_kind;
