//! The cooperatives report: per cooperative, its sales in the period (net
//! of refunds), the households it bought from, the income it paid out to
//! them and its payout ratio, its buyers' ratings and its refunds.
//!
//! A cooperative manager reads the own cooperative, an official those of
//! the own region, platform administration and finance all of them.

use crate::auth::{Actor, Role};
use crate::db::Db;
use crate::money::Fen;
use crate::regions::RegionCode;
use crate::reports::export::{Cell, Column, Export, Language, Totals};
use crate::reports::period::Period;
use crate::reports::regions::share_percent;
use serde::Serialize;
use std::collections::HashMap;

/// Which cooperatives the reader sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One cooperative (its manager).
    One(i64),
    /// Those based inside a region (an official).
    Region(RegionCode),
    /// All (the platform).
    All,
}

impl Scope {
    /// The scope of `actor`, or `None` when its role reads no cooperative
    /// report.
    pub fn of(actor: &Actor) -> Option<Scope> {
        if let Some(coop) = actor.managed_cooperative() {
            Some(Scope::One(coop))
        } else if let Some(region) = actor.official_region() {
            Some(Scope::Region(region))
        } else if actor.has(Role::PlatformAdmin) || actor.has(Role::PlatformFinance) {
            Some(Scope::All)
        } else {
            None
        }
    }
}

/// One cooperative's line.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Opaque id.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its village, 12 digits (pages show `place`).
    pub region_code: String,
    /// Its place, county down to village.
    pub place: String,
    /// Sales attributed to its households in the period, net of refunds.
    pub gross_sales_fen: Fen,
    /// Income passed on to the households.
    pub household_income_fen: Fen,
    /// Income / sales in percent, one decimal; `None` without sales.
    pub payout_percent: Option<f64>,
    /// Households with sales through it in the period.
    pub households_supplied: i64,
    /// Average stars of the ratings given in the period, one decimal.
    pub rating: Option<f64>,
    /// Ratings given in the period.
    pub ratings: i64,
    /// Refunds answered in the period on its lines.
    pub refunded_fen: Fen,
}

/// The report: the rows (most sales first) and their totals.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day.
    pub to: String,
    /// The cooperatives.
    pub rows: Vec<Row>,
    /// Sum of the rows (rating: over all ratings).
    pub totals: Row,
}

/// The cooperatives report for `scope`, optionally narrowed to those based
/// inside `region`.
pub async fn report(db: &Db, scope: Scope, region: Option<RegionCode>, period: Period) -> sqlx::Result<Report> {
    let mut wher = vec!["o.kind = 'cooperative'".to_owned()];
    match scope {
        Scope::One(c) => wher.push(format!("o.id = {c}")),
        Scope::Region(r) => {
            let (lo, hi) = super::code_range(r);
            wher.push(format!("o.region_code >= '{lo}' AND o.region_code <= '{hi}'"));
        }
        Scope::All => {}
    }
    if let Some(r) = region {
        let (lo, hi) = super::code_range(r);
        wher.push(format!("o.region_code >= '{lo}' AND o.region_code <= '{hi}'"));
    }
    let wher = wher.join(" AND ");
    let coops: Vec<(i64, String, String)> =
        sqlx::query_as(&format!("SELECT o.id, o.name, o.region_code FROM organisations o WHERE {wher} ORDER BY o.id"))
            .fetch_all(db.pool())
            .await?;
    let ids = coops.iter().map(|c| c.0.to_string()).collect::<Vec<_>>();
    let ids = if ids.is_empty() { "0".to_owned() } else { ids.join(", ") };

    let regions = period.region_rows("t");
    let sales: HashMap<i64, (i64, i64)> = sqlx::query_as::<_, (i64, i64, i64)>(&format!(
        "SELECT t.cooperative_id, CAST(SUM(t.gross_fen) AS BIGINT), CAST(SUM(t.income_fen) AS BIGINT) FROM {regions} \
         AND t.cooperative_id IN ({ids}) GROUP BY t.cooperative_id"
    ))
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(|(c, g, i)| (c, (g, i)))
    .collect();
    let households = period.household_rows("t");
    let supplied: HashMap<i64, i64> = sqlx::query_as::<_, (i64, i64)>(&format!(
        "SELECT c, CAST(COUNT(*) AS BIGINT) FROM (SELECT t.cooperative_id AS c, t.household_id FROM {households} \
         AND t.cooperative_id IN ({ids}) GROUP BY t.cooperative_id, t.household_id HAVING SUM(t.gross_fen) > 0) x GROUP BY c"
    ))
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .collect();
    let (start, end) = period.utc_bounds();
    let ratings: HashMap<i64, (i64, i64)> = sqlx::query_as::<_, (i64, i64, i64)>(&format!(
        "SELECT cooperative_id, CAST(SUM(stars) AS BIGINT), CAST(COUNT(*) AS BIGINT) FROM ratings \
         WHERE cooperative_id IN ({ids}) AND created_at >= $1 AND created_at < $2 GROUP BY cooperative_id"
    ))
    .bind(&start)
    .bind(&end)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(|(c, s, n)| (c, (s, n)))
    .collect();
    let refunded: HashMap<i64, i64> = sqlx::query_as::<_, (i64, i64)>(&format!(
        "SELECT l.cooperative_id, CAST(SUM(rl.amount_fen) AS BIGINT) FROM refund_lines rl JOIN refunds f ON f.id = rl.refund_id \
         JOIN order_lines l ON l.id = rl.line_id WHERE l.cooperative_id IN ({ids}) AND f.answered_at IS NOT NULL \
         AND f.answered_at >= $1 AND f.answered_at < $2 GROUP BY l.cooperative_id"
    ))
    .bind(&start)
    .bind(&end)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .collect();

    let codes: Vec<RegionCode> = coops.iter().filter_map(|c| RegionCode::parse(&c.2).ok()).collect();
    let places = crate::regions::get_many(db, &codes).await?;
    let stars = |(sum, n): (i64, i64)| (n > 0).then(|| ((sum * 20 + n) / (2 * n)) as f64 / 10.0);
    let mut rows: Vec<Row> = coops
        .into_iter()
        .map(|(id, name, region_code)| {
            let (gross, income) = sales.get(&id).copied().unwrap_or_default();
            let rated = ratings.get(&id).copied().unwrap_or_default();
            let place = RegionCode::parse(&region_code).ok().and_then(|c| places.get(&c)).map(super::county_down).unwrap_or_default();
            Row {
                id,
                name,
                region_code,
                place,
                gross_sales_fen: Fen::new(gross),
                household_income_fen: Fen::new(income),
                payout_percent: share_percent(income, gross),
                households_supplied: supplied.get(&id).copied().unwrap_or(0),
                rating: stars(rated),
                ratings: rated.1,
                refunded_fen: Fen::new(refunded.get(&id).copied().unwrap_or(0)),
            }
        })
        .collect();
    rows.sort_by(|a, b| b.gross_sales_fen.cmp(&a.gross_sales_fen).then(a.id.cmp(&b.id)));
    let sum = |f: fn(&Row) -> i64| rows.iter().map(f).sum::<i64>();
    let (gross, income) = (sum(|r| r.gross_sales_fen.get()), sum(|r| r.household_income_fen.get()));
    let all_ratings = ratings.values().fold((0, 0), |(s, n), (s2, n2)| (s + s2, n + n2));
    let totals = Row {
        id: 0,
        name: String::new(),
        region_code: String::new(),
        place: String::new(),
        gross_sales_fen: Fen::new(gross),
        household_income_fen: Fen::new(income),
        payout_percent: share_percent(income, gross),
        households_supplied: sum(|r| r.households_supplied),
        rating: stars(all_ratings),
        ratings: all_ratings.1,
        refunded_fen: Fen::new(sum(|r| r.refunded_fen.get())),
    };
    let ymd = crate::time::format_date;
    Ok(Report { from: ymd(period.from), to: ymd(period.to), rows, totals })
}

