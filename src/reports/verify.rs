//! `zhunong verify`: the reports are only as good as their sums, so this
//! recomputes them. Every paid line's entries must add up to what is left
//! paid on it (amount − answered refunds), no unpaid line may have entries,
//! every entry must name its own line's cooperative, product and buyer,
//! and each total (monthly, and migration 0012's village-months, region
//! parties and household-years) must equal the ledger entries it stands
//! for — and no total may exist without entries; migration 0019's counts
//! must agree with the household-years, 0021's people and moves with the
//! households, 0022's parties per year with the months, 0023's parties
//! per village and year with the ledger. Differences are
//! listed (the first few of each kind) and counted; the command exits
//! non-zero when there is any.

use crate::db::Db;

/// How many differences of one kind are listed (all are counted).
const LISTED: i64 = 20;

/// One check and what it found.
#[derive(Debug, Clone)]
pub struct Check {
    /// What was checked, in a sentence.
    pub what: &'static str,
    /// How many differences were found.
    pub differences: i64,
    /// The first few, described.
    pub examples: Vec<String>,
}

/// Everything `verify` found.
#[derive(Debug, Clone)]
pub struct Report {
    /// Ledger entries read.
    pub entries: i64,
    /// Each check.
    pub checks: Vec<Check>,
}

impl Report {
    /// True when no check found a difference.
    pub fn is_clean(&self) -> bool {
        self.checks.iter().all(|c| c.differences == 0)
    }
}

/// A check as SQL: a query of the differing rows, each described by one
/// text column.
struct Query {
    what: &'static str,
    rows: &'static str,
}

use crate::orders::party_groups;

