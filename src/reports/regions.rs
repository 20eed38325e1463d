//! Regional rollups (village → township → county → prefecture, with
//! drill-down): per region of one level inside a parent, the gross sales
//! of the period, the registered poor households (today's register), the
//! households with sales, the sales that reached registered poor
//! households (their status at the time of sale) and their share, and how
//! many cooperatives sold and buyers bought; by month when asked.
//!
//! Aggregates only — no household is named — so besides officials (their
//! own region) and platform administration, a partner city reads the
//! regions it is paired with.

use crate::auth::{Actor, Role};
use crate::db::Db;
use crate::money::Fen;
use crate::orgs::OrgKind;
use crate::regions::{ChainLink, RegionCode, RegionLevel};
use crate::reports::export::{Cell, Column, Export, Language, Totals};
use crate::reports::period::Period;
use serde::Serialize;
use std::collections::HashMap;

/// Where a reader may look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// Everywhere (platform administration and finance).
    All,
    /// Inside these regions only.
    Within(Vec<RegionCode>),
}

impl Reach {
    /// True when `region` lies inside the reach.
    pub fn covers(&self, region: RegionCode) -> bool {
        match self {
            Reach::All => true,
            Reach::Within(rs) => rs.iter().any(|r| r.contains(region)),
        }
    }

    /// The region a reader starts from: the one region of an official or
    /// a singly paired city; `None` (the provinces) otherwise.
    pub fn home(&self) -> Option<RegionCode> {
        match self {
            Reach::Within(rs) if rs.len() == 1 => Some(rs[0]),
            _ => None,
        }
    }
}

/// The reach of `actor` for regional reports, or `None` when its role
/// reads none.
pub async fn reach_of(db: &Db, actor: &Actor) -> sqlx::Result<Option<Reach>> {
    if actor.has(Role::PlatformAdmin) || actor.has(Role::PlatformFinance) {
        return Ok(Some(Reach::All));
    }
    if let Some(region) = actor.official_region() {
        return Ok(Some(Reach::Within(vec![region])));
    }
    if actor.org.kind == OrgKind::PartnerCity {
        let codes: Vec<String> = sqlx::query_scalar("SELECT region_code FROM partner_pairings WHERE partner_id = $1 ORDER BY region_code")
            .bind(actor.org.id)
            .fetch_all(db.pool())
            .await?;
        let codes: Vec<RegionCode> = codes.iter().filter_map(|c| RegionCode::parse(c).ok()).collect();
        return Ok((!codes.is_empty()).then_some(Reach::Within(codes)));
    }
    Ok(None)
}

/// One month of a region.
#[derive(Debug, Clone, Serialize)]
pub struct Month {
    /// `2026-03`
    pub month: String,
    /// Gross sales.
    pub gross_sales_fen: Fen,
    /// Of which reached registered poor households.
    pub registered_poor_sales_fen: Fen,
}

/// One region's line.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// 12 digits (the API's; pages show names and link with it).
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its level.
    pub level: RegionLevel,
    /// Gross sales attributed to households of the region, net of refunds.
    pub gross_sales_fen: Fen,
    /// Registered poor households living there (today's register).
    pub registered_poor_households: i64,
    /// Households with sales above zero in the period.
    pub households_with_sales: i64,
    /// Sales that reached households registered poor at the time of sale.
    pub registered_poor_sales_fen: Fen,
    /// Their share of the gross sales, percent, one decimal; `None`
    /// without sales.
    pub registered_poor_share_percent: Option<f64>,
    /// Cooperatives that sold.
    pub cooperatives: i64,
    /// Buyer organisations that bought.
    pub buyers: i64,
    /// Every month of the period, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub months: Option<Vec<Month>>,
}

/// The report: the parent (with its chain, for the breadcrumb), its
/// totals, and a row per region of `level` inside it.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The region drilled into; `None`: the whole country.
    pub parent: Option<Parent>,
    /// The level of the rows.
    pub level: RegionLevel,
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day.
    pub to: String,
    /// The parent's own line (the totals of the rows, with distinct
    /// households, cooperatives and buyers counted once).
    pub totals: Row,
    /// The regions, in code order.
    pub rows: Vec<Row>,
}

