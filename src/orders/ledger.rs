//! The attribution ledger (利益联结): when a line is paid, its amount is
//! split over the lots allocated to it in proportion to their quantities,
//! and each lot's part over the households that contributed to the lot in
//! proportion to what each contributed — largest remainder at both steps,
//! so the entries of a line add up to its amount exactly (invariant 3).
//! The cooperative's payout ratio gives each entry's household income.
//! Entries are only ever inserted.
//!
//! Each entry carries the facts of the sale as they were when the money
//! moved — the household's village and status, cooperative, product,
//! category, origin, buyer and its kind, delivery region, China date — so
//! a report of last year does not change when a household is reclassified
//! today. A refund entry repeats the facts of the sale it reverses (so the
//! two net out in every slice of a report) with its own date. In the same
//! transaction the totals that reports read are upserted:
//! `ledger_household_months` and `ledger_region_months`; migration 0012's
//! `ledger_village_months`, `ledger_region_parties` and
//! `ledger_household_years`; 0019's `ledger_village_years` (with 0021's
//! income) and `ledger_household_year_villages`; 0022's
//! `ledger_region_party_years` and `ledger_region_party_counts`; 0023's
//! `ledger_village_party_years`;
//! `zhunong verify` (src/reports/verify.rs) recomputes them from here.

use crate::db::Tx;
use crate::money::largest_remainder;
use std::collections::{BTreeMap, BTreeSet};

/// What an entry remembers besides its amounts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, sqlx::FromRow)]
struct Facts {
    village_code: String,
    household_status: String,
    cooperative_id: i64,
    product_id: i64,
    category: String,
    origin_code: String,
    buyer_org_id: i64,
    buyer_kind: String,
    delivery_region: String,
}

/// When an entry is posted: the stored moment and its China date.
struct Posted {
    at: String,
    day: String,
}

impl Posted {
    fn now() -> Posted {
        let t = time::OffsetDateTime::now_utc();
        Posted { at: crate::time::timestamp(t), day: crate::time::format_date(crate::time::china_date_of(t)) }
    }

    fn month(&self) -> &str {
        &self.day[..7]
    }
}

/// One entry to append.
struct Entry {
    order: i64,
    line: i64,
    lot: i64,
    household: i64,
    kind: &'static str,
    gross: i64,
    income: i64,
    facts: Facts,
}

