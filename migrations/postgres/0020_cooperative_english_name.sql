-- A cooperative's name in English, where its managers give one (issue 14
-- §1): the English pages write it with the registered Chinese name beside
-- it; without one they show the Chinese name alone. Latin text of at most
-- 120 characters, checked at the edge (orgs::english_name).
ALTER TABLE organisations ADD COLUMN name_en TEXT;