/// The region drilled into.
#[derive(Debug, Clone, Serialize)]
pub struct Parent {
    /// 12 digits.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its level.
    pub level: RegionLevel,
    /// Province down to it.
    pub chain: Vec<ChainLink>,
}

#[derive(Default)]
struct Agg {
    gross: i64,
    poor: i64,
    cooperatives: i64,
    buyers: i64,
    households_with_sales: i64,
    /// A calendar year's households with sales as the villages count them
    /// (summed over the region's villages, before the correction for
    /// households that moved).
    villages_with_sales: i64,
    registered_poor_households: i64,
    months: HashMap<String, (i64, i64)>,
}

/// Sums the period's sales inside `[lo, hi]` by the first `n` digits of
/// the village code (`n` = 0: all together): the additive figures (gross
/// and poor sales, registered households, months), from the per-village
/// totals for whole months.
async fn sums(db: &Db, period: &Period, (lo, hi): (&str, &str), n: u32, by_month: bool) -> sqlx::Result<HashMap<String, Agg>> {
    let range = format!("t.village_code >= '{lo}' AND t.village_code <= '{hi}'");
    let key = format!("SUBSTR(t.village_code, 1, {n})");
    let villages = period.village_rows("t");
    let mut out: HashMap<String, Agg> = HashMap::new();
    // A calendar year reads one row per village (migration 0019), other
    // periods one per village, month and status.
    let sql = match period.calendar_year() {
        // (With the villages' households with sales, which
        // [`households_with_sales_in_year`] corrects for the moved.)
        Some(year) => format!(
            "SELECT {key}, CAST(SUM(t.gross_fen) AS BIGINT), CAST(SUM(t.registered_poor_fen) AS BIGINT), \
                    CAST(SUM(t.households_with_sales) AS BIGINT) \
             FROM ledger_village_years t WHERE t.year = '{year}' AND {range} GROUP BY {key}"
        ),
        None => format!(
            "SELECT {key}, CAST(SUM(t.gross_fen) AS BIGINT), \
                    CAST(SUM(CASE WHEN t.household_status = 'registered_poor' THEN t.gross_fen ELSE 0 END) AS BIGINT), \
                    CAST(0 AS BIGINT) \
             FROM {villages} AND {range} GROUP BY {key}"
        ),
    };
    let sums: Vec<(String, i64, i64, i64)> = sqlx::query_as(&sql).fetch_all(db.pool()).await?;
    for (k, gross, poor, villages_with_sales) in sums {
        let a = out.entry(k).or_default();
        (a.gross, a.poor, a.villages_with_sales) = (gross, poor, villages_with_sales);
    }
    let registered: Vec<(String, i64)> = sqlx::query_as(&format!(
        "SELECT SUBSTR(h.village_code, 1, {n}), CAST(SUM(h.registered_poor) AS BIGINT) FROM village_households h \
         WHERE h.village_code >= '{lo}' AND h.village_code <= '{hi}' GROUP BY SUBSTR(h.village_code, 1, {n})"
    ))
    .fetch_all(db.pool())
    .await?;
    for (k, count) in registered {
        out.entry(k).or_default().registered_poor_households = count;
    }
    if by_month {
        let months: Vec<(String, String, i64, i64)> = sqlx::query_as(&format!(
            "SELECT {key}, t.month, CAST(SUM(t.gross_fen) AS BIGINT), \
                    CAST(SUM(CASE WHEN t.household_status = 'registered_poor' THEN t.gross_fen ELSE 0 END) AS BIGINT) \
             FROM {villages} AND {range} GROUP BY {key}, t.month"
        ))
        .fetch_all(db.pool())
        .await?;
        for (k, month, gross, poor) in months {
            out.entry(k).or_default().months.insert(month, (gross, poor));
        }
    }
    Ok(out)
}

