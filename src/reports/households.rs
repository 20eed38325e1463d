//! The households report (sales per household): every household in the
//! viewer's scope with what the ledger attributed to it in the period —
//! gross sales, household income (the cooperative's payout), income per
//! person — filtered by region at any level, cooperative and status,
//! sorted, paged, with totals; and one household's report by month.
//!
//! Who reads it: a cooperative manager (its members, and only the sales
//! made through it), an official (the households of the own region),
//! platform administration and finance (every household, pseudonymous).
//! Identities follow [`Viewer`], as everywhere (invariant 7). Agencies and
//! partner cities read aggregates (regions, their own reports), never this.

use crate::auth::{Actor, Role};
use crate::db::Db;
use crate::households::{Status, Viewer};
use crate::money::Fen;
use crate::regions::RegionCode;
use crate::reports::export::{self, Cell, Column, Export, Language};
use crate::reports::period::Period;
use futures_util::{Stream, StreamExt};
use serde::Serialize;
use std::collections::HashMap;

/// Whose households the caller reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The members of one cooperative, and the sales made through it.
    Members(i64),
    /// The households of the villages inside one region.
    Region(RegionCode),
    /// Every household (pseudonymous).
    All,
}

impl Scope {
    /// The scope of `actor`, or `None` when its role reads no household
    /// report.
    pub fn of(actor: &Actor) -> Option<Scope> {
        if let Some(coop) = actor.managed_cooperative() {
            Some(Scope::Members(coop))
        } else if let Some(region) = actor.official_region() {
            Some(Scope::Region(region))
        } else if actor.has(Role::PlatformAdmin) || actor.has(Role::PlatformFinance) {
            Some(Scope::All)
        } else {
            None
        }
    }
}

/// Orders of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Most gross sales first (the default).
    #[default]
    GrossDesc,
    /// Least gross sales first.
    GrossAsc,
    /// Most income per person first.
    PerCapitaDesc,
    /// Least income per person first (who needs help).
    PerCapitaAsc,
    /// By pseudonymous code.
    Code,
    /// By village, then code.
    Village,
}

impl Sort {
    /// The names the API and pages use.
    pub const NAMES: &'static [&'static str] = &["-gross_sales", "gross_sales", "-per_capita", "per_capita", "code", "village"];

    /// Reads a sort name.
    pub fn parse(s: &str) -> Option<Sort> {
        Some(match s {
            "-gross_sales" => Sort::GrossDesc,
            "gross_sales" => Sort::GrossAsc,
            "-per_capita" => Sort::PerCapitaDesc,
            "per_capita" => Sort::PerCapitaAsc,
            "code" => Sort::Code,
            "village" => Sort::Village,
            _ => return None,
        })
    }

    /// The name of this sort.
    pub fn name(self) -> &'static str {
        match self {
            Sort::GrossDesc => "-gross_sales",
            Sort::GrossAsc => "gross_sales",
            Sort::PerCapitaDesc => "-per_capita",
            Sort::PerCapitaAsc => "per_capita",
            Sort::Code => "code",
            Sort::Village => "village",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            Sort::GrossDesc => "gross DESC, h.code",
            Sort::GrossAsc => "gross, h.code",
            Sort::PerCapitaDesc => "income / h.size DESC, h.code",
            Sort::PerCapitaAsc => "income / h.size, h.code",
            Sort::Code => "h.code",
            Sort::Village => "h.village_code, h.code",
        }
    }
}

/// What the report is asked for.
#[derive(Debug, Clone, Copy)]
pub struct Query {
    /// The period.
    pub period: Period,
    /// Only households in villages inside this region.
    pub region: Option<RegionCode>,
    /// Only this status (today's).
    pub status: Option<Status>,
    /// Only members of this cooperative, and only its sales.
    pub cooperative: Option<i64>,
    /// The order.
    pub sort: Sort,
}

