-- Monitoring (监测帮扶, issue 13): visits, the colour of each household per
-- year, and the alerts (弹屏预警) raised when a household turns orange or
-- red. The colour rule itself is Rust (src/monitoring/rule.rs); these
-- tables hold its inputs and its last answer.

-- 1. A visit (走访) of a household by an official of its region: the
--    declared other income, the risk factors found and the 两不愁三保障
--    checks that failed. Append-only: the rows are the audit (who, when,
--    what). `year` is the China year of `visited_on`; `village_code` the
--    household's village at the visit, so a village's last visit is one
--    index lookup. `risk_factors` and `failed_checks` are comma-separated
--    codes, checked in Rust.
CREATE TABLE household_visits (
    id               INTEGER PRIMARY KEY,
    household_id     BIGINT NOT NULL REFERENCES households (id),
    village_code     TEXT NOT NULL,
    visited_on       TEXT NOT NULL CHECK (length(visited_on) = 10),
    year             BIGINT NOT NULL CHECK (year >= 2000 AND year <= 2100),
    other_income_fen BIGINT NOT NULL CHECK (other_income_fen >= 0 AND other_income_fen <= 100000000),
    risk_factors     TEXT NOT NULL DEFAULT '' CHECK (length(risk_factors) <= 200),
    failed_checks    TEXT NOT NULL DEFAULT '' CHECK (length(failed_checks) <= 200),
    note             TEXT NOT NULL DEFAULT '',
    source           TEXT NOT NULL CHECK (source IN ('form', 'import')),
    recorded_by      BIGINT NOT NULL REFERENCES users (id),
    recorded_at      TEXT NOT NULL
);
CREATE INDEX household_visits_household ON household_visits (household_id, year, visited_on);
CREATE INDEX household_visits_village ON household_visits (village_code, visited_on);

-- 2. The colour of a household in a year, as last worked out, with the
--    figures it was worked out from and the rule (line and thresholds)
--    it was worked out under, so a changed configuration is noticed.
--    Reports count these rows; the sweep keeps them in step with visits
--    and the ledger.
CREATE TABLE household_colours (
    household_id     BIGINT NOT NULL REFERENCES households (id),
    year             BIGINT NOT NULL,
    village_code     TEXT NOT NULL,
    colour           TEXT NOT NULL CHECK (colour IN ('green', 'yellow', 'orange', 'red')),
    reasons          TEXT NOT NULL DEFAULT '',
    income_fen       BIGINT NOT NULL,
    other_income_fen BIGINT NOT NULL,
    size             BIGINT NOT NULL,
    per_capita_fen   BIGINT NOT NULL,
    rule             TEXT NOT NULL,
    evaluated_at     TEXT NOT NULL,
    PRIMARY KEY (household_id, year)
);
CREATE INDEX household_colours_region ON household_colours (year, village_code, colour);

-- 3. An alert: a household turned orange or red. Open until an official of
--    its region acknowledges it with a note. At most one open alert per
--    household and year — the unique partial index makes raising one an
--    INSERT … ON CONFLICT DO NOTHING, so two evaluations at once raise one.
CREATE TABLE monitoring_alerts (
    id              INTEGER PRIMARY KEY,
    household_id    BIGINT NOT NULL REFERENCES households (id),
    year            BIGINT NOT NULL,
    village_code    TEXT NOT NULL,
    colour          TEXT NOT NULL CHECK (colour IN ('orange', 'red')),
    previous_colour TEXT CHECK (previous_colour IS NULL OR previous_colour IN ('green', 'yellow', 'orange', 'red')),
    reasons         TEXT NOT NULL DEFAULT '',
    raised_at       TEXT NOT NULL,
    acknowledged_at TEXT,
    acknowledged_by BIGINT REFERENCES users (id),
    note            TEXT,
    CHECK ((acknowledged_at IS NULL) = (acknowledged_by IS NULL)),
    CHECK ((acknowledged_at IS NULL) = (note IS NULL))
);
CREATE UNIQUE INDEX monitoring_alerts_one_open ON monitoring_alerts (household_id, year) WHERE acknowledged_at IS NULL;
CREATE INDEX monitoring_alerts_open_village ON monitoring_alerts (village_code) WHERE acknowledged_at IS NULL;