/// One month of a cooperative.
#[derive(Debug, Clone, Serialize)]
pub struct Month {
    /// `2026-03`
    pub month: String,
    /// Sales attributed to its households.
    pub gross_sales_fen: Fen,
    /// Income passed on to them.
    pub household_income_fen: Fen,
}

/// Cooperative `coop`'s sales and payout for every month of the period.
pub async fn months(db: &Db, coop: i64, period: Period) -> sqlx::Result<Vec<Month>> {
    let regions = period.region_rows("t");
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(&format!(
        "SELECT t.month, CAST(SUM(t.gross_fen) AS BIGINT), CAST(SUM(t.income_fen) AS BIGINT) FROM {regions} \
         AND t.cooperative_id = $1 GROUP BY t.month"
    ))
    .bind(coop)
    .fetch_all(db.pool())
    .await?;
    Ok(period
        .months()
        .into_iter()
        .map(|m| {
            let (g, i) = rows.iter().find(|r| r.0 == m).map(|r| (r.1, r.2)).unwrap_or((0, 0));
            Month { month: m, gross_sales_fen: Fen::new(g), household_income_fen: Fen::new(i) }
        })
        .collect())
}

const COLUMNS: &[Column] = &[
    Column::text("name", "合作社", "Cooperative"),
    Column::text("place", "所在地", "Place"),
    Column::yuan("gross_sales_fen", "销售额（元）", "Gross sales (yuan)"),
    Column::yuan("household_income_fen", "农户收入（元）", "Household income (yuan)"),
    Column::percent("payout_percent", "带农比例", "Payout ratio"),
    Column::integer("households_supplied", "供货农户（户）", "Households supplied"),
    Column::text("rating", "平均评分（星）", "Average rating (stars)"),
    Column::integer("ratings", "评价次数", "Ratings"),
    Column::yuan("refunded_fen", "退款（元）", "Refunds (yuan)"),
];

fn cells(r: &Row) -> Vec<Cell> {
    vec![
        r.name.clone().into(),
        r.place.clone().into(),
        r.gross_sales_fen.into(),
        r.household_income_fen.into(),
        Cell::percent(r.payout_percent),
        r.households_supplied.into(),
        r.rating.map_or(Cell::Empty, |stars| Cell::Text(format!("{stars:.1}"))),
        r.ratings.into(),
        r.refunded_fen.into(),
    ]
}

/// The report as an export, with its totals row.
pub fn export(report: &Report, lang: Language) -> Export {
    let rows: Vec<Vec<Cell>> = report.rows.iter().map(cells).collect();
    let mut totals = cells(&report.totals);
    totals[0] = Cell::Text(lang.pick("合计", "Total").to_owned());
    Export::new(format!("cooperatives-{}-{}", report.from, report.to), ("合作社", "Cooperatives"), COLUMNS)
        .rows_from(rows)
        .totals(Totals::Given(totals))
}
