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

-- 3. Households per village (today's), and how many of them are
--    registered poor, kept by triggers on `households` whatever writes it,
--    so the rollup's "registered poor households" reads one row per
--    village rather than every household of the region (a million for a
--    prefecture).
CREATE TABLE village_households (
    village_code    TEXT PRIMARY KEY,
    households      BIGINT NOT NULL,
    registered_poor BIGINT NOT NULL
);
INSERT INTO village_households (village_code, households, registered_poor)
SELECT village_code, COUNT(*), SUM(CASE WHEN status = 'registered_poor' THEN 1 ELSE 0 END) FROM households GROUP BY village_code;

-- 4. Households per year and village by monitoring colour, kept by
--    triggers on `household_colours`: the monitoring counts of a
--    prefecture read one row per village rather than every household's.
--    One row per village, not per colour, so that a household's change of
--    colour takes one row lock; `monitoring::evaluate` writes its batch in
--    village order, so two evaluations take these rows in one order.
CREATE TABLE village_colours (
    year         BIGINT NOT NULL,
    village_code TEXT NOT NULL,
    green        BIGINT NOT NULL,
    yellow       BIGINT NOT NULL,
    orange       BIGINT NOT NULL,
    red          BIGINT NOT NULL,
    PRIMARY KEY (year, village_code)
);
INSERT INTO village_colours (year, village_code, green, yellow, orange, red)
SELECT year, village_code, SUM(CASE WHEN colour = 'green' THEN 1 ELSE 0 END), SUM(CASE WHEN colour = 'yellow' THEN 1 ELSE 0 END),
       SUM(CASE WHEN colour = 'orange' THEN 1 ELSE 0 END), SUM(CASE WHEN colour = 'red' THEN 1 ELSE 0 END)
FROM household_colours GROUP BY year, village_code;

-- dialect block: triggers
-- SQLite has one writer at a time: the triggers' order of rows cannot
-- deadlock here.
CREATE TRIGGER households_counted_on_insert AFTER INSERT ON households
BEGIN
    INSERT INTO village_households (village_code, households, registered_poor) VALUES (NEW.village_code, 1, CASE WHEN NEW.status = 'registered_poor' THEN 1 ELSE 0 END)
    ON CONFLICT (village_code) DO UPDATE SET households = households + 1, registered_poor = registered_poor + excluded.registered_poor;
END;
CREATE TRIGGER households_counted_on_update AFTER UPDATE OF village_code, status ON households
WHEN OLD.village_code <> NEW.village_code OR OLD.status <> NEW.status
BEGIN
    UPDATE village_households SET households = households - 1, registered_poor = registered_poor - (CASE WHEN OLD.status = 'registered_poor' THEN 1 ELSE 0 END)
    WHERE village_code = OLD.village_code;
    INSERT INTO village_households (village_code, households, registered_poor) VALUES (NEW.village_code, 1, CASE WHEN NEW.status = 'registered_poor' THEN 1 ELSE 0 END)
    ON CONFLICT (village_code) DO UPDATE SET households = households + 1, registered_poor = registered_poor + excluded.registered_poor;
END;
CREATE TRIGGER households_counted_on_delete AFTER DELETE ON households
BEGIN
    UPDATE village_households SET households = households - 1, registered_poor = registered_poor - (CASE WHEN OLD.status = 'registered_poor' THEN 1 ELSE 0 END)
    WHERE village_code = OLD.village_code;
END;

CREATE TRIGGER household_colours_counted_on_insert AFTER INSERT ON household_colours
BEGIN
    INSERT INTO village_colours (year, village_code, green, yellow, orange, red) VALUES (NEW.year, NEW.village_code, CASE WHEN NEW.colour = 'green' THEN 1 ELSE 0 END, CASE WHEN NEW.colour = 'yellow' THEN 1 ELSE 0 END, CASE WHEN NEW.colour = 'orange' THEN 1 ELSE 0 END, CASE WHEN NEW.colour = 'red' THEN 1 ELSE 0 END)
    ON CONFLICT (year, village_code) DO UPDATE SET green = village_colours.green + excluded.green, yellow = village_colours.yellow + excluded.yellow, orange = village_colours.orange + excluded.orange, red = village_colours.red + excluded.red;
END;
CREATE TRIGGER household_colours_counted_on_update AFTER UPDATE OF year, village_code, colour ON household_colours
WHEN OLD.year <> NEW.year OR OLD.village_code <> NEW.village_code OR OLD.colour <> NEW.colour
BEGIN
    UPDATE village_colours SET green = green - (CASE WHEN OLD.colour = 'green' THEN 1 ELSE 0 END), yellow = yellow - (CASE WHEN OLD.colour = 'yellow' THEN 1 ELSE 0 END), orange = orange - (CASE WHEN OLD.colour = 'orange' THEN 1 ELSE 0 END), red = red - (CASE WHEN OLD.colour = 'red' THEN 1 ELSE 0 END) WHERE year = OLD.year AND village_code = OLD.village_code;
    INSERT INTO village_colours (year, village_code, green, yellow, orange, red) VALUES (NEW.year, NEW.village_code, CASE WHEN NEW.colour = 'green' THEN 1 ELSE 0 END, CASE WHEN NEW.colour = 'yellow' THEN 1 ELSE 0 END, CASE WHEN NEW.colour = 'orange' THEN 1 ELSE 0 END, CASE WHEN NEW.colour = 'red' THEN 1 ELSE 0 END)
    ON CONFLICT (year, village_code) DO UPDATE SET green = village_colours.green + excluded.green, yellow = village_colours.yellow + excluded.yellow, orange = village_colours.orange + excluded.orange, red = village_colours.red + excluded.red;
END;
CREATE TRIGGER household_colours_counted_on_delete AFTER DELETE ON household_colours
BEGIN
    UPDATE village_colours SET green = green - (CASE WHEN OLD.colour = 'green' THEN 1 ELSE 0 END), yellow = yellow - (CASE WHEN OLD.colour = 'yellow' THEN 1 ELSE 0 END), orange = orange - (CASE WHEN OLD.colour = 'orange' THEN 1 ELSE 0 END), red = red - (CASE WHEN OLD.colour = 'red' THEN 1 ELSE 0 END) WHERE year = OLD.year AND village_code = OLD.village_code;
END;
-- end of dialect block