/// Adds to `out` the figures counted distinct (cooperatives, buyers,
/// households with sales) inside `[lo, hi]` by the first `n` digits of
/// the village code. They cannot be summed from smaller regions, so they
/// are counted at `n` itself: cooperatives and buyers over a calendar year
/// from the counts of the regions of that level (down to villages), over
/// other whole months from their parties (a township's villages from its
/// village-month rows), households over a calendar year from the
/// villages' counts corrected for the households that moved.
async fn distinct(db: &Db, period: &Period, (lo, hi): (&str, &str), n: u32, out: &mut HashMap<String, Agg>) -> sqlx::Result<()> {
    let range = format!("t.village_code >= '{lo}' AND t.village_code <= '{hi}'");
    let key = format!("SUBSTR(t.village_code, 1, {n})");
    let level = crate::orders::PARTY_DIGITS.into_iter().find(|d| *d as u32 >= n);
    // Villages are counted per year too (migration 0023), not per month.
    let counted = if n == 12 { Some(12) } else { level.filter(|d| *d as u32 == n) };
    let parties: Vec<(String, i64, i64)> = match (level, period.calendar_year()) {
        // A calendar year of regions of a counted level: their counts
        // (migrations 0022 and 0023), a row per region and kind.
        (_, Some(year)) if counted.is_some() => {
            let d = n as usize;
            let (plo, phi) = (&lo[..d], &hi[..d]);
            let counts: Vec<(String, String, i64)> = sqlx::query_as(&format!(
                "SELECT c.region_prefix, c.party_kind, c.parties FROM ledger_region_party_counts c \
                 WHERE c.digits = {d} AND c.region_prefix >= '{plo}' AND c.region_prefix <= '{phi}' AND c.year = '{year}'"
            ))
            .fetch_all(db.pool())
            .await?;
            let mut by_region: HashMap<String, (i64, i64)> = HashMap::new();
            for (region, kind, count) in counts {
                let t = by_region.entry(region).or_default();
                if kind == "cooperative" { t.0 = count } else { t.1 = count }
            }
            by_region.into_iter().map(|(k, (c, b))| (k, c, b)).collect()
        }
        // Above the listed levels (the whole country): the year's parties
        // counted distinct.
        (Some(d), Some(year)) => {
            let (plo, phi) = (&lo[..d], &hi[..d]);
            sqlx::query_as(&format!(
                "SELECT SUBSTR(p.region_prefix, 1, {n}), \
                        CAST(COUNT(DISTINCT CASE WHEN p.party_kind = 'cooperative' THEN p.party_id END) AS BIGINT), \
                        CAST(COUNT(DISTINCT CASE WHEN p.party_kind = 'buyer' THEN p.party_id END) AS BIGINT) \
                 FROM ledger_region_party_years p WHERE p.digits = {d} AND p.region_prefix >= '{plo}' AND p.region_prefix <= '{phi}' \
                   AND p.year = '{year}' GROUP BY SUBSTR(p.region_prefix, 1, {n})"
            ))
            .fetch_all(db.pool())
            .await?
        }
        (Some(d), None) if period.whole_months() => {
            let (a, b) = period.month_range();
            let (plo, phi) = (&lo[..d], &hi[..d]);
            sqlx::query_as(&format!(
                "SELECT SUBSTR(p.region_prefix, 1, {n}), \
                        CAST(COUNT(DISTINCT CASE WHEN p.party_kind = 'cooperative' THEN p.party_id END) AS BIGINT), \
                        CAST(COUNT(DISTINCT CASE WHEN p.party_kind = 'buyer' THEN p.party_id END) AS BIGINT) \
                 FROM ledger_region_parties p WHERE p.digits = {d} AND p.region_prefix >= '{plo}' AND p.region_prefix <= '{phi}' \
                   AND p.month >= '{a}' AND p.month <= '{b}' GROUP BY SUBSTR(p.region_prefix, 1, {n})"
            ))
            .fetch_all(db.pool())
            .await?
        }
        _ => {
            let regions = period.region_rows("t");
            sqlx::query_as(&format!(
                "SELECT {key}, CAST(COUNT(DISTINCT t.cooperative_id) AS BIGINT), CAST(COUNT(DISTINCT t.buyer_org_id) AS BIGINT) \
                 FROM {regions} AND {range} GROUP BY {key}"
            ))
            .fetch_all(db.pool())
            .await?
        }
    };
    for (k, cooperatives, buyers) in parties {
        let a = out.entry(k).or_default();
        (a.cooperatives, a.buyers) = (cooperatives, buyers);
    }
    let with_sales = match period.calendar_year() {
        Some(year) => households_with_sales_in_year(db, &year, &range, n, out).await?,
        None => {
            let households = period.household_rows("t");
            sqlx::query_as(&format!(
                "SELECT k, CAST(COUNT(*) AS BIGINT) FROM (SELECT {key} AS k, t.household_id FROM {households} AND {range} \
                 GROUP BY {key}, t.household_id HAVING SUM(t.gross_fen) > 0) x GROUP BY k"
            ))
            .fetch_all(db.pool())
            .await?
        }
    };
    for (k, count) in with_sales {
        out.entry(k).or_default().households_with_sales = count;
    }
    Ok(())
}

