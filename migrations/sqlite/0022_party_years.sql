-- A calendar year's rollup counted its cooperatives and buyers distinct
-- over the twelve months of `ledger_region_parties` (migration 0012): at
-- prefecture scale a few hundred thousand rows for the counties of a
-- prefecture, for each request. This lists each cooperative and buyer
-- once per region and calendar year instead, in the same transaction as
-- the ledger's entries (src/orders/ledger.rs); `zhunong verify` checks it
-- against the months.
CREATE TABLE ledger_region_party_years (
    year          TEXT NOT NULL,
    digits        BIGINT NOT NULL CHECK (digits IN (2, 4, 6, 9)),
    region_prefix TEXT NOT NULL CHECK (length(region_prefix) = digits),
    party_kind    TEXT NOT NULL CHECK (party_kind IN ('buyer', 'cooperative')),
    party_id      BIGINT NOT NULL,
    PRIMARY KEY (digits, region_prefix, year, party_kind, party_id)
);
INSERT INTO ledger_region_party_years (year, digits, region_prefix, party_kind, party_id)
SELECT DISTINCT substr(month, 1, 4), digits, region_prefix, party_kind, party_id FROM ledger_region_parties
ORDER BY 2, 3, 1, 4, 5;

-- How many cooperatives and buyers each region's year lists: a count
-- grows by one when its region's year gains a party above, in the same
-- statement order in every posting (all the parties, then the counts).
CREATE TABLE ledger_region_party_counts (
    year          TEXT NOT NULL,
    digits        BIGINT NOT NULL,
    region_prefix TEXT NOT NULL,
    party_kind    TEXT NOT NULL,
    parties       BIGINT NOT NULL,
    PRIMARY KEY (digits, region_prefix, year, party_kind)
);
INSERT INTO ledger_region_party_counts (year, digits, region_prefix, party_kind, parties)
SELECT year, digits, region_prefix, party_kind, COUNT(*) FROM ledger_region_party_years
GROUP BY digits, region_prefix, year, party_kind ORDER BY digits, region_prefix, year, party_kind;