/// A village named, with its chain (township, county …) for people.
#[derive(Debug, Clone, Serialize)]
pub struct Village {
    /// 12 digits (the API's; pages show names).
    pub code: String,
    /// Everyday name, e.g. 巴仁村.
    pub name: String,
    /// `伽师县 › 巴仁镇 › 巴仁村`: county down to the village.
    pub chain: String,
}

/// One household's line of the report.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Opaque id (for the household's own report).
    #[serde(serialize_with = "crate::ids::serialize")]
    pub id: i64,
    /// Pseudonymous code.
    pub household_code: String,
    /// Its village.
    pub village: Village,
    /// Today's poverty status.
    pub status: Status,
    /// People in the household.
    pub size: i64,
    /// Gross sales attributed in the period, net of refunds.
    pub gross_sales_fen: Fen,
    /// The household's income from them (the cooperatives' payout).
    pub household_income_fen: Fen,
    /// Household income per person, rounded down to the fen.
    pub per_capita_income_fen: Fen,
    /// Monitoring colour (`red`, `orange`, `yellow`, `green`) of the
    /// period's last year, when the household has one.
    pub colour: Option<String>,
    /// 建档立卡 number; only for those allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub register_number: Option<String>,
    /// Head of household; only for those allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head_name: Option<String>,
}

/// The report's totals over every row (not only the page).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    /// Households.
    pub households: i64,
    /// People in them.
    pub people: i64,
    /// Households with gross sales above zero.
    pub households_with_sales: i64,
    /// Gross sales.
    pub gross_sales_fen: Fen,
    /// Household income.
    pub household_income_fen: Fen,
}

#[derive(sqlx::FromRow)]
struct Raw {
    id: i64,
    code: String,
    village_code: String,
    status: String,
    size: i64,
    register_number: Option<String>,
    head_name: Option<String>,
    gross: i64,
    income: i64,
    colour: Option<String>,
}

/// The report's SQL without its order: one row per household, with its
/// monitoring colour of the period's last year. Every value written into
/// it is typed and formatted here (region codes are digits, ids integers,
/// statuses from the enumeration, dates from [`Period`]). `only`, when
/// given, keeps those households alone.
fn grouped(scope: Scope, q: &Query, only: Option<&[i64]>) -> String {
    let coop = match scope {
        Scope::Members(c) => Some(c),
        _ => q.cooperative,
    };
    // A calendar year of all cooperatives' sales is one row per household
    // (per village, if it moved) of the yearly totals; anything else sums
    // months, or days.
    let (table, mut on) = match (q.period.calendar_year(), coop) {
        (Some(year), None) => ("ledger_household_years".to_owned(), format!("t.year = '{year}'")),
        _ => q.period.household_join("t"),
    };
    let mut wher: Vec<String> = Vec::new();
    if let Some(c) = coop {
        on.push_str(&format!(" AND t.cooperative_id = {c}"));
        wher.push(format!("EXISTS (SELECT 1 FROM cooperative_members m WHERE m.household_id = h.id AND m.cooperative_id = {c})"));
    }
    wher.extend(region_conditions(scope, q, "h"));
    if let Some(ids) = only {
        let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
        wher.push(if ids.is_empty() { "1 = 0".to_owned() } else { format!("h.id IN ({})", ids.join(", ")) });
    }
    if let Some(s) = q.status {
        wher.push(format!("h.status = '{}'", s.as_str()));
    }
    let wher = if wher.is_empty() { String::new() } else { format!("WHERE {}", wher.join(" AND ")) };
    let year = q.period.to.year();
    format!(
        "SELECT h.id, h.code, h.village_code, h.status, h.size, h.register_number, h.head_name, \
                CAST(COALESCE(SUM(t.gross_fen), 0) AS BIGINT) AS gross, CAST(COALESCE(SUM(t.income_fen), 0) AS BIGINT) AS income, \
                (SELECT c.colour FROM household_colours c WHERE c.household_id = h.id AND c.year = {year}) AS colour \
         FROM households h LEFT JOIN {table} t ON t.household_id = h.id AND {on} {wher} \
         GROUP BY h.id, h.code, h.village_code, h.status, h.size, h.register_number, h.head_name"
    )
}

