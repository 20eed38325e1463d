-- A calendar year's regional rollup at prefecture scale (issue 13 §5)
-- read every village-month of the year for its sums and counted
-- "households with sales" distinct over every household-year of the
-- region (a million rows for a prefecture), and it counted registered
-- poor households over every household of the region (and the monitoring
-- counts every household's colour); these small totals
-- let it read one row per village instead. The first two are upserted in
-- the same transaction as the ledger entries (src/orders/ledger.rs), the
-- others by triggers; all are back-filled here and recomputed by
-- `zhunong verify`.
--
-- 1. Per calendar year and village (at the sale): gross sales, the part
--    of them credited to registered poor households (status at the sale),
--    and how many household-year rows of `ledger_household_years` have
--    positive gross sales. At most villages × years rows.
CREATE TABLE ledger_village_years (
    year                  TEXT NOT NULL,
    village_code          TEXT NOT NULL,
    gross_fen             BIGINT NOT NULL,
    registered_poor_fen   BIGINT NOT NULL,
    households_with_sales BIGINT NOT NULL,
    PRIMARY KEY (year, village_code)
);

-- 2. Per calendar year and household: how many village rows it has in
--    `ledger_household_years` (more than one only when it moved during
--    the year). A region's count is the sum of its villages' counts less a
--    correction for the few households with more than one village row,
--    which the partial index finds. The row is upserted whenever a new
--    village row is, so on PostgreSQL two postings for one household
--    queue on it and the second sees the first's village.
CREATE TABLE ledger_household_year_villages (
    year         TEXT NOT NULL,
    household_id BIGINT NOT NULL,
    villages     BIGINT NOT NULL,
    PRIMARY KEY (year, household_id)
);
CREATE INDEX ledger_household_year_villages_moved ON ledger_household_year_villages (year, household_id) WHERE villages > 1;

INSERT INTO ledger_village_years (year, village_code, gross_fen, registered_poor_fen, households_with_sales)
SELECT v.year, v.village_code, v.gross, v.poor, COALESCE(h.n, 0)
FROM (SELECT substr(month, 1, 4) AS year, village_code, SUM(gross_fen) AS gross,
             SUM(CASE WHEN household_status = 'registered_poor' THEN gross_fen ELSE 0 END) AS poor
      FROM ledger_village_months GROUP BY substr(month, 1, 4), village_code) v
LEFT JOIN (SELECT year, village_code, COUNT(*) AS n FROM ledger_household_years WHERE gross_fen > 0 GROUP BY year, village_code) h
  ON h.year = v.year AND h.village_code = v.village_code;
INSERT INTO ledger_household_year_villages (year, household_id, villages)
SELECT year, household_id, COUNT(*) FROM ledger_household_years GROUP BY year, household_id;

-- 3. Households per village and (today's) status, kept by triggers on
--    `households` whatever writes it, so the rollup's "registered poor
--    households" reads one row per village rather than every household of
--    the region (a million for a prefecture).
CREATE TABLE village_households (
    village_code TEXT NOT NULL,
    status       TEXT NOT NULL,
    households   BIGINT NOT NULL,
    PRIMARY KEY (village_code, status)
);
INSERT INTO village_households (village_code, status, households)
SELECT village_code, status, COUNT(*) FROM households GROUP BY village_code, status;

CREATE FUNCTION village_households_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE village_households SET households = households - 1 WHERE village_code = OLD.village_code AND status = OLD.status;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO village_households (village_code, status, households) VALUES (NEW.village_code, NEW.status, 1)
        ON CONFLICT (village_code, status) DO UPDATE SET households = village_households.households + 1;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER households_counted_on_insert_or_delete AFTER INSERT OR DELETE ON households
    FOR EACH ROW EXECUTE FUNCTION village_households_count();
CREATE TRIGGER households_counted_on_update AFTER UPDATE OF village_code, status ON households
    FOR EACH ROW WHEN (OLD.village_code IS DISTINCT FROM NEW.village_code OR OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION village_households_count();

-- 4. Households per year, village and monitoring colour, kept by triggers
--    on `household_colours`: the monitoring counts of a prefecture read
--    one row per village and colour rather than every household's.
CREATE TABLE village_colours (
    year         BIGINT NOT NULL,
    village_code TEXT NOT NULL,
    colour       TEXT NOT NULL,
    households   BIGINT NOT NULL,
    PRIMARY KEY (year, village_code, colour)
);
INSERT INTO village_colours (year, village_code, colour, households)
SELECT year, village_code, colour, COUNT(*) FROM household_colours GROUP BY year, village_code, colour;

CREATE FUNCTION village_colours_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE village_colours SET households = households - 1
        WHERE year = OLD.year AND village_code = OLD.village_code AND colour = OLD.colour;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO village_colours (year, village_code, colour, households) VALUES (NEW.year, NEW.village_code, NEW.colour, 1)
        ON CONFLICT (year, village_code, colour) DO UPDATE SET households = village_colours.households + 1;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER household_colours_counted_on_insert_or_delete AFTER INSERT OR DELETE ON household_colours
    FOR EACH ROW EXECUTE FUNCTION village_colours_count();
CREATE TRIGGER household_colours_counted_on_update AFTER UPDATE OF year, village_code, colour ON household_colours
    FOR EACH ROW WHEN (OLD.year IS DISTINCT FROM NEW.year OR OLD.village_code IS DISTINCT FROM NEW.village_code
                       OR OLD.colour IS DISTINCT FROM NEW.colour)
    EXECUTE FUNCTION village_colours_count();
