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
}

/// The report's SQL without its order: one row per household. Every value
/// written into it is typed and formatted here (region codes are digits,
/// ids integers, statuses from the enumeration, dates from [`Period`]).
fn grouped(scope: Scope, q: &Query, only: Option<i64>) -> String {
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
    for region in [if let Scope::Region(r) = scope { Some(r) } else { None }, q.region].into_iter().flatten() {
        let (lo, hi) = super::code_range(region);
        wher.push(format!("h.village_code >= '{lo}' AND h.village_code <= '{hi}'"));
    }
    if let Some(id) = only {
        wher.push(format!("h.id = {id}"));
    }
    if let Some(s) = q.status {
        wher.push(format!("h.status = '{}'", s.as_str()));
    }
    let wher = if wher.is_empty() { String::new() } else { format!("WHERE {}", wher.join(" AND ")) };
    format!(
        "SELECT h.id, h.code, h.village_code, h.status, h.size, h.register_number, h.head_name, \
                CAST(COALESCE(SUM(t.gross_fen), 0) AS BIGINT) AS gross, CAST(COALESCE(SUM(t.income_fen), 0) AS BIGINT) AS income \
         FROM households h LEFT JOIN {table} t ON t.household_id = h.id AND {on} {wher} \
         GROUP BY h.id, h.code, h.village_code, h.status, h.size, h.register_number, h.head_name"
    )
}

/// The monitoring colour of household `id` in `year` (household_colours,
/// kept by crate::monitoring).
async fn colour(db: &Db, id: i64, year: i32) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT colour FROM household_colours WHERE household_id = $1 AND year = $2")
        .bind(id)
        .bind(year as i64)
        .fetch_optional(db.pool())
        .await
}

async fn present(db: &Db, viewer: &Viewer, scope: Scope, raw: Raw, year: i32) -> sqlx::Result<Row> {
    let village = RegionCode::parse(&raw.village_code).ok();
    let chain = match village {
        Some(v) => crate::regions::get_many(db, &[v]).await?.remove(&v),
        None => None,
    };
    let member_of: Vec<i64> = if let Scope::Members(c) = scope { vec![c] } else { Vec::new() };
    let identified = viewer.may_identify(&raw.village_code, &member_of);
    Ok(Row {
        id: raw.id,
        household_code: raw.code,
        village: Village {
            name: chain.as_ref().map(|r| crate::regions::short_name(&r.name)).unwrap_or_default(),
            chain: chain.as_ref().map(super::county_down).unwrap_or_default(),
            code: raw.village_code,
        },
        status: Status::parse(&raw.status).unwrap_or(Status::None),
        size: raw.size,
        gross_sales_fen: Fen::new(raw.gross),
        household_income_fen: Fen::new(raw.income),
        per_capita_income_fen: Fen::new(raw.income.div_euclid(raw.size.max(1))),
        colour: colour(db, raw.id, year).await?,
        register_number: if identified { raw.register_number } else { None },
        head_name: if identified { raw.head_name } else { None },
    })
}

/// One page of the report and the totals over all its rows.
pub async fn page(db: &Db, viewer: &Viewer, scope: Scope, q: &Query, limit: i64, offset: i64) -> sqlx::Result<(Vec<Row>, Totals)> {
    let grouped = grouped(scope, q, None);
    let (households, people, with_sales, gross, income): (i64, i64, i64, i64, i64) = sqlx::query_as(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(size), 0) AS BIGINT), \
                CAST(COALESCE(SUM(CASE WHEN gross > 0 THEN 1 ELSE 0 END), 0) AS BIGINT), \
                CAST(COALESCE(SUM(gross), 0) AS BIGINT), CAST(COALESCE(SUM(income), 0) AS BIGINT) FROM ({grouped}) x"
    ))
    .fetch_one(db.pool())
    .await?;
    let totals = Totals {
        households,
        people,
        households_with_sales: with_sales,
        gross_sales_fen: Fen::new(gross),
        household_income_fen: Fen::new(income),
    };
    let raws: Vec<Raw> = sqlx::query_as(&format!("{grouped} ORDER BY {} LIMIT $1 OFFSET $2", q.sort.sql()))
        .bind(limit)
        .bind(offset)
        .fetch_all(db.pool())
        .await?;
    let mut rows = Vec::with_capacity(raws.len());
    for raw in raws {
        rows.push(present(db, viewer, scope, raw, q.period.to.year()).await?);
    }
    Ok((rows, totals))
}

/// Every row of the report, in order, as a stream (for exports: rows
/// are read and sent on as they come, so nothing holds them all). A task
/// reads the database and hands rows over a short channel; when the
/// reader goes away (the client hung up) the task stops.
pub fn rows(db: Db, viewer: Viewer, scope: Scope, q: &Query) -> impl Stream<Item = sqlx::Result<Row>> + Send + 'static {
    let sql = format!("{} ORDER BY {}", grouped(scope, q, None), q.sort.sql());
    let year = q.period.to.year();
    let (tx, rx) = tokio::sync::mpsc::channel::<sqlx::Result<Row>>(256);
    tokio::spawn(async move {
        let mut raws = sqlx::query_as::<_, Raw>(&sql).fetch(db.pool());
        while let Some(raw) = raws.next().await {
            let row = match raw {
                Ok(raw) => present(&db, &viewer, scope, raw, year).await,
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
    let sql = grouped(scope, &q, Some(id));
    let Some(raw) = sqlx::query_as::<_, Raw>(&sql).fetch_optional(db.pool()).await? else { return Ok(None) };
    let household = present(db, viewer, scope, raw, period.to.year()).await?;
    let coop = if let Scope::Members(c) = scope { format!(" AND t.cooperative_id = {c}") } else { String::new() };
    let rows = period.household_rows("t");
    let (table, cond) = period.household_join("t");
    let by_month: Vec<(String, i64, i64)> = sqlx::query_as(&format!(
        "SELECT t.month, CAST(SUM(t.gross_fen) AS BIGINT), CAST(SUM(t.income_fen) AS BIGINT) FROM {rows} AND t.household_id = $1{coop} GROUP BY t.month"
    ))
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let months = period
        .months()
        .into_iter()
        .map(|m| {
            let (g, i) = by_month.iter().find(|r| r.0 == m).map(|r| (r.1, r.2)).unwrap_or((0, 0));
            Month { month: m, gross_sales_fen: Fen::new(g), household_income_fen: Fen::new(i) }
        })
        .collect();
    let cooperatives: Vec<(i64, String, i64, i64)> = sqlx::query_as(&format!(
        "SELECT t.cooperative_id, o.name, CAST(SUM(t.gross_fen) AS BIGINT), CAST(SUM(t.income_fen) AS BIGINT) \
         FROM {table} t JOIN organisations o ON o.id = t.cooperative_id WHERE {cond} AND t.household_id = $1{coop} \
         GROUP BY t.cooperative_id, o.name ORDER BY 3 DESC"
    ))
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let cooperatives = cooperatives
        .into_iter()
        .map(|(id, name, g, i)| ThroughCooperative { id, name, gross_sales_fen: Fen::new(g), household_income_fen: Fen::new(i) })
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
    let (_, totals) = page(db, &viewer, scope, q, 0, 0).await?;
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