/// The regions a row's village (column `village_code` of `alias`) must lie
/// in: the scope's and the query's.
fn region_conditions(scope: Scope, q: &Query, alias: &str) -> Vec<String> {
    region_ranges(scope, q).iter().map(|(lo, hi)| format!("{alias}.village_code >= '{lo}' AND {alias}.village_code <= '{hi}'")).collect()
}

fn region_ranges(scope: Scope, q: &Query) -> Vec<(String, String)> {
    [if let Scope::Region(r) = scope { Some(r) } else { None }, q.region].into_iter().flatten().map(super::code_range).collect()
}

/// Presents the rows read, in their order.
async fn present_all(db: &Db, viewer: &Viewer, scope: Scope, raws: Vec<Raw>) -> sqlx::Result<Vec<Row>> {
    let mut villages: Vec<RegionCode> = raws.iter().filter_map(|r| RegionCode::parse(&r.village_code).ok()).collect();
    villages.sort();
    villages.dedup();
    let chains = crate::regions::get_many(db, &villages).await?;
    Ok(raws.into_iter().map(|raw| present(viewer, scope, &chains, raw)).collect())
}

fn present(viewer: &Viewer, scope: Scope, chains: &HashMap<RegionCode, crate::regions::Region>, raw: Raw) -> Row {
    let chain = RegionCode::parse(&raw.village_code).ok().and_then(|v| chains.get(&v));
    let member_of: Vec<i64> = if let Scope::Members(c) = scope { vec![c] } else { Vec::new() };
    let identified = viewer.may_identify(&raw.village_code, &member_of);
    Row {
        id: raw.id,
        household_code: raw.code,
        village: Village {
            name: chain.map(|r| crate::regions::short_name(&r.name)).unwrap_or_default(),
            chain: chain.map(super::county_down).unwrap_or_default(),
            code: raw.village_code,
        },
        status: Status::parse(&raw.status).unwrap_or(Status::None),
        size: raw.size,
        gross_sales_fen: Fen::new(raw.gross),
        household_income_fen: Fen::new(raw.income),
        per_capita_income_fen: Fen::new(raw.income.div_euclid(raw.size.max(1))),
        colour: raw.colour,
        register_number: if identified { raw.register_number } else { None },
        head_name: if identified { raw.head_name } else { None },
    }
}

/// How deep the first pages by gross sales are read by walking the
/// household-years in order (see [`first_by_gross`]); deeper pages rank
/// every household.
const WALKED: i64 = 2_000;

/// The calendar year whose totals the per-village rows give for `q`: all
/// cooperatives' sales, any status (see migration 0021).
fn by_villages(scope: Scope, q: &Query) -> Option<String> {
    let coop = matches!(scope, Scope::Members(_)) || q.cooperative.is_some();
    if coop || q.status.is_some() { None } else { q.period.calendar_year() }
}

/// The report's totals over all its rows.
pub async fn totals(db: &Db, scope: Scope, q: &Query) -> sqlx::Result<Totals> {
    if let Some(year) = by_villages(scope, q) {
        return totals_from_villages(db, scope, q, &year).await;
    }
    let grouped = grouped(scope, q, None);
    let (households, people, with_sales, gross, income): (i64, i64, i64, i64, i64) = sqlx::query_as(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(size), 0) AS BIGINT), \
                CAST(COALESCE(SUM(CASE WHEN gross > 0 THEN 1 ELSE 0 END), 0) AS BIGINT), \
                CAST(COALESCE(SUM(gross), 0) AS BIGINT), CAST(COALESCE(SUM(income), 0) AS BIGINT) FROM ({grouped}) x"
    ))
    .fetch_one(db.pool())
    .await?;
    Ok(Totals {
        households,
        people,
        households_with_sales: with_sales,
        gross_sales_fen: Fen::new(gross),
        household_income_fen: Fen::new(income),
    })
}