/// Households with positive sales over calendar year `year` in the
/// regions of `n` digits, from migration 0019's counts: the villages'
/// counts summed per region (`villages_with_sales` of `out`, read by
/// [`sums`] with the gross sales, or added up from the regions below),
/// less, for each of the few households with more than one village row
/// that year, its positive rows
/// in the region beyond the one it counts for — so each household counts
/// once where its sales there add up to more than zero, exactly as a
/// distinct count over its household-years would.
async fn households_with_sales_in_year(
    db: &Db,
    year: &str,
    range: &str,
    n: u32,
    out: &HashMap<String, Agg>,
) -> sqlx::Result<Vec<(String, i64)>> {
    let mut counts: HashMap<String, i64> = out.iter().map(|(k, a)| (k.clone(), a.villages_with_sales)).collect();
    let overcounted: Vec<(String, i64)> = sqlx::query_as(&format!(
        "SELECT k, CAST(SUM(positive - CASE WHEN gross > 0 THEN 1 ELSE 0 END) AS BIGINT) FROM ( \
           SELECT SUBSTR(t.village_code, 1, {n}) AS k, t.household_id, SUM(CASE WHEN t.gross_fen > 0 THEN 1 ELSE 0 END) AS positive, \
                  SUM(t.gross_fen) AS gross \
           FROM ledger_household_year_villages m JOIN ledger_household_years t ON t.household_id = m.household_id AND t.year = m.year \
           WHERE m.year = '{year}' AND m.villages > 1 AND {range} GROUP BY SUBSTR(t.village_code, 1, {n}), t.household_id) x GROUP BY k"
    ))
    .fetch_all(db.pool())
    .await?;
    for (k, extra) in overcounted {
        *counts.entry(k).or_default() -= extra;
    }
    Ok(counts.into_iter().collect())
}

/// `part` of `whole` in percent with one decimal, rounded half up.
pub fn share_percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| ((part as i128 * 2000 + whole as i128) / (2 * whole as i128)) as f64 / 10.0)
}

fn row(code: String, name: String, level: RegionLevel, a: Option<&Agg>, months: Option<&[String]>) -> Row {
    let empty = Agg::default();
    let a = a.unwrap_or(&empty);
    Row {
        code,
        name,
        level,
        gross_sales_fen: Fen::new(a.gross),
        registered_poor_households: a.registered_poor_households,
        households_with_sales: a.households_with_sales,
        registered_poor_sales_fen: Fen::new(a.poor),
        registered_poor_share_percent: share_percent(a.poor, a.gross),
        cooperatives: a.cooperatives,
        buyers: a.buyers,
        months: months.map(|ms| {
            ms.iter()
                .map(|m| {
                    let (g, p) = a.months.get(m).copied().unwrap_or((0, 0));
                    Month { month: m.clone(), gross_sales_fen: Fen::new(g), registered_poor_sales_fen: Fen::new(p) }
                })
                .collect()
        }),
    }
}