fn queries() -> Vec<Query> {
    vec![
        Query {
            what: "each paid line's entries add up to its amount less its answered refunds",
            rows: "SELECT 'line ' || CAST(l.id AS TEXT) || ': paid ' || CAST(l.amount_fen AS TEXT) || ' less refunds ' || \
                     CAST(COALESCE(r.refunded, 0) AS TEXT) || ', ledger ' || CAST(COALESCE(e.gross, 0) AS TEXT) \
                   FROM order_lines l JOIN orders o ON o.id = l.order_id \
                   LEFT JOIN (SELECT line_id, CAST(SUM(gross_fen) AS BIGINT) AS gross FROM attribution_entries GROUP BY line_id) e ON e.line_id = l.id \
                   LEFT JOIN (SELECT rl.line_id, CAST(SUM(rl.amount_fen) AS BIGINT) AS refunded FROM refund_lines rl \
                              JOIN refunds f ON f.id = rl.refund_id WHERE f.answered_at IS NOT NULL GROUP BY rl.line_id) r ON r.line_id = l.id \
                   WHERE o.paid_at IS NOT NULL AND COALESCE(e.gross, 0) <> l.amount_fen - COALESCE(r.refunded, 0)",
        },
        Query {
            what: "no line of an unpaid order has ledger entries",
            rows: "SELECT DISTINCT 'line ' || CAST(e.line_id AS TEXT) || ' of unpaid order ' || CAST(e.order_id AS TEXT) \
                   FROM attribution_entries e JOIN orders o ON o.id = e.order_id WHERE o.paid_at IS NULL",
        },
        Query {
            what: "every entry names its own line's order, cooperative and product and its order's buyer and delivery region",
            rows: "SELECT 'entry ' || CAST(e.id AS TEXT) FROM attribution_entries e \
                   JOIN order_lines l ON l.id = e.line_id JOIN orders o ON o.id = l.order_id \
                   WHERE e.order_id <> l.order_id OR e.cooperative_id <> l.cooperative_id OR e.product_id <> l.product_id \
                      OR e.buyer_org_id <> o.buyer_org_id OR e.delivery_region <> o.delivery_region_code",
        },
        Query {
            what: "every household-month total equals its ledger entries",
            rows: "SELECT 'household ' || CAST(a.household_id AS TEXT) || ' ' || a.month || ' ' || a.village_code || ' ' || a.household_status || \
                     ' cooperative ' || CAST(a.cooperative_id AS TEXT) || ': ledger ' || CAST(a.gross AS TEXT) || '/' || CAST(a.income AS TEXT) || \
                     ', total ' || COALESCE(CAST(t.gross_fen AS TEXT), 'missing') || '/' || COALESCE(CAST(t.income_fen AS TEXT), 'missing') \
                   FROM (SELECT month, household_id, village_code, household_status, cooperative_id, \
                                CAST(SUM(gross_fen) AS BIGINT) AS gross, CAST(SUM(income_fen) AS BIGINT) AS income \
                         FROM attribution_entries GROUP BY month, household_id, village_code, household_status, cooperative_id) a \
                   LEFT JOIN ledger_household_months t ON t.month = a.month AND t.household_id = a.household_id \
                     AND t.village_code = a.village_code AND t.household_status = a.household_status AND t.cooperative_id = a.cooperative_id \
                   WHERE t.household_id IS NULL OR t.gross_fen <> a.gross OR t.income_fen <> a.income",
        },
        Query {
            what: "no household-month total exists without ledger entries",
            rows: "SELECT 'household ' || CAST(t.household_id AS TEXT) || ' ' || t.month || ': total ' || CAST(t.gross_fen AS TEXT) || ' with no entries' \
                   FROM ledger_household_months t WHERE NOT EXISTS (SELECT 1 FROM attribution_entries e \
                     WHERE e.household_id = t.household_id AND e.month = t.month AND e.village_code = t.village_code \
                       AND e.household_status = t.household_status AND e.cooperative_id = t.cooperative_id)",
        },
        Query {
            what: "every region-month total equals its ledger entries",
            rows: "SELECT 'village ' || a.village_code || ' ' || a.month || ' ' || a.household_status || ' cooperative ' || \
                     CAST(a.cooperative_id AS TEXT) || ' buyer ' || CAST(a.buyer_org_id AS TEXT) || ': ledger ' || CAST(a.gross AS TEXT) || '/' || \
                     CAST(a.income AS TEXT) || ', total ' || COALESCE(CAST(t.gross_fen AS TEXT), 'missing') || '/' || COALESCE(CAST(t.income_fen AS TEXT), 'missing') \
                   FROM (SELECT month, village_code, household_status, cooperative_id, buyer_org_id, MIN(buyer_kind) AS buyer_kind, \
                                CAST(SUM(gross_fen) AS BIGINT) AS gross, CAST(SUM(income_fen) AS BIGINT) AS income \
                         FROM attribution_entries GROUP BY month, village_code, household_status, cooperative_id, buyer_org_id) a \
                   LEFT JOIN ledger_region_months t ON t.month = a.month AND t.village_code = a.village_code \
                     AND t.household_status = a.household_status AND t.cooperative_id = a.cooperative_id AND t.buyer_org_id = a.buyer_org_id \
                   WHERE t.village_code IS NULL OR t.gross_fen <> a.gross OR t.income_fen <> a.income OR t.buyer_kind <> a.buyer_kind",
        },
        // Against the ledger's groups, read once, rather than a NOT EXISTS
        // per total: SQLite answers that one from the (village, day)
        // index, which cannot seek a month, so it read every entry of the
        // village for every total — 80 s at a tenth of prefecture scale
        // (1,000,000 entries), 3 s this way (docs/PERFORMANCE.md).
        Query {
            what: "no region-month total exists without ledger entries",
            rows: "SELECT 'village ' || t.village_code || ' ' || t.month || ': total ' || CAST(t.gross_fen AS TEXT) || ' with no entries' \
                   FROM ledger_region_months t \
                   LEFT JOIN (SELECT DISTINCT village_code, month, household_status, cooperative_id, buyer_org_id FROM attribution_entries) e \
                     ON e.village_code = t.village_code AND e.month = t.month AND e.household_status = t.household_status \
                       AND e.cooperative_id = t.cooperative_id AND e.buyer_org_id = t.buyer_org_id \
                   WHERE e.village_code IS NULL",
        },
        // Migration 0012's small totals: each equals the ledger's groups,
        // and none exists without them — both as joins of the groups,
        // read once (see above).
        Query {
            what: "every village-month total equals its ledger entries",
            rows: "SELECT 'village ' || a.village_code || ' ' || a.month || ' ' || a.household_status || ': ledger ' || CAST(a.gross AS TEXT) || '/' || \
                     CAST(a.income AS TEXT) || ', total ' || COALESCE(CAST(t.gross_fen AS TEXT), 'missing') || '/' || COALESCE(CAST(t.income_fen AS TEXT), 'missing') \
                   FROM (SELECT month, village_code, household_status, CAST(SUM(gross_fen) AS BIGINT) AS gross, CAST(SUM(income_fen) AS BIGINT) AS income \
                         FROM attribution_entries GROUP BY month, village_code, household_status) a \
                   LEFT JOIN ledger_village_months t ON t.month = a.month AND t.village_code = a.village_code AND t.household_status = a.household_status \
                   WHERE t.village_code IS NULL OR t.gross_fen <> a.gross OR t.income_fen <> a.income",
        },
        Query {
            what: "no village-month total exists without ledger entries",
            rows: "SELECT 'village ' || t.village_code || ' ' || t.month || ' ' || t.household_status || ': total ' || CAST(t.gross_fen AS TEXT) || ' with no entries' \
                   FROM ledger_village_months t \
                   LEFT JOIN (SELECT DISTINCT village_code, month, household_status FROM attribution_entries) e \
                     ON e.village_code = t.village_code AND e.month = t.month AND e.household_status = t.household_status \
                   WHERE e.village_code IS NULL",
        },
        Query {
            what: "every cooperative and buyer with entries in a region and month is listed there",
            rows: concat!(
                "SELECT 'region ' || a.region_prefix || ' ' || a.month || ': ' || a.party_kind || ' ' || CAST(a.party_id AS TEXT) || ' not listed' \
                 FROM ",
                party_groups!(),
                " a LEFT JOIN ledger_region_parties t ON t.digits = a.digits AND t.region_prefix = a.region_prefix AND t.month = a.month \
                   AND t.party_kind = a.party_kind AND t.party_id = a.party_id \
                 WHERE t.region_prefix IS NULL"
            ),
        },
        Query {
            what: "no cooperative or buyer is listed in a region and month without entries there",
            rows: concat!(
                "SELECT 'region ' || t.region_prefix || ' ' || t.month || ': ' || t.party_kind || ' ' || CAST(t.party_id AS TEXT) || ' with no entries' \
                 FROM ledger_region_parties t LEFT JOIN ",
                party_groups!(),
                " e ON e.digits = t.digits AND e.region_prefix = t.region_prefix AND e.month = t.month \
                   AND e.party_kind = t.party_kind AND e.party_id = t.party_id \
                 WHERE e.region_prefix IS NULL"
            ),
        },
        // Migration 0022's parties per region and year, against the months
        // (checked against the ledger just above), and their counts.
        Query {
            what: "every cooperative and buyer listed in a region's month is listed in its year, and no other",
            rows: "SELECT 'region ' || COALESCE(a.region_prefix, t.region_prefix) || ' ' || COALESCE(a.year, t.year) || ': ' || \
                     COALESCE(a.party_kind, t.party_kind) || ' ' || CAST(COALESCE(a.party_id, t.party_id) AS TEXT) || \
                     CASE WHEN t.region_prefix IS NULL THEN ' not listed in the year' ELSE ' listed in the year without a month' END \
                   FROM (SELECT DISTINCT substr(month, 1, 4) AS year, digits, region_prefix, party_kind, party_id FROM ledger_region_parties) a \
                   FULL JOIN ledger_region_party_years t ON t.digits = a.digits AND t.region_prefix = a.region_prefix AND t.year = a.year \
                     AND t.party_kind = a.party_kind AND t.party_id = a.party_id \
                   WHERE a.region_prefix IS NULL OR t.region_prefix IS NULL",
        },
        Query {
            what: "every cooperative and buyer with entries in a village and year is listed there, and no other",
            // Against the ledger itself, so that a tampered region-month
            // is not reported here too.
            rows: "SELECT 'village ' || COALESCE(a.village_code, t.village_code) || ' ' || COALESCE(a.year, t.year) || ': ' || \
                     COALESCE(a.party_kind, t.party_kind) || ' ' || CAST(COALESCE(a.party_id, t.party_id) AS TEXT) || \
                     CASE WHEN t.village_code IS NULL THEN ' not listed' ELSE ' listed without entries' END \
                   FROM (SELECT DISTINCT substr(month, 1, 4) AS year, village_code, 'cooperative' AS party_kind, cooperative_id AS party_id \
                         FROM attribution_entries \
                         UNION SELECT DISTINCT substr(month, 1, 4), village_code, 'buyer', buyer_org_id FROM attribution_entries) a \
                   FULL JOIN ledger_village_party_years t ON t.village_code = a.village_code AND t.year = a.year \
                     AND t.party_kind = a.party_kind AND t.party_id = a.party_id \
                   WHERE a.village_code IS NULL OR t.village_code IS NULL",
        },
        Query {
            what: "every region's count of cooperatives and buyers in a year equals those listed",
            rows: "SELECT 'region ' || COALESCE(a.region_prefix, t.region_prefix) || ' ' || COALESCE(a.year, t.year) || ' ' || \
                     COALESCE(a.party_kind, t.party_kind) || ': ' || COALESCE(CAST(a.n AS TEXT), '0') || ' listed, counted ' || \
                     COALESCE(CAST(t.parties AS TEXT), 'missing') \
                   FROM (SELECT year, digits, region_prefix, party_kind, CAST(COUNT(*) AS BIGINT) AS n FROM ledger_region_party_years \
                         GROUP BY year, digits, region_prefix, party_kind \
                         UNION ALL SELECT year, 12, village_code, party_kind, CAST(COUNT(*) AS BIGINT) FROM ledger_village_party_years \
                         GROUP BY year, village_code, party_kind) a \
                   FULL JOIN ledger_region_party_counts t ON t.digits = a.digits AND t.region_prefix = a.region_prefix AND t.year = a.year \
                     AND t.party_kind = a.party_kind \
                   WHERE COALESCE(a.n, 0) <> COALESCE(t.parties, 0)",
        },
        Query {
            what: "every household-year total equals its ledger entries",
            rows: "SELECT 'household ' || CAST(a.household_id AS TEXT) || ' ' || a.year || ' ' || a.village_code || ': ledger ' || CAST(a.gross AS TEXT) || '/' || \
                     CAST(a.income AS TEXT) || ', total ' || COALESCE(CAST(t.gross_fen AS TEXT), 'missing') || '/' || COALESCE(CAST(t.income_fen AS TEXT), 'missing') \
                   FROM (SELECT substr(month, 1, 4) AS year, household_id, village_code, CAST(SUM(gross_fen) AS BIGINT) AS gross, CAST(SUM(income_fen) AS BIGINT) AS income \
                         FROM attribution_entries GROUP BY substr(month, 1, 4), household_id, village_code) a \
                   LEFT JOIN ledger_household_years t ON t.year = a.year AND t.household_id = a.household_id AND t.village_code = a.village_code \
                   WHERE t.household_id IS NULL OR t.gross_fen <> a.gross OR t.income_fen <> a.income",
        },
        Query {
            what: "no household-year total exists without ledger entries",
            rows: "SELECT 'household ' || CAST(t.household_id AS TEXT) || ' ' || t.year || ' ' || t.village_code || ': total ' || CAST(t.gross_fen AS TEXT) || ' with no entries' \
                   FROM ledger_household_years t \
                   LEFT JOIN (SELECT DISTINCT substr(month, 1, 4) AS year, household_id, village_code FROM attribution_entries) e \
                     ON e.year = t.year AND e.household_id = t.household_id AND e.village_code = t.village_code \
                   WHERE e.household_id IS NULL",
        },
        // Migration 0019's village-years: their sums against the ledger,
        // their counts against the household-years (checked against the
        // ledger just above).
        Query {
            what: "every village-year total equals its ledger entries",
            rows: "SELECT 'village ' || a.village_code || ' ' || a.year || ': ledger ' || CAST(a.gross AS TEXT) || '/' || CAST(a.poor AS TEXT) || \
                     '/' || CAST(a.income AS TEXT) || ', total ' || COALESCE(CAST(t.gross_fen AS TEXT), 'missing') || '/' || \
                     COALESCE(CAST(t.registered_poor_fen AS TEXT), 'missing') || '/' || COALESCE(CAST(t.income_fen AS TEXT), 'missing') \
                   FROM (SELECT substr(month, 1, 4) AS year, village_code, CAST(SUM(gross_fen) AS BIGINT) AS gross, \
                                CAST(SUM(CASE WHEN household_status = 'registered_poor' THEN gross_fen ELSE 0 END) AS BIGINT) AS poor, \
                                CAST(SUM(income_fen) AS BIGINT) AS income \
                         FROM attribution_entries GROUP BY substr(month, 1, 4), village_code) a \
                   LEFT JOIN ledger_village_years t ON t.year = a.year AND t.village_code = a.village_code \
                   WHERE t.village_code IS NULL OR t.gross_fen <> a.gross OR t.registered_poor_fen <> a.poor OR t.income_fen <> a.income",
        },
        Query {
            what: "no village-year total exists without ledger entries",
            rows: "SELECT 'village ' || t.village_code || ' ' || t.year || ': total ' || CAST(t.gross_fen AS TEXT) || ' with no entries' \
                   FROM ledger_village_years t \
                   LEFT JOIN (SELECT DISTINCT substr(month, 1, 4) AS year, village_code FROM attribution_entries) e \
                     ON e.year = t.year AND e.village_code = t.village_code \
                   WHERE e.village_code IS NULL",
        },
        Query {
            what: "every village-year count of households with sales equals its household-years with positive sales",
            rows: "SELECT 'village ' || a.village_code || ' ' || a.year || ': ' || CAST(a.n AS TEXT) || ' households with sales, counted ' || \
                     COALESCE(CAST(t.households_with_sales AS TEXT), 'missing') \
                   FROM (SELECT year, village_code, CAST(COUNT(*) AS BIGINT) AS n FROM ledger_household_years WHERE gross_fen > 0 \
                         GROUP BY year, village_code) a \
                   LEFT JOIN ledger_village_years t ON t.year = a.year AND t.village_code = a.village_code \
                   WHERE t.village_code IS NULL OR t.households_with_sales <> a.n",
        },
        Query {
            what: "no village-year counts households with sales that have none",
            rows: "SELECT 'village ' || t.village_code || ' ' || t.year || ': counted ' || CAST(t.households_with_sales AS TEXT) || ' households with no sales' \
                   FROM ledger_village_years t WHERE t.households_with_sales <> 0 AND NOT EXISTS (SELECT 1 FROM ledger_household_years y \
                     WHERE y.year = t.year AND y.village_code = t.village_code AND y.gross_fen > 0)",
        },
        // At least, not equal: a village row that fell back to zero and
        // sold again is counted twice, which only makes the report look at
        // that household's rows; too few would let it count a household
        // that moved twice.
        Query {
            what: "each household-year counts at least its villages",
            rows: "SELECT 'household ' || CAST(a.household_id AS TEXT) || ' ' || a.year || ': ' || CAST(a.n AS TEXT) || ' villages, counted ' || \
                     COALESCE(CAST(t.villages AS TEXT), 'missing') \
                   FROM (SELECT year, household_id, CAST(COUNT(*) AS BIGINT) AS n FROM ledger_household_years GROUP BY year, household_id) a \
                   LEFT JOIN ledger_household_year_villages t ON t.year = a.year AND t.household_id = a.household_id \
                   WHERE t.household_id IS NULL OR t.villages < a.n",
        },
        // Migration 0019's households per village, and per village and
        // colour, kept by triggers.
        Query {
            what: "every village's count of households, of registered poor households and of people equals its households",
            rows: "SELECT 'village ' || COALESCE(a.village_code, t.village_code) || ': ' || COALESCE(CAST(a.n AS TEXT), '0') || '/' || \
                     COALESCE(CAST(a.poor AS TEXT), '0') || '/' || COALESCE(CAST(a.people AS TEXT), '0') || \
                     ' households/registered poor/people, counted ' || COALESCE(CAST(t.households AS TEXT), 'missing') || '/' || \
                     COALESCE(CAST(t.registered_poor AS TEXT), 'missing') || '/' || COALESCE(CAST(t.people AS TEXT), 'missing') \
                   FROM (SELECT village_code, CAST(COUNT(*) AS BIGINT) AS n, \
                                CAST(SUM(CASE WHEN status = 'registered_poor' THEN 1 ELSE 0 END) AS BIGINT) AS poor, \
                                CAST(SUM(size) AS BIGINT) AS people \
                         FROM households GROUP BY village_code) a \
                   FULL JOIN village_households t ON t.village_code = a.village_code \
                   WHERE COALESCE(a.n, 0) <> COALESCE(t.households, 0) OR COALESCE(a.poor, 0) <> COALESCE(t.registered_poor, 0) \
                      OR COALESCE(a.people, 0) <> COALESCE(t.people, 0)",
        },
        // Migration 0021's list of households that moved: the households
        // report corrects the village totals for these alone.
        Query {
            what: "every household with sales credited in another village than its own is listed as moved",
            rows: "SELECT DISTINCT 'household ' || CAST(t.household_id AS TEXT) || ': sales in village ' || t.village_code || \
                     ', lives in ' || h.village_code || ', not listed as moved' \
                   FROM ledger_household_years t JOIN households h ON h.id = t.household_id \
                   WHERE t.village_code <> h.village_code \
                     AND NOT EXISTS (SELECT 1 FROM household_moves m WHERE m.household_id = t.household_id)",
        },
        Query {
            what: "every village's count of households by monitoring colour equals its households' colours",
            rows: "SELECT 'village ' || COALESCE(a.village_code, t.village_code) || ' ' || CAST(COALESCE(a.year, t.year) AS TEXT) || ': ' || \
                     COALESCE(CAST(a.green AS TEXT), '0') || '/' || COALESCE(CAST(a.yellow AS TEXT), '0') || '/' || \
                     COALESCE(CAST(a.orange AS TEXT), '0') || '/' || COALESCE(CAST(a.red AS TEXT), '0') || ' green/yellow/orange/red, counted ' || \
                     COALESCE(CAST(t.green AS TEXT), 'missing') || '/' || COALESCE(CAST(t.yellow AS TEXT), 'missing') || '/' || \
                     COALESCE(CAST(t.orange AS TEXT), 'missing') || '/' || COALESCE(CAST(t.red AS TEXT), 'missing') \
                   FROM (SELECT year, village_code, \
                                CAST(SUM(CASE WHEN colour = 'green' THEN 1 ELSE 0 END) AS BIGINT) AS green, \
                                CAST(SUM(CASE WHEN colour = 'yellow' THEN 1 ELSE 0 END) AS BIGINT) AS yellow, \
                                CAST(SUM(CASE WHEN colour = 'orange' THEN 1 ELSE 0 END) AS BIGINT) AS orange, \
                                CAST(SUM(CASE WHEN colour = 'red' THEN 1 ELSE 0 END) AS BIGINT) AS red \
                         FROM household_colours GROUP BY year, village_code) a \
                   FULL JOIN village_colours t ON t.year = a.year AND t.village_code = a.village_code \
                   WHERE COALESCE(a.green, 0) <> COALESCE(t.green, 0) OR COALESCE(a.yellow, 0) <> COALESCE(t.yellow, 0) \
                      OR COALESCE(a.orange, 0) <> COALESCE(t.orange, 0) OR COALESCE(a.red, 0) <> COALESCE(t.red, 0)",
        },
    ]
}

/// Runs every check.
pub async fn verify(db: &Db) -> sqlx::Result<Report> {
    let entries: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM attribution_entries").fetch_one(db.pool()).await?;
    let mut checks = Vec::new();
    for q in queries() {
        let differences: i64 =
            sqlx::query_scalar(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM ({}) d", q.rows)).fetch_one(db.pool()).await?;
        let examples: Vec<String> = if differences > 0 {
            sqlx::query_scalar(&format!("{} LIMIT {LISTED}", q.rows)).fetch_all(db.pool()).await?
        } else {
            Vec::new()
        };
        checks.push(Check { what: q.what, differences, examples });
    }
    Ok(Report { entries, checks })
}