/// The totals of a calendar year of all sales from one row per village
/// (migrations 0019 and 0021) instead of one per household: households and
/// people where they live today, sales and households with sales where
/// they sold. The two differ only for households that moved, which
/// `household_moves` lists: for each of those with sales in the year, what
/// the villages counted of it is replaced by what its own row of the
/// report holds — the same totals as summing the report's rows.
async fn totals_from_villages(db: &Db, scope: Scope, q: &Query, year: &str) -> sqlx::Result<Totals> {
    let ranges = region_ranges(scope, q);
    let inside = |code: &str| ranges.iter().all(|(lo, hi)| lo.as_str() <= code && code <= hi.as_str());
    let cond = |alias: &str| {
        let c = region_conditions(scope, q, alias);
        if c.is_empty() { String::new() } else { format!("AND {}", c.join(" AND ")) }
    };
    let (households, people): (i64, i64) = sqlx::query_as(&format!(
        "SELECT CAST(COALESCE(SUM(v.households), 0) AS BIGINT), CAST(COALESCE(SUM(v.people), 0) AS BIGINT) \
         FROM village_households v WHERE 1 = 1 {}",
        cond("v")
    ))
    .fetch_one(db.pool())
    .await?;
    let (mut gross, mut income, mut with_sales): (i64, i64, i64) = sqlx::query_as(&format!(
        "SELECT CAST(COALESCE(SUM(t.gross_fen), 0) AS BIGINT), CAST(COALESCE(SUM(t.income_fen), 0) AS BIGINT), \
                CAST(COALESCE(SUM(t.households_with_sales), 0) AS BIGINT) \
         FROM ledger_village_years t WHERE t.year = '{year}' {}",
        cond("t")
    ))
    .fetch_one(db.pool())
    .await?;
    // The moved households' rows, wherever they sold or live: read from
    // the few moved households (CROSS JOIN keeps SQLite to that order,
    // which it would not guess for the OR of two tables' ranges).
    let sold_or_lives = {
        let (h, t) = (region_conditions(scope, q, "h"), region_conditions(scope, q, "t"));
        if h.is_empty() { String::new() } else { format!("AND (({}) OR ({}))", h.join(" AND "), t.join(" AND ")) }
    };
    let moved: Vec<(i64, String, String, i64, i64)> = sqlx::query_as(&format!(
        "SELECT h.id, h.village_code, t.village_code, t.gross_fen, t.income_fen \
         FROM household_moves m CROSS JOIN households h CROSS JOIN ledger_household_years t \
         WHERE h.id = m.household_id AND t.household_id = m.household_id AND t.year = '{year}' {sold_or_lives} ORDER BY h.id"
    ))
    .fetch_all(db.pool())
    .await?;
    for chunk in moved.chunk_by(|a, b| a.0 == b.0) {
        let lives_inside = inside(&chunk[0].1);
        let (mut all_gross, mut all_income) = (0, 0);
        for (_, _, sold_in, g, i) in chunk {
            (all_gross, all_income) = (all_gross + g, all_income + i);
            if inside(sold_in) {
                // What the village rows counted of it …
                (gross, income) = (gross - g, income - i);
                with_sales -= i64::from(*g > 0);
            }
        }
        if lives_inside {
            // … and what its row of the report holds.
            (gross, income) = (gross + all_gross, income + all_income);
            with_sales += i64::from(all_gross > 0);
        }
    }
    Ok(Totals {
        households,
        people,
        households_with_sales: with_sales,
        gross_sales_fen: Fen::new(gross),
        household_income_fen: Fen::new(income),
    })
}