/// Appends the entries of one transaction (every line of a payment, or of
/// a refund) and adds them to the monthly totals. The totals are upserted
/// once per row, in one sorted order within each table and the tables in
/// one order, so two transactions never wait for each other's total rows
/// in opposite orders (on PostgreSQL that would be a deadlock).
async fn post(tx: &mut Tx, entries: &[Entry], when: &Posted) -> sqlx::Result<()> {
    // (household, facts) → gross, income; summed here so each total row is
    // written once per posting.
    let mut households: BTreeMap<(i64, &Facts), (i64, i64)> = BTreeMap::new();
    for e in entries {
        sqlx::query(
            "INSERT INTO attribution_entries (order_id, line_id, lot_id, household_id, kind, gross_fen, income_fen, created_at, \
               village_code, household_status, cooperative_id, product_id, category, origin_code, buyer_org_id, buyer_kind, \
               delivery_region, day, month) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
        )
        .bind(e.order)
        .bind(e.line)
        .bind(e.lot)
        .bind(e.household)
        .bind(e.kind)
        .bind(e.gross)
        .bind(e.income)
        .bind(&when.at)
        .bind(&e.facts.village_code)
        .bind(&e.facts.household_status)
        .bind(e.facts.cooperative_id)
        .bind(e.facts.product_id)
        .bind(&e.facts.category)
        .bind(&e.facts.origin_code)
        .bind(e.facts.buyer_org_id)
        .bind(&e.facts.buyer_kind)
        .bind(&e.facts.delivery_region)
        .bind(&when.day)
        .bind(when.month())
        .execute(&mut **tx)
        .await?;
        let t = households.entry((e.household, &e.facts)).or_default();
        t.0 += e.gross;
        t.1 += e.income;
    }
    // (village, status, cooperative, buyer, buyer kind) → gross, income
    type Village<'a> = (&'a str, &'a str, i64, i64, &'a str);
    let mut regions: BTreeMap<Village, (i64, i64)> = BTreeMap::new();
    for ((household, f), (gross, income)) in &households {
        sqlx::query(
            "INSERT INTO ledger_household_months (month, household_id, village_code, household_status, cooperative_id, gross_fen, income_fen) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (household_id, month, village_code, household_status, cooperative_id) DO UPDATE \
             SET gross_fen = ledger_household_months.gross_fen + excluded.gross_fen, \
                 income_fen = ledger_household_months.income_fen + excluded.income_fen",
        )
        .bind(when.month())
        .bind(household)
        .bind(&f.village_code)
        .bind(&f.household_status)
        .bind(f.cooperative_id)
        .bind(gross)
        .bind(income)
        .execute(&mut **tx)
        .await?;
        let key = (f.village_code.as_str(), f.household_status.as_str(), f.cooperative_id, f.buyer_org_id, f.buyer_kind.as_str());
        let t = regions.entry(key).or_default();
        t.0 += gross;
        t.1 += income;
    }
    // The small totals of migration 0012, after the two above and always
    // in this order: village-months, region parties, household-years.
    let mut villages: BTreeMap<(&str, &str), (i64, i64)> = BTreeMap::new();
    let mut parties: BTreeSet<(i64, &str, &str, i64)> = BTreeSet::new();
    let mut years: BTreeMap<(i64, &str), (i64, i64)> = BTreeMap::new();
    for ((household, f), (gross, income)) in &households {
        let t = villages.entry((f.village_code.as_str(), f.household_status.as_str())).or_default();
        t.0 += gross;
        t.1 += income;
        for digits in PARTY_DIGITS {
            let prefix = &f.village_code[..digits.min(f.village_code.len())];
            parties.insert((digits as i64, prefix, "buyer", f.buyer_org_id));
            parties.insert((digits as i64, prefix, "cooperative", f.cooperative_id));
        }
        let t = years.entry((*household, f.village_code.as_str())).or_default();
        t.0 += gross;
        t.1 += income;
    }
    for ((village, status, cooperative, buyer, buyer_kind), (gross, income)) in regions {
        sqlx::query(
            "INSERT INTO ledger_region_months (month, village_code, household_status, cooperative_id, buyer_org_id, buyer_kind, gross_fen, income_fen) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (village_code, month, household_status, cooperative_id, buyer_org_id) DO UPDATE \
             SET gross_fen = ledger_region_months.gross_fen + excluded.gross_fen, \
                 income_fen = ledger_region_months.income_fen + excluded.income_fen",
        )
        .bind(when.month())
        .bind(village)
        .bind(status)
        .bind(cooperative)
        .bind(buyer)
        .bind(buyer_kind)
        .bind(gross)
        .bind(income)
        .execute(&mut **tx)
        .await?;
    }
    for ((village, status), (gross, income)) in &villages {
        sqlx::query(
            "INSERT INTO ledger_village_months (month, village_code, household_status, gross_fen, income_fen) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (village_code, month, household_status) DO UPDATE \
             SET gross_fen = ledger_village_months.gross_fen + excluded.gross_fen, \
                 income_fen = ledger_village_months.income_fen + excluded.income_fen",
        )
        .bind(when.month())
        .bind(village)
        .bind(status)
        .bind(gross)
        .bind(income)
        .execute(&mut **tx)
        .await?;
    }
    // A party new to its region's month may be new to its year (migration
    // 0022) — one already in the month is in the year, written with it —
    // and one new to the year adds one to the year's count: all the
    // months, then the years, then the counts, each in key order.
    let mut new_in_month = Vec::new();
    for (digits, prefix, kind, id) in parties {
        let added = sqlx::query(
            "INSERT INTO ledger_region_parties (month, digits, region_prefix, party_kind, party_id) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (digits, region_prefix, month, party_kind, party_id) DO NOTHING",
        )
        .bind(when.month())
        .bind(digits)
        .bind(prefix)
        .bind(kind)
        .bind(id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if added > 0 {
            new_in_month.push((digits, prefix, kind, id));
        }
    }
    let year = &when.month()[..4];
    let mut new_in_year: BTreeMap<(i64, &str, &str), i64> = BTreeMap::new();
    for (digits, prefix, kind, id) in new_in_month {
        let added = sqlx::query(
            "INSERT INTO ledger_region_party_years (year, digits, region_prefix, party_kind, party_id) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (digits, region_prefix, year, party_kind, party_id) DO NOTHING",
        )
        .bind(year)
        .bind(digits)
        .bind(prefix)
        .bind(kind)
        .bind(id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if added > 0 {
            *new_in_year.entry((digits, prefix, kind)).or_default() += 1;
        }
    }
    // And each village's (migration 0023), tried on every posting: the
    // villages keep no months.
    let mut village_parties: BTreeSet<(&str, &str, i64)> = BTreeSet::new();
    for (_, f) in households.keys() {
        village_parties.insert((f.village_code.as_str(), "buyer", f.buyer_org_id));
        village_parties.insert((f.village_code.as_str(), "cooperative", f.cooperative_id));
    }
    for (village, kind, id) in village_parties {
        let added = sqlx::query(
            "INSERT INTO ledger_village_party_years (year, village_code, party_kind, party_id) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (village_code, year, party_kind, party_id) DO NOTHING",
        )
        .bind(year)
        .bind(village)
        .bind(kind)
        .bind(id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if added > 0 {
            *new_in_year.entry((12, village, kind)).or_default() += 1;
        }
    }
    for ((digits, prefix, kind), added) in new_in_year {
        sqlx::query(
            "INSERT INTO ledger_region_party_counts (year, digits, region_prefix, party_kind, parties) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (digits, region_prefix, year, party_kind) DO UPDATE SET parties = ledger_region_party_counts.parties + excluded.parties",
        )
        .bind(year)
        .bind(digits)
        .bind(prefix)
        .bind(kind)
        .bind(added)
        .execute(&mut **tx)
        .await?;
    }
    // Migration 0019's village-years: the village-months' sums by year,
    // and the households with sales, which follow from the
    // household-years' new sums: a village gains one when a household's
    // gross turns positive and loses it when it falls back. A
    // household-year gains a village when its (household, year, village)
    // row is new (or was at zero: counting it again only makes the report
    // look at that household's rows, see `ledger_household_year_villages`).
    // village → (gross, registered poor, income, change in households with sales)
    let mut village_years: BTreeMap<&str, (i64, i64, i64, i64)> = BTreeMap::new();
    for ((village, status), (gross, income)) in &villages {
        let t = village_years.entry(village).or_default();
        t.0 += gross;
        if *status == "registered_poor" {
            t.1 += gross;
        }
        t.2 += income;
    }
    let mut new_villages: BTreeMap<i64, i64> = BTreeMap::new();
    for ((household, village), (gross, income)) in years {
        let after: i64 = sqlx::query_scalar(
            "INSERT INTO ledger_household_years (year, household_id, village_code, gross_fen, income_fen) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (household_id, year, village_code) DO UPDATE \
             SET gross_fen = ledger_household_years.gross_fen + excluded.gross_fen, \
                 income_fen = ledger_household_years.income_fen + excluded.income_fen \
             RETURNING gross_fen",
        )
        .bind(year)
        .bind(household)
        .bind(village)
        .bind(gross)
        .bind(income)
        .fetch_one(&mut **tx)
        .await?;
        let before = after - gross;
        match (before > 0, after > 0) {
            (false, true) => village_years.entry(village).or_default().3 += 1,
            (true, false) => village_years.entry(village).or_default().3 -= 1,
            _ => {}
        }
        if before == 0 {
            *new_villages.entry(household).or_default() += 1;
        }
    }
    village_years_and_moves(tx, year, &village_years, &new_villages).await
}

/// Upserts migration 0019's totals: per village and year (gross, poor,
/// income (migration 0021), change in households with sales), and new
/// village rows per household and year — each table in key order, after
/// the household-years (the order of [`post`]).
async fn village_years_and_moves(
    tx: &mut Tx,
    year: &str,
    villages: &BTreeMap<&str, (i64, i64, i64, i64)>,
    households: &BTreeMap<i64, i64>,
) -> sqlx::Result<()> {
    for (village, (gross, poor, income, with_sales)) in villages {
        sqlx::query(
            "INSERT INTO ledger_village_years (year, village_code, gross_fen, registered_poor_fen, income_fen, households_with_sales) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (year, village_code) DO UPDATE \
             SET gross_fen = ledger_village_years.gross_fen + excluded.gross_fen, \
                 registered_poor_fen = ledger_village_years.registered_poor_fen + excluded.registered_poor_fen, \
                 income_fen = ledger_village_years.income_fen + excluded.income_fen, \
                 households_with_sales = ledger_village_years.households_with_sales + excluded.households_with_sales",
        )
        .bind(year)
        .bind(village)
        .bind(gross)
        .bind(poor)
        .bind(income)
        .bind(with_sales)
        .execute(&mut **tx)
        .await?;
    }
    for (household, added) in households {
        sqlx::query(
            "INSERT INTO ledger_household_year_villages (year, household_id, villages) VALUES ($1, $2, $3) \
             ON CONFLICT (year, household_id) DO UPDATE \
             SET villages = ledger_household_year_villages.villages + excluded.villages",
        )
        .bind(year)
        .bind(household)
        .bind(added)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The ledger's (month, digits, region prefix, party kind, party id)
/// groups: what `ledger_region_parties` must hold.
macro_rules! party_groups {
    () => {
        "(SELECT DISTINCT month, 2 AS digits, substr(village_code, 1, 2) AS region_prefix, 'cooperative' AS party_kind, cooperative_id AS party_id FROM attribution_entries \
          UNION SELECT DISTINCT month, 4, substr(village_code, 1, 4), 'cooperative', cooperative_id FROM attribution_entries \
          UNION SELECT DISTINCT month, 6, substr(village_code, 1, 6), 'cooperative', cooperative_id FROM attribution_entries \
          UNION SELECT DISTINCT month, 9, substr(village_code, 1, 9), 'cooperative', cooperative_id FROM attribution_entries \
          UNION SELECT DISTINCT month, 2, substr(village_code, 1, 2), 'buyer', buyer_org_id FROM attribution_entries \
          UNION SELECT DISTINCT month, 4, substr(village_code, 1, 4), 'buyer', buyer_org_id FROM attribution_entries \
          UNION SELECT DISTINCT month, 6, substr(village_code, 1, 6), 'buyer', buyer_org_id FROM attribution_entries \
          UNION SELECT DISTINCT month, 9, substr(village_code, 1, 9), 'buyer', buyer_org_id FROM attribution_entries)"
    };
}
pub(crate) use party_groups;

/// Fills migration 0012's, 0019's, 0022's and 0023's totals from the
/// ledger by their grouping (the tables empty): for rebuilds after entries
/// were written or re-dated in bulk (the demo's history, the scale data
/// set). Each statement lists its rows in the table's key order.
pub const SMALL_TOTALS_FROM_LEDGER: [&str; 9] = [
    "INSERT INTO ledger_village_months (month, village_code, household_status, gross_fen, income_fen) \
     SELECT month, village_code, household_status, SUM(gross_fen), SUM(income_fen) \
     FROM attribution_entries GROUP BY village_code, month, household_status ORDER BY village_code, month, household_status",
    concat!(
        "INSERT INTO ledger_region_parties (month, digits, region_prefix, party_kind, party_id) \
         SELECT month, digits, region_prefix, party_kind, party_id FROM ",
        party_groups!(),
        " p ORDER BY digits, region_prefix, month, party_kind, party_id"
    ),
    "INSERT INTO ledger_household_years (year, household_id, village_code, gross_fen, income_fen) \
     SELECT substr(month, 1, 4), household_id, village_code, SUM(gross_fen), SUM(income_fen) \
     FROM attribution_entries GROUP BY household_id, substr(month, 1, 4), village_code ORDER BY household_id, substr(month, 1, 4), village_code",
    // Migration 0019's, from the village-months and household-years just
    // filled.
    "INSERT INTO ledger_village_years (year, village_code, gross_fen, registered_poor_fen, income_fen, households_with_sales) \
     SELECT v.year, v.village_code, v.gross, v.poor, v.income, COALESCE(h.n, 0) \
     FROM (SELECT substr(month, 1, 4) AS year, village_code, SUM(gross_fen) AS gross, \
                  SUM(CASE WHEN household_status = 'registered_poor' THEN gross_fen ELSE 0 END) AS poor, SUM(income_fen) AS income \
           FROM ledger_village_months GROUP BY substr(month, 1, 4), village_code) v \
     LEFT JOIN (SELECT year, village_code, COUNT(*) AS n FROM ledger_household_years WHERE gross_fen > 0 GROUP BY year, village_code) h \
       ON h.year = v.year AND h.village_code = v.village_code ORDER BY v.year, v.village_code",
    "INSERT INTO ledger_household_year_villages (year, household_id, villages) \
     SELECT year, household_id, COUNT(*) FROM ledger_household_years GROUP BY year, household_id ORDER BY year, household_id",
    // Migration 0022's, from the region parties just filled.
    "INSERT INTO ledger_region_party_years (year, digits, region_prefix, party_kind, party_id) \
     SELECT DISTINCT substr(month, 1, 4), digits, region_prefix, party_kind, party_id FROM ledger_region_parties ORDER BY 2, 3, 1, 4, 5",
    "INSERT INTO ledger_region_party_counts (year, digits, region_prefix, party_kind, parties) \
     SELECT year, digits, region_prefix, party_kind, COUNT(*) FROM ledger_region_party_years \
     GROUP BY digits, region_prefix, year, party_kind ORDER BY digits, region_prefix, year, party_kind",
    // Migration 0023's, from the region-months (filled before these).
    "INSERT INTO ledger_village_party_years (year, village_code, party_kind, party_id) \
     SELECT DISTINCT substr(month, 1, 4), village_code, 'cooperative', cooperative_id FROM ledger_region_months \
     UNION SELECT DISTINCT substr(month, 1, 4), village_code, 'buyer', buyer_org_id FROM ledger_region_months ORDER BY 2, 1, 3, 4",
    "INSERT INTO ledger_region_party_counts (year, digits, region_prefix, party_kind, parties) \
     SELECT year, 12, village_code, party_kind, COUNT(*) FROM ledger_village_party_years \
     GROUP BY village_code, year, party_kind ORDER BY village_code, year, party_kind",
];

/// The levels whose cooperatives and buyers `ledger_region_parties`
/// lists, by their digits of the village code: province, prefecture,
/// county, township.
pub const PARTY_DIGITS: [usize; 4] = [2, 4, 6, 9];

/// Writes the `sale` entries of every line of order `order_id`.
pub async fn attribute_sale(tx: &mut Tx, order_id: i64) -> sqlx::Result<()> {
    // The facts of the line (cooperative, product, buyer, delivery), with
    // the household's filled in per contribution below.
    #[derive(sqlx::FromRow)]
    struct Line {
        id: i64,
        amount_fen: i64,
        payout_ratio_bp: i64,
        cooperative_id: i64,
        product_id: i64,
        category: String,
        origin_code: String,
        buyer_org_id: i64,
        buyer_kind: String,
        delivery_region: String,
    }
    let lines: Vec<Line> = sqlx::query_as(
        "SELECT l.id, l.amount_fen, c.payout_ratio_bp, l.cooperative_id, l.product_id, p.category, p.origin_code, \
                o.buyer_org_id, b.kind AS buyer_kind, o.delivery_region_code AS delivery_region \
         FROM order_lines l JOIN cooperatives c ON c.org_id = l.cooperative_id JOIN products p ON p.id = l.product_id \
         JOIN orders o ON o.id = l.order_id JOIN organisations b ON b.id = o.buyer_org_id \
         WHERE l.order_id = $1 ORDER BY l.id",
    )
    .bind(order_id)
    .fetch_all(&mut **tx)
    .await?;
    let when = Posted::now();
    let mut entries: Vec<Entry> = Vec::new();
    for Line {
        id: line,
        amount_fen: amount,
        payout_ratio_bp: payout_bp,
        cooperative_id,
        product_id,
        category,
        origin_code,
        buyer_org_id,
        buyer_kind,
        delivery_region,
    } in lines
    {
        let buyer_kind = match buyer_kind.as_str() {
            "agency" | "partner_city" => buyer_kind,
            _ => "other".to_owned(),
        };
        let lots: Vec<(i64, i64)> = sqlx::query_as("SELECT lot_id, quantity FROM allocations WHERE line_id = $1 ORDER BY id")
            .bind(line)
            .fetch_all(&mut **tx)
            .await?;
        let weights: Vec<i64> = lots.iter().map(|(_, q)| *q).collect();
        let parts = largest_remainder(amount, &weights).expect("allocations have positive quantities");
        // (lot, household, facts, gross, income)
        let mut shares: Vec<(i64, i64, Facts, i64, i64)> = Vec::new();
        for ((lot, _), part) in lots.iter().zip(parts) {
            let contributions: Vec<(i64, i64, String, String)> = sqlx::query_as(
                "SELECT c.household_id, c.quantity, h.village_code, h.status FROM lot_contributions c \
                 JOIN households h ON h.id = c.household_id WHERE c.lot_id = $1 ORDER BY c.household_id",
            )
            .bind(lot)
            .fetch_all(&mut **tx)
            .await?;
            let weights: Vec<i64> = contributions.iter().map(|c| c.1).collect();
            let gross = largest_remainder(part, &weights).expect("a lot has contributions");
            let income_total = (part as i128 * payout_bp as i128 / 10_000) as i64;
            let income = largest_remainder(income_total, &weights).expect("a lot has contributions");
            for (((household, _, village_code, household_status), g), i) in contributions.into_iter().zip(gross).zip(income) {
                let facts = Facts {
                    village_code,
                    household_status,
                    cooperative_id,
                    product_id,
                    category: category.clone(),
                    origin_code: origin_code.clone(),
                    buyer_org_id,
                    buyer_kind: buyer_kind.clone(),
                    delivery_region: delivery_region.clone(),
                };
                shares.push((*lot, household, facts, g, i));
            }
        }
        entries.extend(shares.into_iter().map(|(lot, household, facts, gross, income)| Entry {
            order: order_id,
            line,
            lot,
            household,
            kind: "sale",
            gross,
            income,
            facts,
        }));
    }
    post(tx, &entries, &when).await
}

/// A line of a refund, for [`attribute_refunds`].
#[derive(Debug, Clone, Copy)]
pub struct RefundedLine {
    /// The line.
    pub line_id: i64,
    /// Its amount.
    pub line_amount: i64,
    /// All that is refunded on it, this refund included.
    pub refunded_after: i64,
}

/// Posts the `refund` entries of a refund of order `order_id`'s `lines`
/// (see [`refund_entries`]), in one posting.
pub async fn attribute_refunds(tx: &mut Tx, order_id: i64, lines: &[RefundedLine]) -> sqlx::Result<()> {
    let mut entries = Vec::new();
    for l in lines {
        entries.extend(refund_entries(tx, order_id, l.line_id, l.line_amount, l.refunded_after).await?);
    }
    post(tx, &entries, &Posted::now()).await
}

/// The `refund` entries of more refunded on line `line_id`: the line's net
/// attribution becomes the split of what is left paid (amount − all
/// refunds), over the same households in the same proportions as the
/// sale, and the entries are the differences. So per line the entries
/// always add up to paid − refunded, exactly, and a full refund brings
/// every household's net back to zero.
async fn refund_entries(tx: &mut Tx, order_id: i64, line_id: i64, line_amount: i64, refunded_after: i64) -> sqlx::Result<Vec<Entry>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        lot_id: i64,
        household_id: i64,
        kind: String,
        gross_fen: i64,
        income_fen: i64,
        #[sqlx(flatten)]
        facts: Facts,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT lot_id, household_id, kind, gross_fen, income_fen, village_code, household_status, cooperative_id, product_id, \
                category, origin_code, buyer_org_id, buyer_kind, delivery_region \
         FROM attribution_entries WHERE line_id = $1 ORDER BY lot_id, household_id, id",
    )
    .bind(line_id)
    .fetch_all(&mut **tx)
    .await?;
    // (lot, household) → the sale's facts; sale gross, sale income, net
    // gross, net income
    let mut shares: Vec<((i64, i64), Facts, [i64; 4])> = Vec::new();
    for row in rows {
        let i = match shares.iter().position(|(k, _, _)| *k == (row.lot_id, row.household_id)) {
            Some(i) => i,
            None => {
                shares.push(((row.lot_id, row.household_id), row.facts, [0; 4]));
                shares.len() - 1
            }
        };
        let s = &mut shares[i].2;
        if row.kind == "sale" {
            s[0] += row.gross_fen;
            s[1] += row.income_fen;
        }
        s[2] += row.gross_fen;
        s[3] += row.income_fen;
    }
    let left = line_amount - refunded_after;
    let sale_gross: Vec<i64> = shares.iter().map(|(_, _, s)| s[0]).collect();
    let sale_income: Vec<i64> = shares.iter().map(|(_, _, s)| s[1]).collect();
    let income_total: i64 = sale_income.iter().sum();
    let gross_target = largest_remainder(left, &sale_gross).expect("a paid line has sale entries");
    let income_target = if income_total == 0 {
        vec![0; shares.len()]
    } else {
        let left_income = (income_total as i128 * left as i128 / line_amount as i128) as i64;
        largest_remainder(left_income, &sale_income).expect("income weights are not all zero")
    };
    Ok(shares
        .into_iter()
        .zip(gross_target.into_iter().zip(income_target))
        .filter_map(|(((lot, household), facts, s), (g, i))| {
            let (dg, di) = (g - s[2], i - s[3]);
            (dg != 0 || di != 0).then_some(Entry {
                order: order_id,
                line: line_id,
                lot,
                household,
                kind: "refund",
                gross: dg,
                income: di,
                facts,
            })
        })
        .collect())
}
