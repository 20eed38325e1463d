-- The first page of a region's households by gross sales (issue 13 §5)
-- grouped and ranked every household of the region for each request
-- (200,000 for the largest county of 喀什地区 at prefecture scale), for
-- its totals and for its order. For a calendar year of all cooperatives'
-- sales the report now reads (src/reports/households.rs):
--
-- * its totals from one row per village: households and people from
--   `village_households` (people added here, kept by the triggers below),
--   gross sales, household income and households with sales from
--   `ledger_village_years` (income added here, upserted in the ledger's
--   transaction), corrected for the households in `household_moves`;
-- * its first pages by walking `ledger_household_years` in order of
--   gross sales (the first index below; inside a county, the second)
--   until it has the page.
--
-- Both village tables count a household where it was when it sold;
-- the report places it where it lives today. They differ only for a
-- household that moved, and every household that ever moved village is
-- listed in `household_moves` (by the trigger below from now on, and here
-- for the moves already in the ledger), so the report corrects for those
-- few alone. `zhunong verify` checks all three.
ALTER TABLE ledger_village_years ADD COLUMN income_fen BIGINT NOT NULL DEFAULT 0;
UPDATE ledger_village_years SET income_fen = COALESCE((
    SELECT SUM(m.income_fen) FROM ledger_village_months m
    WHERE m.village_code = ledger_village_years.village_code
      AND m.month >= ledger_village_years.year || '-01' AND m.month <= ledger_village_years.year || '-12'), 0);

ALTER TABLE village_households ADD COLUMN people BIGINT NOT NULL DEFAULT 0;
UPDATE village_households SET people = COALESCE((
    SELECT SUM(h.size) FROM households h WHERE h.village_code = village_households.village_code), 0);

CREATE TABLE household_moves (
    household_id BIGINT PRIMARY KEY
);
INSERT INTO household_moves (household_id)
SELECT DISTINCT t.household_id FROM ledger_household_years t JOIN households h ON h.id = t.household_id
WHERE t.village_code <> h.village_code ORDER BY t.household_id;

CREATE INDEX ledger_household_years_gross ON ledger_household_years (year, gross_fen, village_code, household_id);
CREATE INDEX ledger_household_years_county_gross ON ledger_household_years (year, substr(village_code, 1, 6), gross_fen);

-- dialect block: triggers
-- Migration 0019's trigger function on households, now counting people
-- as well, and listing a household that changes village. A change of
-- village still touches the two village rows lesser key first.
CREATE OR REPLACE FUNCTION village_households_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.village_code IS DISTINCT FROM OLD.village_code THEN
        INSERT INTO household_moves (household_id) VALUES (NEW.id) ON CONFLICT (household_id) DO NOTHING;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.village_code < OLD.village_code THEN
        INSERT INTO village_households (village_code, households, registered_poor, people) VALUES (NEW.village_code, 1, CASE WHEN NEW.status = 'registered_poor' THEN 1 ELSE 0 END, NEW.size)
        ON CONFLICT (village_code) DO UPDATE SET households = village_households.households + 1,
            registered_poor = village_households.registered_poor + excluded.registered_poor, people = village_households.people + excluded.people;
        UPDATE village_households SET households = households - 1, registered_poor = registered_poor - (CASE WHEN OLD.status = 'registered_poor' THEN 1 ELSE 0 END),
            people = people - OLD.size
        WHERE village_code = OLD.village_code;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE village_households SET households = households - 1, registered_poor = registered_poor - (CASE WHEN OLD.status = 'registered_poor' THEN 1 ELSE 0 END),
            people = people - OLD.size
        WHERE village_code = OLD.village_code;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO village_households (village_code, households, registered_poor, people) VALUES (NEW.village_code, 1, CASE WHEN NEW.status = 'registered_poor' THEN 1 ELSE 0 END, NEW.size)
        ON CONFLICT (village_code) DO UPDATE SET households = village_households.households + 1,
            registered_poor = village_households.registered_poor + excluded.registered_poor, people = village_households.people + excluded.people;
    END IF;
    RETURN NULL;
END;
$$;
DROP TRIGGER households_counted_on_update ON households;
CREATE TRIGGER households_counted_on_update AFTER UPDATE OF village_code, status, size ON households
    FOR EACH ROW WHEN (OLD.village_code IS DISTINCT FROM NEW.village_code OR OLD.status IS DISTINCT FROM NEW.status
                       OR OLD.size IS DISTINCT FROM NEW.size)
    EXECUTE FUNCTION village_households_count();
-- end of dialect block