/// The first `offset + limit` households by gross sales of a calendar
/// year of all sales, without ranking every household: the household-years
/// are walked in order of gross sales (migration 0021's index) and the
/// first `offset + limit` inside the regions kept; with the others of the
/// last one's sales (ties, which the code orders) and the households that
/// moved (whose several village rows add up), they hold every household of
/// the page, which the report's own query then orders. `None` when this
/// does not apply: another order, period or filter, a page too deep, or
/// one that reaches households without sales.
async fn first_by_gross(db: &Db, scope: Scope, q: &Query, limit: i64, offset: i64) -> sqlx::Result<Option<Vec<Raw>>> {
    let Some(year) = by_villages(scope, q) else { return Ok(None) };
    let n = offset.saturating_add(limit);
    if q.sort != Sort::GrossDesc || limit <= 0 || n > WALKED {
        return Ok(None);
    }
    let regions: String = region_conditions(scope, q, "h").iter().map(|c| format!(" AND {c}")).collect();
    // A household that never moved sold where it lives, so the walk
    // reads the region off the household-years themselves; inside one
    // county it walks that county's (migration 0021's second index). The
    // village range is written as an expression so that SQLite keeps to
    // the order of sales rather than the villages' index.
    // (A range's region is the digits its two ends share; a county's
    // range is the county condition itself.)
    let ranges = region_ranges(scope, q);
    let digits = |(lo, hi): &(String, String)| lo.bytes().zip(hi.bytes()).take_while(|(a, b)| a == b).count();
    let county = ranges.iter().max_by_key(|r| digits(r)).filter(|r| digits(r) >= 6).map(|r| r.0[..6].to_owned());
    let mut within: String = ranges
        .iter()
        .filter(|r| !(digits(r) == 6 && county.as_deref() == Some(&r.0[..6])))
        .map(|(lo, hi)| format!(" AND t.village_code || '' >= '{lo}' AND t.village_code || '' <= '{hi}'"))
        .collect();
    if let Some(county) = county {
        within.push_str(&format!(" AND substr(t.village_code, 1, 6) = '{county}'"));
    }
    let walk = |extra: String| {
        format!(
            "SELECT t.household_id, t.gross_fen FROM ledger_household_years t WHERE t.year = '{year}'{within} {extra} \
               AND NOT EXISTS (SELECT 1 FROM household_moves m WHERE m.household_id = t.household_id)"
        )
    };
    let first: Vec<(i64, i64)> =
        sqlx::query_as(&format!("{} ORDER BY t.gross_fen DESC LIMIT {n}", walk("AND t.gross_fen > 0".into()))).fetch_all(db.pool()).await?;
    let Some(&(_, least)) = first.last().filter(|_| first.len() as i64 == n) else { return Ok(None) };
    // Many households with exactly the last one's sales (a page of equal
    // orders) would make the list long: then rank them all instead.
    let ties: Vec<(i64, i64)> =
        sqlx::query_as(&format!("{} LIMIT {}", walk(format!("AND t.gross_fen = {least}")), WALKED + 1)).fetch_all(db.pool()).await?;
    if ties.len() as i64 > WALKED {
        return Ok(None);
    }
    let moved: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT h.id FROM household_moves m CROSS JOIN households h CROSS JOIN ledger_household_years t \
         WHERE h.id = m.household_id AND t.household_id = m.household_id AND t.year = '{year}'{regions} \
         GROUP BY h.id HAVING SUM(t.gross_fen) >= {least}"
    ))
    .fetch_all(db.pool())
    .await?;
    let mut ids: Vec<i64> = first.into_iter().chain(ties).map(|(id, _)| id).chain(moved).collect();
    ids.sort_unstable();
    ids.dedup();
    let sql = format!("{} ORDER BY {} LIMIT $1 OFFSET $2", grouped(scope, q, Some(&ids)), q.sort.sql());
    Ok(Some(sqlx::query_as(&sql).bind(limit).bind(offset).fetch_all(db.pool()).await?))
}

/// One page of the report and the totals over all its rows.
pub async fn page(db: &Db, viewer: &Viewer, scope: Scope, q: &Query, limit: i64, offset: i64) -> sqlx::Result<(Vec<Row>, Totals)> {
    let totals = totals(db, scope, q).await?;
    let raws = match first_by_gross(db, scope, q, limit, offset).await? {
        Some(raws) => raws,
        None => {
            let sql = format!("{} ORDER BY {} LIMIT $1 OFFSET $2", grouped(scope, q, None), q.sort.sql());
            sqlx::query_as(&sql).bind(limit).bind(offset).fetch_all(db.pool()).await?
        }
    };
    Ok((present_all(db, viewer, scope, raws).await?, totals))
}