/// The rollup of the regions of `level` inside `parent` (the whole
/// country when `None`). The caller has checked the reader's reach and
/// that `level` lies below the parent's.
pub async fn report(db: &Db, parent: Option<RegionCode>, level: RegionLevel, period: Period, by_month: bool) -> sqlx::Result<Report> {
    let (lo, hi) = match parent {
        Some(p) => super::code_range(p),
        None => ("000000000000".to_owned(), "999999999999".to_owned()),
    };
    let parent = match parent {
        Some(code) => crate::regions::get(db, code).await?.map(|r| Parent {
            code: code.to_string(),
            name: crate::regions::short_name(&r.name),
            level: r.level,
            chain: r.chain,
        }),
        None => None,
    };
    let children: Vec<(String, String)> =
        sqlx::query_as("SELECT code, name FROM regions WHERE level = $1 AND code >= $2 AND code <= $3 ORDER BY code")
            .bind(level.as_str())
            .bind(&lo)
            .bind(&hi)
            .fetch_all(db.pool())
            .await?;
    let n = level.digits();
    let mut by_child = sums(db, &period, (&lo, &hi), n, by_month).await?;
    // The parent's additive figures are its children's summed (every
    // child key inside the range, listed region or not).
    let mut whole = Agg::default();
    for a in by_child.values() {
        whole.gross += a.gross;
        whole.poor += a.poor;
        whole.villages_with_sales += a.villages_with_sales;
        whole.registered_poor_households += a.registered_poor_households;
        for (m, (g, p)) in &a.months {
            let t = whole.months.entry(m.clone()).or_default();
            t.0 += g;
            t.1 += p;
        }
    }
    distinct(db, &period, (&lo, &hi), n, &mut by_child).await?;
    let parent_digits = parent.as_ref().map(|p| p.level.digits()).unwrap_or(0);
    let mut counted = HashMap::from([(
        lo[..parent_digits as usize].to_owned(),
        Agg { villages_with_sales: whole.villages_with_sales, ..Agg::default() },
    )]);
    distinct(db, &period, (&lo, &hi), parent_digits, &mut counted).await?;
    if let Some(c) = counted.into_values().next() {
        (whole.cooperatives, whole.buyers, whole.households_with_sales) = (c.cooperatives, c.buyers, c.households_with_sales);
    }
    let months = by_month.then(|| period.months());
    let rows = children
        .into_iter()
        .map(|(code, name)| {
            let a = by_child.get(&code[..n as usize]);
            row(code, crate::regions::short_name(&name), level, a, months.as_deref())
        })
        .collect();
    let totals = match &parent {
        Some(p) => row(p.code.clone(), p.name.clone(), p.level, Some(&whole), months.as_deref()),
        None => row(String::new(), String::new(), RegionLevel::Province, Some(&whole), months.as_deref()),
    };
    let ymd = crate::time::format_date;
    Ok(Report { parent, level, from: ymd(period.from), to: ymd(period.to), totals, rows })
}

const COLUMNS: &[Column] = &[
    Column::text("name", "地区", "Region"),
    Column::yuan("gross_sales_fen", "销售额（元）", "Gross sales (yuan)"),
    Column::yuan("registered_poor_sales_fen", "惠及建档立卡贫困户（元）", "Reached registered poor households (yuan)"),
    Column::percent("registered_poor_share_percent", "贫困户占比", "Share to registered poor"),
    Column::integer("registered_poor_households", "建档立卡贫困户（户）", "Registered poor households"),
    Column::integer("households_with_sales", "有销售的农户（户）", "Households with sales"),
    Column::integer("cooperatives", "合作社（家）", "Cooperatives"),
    Column::integer("buyers", "采购单位（家）", "Buyers"),
];

fn cells(r: &Row) -> Vec<Cell> {
    vec![
        r.name.clone().into(),
        r.gross_sales_fen.into(),
        r.registered_poor_sales_fen.into(),
        Cell::percent(r.registered_poor_share_percent),
        r.registered_poor_households.into(),
        r.households_with_sales.into(),
        r.cooperatives.into(),
        r.buyers.into(),
    ]
}

/// The rollup as an export: a row per region, then the parent's line as
/// the totals (cooperatives, buyers and households counted once, not
/// summed over the rows).
pub fn export(report: &Report, lang: Language) -> Export {
    let rows: Vec<Vec<Cell>> = report.rows.iter().map(cells).collect();
    let mut totals = cells(&report.totals);
    totals[0] = Cell::Text(lang.pick("合计", "Total").to_owned());
    let place = report.parent.as_ref().map(|p| p.code.clone()).unwrap_or_else(|| "all".into());
    Export::new(format!("regions-{place}-{}-{}", report.from, report.to), ("地区汇总", "Regions"), COLUMNS)
        .rows_from(rows)
        .totals(Totals::Given(totals))
}