/// Every row of the report, in order, as a stream (for exports: rows
/// are read and sent on as they come, so nothing holds them all). A task
/// reads the database and hands rows over a short channel; when the
/// reader goes away (the client hung up) the task stops.
pub fn rows(db: Db, viewer: Viewer, scope: Scope, q: &Query) -> impl Stream<Item = sqlx::Result<Row>> + Send + 'static {
    let sql = format!("{} ORDER BY {}", grouped(scope, q, None), q.sort.sql());
    let (tx, rx) = tokio::sync::mpsc::channel::<sqlx::Result<Row>>(256);
    tokio::spawn(async move {
        let mut raws = sqlx::query_as::<_, Raw>(&sql).fetch(db.pool());
        while let Some(raw) = raws.next().await {
            // (Villages are named from the regions' process cache after
            // their first row.)
            let row = match raw {
                Ok(raw) => present_all(&db, &viewer, scope, vec![raw]).await.map(|mut rows| rows.remove(0)),
                Err(e) => Err(e),
            };
            let failed = row.is_err();
            if tx.send(row).await.is_err() || failed {
                return;
            }
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|row| (row, rx)) }).fuse()
}

/// One month of one household.
#[derive(Debug, Clone, Serialize)]
pub struct Month {
    /// `2026-03`
    pub month: String,
    /// Gross sales attributed.
    pub gross_sales_fen: Fen,
    /// Household income.
    pub household_income_fen: Fen,
}

/// One household's sales through one cooperative.
#[derive(Debug, Clone, Serialize)]
pub struct ThroughCooperative {
    /// Opaque id.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Gross sales attributed.
    pub gross_sales_fen: Fen,
    /// Household income.
    pub household_income_fen: Fen,
}

/// One household's report: its line, its months, its cooperatives.
#[derive(Debug, Clone, Serialize)]
pub struct HouseholdReport {
    /// The household as in the report.
    pub household: Row,
    /// Every month of the period, first to last.
    pub months: Vec<Month>,
    /// Sales by cooperative.
    pub cooperatives: Vec<ThroughCooperative>,
}

/// Household `id`'s report, or `None` when it is outside the scope.
pub async fn one(db: &Db, viewer: &Viewer, scope: Scope, id: i64, period: Period) -> sqlx::Result<Option<HouseholdReport>> {
    let q = Query { period, region: None, status: None, cooperative: None, sort: Sort::Code };
    let sql = grouped(scope, &q, Some(&[id]));
    let Some(raw) = sqlx::query_as::<_, Raw>(&sql).fetch_optional(db.pool()).await? else { return Ok(None) };
    let household = present_all(db, viewer, scope, vec![raw]).await?.remove(0);
    let coop = if let Scope::Members(c) = scope { format!(" AND t.cooperative_id = {c}") } else { String::new() };
    let (table, cond) = period.household_join("t");
    // Its sales by month and cooperative in one query, summed both ways
    // here.
    let sales: Vec<(String, i64, String, i64, i64)> = sqlx::query_as(&format!(
        "SELECT t.month, t.cooperative_id, o.name, CAST(SUM(t.gross_fen) AS BIGINT), CAST(SUM(t.income_fen) AS BIGINT) \
         FROM {table} t JOIN organisations o ON o.id = t.cooperative_id WHERE {cond} AND t.household_id = $1{coop} \
         GROUP BY t.month, t.cooperative_id, o.name"
    ))
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let mut by_month: HashMap<&str, (i64, i64)> = HashMap::new();
    let mut cooperatives: Vec<ThroughCooperative> = Vec::new();
    for (month, coop, name, gross, income) in &sales {
        let m = by_month.entry(month.as_str()).or_default();
        (m.0, m.1) = (m.0 + gross, m.1 + income);
        match cooperatives.iter_mut().find(|c| c.id == *coop) {
            Some(c) => {
                c.gross_sales_fen = Fen::new(c.gross_sales_fen.get() + gross);
                c.household_income_fen = Fen::new(c.household_income_fen.get() + income);
            }
            None => cooperatives.push(ThroughCooperative {
                id: *coop,
                name: name.clone(),
                gross_sales_fen: Fen::new(*gross),
                household_income_fen: Fen::new(*income),
            }),
        }
    }
    cooperatives.sort_by_key(|c| (std::cmp::Reverse(c.gross_sales_fen.get()), c.id));
    let months = period
        .months()
        .into_iter()
        .map(|m| {
            let (g, i) = by_month.get(m.as_str()).copied().unwrap_or((0, 0));
            Month { month: m, gross_sales_fen: Fen::new(g), household_income_fen: Fen::new(i) }
        })
        .collect();
    Ok(Some(HouseholdReport { household, months, cooperatives }))
}

/// A status as the register names it, in the export's language.
pub fn status_text(status: Status, lang: Language) -> &'static str {
    match status {
        Status::RegisteredPoor => lang.pick("建档立卡贫困户", "Registered poor"),
        Status::Monitored => lang.pick("监测户", "Monitored"),
        Status::Edge => lang.pick("边缘户", "At the edge"),
        Status::Lifted => lang.pick("已脱贫户", "Lifted out of poverty"),
        Status::None => lang.pick("一般农户", "Not registered"),
    }
}

/// A monitoring colour in the export's language.
pub fn colour_text(colour: &str, lang: Language) -> &'static str {
    match colour {
        "red" => lang.pick("红色", "red"),
        "orange" => lang.pick("橙色", "orange"),
        "yellow" => lang.pick("黄色", "yellow"),
        "green" => lang.pick("绿色", "green"),
        _ => "",
    }
}

const COLUMNS: &[Column] = &[
    Column::text("household_code", "农户编号", "Household"),
    Column::text("head_name", "户主", "Head of household"),
    Column::text("register_number", "建档立卡证号", "Register number"),
    Column::text("village", "所在村", "Village"),
    Column::text("status", "类别", "Status"),
    Column::integer("size", "人口", "People"),
    Column::yuan("gross_sales_fen", "销售额（元）", "Gross sales (yuan)"),
    Column::yuan("household_income_fen", "农户收入（元）", "Household income (yuan)"),
    Column::yuan("per_capita_income_fen", "人均收入（元）", "Income per person (yuan)"),
    Column::text("colour", "监测颜色", "Monitoring colour"),
];

/// The whole report as an export (CSV or XLSX), its rows streamed in the
/// report's order; identities only where the viewer may see them; the
/// totals row worked out by the report (income per person does not add).
pub async fn export(db: &Db, viewer: Viewer, scope: Scope, q: &Query, lang: Language) -> sqlx::Result<Export> {
    let totals = totals(db, scope, q).await?;
    let stream = rows(db.clone(), viewer, scope, q);
    let given = vec![
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Text(lang.pick(format!("{} 户", totals.households), format!("{} households", totals.households))),
        totals.people.into(),
        totals.gross_sales_fen.into(),
        totals.household_income_fen.into(),
        Cell::Empty,
        Cell::Empty,
    ];
    let stem = format!("households-{}-{}", crate::time::format_date(q.period.from), crate::time::format_date(q.period.to));
    Ok(Export::new(stem, ("农户销售明细", "Sales per household"), COLUMNS).totals(export::Totals::Given(given)).rows(
        move |mut out| async move {
            let mut stream = std::pin::pin!(stream);
            while let Some(row) = stream.next().await {
                let r = row?;
                out.send(vec![
                    r.household_code.into(),
                    r.head_name.unwrap_or_default().into(),
                    r.register_number.unwrap_or_default().into(),
                    r.village.chain.into(),
                    status_text(r.status, lang).into(),
                    r.size.into(),
                    r.gross_sales_fen.into(),
                    r.household_income_fen.into(),
                    r.per_capita_income_fen.into(),
                    r.colour.as_deref().map(|c| colour_text(c, lang)).unwrap_or("").into(),
                ])
                .await?;
            }
            Ok(())
        },
    ))
}
